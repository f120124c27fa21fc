//! The outcome of one `test_dma_bridge` test over one channel combination, and its report.

use std::io::{self, Write};

use vfio_access::timing::TransferTiming;
use vfio_access::VfioError;

use crate::designs::DmaDesign;
use crate::pattern::Mismatch;
use crate::programs::json_summary::{SummaryVerdict, TestEntry, TimingEntry};

/// The result of one test run over one channel combination.
pub enum Outcome {
    /// A DMA mapping could not be allocated.
    AllocFailed(VfioError),
    /// The test ran: the failure of each channel, if any, and the step timings.
    Ran {
        h2c: Option<String>,
        c2h: Option<String>,
        timings: Vec<TransferTiming>,
    },
}

impl Outcome {
    /// Writes the timing blocks and the verdict; true when the test passed.
    pub fn report(&self, out: &mut dyn Write) -> io::Result<bool> {
        let (h2c, c2h, timings) = match self {
            Outcome::AllocFailed(e) => {
                writeln!(out, "{e}")?;
                writeln!(out, "TEST FAIL : allocate_vfio_dma_mapping()")?;
                return Ok(false);
            }
            Outcome::Ran { h2c, c2h, timings } => (h2c, c2h, timings),
        };
        if h2c.is_none() && c2h.is_none() {
            for t in timings {
                write!(out, "{t}")?;
            }
            writeln!(out, "TEST PASS")?;
            Ok(true)
        } else {
            writeln!(out, "TEST FAIL:")?;
            if let Some(m) = h2c {
                writeln!(out, "  H2C failure : {m}")?;
            }
            if let Some(m) = c2h {
                writeln!(out, "  C2H failure : {m}")?;
            }
            Ok(false)
        }
    }
}

impl Outcome {
    /// The `--json-summary` entry of this outcome of test `name` on channels `h2c`, `c2h`.
    pub fn summary_entry(
        &self,
        name: &str,
        design: &DmaDesign,
        h2c: u8,
        c2h: u8,
        passed: bool,
    ) -> TestEntry {
        let (failures, timings) = match self {
            Outcome::AllocFailed(e) => (
                vec![format!("{e}"), "allocate_vfio_dma_mapping()".to_string()],
                Vec::new(),
            ),
            Outcome::Ran {
                h2c: h,
                c2h: c,
                timings,
            } => (
                [
                    h.as_ref().map(|m| format!("H2C failure : {m}")),
                    c.as_ref().map(|m| format!("C2H failure : {m}")),
                ]
                .into_iter()
                .flatten()
                .collect(),
                timings.iter().map(TimingEntry::from).collect(),
            ),
        };
        TestEntry {
            name: name.to_string(),
            design: design.name().to_string(),
            pci_location: design.design.location.to_string(),
            h2c_channel: Some(h2c),
            c2h_channel: Some(c2h),
            verdict: if passed {
                SummaryVerdict::Pass
            } else {
                SummaryVerdict::Fail
            },
            failures,
            timings,
            stream_statistics: None,
        }
    }
}

/// `<prefix>word[<i>] actual=0x<a> expected=0x<e>`.
pub fn mismatch_text(prefix: &str, m: Mismatch) -> String {
    format!(
        "{prefix}word[{}] actual=0x{:x} expected=0x{:x}",
        m.index, m.actual, m.expected
    )
}

/// `Rx word[<buffer>][<i>] actual=0x<a> expected=0x<e>`, for the stream tests.
pub fn rx_mismatch_text(buffer: usize, m: Mismatch) -> String {
    format!(
        "Rx word[{buffer}][{}] actual=0x{:x} expected=0x{:x}",
        m.index, m.actual, m.expected
    )
}
