//! time_dma_blkram (fact sheet 7.4): DMA timing and pattern test of the block RAM of the
//! dma_blkram design (DMA on BAR 0).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use identify_design::{design_filters, DesignId, OpenedDesigns};
use vfio_access::{cli, DeviceArgs};
use xilinx_dma_bridge::designs::dma_designs;
use xilinx_dma_bridge::legacy_test::{run_legacy_test, LegacyTest};
use xilinx_dma_bridge::options::c_int_parser;

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

    /// Iterations (default: until 2^32 words have been tested, 14564 for 0x120000 bytes).
    #[arg(long, value_name = "COUNT")]
    iterations: Option<u64>,

    /// Test only the first SIZE bytes of the block RAM.
    #[arg(long = "memory-size-limit", alias = "memory_size_limit", value_name = "SIZE",
          value_parser = c_int_parser("memory_size_limit"))]
    memory_size_limit: Option<u64>,

    /// Per-transfer timeout in seconds.
    #[arg(
        long = "timeout-seconds",
        alias = "timeout_seconds",
        default_value_t = 10.0,
        hide = true
    )]
    timeout_seconds: f64,

    /// Print help.
    #[arg(long = "help", action = clap::ArgAction::Help)]
    help: Option<bool>,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<bool> {
    let opened = OpenedDesigns::identify(
        identify_design::open_devices(&args.device, &design_filters())
            .context("opening devices")?,
    );
    let mut tested = 0;
    let mut passed = true;
    for d in dma_designs(&opened) {
        if d.design.design != DesignId::DmaBlkram {
            continue;
        }
        let size = args
            .memory_size_limit
            .map_or(d.bridge.memory_size, |l| l.min(d.bridge.memory_size));
        println!(
            "Testing dma_blkram device with memory size 0x{size:x} for {} h2c_chan {} c2h chan {}",
            d.pci_text(),
            args.h2c_channel,
            args.c2h_channel
        );
        tested += 1;
        passed &= run_legacy_test(
            d.device,
            &LegacyTest {
                memory_name: "BLKRAM",
                bar_index: d.bridge.bar,
                memory_size: size,
                h2c_channel: args.h2c_channel,
                c2h_channel: args.c2h_channel,
                min_size_alignment: 1,
                c2h_one_page: false,
                pass_every_iteration: false,
                iterations: args.iterations,
                timeout: Duration::from_secs_f64(args.timeout_seconds.max(0.0)),
            },
        );
    }
    Ok(tested > 0 && passed)
}
