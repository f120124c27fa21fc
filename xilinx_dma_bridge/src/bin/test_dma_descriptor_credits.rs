//! test_dma_descriptor_credits (xilinx_dma_bridge.md §7.3): proves that a credit-gated descriptor ring
//! lets software append work to a running engine; on stream designs one ring test per enabled
//! route, the CRC64 ring test on CRC64 designs (designs_after_seed.md §3.4). The logic is
//! [`xilinx_dma_bridge::programs::descriptor_credits`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs, JsonSummaryArgs};
use xilinx_dma_bridge::programs::descriptor_credits::{self, options::CreditsOptions};
use xilinx_dma_bridge::programs::json_summary::run_verdict_with_summary;

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_descriptor_credits",
    about = "Test descriptor credits of the Xilinx DMA/Bridge Subsystem for PCI Express",
    override_usage = "test_dma_descriptor_credits -d <pci_device_location> -s <pci_device_location>[,<master_port>:<slave_port>] -o <descriptors_iova_offset,h2c_data_iova_offset,c2h_data_iova_offset> [-3] [-r]"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    #[command(flatten)]
    options: CreditsOptions,

    #[command(flatten)]
    summary: JsonSummaryArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut out = std::io::stdout().lock();
    let summary_file = args.summary.json_summary.as_deref();
    run_verdict_with_summary("test_dma_descriptor_credits", summary_file, |summary| {
        descriptor_credits::run_recorded(&args.device, &args.options, &mut out, summary)
    })
}
