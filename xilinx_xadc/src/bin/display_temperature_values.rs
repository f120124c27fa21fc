//! Displays only the FPGA temperature of every identified design with an XADC, to compare
//! with `sensors` (designs_after_seed.md §4.9).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::open_designs;
use vfio_access::PciLocation;
use xilinx_xadc::{format_temperature, read_samples};

#[derive(Parser, Debug)]
#[command(about = "Display the FPGA temperature of the identified FPGA designs")]
struct Cli {
    /// Only the PCI devices at these locations (`dddd:bb:dd.f`, hex), as `-d`.
    #[arg(value_name = "LOCATION")]
    locations: Vec<PciLocation>,

    #[command(flatten)]
    device: DeviceArgs,
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    cli::run(|| {
        let mut device = args.device.clone();
        device.devices.extend(args.locations.iter().copied());
        let opened = open_designs(&device)?;
        let mut out = std::io::stdout().lock();
        for (design, device) in opened.iter() {
            let Some(regs) = design.xadc.and_then(|f| f.mmio(device)) else {
                continue;
            };
            writeln!(out)?;
            writeln!(
                out,
                "{} in PCI device {} IOMMU group {}:",
                design.name(),
                design.location,
                design.iommu_group
            )?;
            if let Some(line) = format_temperature(&read_samples(&regs)) {
                writeln!(out, "{line}")?;
            }
        }
        out.flush()?;
        Ok(())
    })
}
