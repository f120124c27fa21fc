//! The walk `test_ddr` and `time_dma_blkram` share: open the devices, run the
//! [legacy memory test](crate::legacy_test) on each design a tool selects, one verdict.

use std::io::Write;

use command_line::DeviceArgs;

use super::channel_locks::ChannelLocks;
use super::json_summary::{SummaryRecorder, SummaryVerdict, TestEntry, TimingEntry};
use super::opening::{open_designs, search_scope};
use super::verdict::Verdict;
use super::ToolError;
use crate::designs::{dma_designs, DmaDesign};
use crate::legacy_test::{run_legacy_test_recorded, LegacyRecord, LegacyTest};
use crate::progress::Progress;
use crate::DmaDirection;

/// Runs the legacy test on every design `select` returns a test for (`select` writes the
/// design's `Testing ...` line to the writer it is given), writing the test's lines to
/// `out` and reporting its progress. No selected design is [`Verdict::NothingTested`]
/// with `what` as the thing not found.
pub fn run_on_selected_designs(
    device: &DeviceArgs,
    what: &str,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
    select: impl FnMut(&DmaDesign, &mut dyn Write) -> std::io::Result<Option<LegacyTest>>,
) -> Result<Verdict, ToolError> {
    let mut summary = SummaryRecorder::default();
    run_on_selected_designs_recorded(device, what, out, progress, select, "", &mut summary)
}

/// [`run_on_selected_designs`], recording each design's test as `test_name` in `summary`
/// (`--json-summary`).
pub fn run_on_selected_designs_recorded(
    device: &DeviceArgs,
    what: &str,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
    mut select: impl FnMut(&DmaDesign, &mut dyn Write) -> std::io::Result<Option<LegacyTest>>,
    test_name: &str,
    summary: &mut SummaryRecorder,
) -> Result<Verdict, ToolError> {
    let opened = open_designs(device, false)?;
    let mut tested = 0;
    let mut passed = true;
    for d in dma_designs(&opened) {
        let Some(test) = select(&d, out)? else {
            continue;
        };
        tested += 1;
        let mut locks = ChannelLocks::default();
        locks.lock(
            d.device,
            [
                (DmaDirection::H2C, test.h2c_channel),
                (DmaDirection::C2H, test.c2h_channel),
            ],
        )?;
        let mut record = LegacyRecord::default();
        let ok = run_legacy_test_recorded(d.device, &test, out, progress, &mut record)?;
        summary.record(TestEntry {
            name: test_name.to_string(),
            design: d.name().to_string(),
            pci_location: d.design.location.to_string(),
            h2c_channel: Some(test.h2c_channel),
            c2h_channel: Some(test.c2h_channel),
            verdict: if ok {
                SummaryVerdict::Pass
            } else {
                SummaryVerdict::Fail
            },
            failures: record.failures,
            timings: record.timings.iter().map(TimingEntry::from).collect(),
            stream_statistics: None,
        });
        passed &= ok;
    }
    if tested == 0 {
        return Ok(Verdict::nothing_tested(what, search_scope(device, &opened)));
    }
    Ok(Verdict::from_passed(passed))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;
    use crate::progress::NoProgress;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        device: DeviceArgs,
    }

    /// Records what a test reports.
    #[derive(Default)]
    struct Recorder {
        total: u64,
        done: u64,
        messages: Vec<String>,
        lines: Vec<String>,
        finished: usize,
    }

    impl Progress for Recorder {
        fn start(&mut self, total: u64) {
            self.total = total;
        }
        fn set_message(&mut self, message: &str) {
            self.messages.push(message.to_string());
        }
        fn advance(&mut self, n: u64) {
            self.done += n;
        }
        fn write_line(&mut self, _out: &mut dyn Write, line: &str) -> std::io::Result<()> {
            self.lines.push(line.to_string());
            Ok(())
        }
        fn finish(&mut self) {
            self.finished += 1;
        }
    }

    /// Simulated boards of this test process keep their state (and the DMA channel
    /// locks) in a directory of their own, not in the user's.
    fn private_sim_state_dir() {
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let dir = DIR.get_or_init(|| tempfile::tempdir().expect("state dir"));
        std::env::set_var("FPGA_SIO_SIM_DIR", dir.path());
    }

    #[test]
    fn progress_covers_every_phase_of_every_iteration() {
        private_sim_state_dir();
        let args = Args::parse_from(["test", "--sim=Nitefury_Project-0"]);
        let mut recorder = Recorder::default();
        let mut out = Vec::new();
        let verdict =
            run_on_selected_designs(&args.device, "DDR", &mut out, &mut recorder, |d, _| {
                Ok(Some(LegacyTest {
                    memory_name: "DDR",
                    bar_index: d.bridge.bar,
                    memory_size: 0x4000,
                    h2c_channel: 0,
                    c2h_channel: 0,
                    min_size_alignment: 1,
                    c2h_one_page: true,
                    pass_every_iteration: true,
                    iterations: Some(2),
                    timeout: Some(Duration::from_secs(10)),
                }))
            });
        assert!(matches!(verdict, Ok(Verdict::Pass)));
        assert_eq!(recorder.total, 2 * 3 * 0x4000);
        assert_eq!(recorder.done, recorder.total);
        assert_eq!(recorder.finished, 1);
        assert_eq!(recorder.lines, ["Test pattern pass", "Test pattern pass"]);
        assert_eq!(recorder.messages[0], "iteration 1/2: populate");
        assert_eq!(
            recorder.messages.last().map(String::as_str),
            Some("iteration 2/2: card-to-host DMA and verify")
        );
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("Size of DMA descriptors used for h2c: [0]=0x4000\n"),
            "{text}"
        );
        assert!(text.contains("host-to-card DMA timing for 2 transfers of 16384 bytes:\n"));
    }

    #[test]
    fn no_selected_design_is_nothing_tested() {
        private_sim_state_dir();
        let args = Args::parse_from(["test", "--sim=TEF1001_dma_ddr3@0000:03:00.0"]);
        let mut out = Vec::new();
        let verdict =
            run_on_selected_designs(&args.device, "DDR", &mut out, &mut NoProgress, |_, _| {
                Ok(None)
            });
        assert_eq!(
            verdict.unwrap(),
            Verdict::nothing_tested("DDR", "simulated boards: TEF1001_dma_ddr3 at 0000:03:00.0")
        );
        assert!(out.is_empty());
    }
}
