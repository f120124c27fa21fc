//! The logic of `dump_pci_info`: PCI devices from sysfs (the `dump_info_pciutils` listing:
//! ids with names from the PCI ID repository, command register, slot, IOMMU group, driver
//! and BARs), then each config space decoded as `lspci -vv` decodes it and the chain of
//! parent bridges, written to the writer the tool gives.

use std::io::Write;
use std::path::Path;

use crate::pci_report::selection::Selection;
use crate::pci_report::{render_device, write_report, DeviceFacts, DeviceSelector};
use crate::sysfs::{self, PciDeviceInfo};
use crate::PciLocation;

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
    /// The positional filters (`dddd:bb:dd.f`, `vid:did`, `vid`).
    pub filters: &'a [DeviceSelector],
}

/// Writes the listing `request` selects to `out`: the original `dump_info_pciutils` lines,
/// then the lspci-grade decoding of [`crate::pci_report`]. Fails when a selected location
/// does not exist or nothing matches.
pub fn run(out: &mut dyn Write, request: &PciListingRequest) -> Result<(), ToolError> {
    let all = sysfs::enumerate(request.sysfs_root)
        .map_err(|e| ToolError::Failed(format!("PCI enumeration from sysfs failed: {e}")))?;
    let selection = Selection::new(request.filters, request.devices, request.vendor);
    for wanted in &selection.locations {
        if !all.iter().any(|d| d.location == *wanted) {
            return Err(ToolError::Failed(format!(
                "no PCI device at {wanted} (see `dump_pci_info` for the devices present)"
            )));
        }
    }
    let selected: Vec<&PciDeviceInfo> = all
        .iter()
        .filter(|d| selection.matches(d.location, &d.identity))
        .collect();
    if selected.is_empty() {
        return Err(ToolError::Failed("no matching PCI devices found".into()));
    }
    writeln!(out, "Access method : linux-sysfs")?;
    for d in selected {
        let facts = DeviceFacts::from_sysfs(d);
        write_report(out, &render_device(&facts))?;
    }
    Ok(())
}

/// Parses `--vendor`: 4 hex digits, with or without `0x`.
pub fn parse_vendor(text: &str) -> Result<u16, String> {
    let t = text.trim_start_matches("0x");
    u16::from_str_radix(t, 16).map_err(|_| format!("Invalid hex vendor ID {text}"))
}
