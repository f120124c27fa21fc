//! One device block of `dump_pci_info`: the original listing's lines (`vfio_access.md`
//! §9.2: ids and names, command register, slot, IOMMU group, driver, BARs), then the
//! lspci-grade decoding of the config space and the chain of parent bridges.

use std::fs;

use super::bridges::{bridge_chain_lines, parent_bridges, ParentBridge};
use super::capabilities::standard_capabilities;
use super::extended::extended_capabilities;
use super::header::header_lines;
use super::{ConfigSpace, Lines, EXTENDED_CONFIG_SIZE};
use crate::config_space::command_text;
use crate::sysfs::{device_name, vendor_name, PciDeviceInfo};

/// Everything one block shows: sysfs facts, the readable config bytes (64 for a normal
/// user, 256 or 4096 as root), the IRQ and the parent bridges.
#[derive(Debug, Clone)]
pub struct DeviceFacts {
    pub info: PciDeviceInfo,
    pub config: Vec<u8>,
    pub irq: Option<u32>,
    pub parents: Vec<ParentBridge>,
}

impl DeviceFacts {
    /// Reads the config space, `irq` and the parent bridges from the device's sysfs
    /// directory. Unreadable files give less output, not an error (as lspci).
    pub fn from_sysfs(info: &PciDeviceInfo) -> Self {
        let dir = &info.sysfs_path;
        let mut config = fs::read(dir.join("config")).unwrap_or_default();
        config.truncate(EXTENDED_CONFIG_SIZE);
        let irq = fs::read_to_string(dir.join("irq"))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        Self {
            info: info.clone(),
            config,
            irq,
            parents: parent_bridges(dir),
        }
    }
}

fn header_type_name(t: u8) -> String {
    match t {
        0 => "NORMAL".into(),
        1 => "BRIDGE".into(),
        2 => "CARDBUS".into(),
        n => format!("Unknown (0x{n:x})"),
    }
}

/// The original listing's lines for one device.
fn original_lines(d: &PciDeviceInfo) -> Lines {
    let mut out = Lines::default();
    let id = d.identity;
    let vname = vendor_name(id.vendor_id).unwrap_or("Unknown vendor");
    let dname = device_name(id.vendor_id, id.device_id)
        .map(str::to_string)
        .unwrap_or_else(|| format!("Device {:04x}", id.device_id));
    let l = d.location;
    out.push(
        0,
        format!(
            "domain={:04x} bus={:02x} dev={:02x} func={:02x}",
            l.domain, l.bus, l.device, l.function
        ),
    );
    out.push(
        1,
        format!(
            "vendor_id={:04x} ({vname}) device_id={:04x} ({dname}) subvendor_id={:04x} subdevice_id={:04x} header_type={}",
            id.vendor_id,
            id.device_id,
            id.subsystem_vendor_id,
            id.subsystem_device_id,
            header_type_name(d.header_type)
        ),
    );
    if let Some(cmd) = d.command {
        out.push(1, command_text(cmd));
    }
    if let Some(slot) = &d.physical_slot {
        out.push(1, format!("physical slot: {slot}"));
    }
    match d.iommu_group {
        Some(g) => out.push(1, format!("IOMMU group: {g}")),
        None => out.push(
            1,
            "IOMMU group: none (no IOMMU enabled for this device: VFIO cannot open it)",
        ),
    }
    match &d.driver {
        Some(drv) => out.push(1, format!("Driver: {drv}")),
        None => out.push(1, "Driver: none"),
    }
    if let Some(n) = d.numa_node {
        out.push(1, format!("NUMA node: {n}"));
    }
    for (i, r) in d.resources.iter().enumerate().take(6) {
        if r.size() > 0 {
            out.push(
                1,
                format!(
                    "bar[{i}] base_addr={:x} size={:x} is_IO={} is_prefetchable={} is_64={}",
                    r.start,
                    r.size(),
                    u8::from(r.is_io()),
                    u8::from(r.is_prefetchable()),
                    u8::from(r.is_64bit())
                ),
            );
        }
    }
    out
}

/// The whole block for one device.
pub fn render_device(facts: &DeviceFacts) -> Lines {
    let d = &facts.info;
    let mut out = original_lines(d);
    let cfg = ConfigSpace::new(&facts.config);
    out.extend(header_lines(&cfg, d.class, facts.irq));
    let caps = standard_capabilities(&cfg, d.location, d.identity.vendor_id);
    out.extend(caps.lines);
    if caps.can_have_extended {
        let port_type = caps.express.map(|e| e.port_type);
        out.extend(extended_capabilities(&cfg, port_type));
    }
    out.extend(bridge_chain_lines(&facts.parents));
    out
}
