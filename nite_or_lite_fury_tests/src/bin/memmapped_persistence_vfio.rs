//! For each memmapped_blkram device: report each BAR's size and flags, whether the
//! contents written by the previous run are still there, then write the next run's.
//!
//! Simulated boards keep their block RAM in a file (under FPGA_SIO_SIM_DIR), so the
//! contents persist between runs until `--power-cycle` or the file is deleted.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::open_devices_with_default;
use nite_or_lite_fury_tests::memmapped_persistence::{run_device, MEMMAPPED_BLKRAM_FILTER};

#[derive(Parser, Debug)]
#[command(about = "Test whether memory-mapped BAR contents persist between runs")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Simulated boards only: power the board off and on first (block RAM is cleared).
    #[arg(long = "power-cycle")]
    power_cycle: bool,

    /// Fail unless every BAR still held the previous run's contents.
    #[arg(long = "expect-persisted")]
    expect_persisted: bool,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let opened = open_devices_with_default(
            &args.device,
            &[MEMMAPPED_BLKRAM_FILTER],
            Some("memmapped_blkram"),
        )?;
        if args.power_cycle && !opened.is_simulated() && !opened.devices().is_empty() {
            bail!("--power-cycle only applies to simulated boards; power the host off and on for real hardware");
        }
        let mut out = std::io::stdout().lock();
        let mut lost = 0;
        for device in opened.devices() {
            let board = opened.sim_board(device.location());
            if args.power_cycle {
                if let Some(board) = board {
                    board.power_cycle();
                }
            }
            // A simulated board whose file cannot be used says nothing about persistence:
            // name the storage, not the board.
            let storage_error = || {
                board
                    .and_then(|b| b.block_ram())
                    .and_then(|r| r.storage_error())
            };
            if let Some(e) = storage_error() {
                bail!(
                    "{}: simulated block RAM storage unusable ({e}); nothing checked",
                    device.description()
                );
            }
            let outcome = run_device(&mut out, device)?;
            if let Some(e) = storage_error() {
                out.flush()?;
                bail!("{}: simulated block RAM storage failed ({e}); the next run cannot see this run's contents", device.description());
            }
            lost += outcome.bars - outcome.intact;
        }
        out.flush()?;
        if opened.devices().is_empty() {
            // A test that tested nothing fails (README "Exit status").
            bail!("{}", opened.nothing_found_hint("memmapped_blkram devices"));
        } else if args.expect_persisted && lost > 0 {
            bail!("{lost} BAR(s) did not keep the previous run's contents");
        }
        Ok(())
    })
}
