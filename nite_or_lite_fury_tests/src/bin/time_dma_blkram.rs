//! time_dma_blkram (xilinx_dma_bridge.md §7.4): DMA timing and pattern test of the block RAM of the
//! dma_blkram design (DMA on BAR 0).

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs, JsonSummaryArgs};
use identify_design::DesignId;
use xilinx_dma_bridge::designs::DmaDesign;
use xilinx_dma_bridge::legacy_test::LegacyTest;
use xilinx_dma_bridge::options::{c_int_at_least_parser, TimeoutArgs};
use xilinx_dma_bridge::programs::json_summary::run_verdict_with_summary;
use xilinx_dma_bridge::programs::legacy_memory::run_on_selected_designs_recorded;
use xilinx_dma_bridge::progress::TerminalProgress;

#[derive(Parser, Debug)]
#[command(
    name = "time_dma_blkram",
    about = "DMA timing test of the dma_blkram design",
    disable_help_flag = true
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// H2C channel (the original's usage text swapped the -c and -h descriptions).
    #[arg(
        short = 'c',
        long = "h2c-channel",
        alias = "h2c_channel",
        default_value_t = 0
    )]
    h2c_channel: u8,

    /// C2H channel.
    #[arg(
        short = 'h',
        long = "c2h-channel",
        alias = "c2h_channel",
        default_value_t = 0
    )]
    c2h_channel: u8,

    /// Iterations, at least 1 (default: until 2^32 words have been tested, 14564 for
    /// 0x120000 bytes).
    #[arg(long, value_name = "COUNT", value_parser = c_int_at_least_parser("iterations", 1))]
    iterations: Option<u64>,

    /// Test only the first SIZE bytes of the block RAM.
    #[arg(long = "memory-size-limit", alias = "memory_size_limit", value_name = "SIZE",
          value_parser = c_int_at_least_parser("memory_size_limit", 4))]
    memory_size_limit: Option<u64>,

    #[command(flatten)]
    timeout: TimeoutArgs,

    #[command(flatten)]
    summary: JsonSummaryArgs,

    /// Print help.
    #[arg(long = "help", action = clap::ArgAction::Help)]
    help: Option<bool>,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut bars = TerminalProgress::for_stdout();
    let mut out = io::stdout().lock();
    let summary_file = args.summary.json_summary.as_deref();
    run_verdict_with_summary("time_dma_blkram", summary_file, |summary| {
        run_on_selected_designs_recorded(
            &args.device,
            "dma_blkram design",
            &mut out,
            &mut bars,
            |d, out| select(&args, d, out),
            "time_dma_blkram",
            summary,
        )
    })
}

/// The block RAM test of a dma_blkram design, after writing its `Testing ...` line.
fn select(args: &Args, d: &DmaDesign, out: &mut dyn Write) -> io::Result<Option<LegacyTest>> {
    if d.design.design != DesignId::DmaBlkram {
        return Ok(None);
    }
    let size = args
        .memory_size_limit
        .map_or(d.bridge.memory_size, |l| l.min(d.bridge.memory_size));
    writeln!(
        out,
        "Testing dma_blkram device with memory size 0x{size:x} for {} h2c_chan {} c2h chan {}",
        d.pci_text(),
        args.h2c_channel,
        args.c2h_channel
    )?;
    Ok(Some(LegacyTest {
        memory_name: "BLKRAM",
        bar_index: d.bridge.bar,
        memory_size: size,
        h2c_channel: args.h2c_channel,
        c2h_channel: args.c2h_channel,
        min_size_alignment: 1,
        c2h_one_page: false,
        pass_every_iteration: false,
        iterations: args.iterations,
        timeout: args.timeout.duration(),
    }))
}
