//! measure_ddr_throughput (designs_after_seed.md §4.7): the AXI DMA's MM2S, S2MM and
//! combined throughput over the 8 GiB DDR3 of TEF1001_ddr3_throughput. The logic is
//! [`xilinx_axi_dma::throughput`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_axi_dma::throughput::{run, ThroughputRun};

#[derive(Parser, Debug)]
#[command(
    name = "measure_ddr_throughput",
    about = "Measure the AXI DMA throughput to the DDR3 of TEF1001_ddr3_throughput designs"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Per-transfer timeout in seconds (the original had none and could hang).
    #[arg(long = "timeout-seconds", alias = "timeout_seconds", value_name = "SECONDS",
          default_value = "10", value_parser = parse_timeout)]
    timeout: std::time::Duration,
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("Invalid timeout_seconds {text}"))
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut out = std::io::stdout().lock();
    match run(&args.device, args.timeout, &mut out) {
        Ok(ThroughputRun::Measured {
            all_completed: true,
        }) => ExitCode::SUCCESS,
        Ok(ThroughputRun::Measured {
            all_completed: false,
        }) => {
            eprintln!("measure_ddr_throughput: a DMA direction failed (see above)");
            ExitCode::FAILURE
        }
        Ok(ThroughputRun::NothingFound(line)) => {
            eprintln!("measure_ddr_throughput: {line}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("measure_ddr_throughput: {}", command_line_error(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line.
fn command_line_error(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
