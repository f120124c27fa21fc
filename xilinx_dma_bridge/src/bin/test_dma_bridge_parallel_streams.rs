//! test_dma_bridge_parallel_streams (xilinx_dma_bridge.md §7.2): every selected looped-back stream pair
//! at once, continuously, until Ctrl-C or `--duration`; per-pair throughput every 10 s;
//! every received buffer of every lap verified. The logic is
//! [`xilinx_dma_bridge::programs::parallel_streams`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs, JsonSummaryArgs};
use xilinx_dma_bridge::programs::json_summary::run_verdict_with_summary;
use xilinx_dma_bridge::programs::parallel_streams::{self, options::ParallelStreamsOptions};

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_bridge_parallel_streams",
    about = "Test Xilinx DMA/Bridge Subsystem for PCI Express with parallel streams"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    #[command(flatten)]
    options: ParallelStreamsOptions,

    #[command(flatten)]
    summary: JsonSummaryArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut out = std::io::stdout().lock();
    let summary_file = args.summary.json_summary.clone();
    run_verdict_with_summary(
        "test_dma_bridge_parallel_streams",
        summary_file.as_deref(),
        |summary| parallel_streams::run_recorded(args.device, &args.options, &mut out, summary),
    )
}
