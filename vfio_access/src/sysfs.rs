//! PCI enumeration from sysfs only (no libpci): ids, class, BAR resources, IOMMU group,
//! bound driver, physical slot and NUMA node of every PCI function.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::VfioError;
use crate::filter::PciIdentity;
use crate::location::PciLocation;

/// The default sysfs mount point.
pub const SYSFS_ROOT: &str = "/sys";

/// One line of the sysfs `resource` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub start: u64,
    pub end: u64,
    pub flags: u64,
}

// IORESOURCE_* bits from the kernel's ioport.h.
const IORESOURCE_IO: u64 = 0x100;
const IORESOURCE_PREFETCH: u64 = 0x2000;
const IORESOURCE_MEM_64: u64 = 0x0010_0000;

impl Resource {
    pub fn size(&self) -> u64 {
        if self.end > self.start || (self.start != 0 && self.end == self.start) {
            self.end - self.start + 1
        } else {
            0
        }
    }
    pub fn is_io(&self) -> bool {
        self.flags & IORESOURCE_IO != 0
    }
    pub fn is_prefetchable(&self) -> bool {
        self.flags & IORESOURCE_PREFETCH != 0
    }
    pub fn is_64bit(&self) -> bool {
        self.flags & IORESOURCE_MEM_64 != 0
    }
}

/// Everything sysfs says about one PCI function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDeviceInfo {
    pub location: PciLocation,
    pub identity: PciIdentity,
    /// 24-bit class code (base class, sub class, programming interface).
    pub class: u32,
    pub revision: u8,
    pub header_type: u8,
    /// PCI command register, when the config file was readable.
    pub command: Option<u16>,
    /// Resources 0..=5 are the BARs, 6 the expansion ROM; missing lines are empty.
    pub resources: Vec<Resource>,
    pub iommu_group: Option<u32>,
    pub driver: Option<String>,
    pub physical_slot: Option<String>,
    pub numa_node: Option<i32>,
    pub sysfs_path: PathBuf,
}

impl PciDeviceInfo {
    /// BAR `index` (0..=5) when it has a non-zero size.
    pub fn bar(&self, index: usize) -> Option<&Resource> {
        self.resources
            .get(index)
            .filter(|r| index < 6 && r.size() > 0)
    }
}

fn read_trimmed(path: &Path) -> Result<String, VfioError> {
    fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| VfioError::sysfs(path, e))
}

fn parse_hex(path: &Path, text: &str) -> Result<u64, VfioError> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u64::from_str_radix(t, 16).map_err(|_| {
        VfioError::sysfs(
            path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a hex number: {text:?}"),
            ),
        )
    })
}

fn read_hex(dir: &Path, name: &str) -> Result<u64, VfioError> {
    let path = dir.join(name);
    let text = read_trimmed(&path)?;
    parse_hex(&path, &text)
}

fn link_basename(path: &Path) -> Option<String> {
    fs::read_link(path)
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// Parses the text of a sysfs `resource` file.
pub fn parse_resource_file(path: &Path, text: &str) -> Result<Vec<Resource>, VfioError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() != 3 {
                return Err(VfioError::sysfs(
                    path,
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("bad resource line {line:?}"),
                    ),
                ));
            }
            Ok(Resource {
                start: parse_hex(path, fields[0])?,
                end: parse_hex(path, fields[1])?,
                flags: parse_hex(path, fields[2])?,
            })
        })
        .collect()
}

/// Physical slot names keyed by `dddd:bb:dd`, from `<root>/bus/pci/slots/*/address`.
fn read_slots(root: &Path) -> Vec<(String, String)> {
    let Ok(entries) = fs::read_dir(root.join("bus/pci/slots")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let addr = fs::read_to_string(e.path().join("address")).ok()?;
            Some((
                addr.trim().to_string(),
                e.file_name().to_string_lossy().into_owned(),
            ))
        })
        .collect()
}

