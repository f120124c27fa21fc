//! test_dma_bridge (xilinx_dma_bridge.md §7.1): for every identified design with a DMA bridge, run the
//! enabled tests matching its interface over the channel combinations, verifying the LCG
//! pattern and timing populate, DMA and verify. The logic is
//! [`xilinx_dma_bridge::programs::dma_bridge`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs, JsonSummaryArgs};
use xilinx_dma_bridge::programs::dma_bridge::{self, options::DmaBridgeOptions};
use xilinx_dma_bridge::programs::json_summary::run_verdict_with_summary;
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

    #[command(flatten)]
    summary: JsonSummaryArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut bars = TerminalProgress::for_stdout();
    let mut out = std::io::stdout().lock();
    let summary_file = args.summary.json_summary.as_deref();
    run_verdict_with_summary("test_dma_bridge", summary_file, |summary| {
        dma_bridge::run_recorded(&args.device, &args.options, &mut out, &mut bars, summary)
    })
}
