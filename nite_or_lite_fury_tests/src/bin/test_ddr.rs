//! test_ddr (fact sheet 7.4): DMA test of the DDR of NiteFury/LiteFury boards running the
//! Project-0 image: write the whole DDR by H2C, read it back by C2H and verify the pattern.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use identify_design::{design_filters, OpenedDesigns};
use vfio_access::{cli, DeviceArgs};
use xilinx_dma_bridge::designs::dma_designs;
use xilinx_dma_bridge::legacy_test::{run_legacy_test, LegacyTest};
use xilinx_dma_bridge::options::c_int_parser;

#[derive(Parser, Debug)]
#[command(
    name = "test_ddr",
    about = "DMA test of the DDR on NiteFury / LiteFury Project-0 boards"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Descriptor length alignment.
    #[arg(short = 'a', long = "min-size-alignment", alias = "min_size_alignment",
          value_name = "BYTES", default_value = "1", value_parser = c_int_parser("min_size_alignment"))]
    min_size_alignment: u64,

    /// Limits the card-to-host transfer to one page at a time, reducing memory requirements
    /// but increasing transfer overheads.
    #[arg(short = 'l')]
    one_page: bool,

    /// Test only the first SIZE bytes of the DDR (CI-sized runs).
    #[arg(long = "ddr-size-limit", alias = "ddr_size_limit", value_name = "SIZE",
          value_parser = c_int_parser("ddr_size_limit"))]
    ddr_size_limit: Option<u64>,

    /// Iterations (default: until 2^32 words have been tested).
    #[arg(long, value_name = "COUNT")]
    iterations: Option<u64>,

    /// Per-transfer timeout in seconds.
    #[arg(
        long = "timeout-seconds",
        alias = "timeout_seconds",
        default_value_t = 10.0,
        hide = true
    )]
    timeout_seconds: f64,
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
        if !d.design.design.is_fury_project0() {
            continue;
        }
        let board = if d.name().starts_with("Nitefury") {
            "NiteFury"
        } else {
            "LiteFury"
        };
        let size = args
            .ddr_size_limit
            .map_or(d.bridge.memory_size, |l| l.min(d.bridge.memory_size));
        println!(
            "Testing {board} board version 0x{:x} with DDR size 0x{size:x} for {}",
            d.design.board_version.unwrap_or(0),
            d.pci_text()
        );
        tested += 1;
        passed &= run_legacy_test(
            d.device,
            &LegacyTest {
                memory_name: "DDR",
                bar_index: d.bridge.bar,
                memory_size: size,
                h2c_channel: 0,
                c2h_channel: 0,
                min_size_alignment: args.min_size_alignment.max(1),
                c2h_one_page: args.one_page,
                pass_every_iteration: true,
                iterations: args.iterations,
                timeout: Duration::from_secs_f64(args.timeout_seconds.max(0.0)),
            },
        );
    }
    Ok(tested > 0 && passed)
}
