//! Scans the PCI bus for devices that could hold one of the known FPGA designs, without
//! opening anything (safe while another process has the devices open).

use std::process::ExitCode;

use clap::Parser;
use command_line::machine_output::write_json_document;
use command_line::{cli, DeviceArgs, JsonArgs};
use fpga_sim::board::{build_boards, BoardOptions};
use identify_design::display::{write_possible_designs, ScannedDevice};
use identify_design::json::possible_designs_report;
use vfio_access::sim::SimDevice;
use vfio_access::{sysfs, SimSelection};

#[derive(Parser, Debug)]
#[command(about = "Display PCI devices which may contain one of the known FPGA designs")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,
    #[command(flatten)]
    json: JsonArgs,
}

fn scan(args: &DeviceArgs) -> anyhow::Result<Vec<ScannedDevice>> {
    let locations = args.location_filters();
    let devices = match args.simulation() {
        Some(selection) => {
            let list = match &selection {
                SimSelection::Default => None,
                SimSelection::Boards(b) => Some(b.as_str()),
            };
            build_boards(list, &BoardOptions::from_env())?
                .into_iter()
                .map(|b| ScannedDevice {
                    location: b.location(),
                    identity: b.board.identity(),
                    physical_slot: None,
                    iommu_group: Some(b.iommu_group),
                })
                .collect::<Vec<_>>()
        }
        None => sysfs::enumerate(&args.open_options().sysfs_root)?
            .into_iter()
            .map(|info| ScannedDevice {
                location: info.location,
                identity: info.identity,
                physical_slot: info.physical_slot,
                iommu_group: info.iommu_group,
            })
            .collect(),
    };
    let mut devices: Vec<ScannedDevice> = devices
        .into_iter()
        .filter(|d| locations.matches(d.location))
        .collect();
    devices.sort_by_key(|d| d.location);
    Ok(devices)
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    let json = args.json.claim_stdout();
    cli::run(|| {
        let devices = scan(&args.device)?;
        let mut out = std::io::stdout().lock();
        if json {
            write_json_document(&mut out, &possible_designs_report(&devices))?;
        } else {
            write_possible_designs(&mut out, &devices)?;
        }
        Ok(())
    })
}
