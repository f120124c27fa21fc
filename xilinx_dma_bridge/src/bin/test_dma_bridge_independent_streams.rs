//! test_dma_bridge_independent_streams (designs_after_seed.md §4.3): every selected H2C and
//! C2H stream at once, each direction on its own, until Ctrl-C or `--duration`, for the
//! maximum throughput (the fixed-data designs). The logic is
//! [`xilinx_dma_bridge::programs::independent_streams`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_dma_bridge::programs::independent_streams::{self, options::IndependentStreamsOptions};
use xilinx_dma_bridge::programs::verdict::run_verdict;

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_bridge_independent_streams",
    about = "Test Xilinx DMA/Bridge Subsystem for PCI Express with independent streams"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    #[command(flatten)]
    options: IndependentStreamsOptions,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut out = std::io::stdout().lock();
    run_verdict("test_dma_bridge_independent_streams", || {
        independent_streams::run(args.device, &args.options, &mut out)
    })
}