fn read_device(
    dir: &Path,
    location: PciLocation,
    slots: &[(String, String)],
) -> Result<PciDeviceInfo, VfioError> {
    // The first 64 bytes of config space are readable by any user; fall back to the id
    // files when even that fails.
    let config = fs::read(dir.join("config")).unwrap_or_default();
    let cfg8 = |off: usize| config.get(off).copied();
    let cfg16 = |off: usize| Some(u16::from_le_bytes([cfg8(off)?, cfg8(off + 1)?]));

    let vendor_id = read_hex(dir, "vendor")? as u16;
    let device_id = read_hex(dir, "device")? as u16;
    let subsystem_vendor_id = match read_hex(dir, "subsystem_vendor") {
        Ok(v) => v as u16,
        Err(e) => cfg16(0x2c).ok_or(e)?,
    };
    let subsystem_device_id = match read_hex(dir, "subsystem_device") {
        Ok(v) => v as u16,
        Err(e) => cfg16(0x2e).ok_or(e)?,
    };
    let class = read_hex(dir, "class").unwrap_or(0) as u32;
    let revision = read_hex(dir, "revision")
        .map(|v| v as u8)
        .ok()
        .or_else(|| cfg8(8))
        .unwrap_or(0);
    let resources = match fs::read_to_string(dir.join("resource")) {
        Ok(text) => parse_resource_file(&dir.join("resource"), &text)?,
        Err(_) => Vec::new(),
    };
    let iommu_group = link_basename(&dir.join("iommu_group")).and_then(|g| g.parse().ok());
    let numa_node = fs::read_to_string(dir.join("numa_node"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|&n| n >= 0);
    let slot_addr = location.slot_address();
    let physical_slot = slots
        .iter()
        .find(|(addr, _)| *addr == slot_addr)
        .map(|(_, name)| name.clone());
    Ok(PciDeviceInfo {
        location,
        identity: PciIdentity {
            vendor_id,
            device_id,
            subsystem_vendor_id,
            subsystem_device_id,
        },
        class,
        revision,
        header_type: cfg8(0x0e).unwrap_or(0) & 0x7f,
        command: cfg16(0x04),
        resources,
        iommu_group,
        driver: link_basename(&dir.join("driver")),
        physical_slot,
        numa_node,
        sysfs_path: dir.to_path_buf(),
    })
}

/// Lists every PCI function under `<root>/bus/pci/devices`, sorted by location.
/// Entries whose name is not a PCI location are ignored.
pub fn enumerate(root: &Path) -> Result<Vec<PciDeviceInfo>, VfioError> {
    let devices_dir = root.join("bus/pci/devices");
    let entries = fs::read_dir(&devices_dir).map_err(|e| VfioError::sysfs(&devices_dir, e))?;
    let slots = read_slots(root);
    let mut devices = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| VfioError::sysfs(&devices_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(location) = name.parse::<PciLocation>() else {
            continue;
        };
        devices.push(read_device(&entry.path(), location, &slots)?);
    }
    devices.sort_by_key(|d| d.location);
    Ok(devices)
}

/// Vendor and device names from the PCI ID repository.
pub fn vendor_name(vendor_id: u16) -> Option<&'static str> {
    use pci_ids::FromId;
    pci_ids::Vendor::from_id(vendor_id).map(|v| v.name())
}

