//! The walk `test_ddr` and `time_dma_blkram` share: open the devices, run the
//! [legacy memory test](crate::legacy_test) on each design a tool selects, one verdict.

use command_line::DeviceArgs;

use super::opening::{open_designs, OpenDevicesError};
use crate::designs::{dma_designs, DmaDesign};
use crate::legacy_test::{run_legacy_test, LegacyTest};
use crate::progress::Progress;

/// Runs the legacy test on every design `select` returns a test for (`select` prints the
/// design's `Testing ...` line), reporting each test's progress; `Ok(true)` when at least
/// one design was tested and every one passed.
pub fn run_on_selected_designs(
    device: &DeviceArgs,
    progress: &mut dyn Progress,
    mut select: impl FnMut(&DmaDesign) -> Option<LegacyTest>,
) -> Result<bool, OpenDevicesError> {
    let opened = open_designs(device, false)?;
    let mut tested = 0;
    let mut passed = true;
    for d in dma_designs(&opened) {
        let Some(test) = select(&d) else {
            continue;
        };
        tested += 1;
        passed &= run_legacy_test(d.device, &test, progress);
    }
    Ok(tested > 0 && passed)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

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
        fn println(&mut self, line: &str) {
            self.lines.push(line.to_string());
        }
        fn finish(&mut self) {
            self.finished += 1;
        }
    }

    #[test]
    fn progress_covers_every_phase_of_every_iteration() {
        let args = Args::parse_from(["test", "--sim=Nitefury_Project-0"]);
        let mut recorder = Recorder::default();
        let passed = run_on_selected_designs(&args.device, &mut recorder, |d| {
            Some(LegacyTest {
                memory_name: "DDR",
                bar_index: d.bridge.bar,
                memory_size: 0x4000,
                h2c_channel: 0,
                c2h_channel: 0,
                min_size_alignment: 1,
                c2h_one_page: true,
                pass_every_iteration: true,
                iterations: Some(2),
                timeout: Duration::from_secs(10),
            })
        });
        assert!(matches!(passed, Ok(true)));
        assert_eq!(recorder.total, 2 * 3 * 0x4000);
        assert_eq!(recorder.done, recorder.total);
        assert_eq!(recorder.finished, 1);
        assert_eq!(recorder.lines, ["Test pattern pass", "Test pattern pass"]);
        assert_eq!(recorder.messages[0], "iteration 1/2: populate");
        assert_eq!(
            recorder.messages.last().map(String::as_str),
            Some("iteration 2/2: card-to-host DMA and verify")
        );
    }
}
