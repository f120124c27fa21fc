//! The standard capability list (config offsets 0x40..0xff): Power Management, MSI, MSI-X,
//! vendor-specific (virtio), PCI Express (in [`express`](super::express)); other ids are
//! named only. Wording as `lspci -vv`.

use super::express::{self, ExpressInfo};
use super::header::{self, HEADER_CARDBUS, STATUS_CAP_LIST};
use super::{bits, flag, ConfigSpace, Lines};
use crate::location::PciLocation;

pub const CAP_ID_PM: u8 = 0x01;
pub const CAP_ID_MSI: u8 = 0x05;
pub const CAP_ID_PCIX: u8 = 0x07;
pub const CAP_ID_VENDOR: u8 = 0x09;
pub const CAP_ID_EXPRESS: u8 = 0x10;
pub const CAP_ID_MSIX: u8 = 0x11;

const VIRTIO_VENDOR: u16 = 0x1af4;

/// What the standard list held: its lines, the PCI Express capability (needed by the
/// extended list and the bridge chain) and whether extended capabilities may exist.
#[derive(Debug, Clone, Default)]
pub struct StandardCapabilities {
    pub lines: Lines,
    pub express: Option<ExpressInfo>,
    /// A PCI Express or PCI-X capability was found (lspci only then walks offset 0x100).
    pub can_have_extended: bool,
}

/// The (offset, id) chain, stopping at a loop, a broken entry or unreadable bytes.
pub fn chain(cfg: &ConfigSpace) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    if cfg.w(header::STATUS) & STATUS_CAP_LIST == 0 {
        return out;
    }
    let mut seen = [false; 256];
    let mut at = usize::from(cfg.b(list_pointer(cfg)) & !3);
    while at != 0 && cfg.has(at, 4) && !seen[at] {
        seen[at] = true;
        let id = cfg.b(at);
        if id == 0xff {
            break;
        }
        out.push((at, id));
        at = usize::from(cfg.b(at + 1) & !3);
    }
    out
}

fn list_pointer(cfg: &ConfigSpace) -> usize {
    if header::header_type(cfg) == HEADER_CARDBUS {
        0x14
    } else {
        0x34
    }
}

/// Decodes the standard capability list. `location` and `vendor_id` are needed where
/// lspci's decoding depends on them (PCIe link-2 registers of non-zero functions, virtio).
pub fn standard_capabilities(
    cfg: &ConfigSpace,
    location: PciLocation,
    vendor_id: u16,
) -> StandardCapabilities {
    let mut caps = StandardCapabilities::default();
    if cfg.u16(header::STATUS).unwrap_or(0) & STATUS_CAP_LIST == 0 {
        return caps;
    }
    let mut seen = [false; 256];
    let mut at = usize::from(cfg.b(list_pointer(cfg)) & !3);
    while at != 0 {
        if !cfg.has(at, 4) {
            caps.lines.push(1, "Capabilities: <access denied>");
            break;
        }
        let id = cfg.b(at);
        let next = usize::from(cfg.b(at + 1) & !3);
        let flags = cfg.w(at + 2);
        let head = format!("Capabilities: [{at:02x}] ");
        if seen[at] {
            caps.lines.push(1, head + "<chain looped>");
            break;
        }
        seen[at] = true;
        if id == 0xff {
            caps.lines.push(1, head + "<chain broken>");
            break;
        }
        let mut body = Lines::default();
        let title = match id {
            0x00 => "Null".to_string(),
            CAP_ID_PM => power_management(cfg, at, flags, &mut body),
            CAP_ID_MSI => msi(cfg, at, flags, &mut body),
            CAP_ID_MSIX => msix(cfg, at, flags, &mut body),
            CAP_ID_VENDOR => vendor_specific(cfg, at, flags, vendor_id, &mut body),
            CAP_ID_EXPRESS => {
                let info = express::express_info(cfg, at);
                let title = express::express_lines(cfg, &info, location, &mut body);
                caps.express = Some(info);
                caps.can_have_extended = true;
                title
            }
            CAP_ID_PCIX => {
                caps.can_have_extended = true;
                match header::header_type(cfg) {
                    header::HEADER_BRIDGE => "PCI-X bridge device".to_string(),
                    _ => "PCI-X non-bridge device".to_string(),
                }
            }
            other => other_title(other, flags),
        };
        caps.lines.push(1, head + &title);
        caps.lines.extend(body);
        at = next;
    }
    caps
}

