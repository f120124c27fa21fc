//! test_dma_bridge_memory_addressing (designs_after_seed.md §4.5): finds card memory address
//! aliasing by writing 16-byte elements at power-of-two boundaries and re-reading all of
//! them after each write. The logic is [`xilinx_dma_bridge::programs::memory_addressing`].

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use xilinx_dma_bridge::options::{c_int_parser, parse_timeout, Timeout};
use xilinx_dma_bridge::programs::memory_addressing::{self, MemoryAddressingOptions};
use xilinx_dma_bridge::programs::memory_overrides::MemoryOverrides;
use xilinx_dma_bridge::programs::verdict::run_verdict;

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_bridge_memory_addressing",
    about = "Test Xilinx DMA accessible memory addressing"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Overrides the card memory base address of the designs, to test less memory or to
    /// investigate accessing non-existent memory.
    #[arg(long = "dma-bridge-memory-base-address", alias = "dma_bridge_memory_base_address",
          value_name = "ADDRESS", value_parser = c_int_parser("dma_bridge_memory_base_address"))]
    dma_bridge_memory_base_address: Option<u64>,

    /// Overrides the card memory size of the designs (non-zero).
    #[arg(long = "dma-bridge-memory-size-bytes", alias = "dma_bridge_memory_size_bytes",
          value_name = "SIZE", value_parser = c_int_parser("dma_bridge_memory_size_bytes"))]
    dma_bridge_memory_size_bytes: Option<u64>,

    /// Maximum block size, for designs whose memory is several blocks or channels
    /// (non-zero; default unlimited).
    #[arg(long = "max-block-size-bytes", alias = "max_block_size_bytes", value_name = "SIZE",
          value_parser = c_int_parser("max_block_size_bytes"))]
    max_block_size_bytes: Option<u64>,

    /// Per-transfer timeout in seconds, or `none`.
    #[arg(long = "timeout-seconds", alias = "timeout_seconds", value_name = "SECONDS",
          default_value = "5", value_parser = parse_timeout, hide = true)]
    timeout: Timeout,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    for (name, value) in [
        (
            "dma_bridge_memory_size_bytes",
            args.dma_bridge_memory_size_bytes,
        ),
        ("max_block_size_bytes", args.max_block_size_bytes),
    ] {
        if value == Some(0) {
            println!("Invalid {name} 0");
            return ExitCode::FAILURE;
        }
    }
    let options = MemoryAddressingOptions {
        overrides: MemoryOverrides {
            base_address: args.dma_bridge_memory_base_address,
            size_bytes: args.dma_bridge_memory_size_bytes,
        },
        max_block_size_bytes: args.max_block_size_bytes,
        timeout: args.timeout.0,
    };
    let mut out = std::io::stdout().lock();
    run_verdict("test_dma_bridge_memory_addressing", || {
        memory_addressing::run(&args.device, &options, &mut out)
    })
}
