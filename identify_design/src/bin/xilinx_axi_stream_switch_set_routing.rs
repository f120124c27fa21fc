//! Sets the routing of the AXI4-Stream Switch in the revision >= 1 stream-loopback designs
//! (designs_after_seed.md §2.8). vfio-pci resets the device, and so disables every switch
//! port, when the last user closes it: `--pause_before_vfio_close` keeps the routes alive
//! until Return is pressed.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::design_filters;
use identify_design::open::OpenedDesigns;
use identify_design::open_devices;
use identify_design::switch_routing::{set_switch_routing, SetRoutingOptions};
use xilinx_axi_stream_switch::{DeviceRoutings, RoutingError};

#[derive(Parser, Debug)]
#[command(about = "Utility to set routing for a Xilinx AXI4-Stream Switch")]
struct Cli {
    #[command(flatten)]
    device: DeviceArgs,

    /// `<domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]...`: a PCI device (domain
    /// decimal) to set the AXI4-Stream Switch routing for, as zero or more pairs of master
    /// port and slave port; unspecified master ports are left disabled. May be used more
    /// than once; also restricts the devices opened.
    #[arg(long = "device_routing", alias = "device-routing", value_name = "SPEC")]
    device_routing: Vec<String>,

    /// Pauses before closing the VFIO devices, because the switch gets reset and all
    /// ports disabled when VFIO resets the device when no longer open by any process.
    #[arg(long = "pause_before_vfio_close", alias = "pause-before-vfio-close")]
    pause_before_vfio_close: bool,

    /// Forces an update of the switch, even if no change to the routing (to investigate
    /// whether the soft reset of an update disturbs stream transfers in progress).
    #[arg(long = "force_update", alias = "force-update")]
    force_update: bool,

    /// Sets the default routing in all supported devices. Can't be used at the same time
    /// as --device_routing.
    #[arg(long = "default_routing", alias = "default-routing")]
    default_routing: bool,
}

/// One line on stderr and exit status 1, as the original's argument checks.
fn fail(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    match (args.default_routing, args.device_routing.is_empty()) {
        (false, true) => {
            return fail(
                "Either default_routing or at least one device_routing option must be specified",
            )
        }
        (true, false) => {
            return fail("Use of both default_routing and device_routing options is invalid")
        }
        _ => {}
    }
    let routings = match DeviceRoutings::parse(args.device_routing.iter().map(String::as_str)) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let mut device = args.device.clone();
    device.devices.extend(routings.iter().map(|r| r.location));
    let options = SetRoutingOptions {
        force_update: args.force_update,
        default_routing: args.default_routing,
    };
    let mut range_error = false;
    let code = cli::run(|| {
        let opened = OpenedDesigns::identify(open_devices(&device, &design_filters())?);
        let mut out = std::io::stdout().lock();
        let processed = match set_switch_routing(&opened, &routings, options, &mut out) {
            Ok(n) => n,
            Err(
                e @ (RoutingError::MasterPortOutOfRange { .. }
                | RoutingError::SlavePortOutOfRange { .. }),
            ) => {
                // On stdout, as the original (designs_after_seed.md §2.5).
                writeln!(out, "{e}")?;
                out.flush()?;
                range_error = true;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        if processed > 0 && args.pause_before_vfio_close {
            writeln!(
                out,
                "Routes processed in {processed} devices. Press return to close the VFIO devices."
            )?;
            out.flush()?;
            let mut one = [0u8; 1];
            // End of input also closes.
            let _ = std::io::stdin().read(&mut one)?;
        }
        out.flush()?;
        Ok(())
    });
    if range_error {
        ExitCode::FAILURE
    } else {
        code
    }
}