pub fn device_name(vendor_id: u16, device_id: u16) -> Option<&'static str> {
    pci_ids::Device::from_vid_pid(vendor_id, device_id).map(|d| d.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct FakeDev<'a> {
        name: &'a str,
        vendor: &'a str,
        device: &'a str,
        sub: Option<(&'a str, &'a str)>,
        resource: &'a str,
        group: Option<u32>,
        driver: Option<&'a str>,
        numa: &'a str,
    }

    fn make(root: &Path, d: &FakeDev) {
        let dir = root.join("devices_real").join(d.name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("vendor"), format!("{}\n", d.vendor)).unwrap();
        fs::write(dir.join("device"), format!("{}\n", d.device)).unwrap();
        if let Some((sv, sd)) = d.sub {
            fs::write(dir.join("subsystem_vendor"), sv).unwrap();
            fs::write(dir.join("subsystem_device"), sd).unwrap();
        }
        fs::write(dir.join("class"), "0x058000\n").unwrap();
        fs::write(dir.join("revision"), "0x01\n").unwrap();
        fs::write(dir.join("resource"), d.resource).unwrap();
        fs::write(dir.join("numa_node"), d.numa).unwrap();
        let mut config = vec![0u8; 64];
        config[4] = 0x06;
        config[0x0e] = 0x80;
        config[0x2c..0x2e].copy_from_slice(&0x0002u16.to_le_bytes());
        config[0x2e..0x30].copy_from_slice(&0x0007u16.to_le_bytes());
        fs::write(dir.join("config"), config).unwrap();
        if let Some(g) = d.group {
            let gdir = root.join(format!("kernel/iommu_groups/{g}"));
            fs::create_dir_all(&gdir).unwrap();
            symlink(&gdir, dir.join("iommu_group")).unwrap();
        }
        if let Some(drv) = d.driver {
            let ddir = root.join(format!("bus/pci/drivers/{drv}"));
            fs::create_dir_all(&ddir).unwrap();
            symlink(&ddir, dir.join("driver")).unwrap();
        }
        let link_dir = root.join("bus/pci/devices");
        fs::create_dir_all(&link_dir).unwrap();
        symlink(&dir, link_dir.join(d.name)).unwrap();
    }

    #[test]
    fn enumerates_fake_tree_sorted_with_all_fields() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let res = "0x0000387fffe00000 0x0000387fffefffff 0x000000000014220c\n\
                   0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
                   0x0000387ffff00000 0x0000387ffff1ffff 0x000000000014220c\n\
                   0x000000000000e000 0x000000000000e01f 0x0000000000040101\n";
        make(
            root,
            &FakeDev {
                name: "0000:30:00.0",
                vendor: "0x10ee",
                device: "0x7024",
                sub: Some(("0x0002", "0x0008")),
                resource: res,
                group: Some(89),
                driver: Some("vfio-pci"),
                numa: "-1",
            },
        );
        make(
            root,
            &FakeDev {
                name: "0000:15:00.0",
                vendor: "0x10ee",
                device: "0x7024",
                // No subsystem files: fall back to config bytes 0x2c/0x2e.
                sub: None,
                resource: "",
                group: None,
                driver: None,
                numa: "1",
            },
        );
        fs::create_dir_all(root.join("bus/pci/slots/3-1")).unwrap();
        fs::write(root.join("bus/pci/slots/3-1/address"), "0000:15:00\n").unwrap();
        // A non-device entry is ignored.
        fs::create_dir_all(root.join("bus/pci/devices/not-a-device")).unwrap();

        let devs = enumerate(root).unwrap();
        assert_eq!(devs.len(), 2);
        let a = &devs[0];
        assert_eq!(a.location.to_string(), "0000:15:00.0");
        assert_eq!(a.identity.subsystem_vendor_id, 0x0002);
        assert_eq!(a.identity.subsystem_device_id, 0x0007);
        assert_eq!(a.iommu_group, None);
        assert_eq!(a.driver, None);
        assert_eq!(a.physical_slot.as_deref(), Some("3-1"));
        assert_eq!(a.numa_node, Some(1));
        assert_eq!(a.command, Some(0x0006));
        assert_eq!(a.header_type, 0);
        assert!(a.bar(0).is_none());

        let b = &devs[1];
        assert_eq!(b.identity.subsystem_device_id, 0x0008);
        assert_eq!(b.iommu_group, Some(89));
        assert_eq!(b.driver.as_deref(), Some("vfio-pci"));
        assert_eq!(b.physical_slot, None);
        assert_eq!(b.numa_node, None);
        assert_eq!(b.class, 0x058000);
        assert_eq!(b.revision, 1);
        let bar0 = b.bar(0).unwrap();
        assert_eq!(bar0.size(), 0x100000);
        assert!(bar0.is_prefetchable() && bar0.is_64bit() && !bar0.is_io());
        assert!(b.bar(1).is_none());
        assert_eq!(b.bar(2).unwrap().size(), 0x20000);
        assert!(b.bar(3).unwrap().is_io());
    }

    #[test]
    fn bad_resource_line_is_a_clear_error() {
        let err = parse_resource_file(Path::new("/x/resource"), "0x0 0x1\n").unwrap_err();
        assert!(err.to_string().contains("/x/resource"), "{err}");
        let err = parse_resource_file(Path::new("/x/resource"), "0x0 zz 0x0\n").unwrap_err();
        assert!(err.to_string().contains("not a hex number"), "{err}");
    }

    #[test]
    fn missing_devices_dir_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(enumerate(tmp.path()).is_err());
    }

    #[test]
    fn names_from_pci_ids() {
        assert_eq!(vendor_name(0x10ee), Some("Xilinx Corporation"));
        assert!(device_name(0x1af4, 0x1000).is_some());
    }
}