/// Titles of the capabilities decoded no further (lspci's words for their first line).
fn other_title(id: u8, flags: u16) -> String {
    let f = u32::from(flags);
    match id {
        0x02 => format!("AGP version {:x}.{:x}", bits(f, 4, 4), bits(f, 0, 4)),
        0x03 => "Vital Product Data".into(),
        0x04 => format!(
            "Slot ID: {} slots, First{}, chassis {:02x}",
            bits(f, 0, 5),
            flag(f, 0x20),
            f >> 8
        ),
        0x06 => "CompactPCI hot-swap <?>".into(),
        0x08 => "HyperTransport".into(),
        0x0a => format!("Debug port: BAR={} offset={:04x}", f >> 13, f & 0x1fff),
        0x0b => "CompactPCI central resource control <?>".into(),
        0x0c => "Hot-plug capable".into(),
        0x0d => "Subsystem".into(),
        0x0e => "AGP3 <?>".into(),
        0x0f => "Secure device <?>".into(),
        0x12 => format!("SATA HBA v{}.{}", bits(f, 4, 4), bits(f, 0, 4)),
        0x13 => "PCI Advanced Features".into(),
        0x14 => format!("Enhanced Allocation (EA): NumEntries={}", bits(f, 0, 6)),
        _ => format!("Capability ID {id:#x} [{flags:04x}]"),
    }
}

const PM_AUX_CURRENT_MA: [u32; 8] = [0, 55, 100, 160, 220, 270, 320, 375];

/// Power Management (PCI Bus Power Management Interface Specification: PMC at +2, PMCSR
/// at +4, bridge extensions at +6).
fn power_management(cfg: &ConfigSpace, at: usize, pmc: u16, body: &mut Lines) -> String {
    let c = u32::from(pmc);
    body.push(
        2,
        format!(
            "Flags: PMEClk{} DSI{} D1{} D2{} AuxCurrent={}mA PME(D0{},D1{},D2{},D3hot{},D3cold{})",
            flag(c, 1 << 3),
            flag(c, 1 << 5),
            flag(c, 1 << 9),
            flag(c, 1 << 10),
            PM_AUX_CURRENT_MA[bits(c, 6, 3) as usize],
            flag(c, 1 << 11),
            flag(c, 1 << 12),
            flag(c, 1 << 13),
            flag(c, 1 << 14),
            flag(c, 1 << 15),
        ),
    );
    if cfg.has(at + 4, 4) {
        let t = u32::from(cfg.w(at + 4));
        body.push(
            2,
            format!(
                "Status: D{} NoSoftRst{} PME-Enable{} DSel={} DScale={} PME{}",
                t & 3,
                flag(t, 1 << 3),
                flag(t, 1 << 8),
                bits(t, 9, 4),
                bits(t, 13, 2),
                flag(t, 1 << 15),
            ),
        );
        let b = u32::from(cfg.b(at + 6));
        if b != 0 {
            body.push(
                2,
                format!("Bridge: PM{} B3{}", flag(b, 0x80), flag(!b, 0x40)),
            );
        }
    }
    format!("Power Management version {}", pmc & 7)
}

/// MSI (PCI Local Bus Specification 3.0 §6.8.1).
fn msi(cfg: &ConfigSpace, at: usize, control: u16, body: &mut Lines) -> String {
    let c = u32::from(control);
    let is64 = c & 0x80 != 0;
    let maskable = c & 0x100 != 0;
    let title = format!(
        "MSI: Enable{} Count={}/{} Maskable{} 64bit{}",
        flag(c, 1),
        1u32 << bits(c, 4, 3),
        1u32 << bits(c, 1, 3),
        flag(c, 0x100),
        flag(c, 0x80),
    );
    let data_at = if is64 { at + 12 } else { at + 8 };
    if !cfg.has(at + 4, data_at + 2 - (at + 4)) {
        return title;
    }
    let lo = cfg.l(at + 4);
    let address = if is64 {
        format!("{:08x}{lo:08x}", cfg.l(at + 8))
    } else {
        format!("{lo:08x}")
    };
    body.push(
        2,
        format!("Address: {address}  Data: {:04x}", cfg.w(data_at)),
    );
    if maskable {
        let mask_at = if is64 { at + 16 } else { at + 12 };
        if cfg.has(mask_at, 8) {
            body.push(
                2,
                format!(
                    "Masking: {:08x}  Pending: {:08x}",
                    cfg.l(mask_at),
                    cfg.l(mask_at + 4)
                ),
            );
        }
    }
    title
}

