//! Displays the XADC values of every identified design that has an XADC.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use command_line::machine_output::write_json_document;
use command_line::{cli, DeviceArgs, JsonArgs};
use identify_design::open_designs;
use xilinx_xadc::json::{design_entry, XadcValuesReport, SCHEMA_VERSION};
use xilinx_xadc::{format_samples, read_samples};

#[derive(Parser, Debug)]
#[command(about = "Display the XADC values of the identified FPGA designs")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,
    #[command(flatten)]
    json: JsonArgs,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let json = args.json.claim_stdout();
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let mut out = std::io::stdout().lock();
        let mut shown = 0;
        let mut report = XadcValuesReport {
            schema_version: SCHEMA_VERSION,
            designs: Vec::new(),
        };
        for (design, device) in opened.iter() {
            let Some(regs) = design.xadc.and_then(|f| f.mmio(device)) else {
                continue;
            };
            let samples = read_samples(&regs);
            shown += 1;
            if json {
                report.designs.push(design_entry(
                    design.name(),
                    design.location.to_string(),
                    design.iommu_group,
                    &samples,
                ));
                continue;
            }
            writeln!(
                out,
                "Displaying XADC values for design {} in PCI device {} IOMMU group {}:",
                design.name(),
                design.location,
                design.iommu_group
            )?;
            write!(out, "{}", format_samples(&samples))?;
            writeln!(out)?;
        }
        if json {
            write_json_document(&mut out, &report)?;
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
