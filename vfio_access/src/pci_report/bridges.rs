//! The chain of bridges above a PCI function (from its sysfs path, e.g.
//! `/sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0`) and the link status of each.

use std::fs;
use std::path::Path;

use super::capabilities::standard_capabilities;
use super::express::{lnkcap_text, lnksta_text};
use super::{ConfigSpace, Lines};
use crate::location::PciLocation;

/// One bridge above a function, with the config bytes that were readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentBridge {
    pub location: PciLocation,
    pub vendor_id: u16,
    pub device_id: u16,
    pub config: Vec<u8>,
}

/// The bridges above the function whose sysfs directory is `device_dir`, nearest first.
/// Unreadable parents are listed with no config bytes rather than dropped.
pub fn parent_bridges(device_dir: &Path) -> Vec<ParentBridge> {
    let Ok(real) = fs::canonicalize(device_dir) else {
        return Vec::new();
    };
    real.ancestors()
        .skip(1)
        .map_while(|dir| {
            let location: PciLocation = dir.file_name()?.to_str()?.parse().ok()?;
            let config = fs::read(dir.join("config")).unwrap_or_default();
            let cfg = ConfigSpace::new(&config);
            Some(ParentBridge {
                location,
                vendor_id: cfg.u16(0).unwrap_or(0xffff),
                device_id: cfg.u16(2).unwrap_or(0xffff),
                config,
            })
        })
        .collect()
}

/// `Parent bridges (nearest first):` and, for each, its ids, PCI Express port type and
/// LnkCap/LnkSta exactly as its own block (and `lspci -vv`) shows them.
pub fn bridge_chain_lines(parents: &[ParentBridge]) -> Lines {
    let mut lines = Lines::default();
    if parents.is_empty() {
        lines.push(1, "Parent bridges: none (on a root bus)");
        return lines;
    }
    lines.push(1, "Parent bridges (nearest first):");
    for p in parents {
        let cfg = ConfigSpace::new(&p.config);
        let id = format!("{} [{:04x}:{:04x}]", p.location, p.vendor_id, p.device_id);
        if cfg.len() < 0x40 {
            lines.push(2, format!("{id} config space not readable"));
            continue;
        }
        let caps = standard_capabilities(&cfg, p.location, p.vendor_id);
        let Some(express) = caps.express else {
            let why = if cfg.len() <= 0x40 && cfg.w(0x06) & 0x10 != 0 {
                "capabilities not readable (<access denied>: run as root)"
            } else {
                "no PCI Express capability"
            };
            lines.push(2, format!("{id} {why}"));
            continue;
        };
        lines.push(
            2,
            format!("{id} {}", super::express::express_title(&express)),
        );
        if let Some(link) = express.link {
            lines.push(3, lnkcap_text(cfg.l(express.offset + 0x0c)));
            lines.push(3, lnksta_text(express.port_type, &link));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::capabilities::CAP_ID_EXPRESS;
    use super::super::test_config::ConfigImage;
    use super::*;

    fn root_port() -> ConfigImage {
        let mut c = ConfigImage::new(0x8086, 0xa110);
        c.put8(0x0e, 0x81);
        // PCIe v2 root port with a slot; Gen3 x4 capable, trained Gen1 x1.
        c.cap(0x40, CAP_ID_EXPRESS, 0x0142)
            .put32(0x4c, 0x0100_0c43)
            .put16(0x52, 0x3011);
        c
    }

    #[test]
    fn chain_from_a_sysfs_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().join("devices/pci0000:00/0000:00:1c.0");
        let dev = top.join("0000:03:00.0");
        fs::create_dir_all(&dev).unwrap();
        fs::write(top.join("config"), root_port().bytes).unwrap();
        let link = tmp.path().join("dev-link");
        std::os::unix::fs::symlink(&dev, &link).unwrap();
        let parents = parent_bridges(&link);
        assert_eq!(parents.len(), 1);
        assert_eq!(parents[0].location.to_string(), "0000:00:1c.0");
        assert_eq!(
            (parents[0].vendor_id, parents[0].device_id),
            (0x8086, 0xa110)
        );
        assert_eq!(
            bridge_chain_lines(&parents).to_text(),
            "  Parent bridges (nearest first):\n    \
             0000:00:1c.0 [8086:a110] Express (v2) Root Port (Slot+), MSI 00\n      \
             LnkCap: Port #1, Speed 8GT/s, Width x4, ASPM L0s L1, Exit Latency L0s <64ns, L1 <1us\n      \
             LnkSta: Speed 2.5GT/s, Width x1\n"
        );
        assert!(parent_bridges(&tmp.path().join("missing")).is_empty());
    }

    #[test]
    fn bridges_without_express_or_readable_config() {
        let mut conventional = ConfigImage::new(0x8086, 0x244e);
        conventional.put8(0x0e, 0x01);
        let parents = [
            ParentBridge {
                location: PciLocation::new(0, 0, 0x1e, 0),
                vendor_id: 0x8086,
                device_id: 0x244e,
                config: conventional.truncated(256),
            },
            ParentBridge {
                location: PciLocation::new(0, 0, 0x1c, 0),
                vendor_id: 0x8086,
                device_id: 0xa110,
                config: root_port().truncated(64),
            },
            ParentBridge {
                location: PciLocation::new(0, 0, 1, 0),
                vendor_id: 0xffff,
                device_id: 0xffff,
                config: Vec::new(),
            },
        ];
        assert_eq!(
            bridge_chain_lines(&parents).to_text(),
            "  Parent bridges (nearest first):\n    \
             0000:00:1e.0 [8086:244e] no PCI Express capability\n    \
             0000:00:1c.0 [8086:a110] capabilities not readable (<access denied>: run as root)\n    \
             0000:00:01.0 [ffff:ffff] config space not readable\n"
        );
        assert_eq!(
            bridge_chain_lines(&[]).to_text(),
            "  Parent bridges: none (on a root bus)\n"
        );
    }
}