/// MSI-X (PCI Local Bus Specification 3.0 §6.8.2).
fn msix(cfg: &ConfigSpace, at: usize, control: u16, body: &mut Lines) -> String {
    let c = u32::from(control);
    let title = format!(
        "MSI-X: Enable{} Count={} Masked{}",
        flag(c, 0x8000),
        (c & 0x7ff) + 1,
        flag(c, 0x4000)
    );
    if cfg.has(at + 4, 8) {
        for (name, off) in [("Vector table", at + 4), ("PBA", at + 8)] {
            let v = cfg.l(off);
            body.push(2, format!("{name}: BAR={} offset={:08x}", v & 7, v & !7));
        }
    }
    title
}

/// Vendor-specific capability; virtio devices' structures (virtio 1.x §4.1.4) decoded.
fn vendor_specific(
    cfg: &ConfigSpace,
    at: usize,
    flags: u16,
    vendor_id: u16,
    body: &mut Lines,
) -> String {
    let length = usize::from(flags & 0xff);
    let cfg_type = flags >> 8;
    if vendor_id == VIRTIO_VENDOR && length >= 16 && cfg.has(at, length) {
        let name = match cfg_type {
            1 => "CommonCfg",
            2 => "Notify",
            3 => "ISR",
            4 => "DeviceCfg",
            _ => "<unknown>",
        };
        let mut detail = format!(
            "BAR={} offset={:08x} size={:08x}",
            cfg.b(at + 4),
            cfg.l(at + 8),
            cfg.l(at + 12)
        );
        if cfg_type == 2 && length >= 20 {
            detail += &format!(" multiplier={:08x}", cfg.l(at + 16));
        }
        body.push(2, detail);
        return format!("Vendor Specific Information: VirtIO: {name}");
    }
    format!("Vendor Specific Information: Len={length:02x} <?>")
}

#[cfg(test)]
mod tests {
    use super::super::test_config::ConfigImage;
    use super::*;

    fn decode(c: &ConfigImage) -> String {
        let cfg = ConfigSpace::new(&c.bytes);
        standard_capabilities(&cfg, PciLocation::new(0, 1, 0, 0), 0x10ee)
            .lines
            .to_text()
    }

