//! `vfio_access_keep_open [<location>...]`: opens VFIO devices (no DMA, no register
//! access) and holds them open until return is pressed, so that vfio-pci does not leave
//! them idle/reset between runs (designs_after_seed.md §4.10). With no location, every
//! vfio-bound device is held. With a manager running, the devices are held through it.

use std::io::Read;

use anyhow::{bail, Result};
use clap::Parser;
use command_line::{cli, DeviceArgs};
use vfio_access::{DmaCapability, IdMatch, IdentityFilter, LocationFilters, PciLocation, Session};

/// Hold VFIO devices open until return is pressed (e.g. while their temperatures are
/// studied): an unopened vfio-pci device is left idle.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Devices to hold (`dddd:bb:dd.f`); default: every device bound to a vfio driver.
    #[arg(value_name = "LOCATION")]
    locations: Vec<PciLocation>,

    #[command(flatten)]
    devices: DeviceArgs,
}

/// Any identity, no DMA: bus mastering is not touched.
const ANY_DEVICE: IdentityFilter = IdentityFilter {
    vendor_id: IdMatch::Any,
    device_id: IdMatch::Any,
    subsystem_vendor_id: IdMatch::Any,
    subsystem_device_id: IdMatch::Any,
    dma_capability: DmaCapability::None,
};

fn vfio_bound(sysfs_root: &std::path::Path) -> Result<Vec<PciLocation>> {
    Ok(vfio_access::sysfs::enumerate(sysfs_root)?
        .into_iter()
        .filter(|d| d.driver.as_deref().is_some_and(|n| n.starts_with("vfio")))
        .map(|d| d.location)
        .collect())
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        if args.devices.simulation().is_some() {
            bail!("vfio_access_keep_open holds real devices open between runs; simulated boards (--sim) exist only inside one process");
        }
        let mut options = args.devices.open_options();
        let mut wanted: Vec<PciLocation> = args.locations.clone();
        wanted.extend(args.devices.devices.iter().copied());
        if wanted.is_empty() {
            wanted = vfio_bound(&options.sysfs_root)?;
        }
        // Deviation from the original's quirk: with no vfio-bound device nothing is tried
        // (the original then considered every PCI device and printed a skip line for each).
        let session = if wanted.is_empty() {
            None
        } else {
            options.locations = LocationFilters::new(&wanted);
            Some(Session::open(&options, &[ANY_DEVICE])?)
        };
        let opened = session.as_ref().map_or(0, |s| s.devices().len());
        if opened == 0 {
            println!("No VFIO devices opened");
            return Ok(());
        }
        println!("{opened} VFIO devices opened. Press return to close the VFIO devices.");
        let mut byte = [0u8; 1];
        let _ = std::io::stdin().read(&mut byte);
        drop(session);
        Ok(())
    })
}
