//! Displays the XADC values of every identified design that has an XADC.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::open_designs;
use xilinx_xadc::{format_samples, read_samples};

#[derive(Parser, Debug)]
#[command(about = "Display the XADC values of the identified FPGA designs")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let mut out = std::io::stdout().lock();
        let mut shown = 0;
        for (design, device) in opened.iter() {
            let Some(regs) = design.xadc.and_then(|f| f.mmio(device)) else {
                continue;
            };
            let samples = read_samples(&regs);
            writeln!(
                out,
                "Displaying XADC values for design {} in PCI device {} IOMMU group {}:",
                design.name(),
                design.location,
                design.iommu_group
            )?;
            write!(out, "{}", format_samples(&samples))?;
            writeln!(out)?;
            shown += 1;
        }
        out.flush()?;
        if shown == 0 {
            eprintln!(
                "{}",
                opened
                    .devices
                    .nothing_found_hint("FPGA designs with an XADC")
            );
        }
        Ok(())
    })
}
