//! test_dma_bridge_parallel_streams (xilinx_dma_bridge.md §7.2): every selected looped-back stream pair
//! at once, continuously, until Ctrl-C or `--duration`; per-pair throughput every 10 s;
//! every received buffer of every lap verified. The logic is
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
    let mut out = std::io::stdout().lock();
    run_verdict("test_dma_bridge_parallel_streams", || {
        parallel_streams::run(args.device, &args.options, &mut out)
    })
}
