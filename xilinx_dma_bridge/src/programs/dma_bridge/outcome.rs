//! The outcome of one `test_dma_bridge` test over one channel combination, and its report.

use vfio_access::timing::TransferTiming;

use crate::pattern::Mismatch;

/// The result of one test run over one channel combination.
pub enum Outcome {
    /// A DMA mapping could not be allocated.
    AllocFailed,
    /// The test ran: the failure of each channel, if any, and the step timings.
    Ran {
        h2c: Option<String>,
        c2h: Option<String>,
        timings: Vec<TransferTiming>,
    },
}

impl Outcome {
    /// Prints the timing blocks and the verdict; true when the test passed.
    pub fn report(&self) -> bool {
        let Outcome::Ran { h2c, c2h, timings } = self else {
            println!("TEST FAIL : allocate_vfio_dma_mapping()");
            return false;
        };
        if h2c.is_none() && c2h.is_none() {
            for t in timings {
                print!("{t}");
            }
            println!("TEST PASS");
            true
        } else {
            println!("TEST FAIL:");
            if let Some(m) = h2c {
                println!("  H2C failure : {m}");
            }
            if let Some(m) = c2h {
                println!("  C2H failure : {m}");
            }
            false
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
