//! For each NiteFury / LiteFury board running the Project-0 image: print which board and
//! version it is, then its XADC readings.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::open_designs;
use nite_or_lite_fury_tests::general::write_general;

#[derive(Parser, Debug)]
#[command(about = "Identify NiteFury/LiteFury boards and display their XADC values")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Print only the four raw sensor lines of the first version (Temp C=, VCCInt=, ...).
    #[arg(long = "raw-sensors")]
    raw_sensors: bool,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let mut out = std::io::stdout().lock();
        let found = write_general(&mut out, &opened, args.raw_sensors)?;
        out.flush()?;
        // A test that tested nothing fails (README "Exit status").
        if found == 0 {
            anyhow::bail!(
                "{}",
                opened
                    .devices
                    .nothing_found_hint("NiteFury or LiteFury boards")
            );
        }
        Ok(())
    })
}
