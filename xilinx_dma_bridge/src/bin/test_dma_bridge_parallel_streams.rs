//! test_dma_bridge_parallel_streams (fact sheet 7.2): every selected looped-back stream pair
//! at once, continuously, until Ctrl-C or `--duration`; per-pair throughput every 10 s;
//! data verified at the end. The logic is
//! [`xilinx_dma_bridge::programs::parallel_streams`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_dma_bridge::programs::parallel_streams::{self, options::ParallelStreamsOptions};
use xilinx_dma_bridge::programs::verdict::run_verdict;

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
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    run_verdict(|| parallel_streams::run(args.device, &args.options))
}
