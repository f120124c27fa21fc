//! test_ddr (xilinx_dma_bridge.md §7.4): DMA test of the DDR of NiteFury/LiteFury boards running the
//! Project-0 image: write the whole DDR by H2C, read it back by C2H and verify the pattern.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs, JsonSummaryArgs};
use xilinx_dma_bridge::designs::DmaDesign;
use xilinx_dma_bridge::legacy_test::LegacyTest;
use xilinx_dma_bridge::options::{c_int_at_least_parser, TimeoutArgs};
use xilinx_dma_bridge::programs::json_summary::run_verdict_with_summary;
use xilinx_dma_bridge::programs::legacy_memory::run_on_selected_designs_recorded;
use xilinx_dma_bridge::progress::TerminalProgress;

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
          value_name = "BYTES", default_value = "1", value_parser = c_int_at_least_parser("min_size_alignment", 1))]
    min_size_alignment: u64,

    /// Limits the card-to-host transfer to one page at a time, reducing memory requirements
    /// but increasing transfer overheads.
    #[arg(short = 'l')]
    one_page: bool,

    /// Test only the first SIZE bytes of the DDR (CI-sized runs).
    #[arg(long = "ddr-size-limit", alias = "ddr_size_limit", value_name = "SIZE",
          value_parser = c_int_at_least_parser("ddr_size_limit", 4))]
    ddr_size_limit: Option<u64>,

    /// Iterations, at least 1 (default: until 2^32 words have been tested).
    #[arg(long, value_name = "COUNT", value_parser = c_int_at_least_parser("iterations", 1))]
    iterations: Option<u64>,

    #[command(flatten)]
    timeout: TimeoutArgs,

    #[command(flatten)]
    summary: JsonSummaryArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let mut bars = TerminalProgress::for_stdout();
    let mut out = io::stdout().lock();
    let summary_file = args.summary.json_summary.as_deref();
    run_verdict_with_summary("test_ddr", summary_file, |summary| {
        run_on_selected_designs_recorded(
            &args.device,
            "NiteFury or LiteFury Project-0 board",
            &mut out,
            &mut bars,
            |d, out| select(&args, d, out),
            "test_ddr",
            summary,
        )
    })
}

/// The DDR test of a Project-0 design, after writing its `Testing ...` line.
fn select(args: &Args, d: &DmaDesign, out: &mut dyn Write) -> io::Result<Option<LegacyTest>> {
    if !d.design.design.is_fury_project0() {
        return Ok(None);
    }
    let board = if d.name().starts_with("Nitefury") {
        "NiteFury"
    } else {
        "LiteFury"
    };
    let size = args
        .ddr_size_limit
        .map_or(d.bridge.memory_size, |l| l.min(d.bridge.memory_size));
    writeln!(
        out,
        "Testing {board} board version 0x{:x} with DDR size 0x{size:x} for {}",
        d.design.board_version.unwrap_or(0),
        d.pci_text()
    )?;
    Ok(Some(LegacyTest {
        memory_name: "DDR",
        bar_index: d.bridge.bar,
        memory_size: size,
        h2c_channel: 0,
        c2h_channel: 0,
        min_size_alignment: args.min_size_alignment,
        c2h_one_page: args.one_page,
        pass_every_iteration: true,
        iterations: args.iterations,
        timeout: args.timeout.duration(),
    }))
}
