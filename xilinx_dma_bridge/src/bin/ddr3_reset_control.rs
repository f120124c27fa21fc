//! ddr3_reset_control (xilinx_dma_bridge.md §7.5, designs_after_seed.md §4.6): shows the
//! DDR3 designs' clocking-wizard / MIG reset signals, or with `-r <secs>` pulses the reset
//! and prints how the MIG recalibrated. The logic is
//! [`xilinx_dma_bridge::programs::ddr3_reset`].

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_dma_bridge::programs::ddr3_reset;
use xilinx_dma_bridge::programs::verdict::{nothing_tested_line, run_verdict, Verdict};

#[derive(Parser, Debug)]
#[command(
    name = "ddr3_reset_control",
    about = "Show or apply the reset of the DDR3 clocking wizard and MIG (TOSING_160T_dma_ddr3, TEF1001_dma_ddr3, NiteFury_dma_ddr3)"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Assert the reset for this many seconds (floating point), then record how the MIG
    /// recalibrates; without it, show the current state.
    #[arg(short = 'r', long = "reset-duration", alias = "reset_duration",
          value_name = "RESET_DURATION_FLOATING_POINT_SECS", value_parser = parse_duration,
          allow_hyphen_values = true)]
    reset_duration: Option<Duration>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("Invalid reset_duration_floating_point_secs {text}"))
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut out = std::io::stdout().lock();
    let tool = "ddr3_reset_control";
    if args.reset_duration.is_none() {
        // Only showing the state is a report: nothing found is not a failure.
        let mut nothing = None;
        let status = run_verdict(tool, || {
            let v = ddr3_reset::run(&args.device, None, &mut out)?;
            if let Verdict::NothingTested(n) = v {
                nothing = Some(n);
                return Ok::<_, xilinx_dma_bridge::programs::ToolError>(Verdict::Pass);
            }
            Ok(v)
        });
        if let Some(n) = nothing {
            println!("{}", nothing_tested_line(tool, &n));
        }
        return status;
    }
    run_verdict(tool, || {
        ddr3_reset::run(&args.device, args.reset_duration, &mut out)
    })
}
