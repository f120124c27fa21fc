//! The logic of `dump_pci_info`: PCI devices from sysfs (the `dump_info_pciutils` listing):
//! ids with names from the PCI ID repository, command register, slot, IOMMU group, driver
//! and BARs, written to the writer the tool gives.

use std::io::Write;
use std::path::Path;

use crate::config_space::command_text;
use crate::sysfs::{self, device_name, vendor_name, PciDeviceInfo};
use crate::{LocationFilters, PciLocation};

use super::ToolError;

/// What to list.
#[derive(Debug, Clone)]
pub struct PciListingRequest<'a> {
    /// The sysfs mount point (a copy of a machine's tree in tests).
    pub sysfs_root: &'a Path,
    /// Only these locations (each must exist); all when empty.
    pub devices: &'a [PciLocation],
    /// Only devices of this vendor.
    pub vendor: Option<u16>,
}

fn header_type(t: u8) -> String {
    match t {
        0 => "NORMAL".into(),
        1 => "BRIDGE".into(),
        2 => "CARDBUS".into(),
        n => format!("Unknown (0x{n:x})"),
    }
}

/// One device's entry of the listing (several lines, each ending in a newline).
pub fn render(d: &PciDeviceInfo) -> String {
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

/// Writes the listing `request` selects to `out`. Fails when a selected location does not
/// exist or nothing matches.
pub fn run(out: &mut dyn Write, request: &PciListingRequest) -> Result<(), ToolError> {
    let all = sysfs::enumerate(request.sysfs_root)
        .map_err(|e| ToolError::Failed(format!("PCI enumeration from sysfs failed: {e}")))?;
    for wanted in request.devices {
        if !all.iter().any(|d| d.location == *wanted) {
            return Err(ToolError::Failed(format!(
                "no PCI device at {wanted} (see `dump_pci_info` for the devices present)"
            )));
        }
    }
    let filters = LocationFilters::new(request.devices);
    let selected: Vec<&PciDeviceInfo> = all
        .iter()
        .filter(|d| filters.matches(d.location))
        .filter(|d| request.vendor.is_none_or(|v| d.identity.vendor_id == v))
        .collect();
    if selected.is_empty() {
        return Err(ToolError::Failed("no matching PCI devices found".into()));
    }
    writeln!(out, "Access method : linux-sysfs")?;
    for d in selected {
        write!(out, "{}", render(d))?;
    }
    Ok(())
}

/// Parses `--vendor`: 4 hex digits, with or without `0x`.
pub fn parse_vendor(text: &str) -> Result<u16, String> {
    let t = text.trim_start_matches("0x");
    u16::from_str_radix(t, 16).map_err(|_| format!("Invalid hex vendor ID {text}"))
}
