//! Lists PCI devices from sysfs: the original `dump_info_pciutils` lines (ids with names
//! from the PCI ID repository, command register, slot, IOMMU group, driver, BARs), then an
//! lspci-grade decoding of each config space and the chain of parent bridges.

use std::io::Write;

use anyhow::{bail, Context};
use clap::Parser;
use vfio_access::pci_report::selection::Selection;
use vfio_access::pci_report::{render_device, write_report, DeviceFacts, DeviceSelector};
use vfio_access::sysfs::{self, PciDeviceInfo};
use vfio_access::{cli, DeviceArgs};

/// List PCI devices from sysfs, decoded as `lspci -vv` decodes them.
///
/// Lists every PCI device, or those selected by the filters, -d and --vendor. Capabilities
/// beyond the first 64 bytes of config space (PCI Express link, AER, ...) need root, as
/// for lspci. Needs no VFIO.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,

    /// Only list devices of this vendor (4 hex digits, e.g. 10ee for Xilinx).
    #[arg(long, value_parser = parse_vendor)]
    vendor: Option<u16>,

    /// Device filters, hex: `dddd:bb:dd.f` (or `bb:dd.f`) a location, `vid:did` an
    /// identity, `vid` a vendor. Locations and identities combine as -d and --vendor.
    #[arg(value_name = "FILTER")]
    filters: Vec<DeviceSelector>,

    /// sysfs mount point (for testing against a copy of a machine's sysfs tree).
    #[arg(long, default_value = sysfs::SYSFS_ROOT, hide = true)]
    sysfs_root: std::path::PathBuf,
}

fn parse_vendor(text: &str) -> Result<u16, String> {
    let t = text.trim_start_matches("0x");
    u16::from_str_radix(t, 16).map_err(|_| format!("Invalid hex vendor ID {text}"))
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        if args.devices.simulation().is_some() {
            eprintln!("note: dump_pci_info lists this machine's sysfs; simulated boards are not PCI devices of the machine");
        }
        let all =
            sysfs::enumerate(&args.sysfs_root).context("PCI enumeration from sysfs failed")?;
        let selection = Selection::new(&args.filters, &args.devices.devices, args.vendor);
        for wanted in &selection.locations {
            if !all.iter().any(|d| d.location == *wanted) {
                bail!("no PCI device at {wanted} (see `dump_pci_info` for the devices present)");
            }
        }
        let selected: Vec<&PciDeviceInfo> = all
            .iter()
            .filter(|d| selection.matches(d.location, &d.identity))
            .collect();
        if selected.is_empty() {
            bail!("no matching PCI devices found");
        }
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        writeln!(out, "Access method : linux-sysfs").context("writing to stdout failed")?;
        for d in selected {
            let facts = DeviceFacts::from_sysfs(d);
            write_report(&mut out, &render_device(&facts)).context("writing to stdout failed")?;
        }
        Ok(())
    })
}
