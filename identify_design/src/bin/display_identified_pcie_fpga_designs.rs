//! Lists the FPGA designs identified in the PCIe devices, with their DMA channels, build
//! timestamp and where each peripheral's registers are.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use identify_design::display::write_identified_designs;
use identify_design::open_designs;
use vfio_access::{cli, DeviceArgs};

#[derive(Parser, Debug)]
#[command(about = "Display the FPGA designs identified in PCIe devices")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let mut out = std::io::stdout().lock();
        write_identified_designs(&mut out, &opened)?;
        out.flush()?;
        if opened.designs.is_empty() {
            eprintln!("{}", opened.devices.nothing_found_hint("FPGA designs"));
        }
        Ok(())
    })
}
