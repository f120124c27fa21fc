//! Lists PCI devices from sysfs (the `dump_info_pciutils` listing): ids with names from
//! the PCI ID repository, command register, slot, IOMMU group, driver and BARs.

use anyhow::{bail, Context};
use clap::Parser;
use vfio_access::config_space::command_text;
use vfio_access::sysfs::{self, device_name, vendor_name, PciDeviceInfo};
use vfio_access::{cli, DeviceArgs};

/// List PCI devices from sysfs, with names from the PCI ID repository.
///
/// Lists every PCI device, or those selected with -d / --vendor. Needs no VFIO and no
/// privileges.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,

    /// Only list devices of this vendor (4 hex digits, e.g. 10ee for Xilinx).
    #[arg(long, value_parser = parse_vendor)]
    vendor: Option<u16>,

    /// sysfs mount point (for testing against a copy of a machine's sysfs tree).
    #[arg(long, default_value = sysfs::SYSFS_ROOT, hide = true)]
    sysfs_root: std::path::PathBuf,
}

fn parse_vendor(text: &str) -> Result<u16, String> {
    let t = text.trim_start_matches("0x");
    u16::from_str_radix(t, 16).map_err(|_| format!("Invalid hex vendor ID {text}"))
}

fn header_type(t: u8) -> String {
    match t {
        0 => "NORMAL".into(),
        1 => "BRIDGE".into(),
        2 => "CARDBUS".into(),
        n => format!("Unknown (0x{n:x})"),
    }
}

fn render(d: &PciDeviceInfo) -> String {
    let id = d.identity;
    let vname = vendor_name(id.vendor_id).unwrap_or("Unknown vendor");
    let dname = device_name(id.vendor_id, id.device_id)
        .map(str::to_string)
        .unwrap_or_else(|| format!("Device {:04x}", id.device_id));
    let l = d.location;
    let mut out = format!(
        "domain={:04x} bus={:02x} dev={:02x} func={:02x}\n  vendor_id={:04x} ({vname}) device_id={:04x} ({dname}) subvendor_id={:04x} subdevice_id={:04x} header_type={}\n",
        l.domain,
        l.bus,
        l.device,
        l.function,
        id.vendor_id,
        id.device_id,
        id.subsystem_vendor_id,
        id.subsystem_device_id,
        header_type(d.header_type)
    );
    if let Some(cmd) = d.command {
        out += &format!("  {}\n", command_text(cmd));
    }
    if let Some(slot) = &d.physical_slot {
        out += &format!("  physical slot: {slot}\n");
    }
    match d.iommu_group {
        Some(g) => out += &format!("  IOMMU group: {g}\n"),
        None => {
            out += "  IOMMU group: none (no IOMMU enabled for this device: VFIO cannot open it)\n"
        }
    }
    match &d.driver {
        Some(drv) => out += &format!("  Driver: {drv}\n"),
        None => out += "  Driver: none\n",
    }
    if let Some(n) = d.numa_node {
        out += &format!("  NUMA node: {n}\n");
    }
    for (i, r) in d.resources.iter().enumerate().take(6) {
        if r.size() > 0 {
            out += &format!(
                "  bar[{i}] base_addr={:x} size={:x} is_IO={} is_prefetchable={} is_64={}\n",
                r.start,
                r.size(),
                u8::from(r.is_io()),
                u8::from(r.is_prefetchable()),
                u8::from(r.is_64bit())
            );
        }
    }
    out
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        if args.devices.simulation().is_some() {
            eprintln!("note: dump_pci_info lists this machine's sysfs; simulated boards are not PCI devices of the machine");
        }
        let all =
            sysfs::enumerate(&args.sysfs_root).context("PCI enumeration from sysfs failed")?;
        for wanted in &args.devices.devices {
            if !all.iter().any(|d| d.location == *wanted) {
                bail!("no PCI device at {wanted} (see `dump_pci_info` for the devices present)");
            }
        }
        let filters = args.devices.location_filters();
        let selected: Vec<&PciDeviceInfo> = all
            .iter()
            .filter(|d| filters.matches(d.location))
            .filter(|d| args.vendor.is_none_or(|v| d.identity.vendor_id == v))
            .collect();
        if selected.is_empty() {
            bail!("no matching PCI devices found");
        }
        println!("Access method : linux-sysfs");
        for d in selected {
            print!("{}", render(d));
        }
        Ok(())
    })
}