    #[test]
    fn power_management_every_flag() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.cap(0x40, CAP_ID_PM, 0x0003);
        assert_eq!(
            decode(&c),
            "  Capabilities: [40] Power Management version 3\n    \
             Flags: PMEClk- DSI- D1- D2- AuxCurrent=0mA PME(D0-,D1-,D2-,D3hot-,D3cold-)\n    \
             Status: D0 NoSoftRst- PME-Enable- DSel=0 DScale=0 PME-\n"
        );
        // Every capability flag, aux current 375 mA; state D3hot with every status field.
        c.put16(0x42, 0xfffb).put16(0x44, 0xfffb).put8(0x46, 0xc0);
        assert_eq!(
            decode(&c),
            "  Capabilities: [40] Power Management version 3\n    \
             Flags: PMEClk+ DSI+ D1+ D2+ AuxCurrent=375mA PME(D0+,D1+,D2+,D3hot+,D3cold+)\n    \
             Status: D3 NoSoftRst+ PME-Enable+ DSel=15 DScale=3 PME+\n    \
             Bridge: PM+ B3-\n"
        );
        c.put16(0x42, 0x0002 | (1 << 6)).put8(0x46, 0x40);
        let t = decode(&c);
        assert!(t.contains("version 2\n"), "{t}");
        assert!(t.contains("AuxCurrent=55mA"), "{t}");
        assert!(t.contains("Bridge: PM- B3-"), "{t}");
    }

    #[test]
    fn msi_32_and_64_bit_with_masking() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.cap(0x48, CAP_ID_MSI, 0x0000)
            .put32(0x4c, 0xfee0_0000)
            .put16(0x50, 0x4021);
        assert_eq!(
            decode(&c),
            "  Capabilities: [48] MSI: Enable- Count=1/1 Maskable- 64bit-\n    \
             Address: fee00000  Data: 4021\n"
        );
        // Enabled, 4 of 32 vectors, 64-bit, maskable.
        c.put16(0x4a, 0x01a0 | 0x0a | 1)
            .put32(0x50, 0x0000_0001)
            .put16(0x54, 0x0041)
            .put32(0x58, 0x0000_000e)
            .put32(0x5c, 0x0000_0002);
        assert_eq!(
            decode(&c),
            "  Capabilities: [48] MSI: Enable+ Count=4/32 Maskable+ 64bit+\n    \
             Address: 00000001fee00000  Data: 0041\n    \
             Masking: 0000000e  Pending: 00000002\n"
        );
        // 32-bit maskable: mask at +12, pending at +16.
        c.put16(0x4a, 0x0100).put32(0x54, 0x5).put32(0x58, 0x6);
        assert!(decode(&c).contains("Masking: 00000005  Pending: 00000006"));
    }

    #[test]
    fn msix_counts_and_tables() {
        let mut c = ConfigImage::new(0x1af4, 0x1041);
        c.cap(0x98, CAP_ID_MSIX, 0x8002)
            .put32(0x9c, 0x0000_8000)
            .put32(0xa0, 0x0004_8002);
        assert_eq!(
            decode(&c),
            "  Capabilities: [98] MSI-X: Enable+ Count=3 Masked-\n    \
             Vector table: BAR=0 offset=00008000\n    \
             PBA: BAR=2 offset=00048000\n"
        );
        c.put16(0x9a, 0x47ff);
        assert!(decode(&c).contains("MSI-X: Enable- Count=2048 Masked+\n"));
    }

    #[test]
    fn vendor_specific_generic_and_virtio() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.cap(0x40, CAP_ID_VENDOR, 0x0214);
        assert_eq!(
            decode(&c),
            "  Capabilities: [40] Vendor Specific Information: Len=14 <?>\n"
        );
        let mut v = ConfigImage::new(0x1af4, 0x1041);
        v.cap(0x70, CAP_ID_VENDOR, 0x0214)
            .put8(0x74, 0)
            .put32(0x78, 0x6000)
            .put32(0x7c, 0x1000)
            .put32(0x80, 4);
        v.cap(0x84, CAP_ID_VENDOR, 0x0514);
        let cfg = ConfigSpace::new(&v.bytes);
        let t = standard_capabilities(&cfg, PciLocation::new(0, 0, 3, 0), 0x1af4)
            .lines
            .to_text();
        assert_eq!(
            t,
            "  Capabilities: [70] Vendor Specific Information: VirtIO: Notify\n    \
             BAR=0 offset=00006000 size=00001000 multiplier=00000004\n  \
             Capabilities: [84] Vendor Specific Information: VirtIO: <unknown>\n    \
             BAR=0 offset=00000000 size=00000000\n"
        );
    }

    #[test]
    fn chain_problems_are_reported_not_followed() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.cap(0x40, CAP_ID_PM, 3).cap(0x50, 0x15, 0x1234);
        c.put8(0x51, 0x40); // loops back
        let t = decode(&c);
        assert!(
            t.contains("  Capabilities: [50] Capability ID 0x15 [1234]\n"),
            "{t}"
        );
        assert!(t.ends_with("  Capabilities: [40] <chain looped>\n"), "{t}");
        assert_eq!(
            chain(&ConfigSpace::new(&c.bytes)),
            vec![(0x40, CAP_ID_PM), (0x50, 0x15)]
        );
        c.put8(0x51, 0x60).put8(0x60, 0xff);
        assert!(decode(&c).ends_with("  Capabilities: [60] <chain broken>\n"));
        // A normal user reads 64 bytes: the list is there but not readable.
        let short = c.truncated(64);
        let cfg = ConfigSpace::new(&short);
        let t = standard_capabilities(&cfg, PciLocation::new(0, 1, 0, 0), 0x10ee);
        assert_eq!(t.lines.to_text(), "  Capabilities: <access denied>\n");
        // No capability list bit: nothing.
        let plain = ConfigImage::new(0x8086, 0x0d57);
        assert_eq!(decode(&plain), "");
    }

    #[test]
    fn other_titles_use_lspci_words() {
        assert_eq!(other_title(0x03, 0), "Vital Product Data");
        assert_eq!(other_title(0x13, 0), "PCI Advanced Features");
        assert_eq!(other_title(0x0a, 0x2010), "Debug port: BAR=1 offset=0010");
        assert_eq!(
            other_title(0x04, 0x0123),
            "Slot ID: 3 slots, First+, chassis 01"
        );
    }
}
