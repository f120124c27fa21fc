//! test_dma_bridge (xilinx_dma_bridge.md §7.1): for every identified design with a DMA bridge, run the
//! enabled tests matching its interface over the channel combinations, verifying the LCG
//! pattern and timing populate, DMA and verify. The logic is
//! [`xilinx_dma_bridge::programs::dma_bridge`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_dma_bridge::programs::dma_bridge::{self, options::DmaBridgeOptions};
use xilinx_dma_bridge::programs::verdict::run_verdict;
use xilinx_dma_bridge::progress::TerminalProgress;

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_bridge",
    about = "Test Xilinx DMA/Bridge Subsystem for PCI Express",
    after_help = "Test names: memory_fixed_buffers, stream_fixed_buffers, stream_fixed_buffers_c2h_continuous, memory_variable_transfers, stream_variable_transfers, memory_host_chunks"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    #[command(flatten)]
    options: DmaBridgeOptions,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut bars = TerminalProgress::for_stdout();
    let mut out = std::io::stdout().lock();
    run_verdict("test_dma_bridge", || {
        dma_bridge::run(&args.device, &args.options, &mut out, &mut bars)
    })
}
