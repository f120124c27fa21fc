//! crc64_stream_latency (designs_after_seed.md §4.4): round-trip latency of an H2C packet
//! through the CRC64 engine to its C2H result, as percentiles per packet size. The logic is
//! [`xilinx_dma_bridge::programs::crc64_stream_latency`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_dma_bridge::programs::crc64_stream_latency::{self, options::LatencyOptions};
use xilinx_dma_bridge::programs::verdict::run_verdict;

#[derive(Parser, Debug)]
#[command(
    name = "crc64_stream_latency",
    about = "Measure the latency of DMA stream transfers through the CRC64 designs"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    #[command(flatten)]
    options: LatencyOptions,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut out = std::io::stdout().lock();
    run_verdict("crc64_stream_latency", || {
        crc64_stream_latency::run(&args.device, &args.options, &mut out)
    })
}
