//! The logic of `dump_pci_info`: PCI devices from sysfs (the `dump_info_pciutils` listing:
//! ids with names from the PCI ID repository, command register, slot, IOMMU group, driver
//! and BARs), then each config space decoded as `lspci -vv` decodes it and the chain of
//! parent bridges, written to the writer the tool gives.

use std::io::Write;
use std::path::Path;

use crate::pci_report::selection::Selection;
use crate::pci_report::{render_device, write_report, DeviceFacts, DeviceSelector};
use crate::sim::{SimBoard, SimConfigSpace};
use crate::sysfs::{self, PciDeviceInfo, Resource};
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

/// Kernel resource flags (ioport.h) of a simulated BAR, as sysfs `resource` shows them.
const IORESOURCE_MEM: u64 = 0x200;
const IORESOURCE_PREFETCH: u64 = 0x2000;
const IORESOURCE_MEM_64: u64 = 0x0010_0000;

/// What sysfs would say about a simulated board bound to vfio-pci, with its config space
/// as the simulation seam serves it (the board's own, BAR addresses assigned). Simulated
/// boards sit on root buses: no parent bridge is modelled, so none is listed.
fn simulated_facts(board: &SimBoard) -> DeviceFacts {
    let device = board.device.as_ref();
    let config = SimConfigSpace::new(device, board.location).snapshot();
    let le32 =
        |o: usize| u32::from_le_bytes([config[o], config[o + 1], config[o + 2], config[o + 3]]);
    let mut resources = vec![
        Resource {
            start: 0,
            end: 0,
            flags: 0
        };
        7
    ];
    for (i, slot) in resources.iter_mut().enumerate().take(6) {
        let Some(bar) = device.bar(i as u8) else {
            continue;
        };
        let mut start = u64::from(le32(0x10 + 4 * i) & !0xf);
        if bar.is_64bit && i < 5 {
            start |= u64::from(le32(0x14 + 4 * i)) << 32;
        }
        let mut flags = IORESOURCE_MEM;
        if bar.prefetchable {
            flags |= IORESOURCE_PREFETCH;
        }
        if bar.is_64bit {
            flags |= IORESOURCE_MEM_64;
        }
        *slot = Resource {
            start,
            end: start + bar.size.max(1) - 1,
            flags,
        };
    }
    let info = PciDeviceInfo {
        location: board.location,
        identity: device.identity(),
        class: device.class_code(),
        revision: device.revision(),
        header_type: 0,
        command: Some(u16::from_le_bytes([config[4], config[5]])),
        resources,
        iommu_group: Some(board.iommu_group),
        driver: Some("vfio-pci".into()),
        physical_slot: None,
        numa_node: None,
        sysfs_path: Default::default(),
    };
    DeviceFacts {
        info,
        config,
        irq: None,
        parents: Vec::new(),
    }
}

/// [`run`] over simulated boards instead of sysfs (`dump_pci_info --sim`): the same
/// blocks, decoded from the config space the boards serve (their link status is how the
/// simulated link trained), after an `Access method : simulated boards` line.
pub fn run_simulated(
    out: &mut dyn Write,
    boards: &[SimBoard],
    request: &PciListingRequest,
) -> Result<(), ToolError> {
    let mut boards: Vec<&SimBoard> = boards.iter().collect();
    boards.sort_by_key(|b| b.location);
    let selection = Selection::new(request.filters, request.devices, request.vendor);
    for wanted in &selection.locations {
        if !boards.iter().any(|b| b.location == *wanted) {
            return Err(ToolError::Failed(format!(
                "no simulated board at {wanted} (see `dump_pci_info --sim` for the boards present)"
            )));
        }
    }
    let selected: Vec<&SimBoard> = boards
        .into_iter()
        .filter(|b| selection.matches(b.location, &b.device.identity()))
        .collect();
    if selected.is_empty() {
        return Err(ToolError::Failed(
            "no matching simulated boards found".into(),
        ));
    }
    writeln!(out, "Access method : simulated boards")?;
    for b in selected {
        write_report(out, &render_device(&simulated_facts(b)))?;
    }
    Ok(())
}

/// Parses `--vendor`: 4 hex digits, with or without `0x`.
pub fn parse_vendor(text: &str) -> Result<u16, String> {
    let t = text.trim_start_matches("0x");
    u16::from_str_radix(t, 16).map_err(|_| format!("Invalid hex vendor ID {text}"))
}
