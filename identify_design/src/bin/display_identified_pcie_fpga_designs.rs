//! Lists the FPGA designs identified in the PCIe devices, with their DMA channels, build
//! timestamp and where each peripheral's registers are.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use command_line::machine_output::write_json_document;
use command_line::{cli, DeviceArgs, JsonArgs};
use identify_design::display::write_identified_designs_with_slots;
use identify_design::json::identified_designs_report;
use identify_design::open_designs;
use vfio_access::{sysfs, PciLocation};

#[derive(Parser, Debug)]
#[command(about = "Display the FPGA designs identified in PCIe devices")]
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
        // Physical slots come from sysfs (simulated boards have none).
        let slots: Vec<(PciLocation, String)> = if opened.devices.is_simulated() {
            Vec::new()
        } else {
            sysfs::enumerate(&args.device.open_options().sysfs_root)
                .map(|all| {
                    all.into_iter()
                        .filter_map(|d| Some((d.location, d.physical_slot?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let slot_of = |location: PciLocation| {
            slots
                .iter()
                .find(|(l, _)| *l == location)
                .map(|(_, s)| s.clone())
        };
        let mut out = std::io::stdout().lock();
        if json {
            write_json_document(&mut out, &identified_designs_report(&opened, slot_of))?;
        } else {
            write_identified_designs_with_slots(&mut out, &opened, slot_of)?;
        }
        out.flush()?;
        if opened.designs.is_empty() {
            eprintln!("{}", opened.devices.nothing_found_hint("FPGA designs"));
        }
        Ok(())
    })
}
