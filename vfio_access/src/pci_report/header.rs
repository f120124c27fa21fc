//! The type-0/1 header registers: revision, class, command, status, latency, interrupt and
//! a bridge's bus numbers, worded as `lspci -vv` words them.

use super::{flag, ConfigSpace, Lines};

pub const COMMAND: usize = 0x04;
pub const STATUS: usize = 0x06;
pub const REVISION: usize = 0x08;
pub const CLASS_PROG: usize = 0x09;
pub const CACHE_LINE_SIZE: usize = 0x0c;
pub const LATENCY_TIMER: usize = 0x0d;
pub const HEADER_TYPE: usize = 0x0e;
pub const INTERRUPT_PIN: usize = 0x3d;
pub const MIN_GNT: usize = 0x3e;
pub const MAX_LAT: usize = 0x3f;

pub const HEADER_NORMAL: u8 = 0;
pub const HEADER_BRIDGE: u8 = 1;
pub const HEADER_CARDBUS: u8 = 2;

/// Status bit: a capability list is present.
pub const STATUS_CAP_LIST: u16 = 0x10;

/// The class name lspci shows, from the PCI ID repository: the sub-class name, else the
/// base-class name, then `[cccc]` (base and sub class in hex).
pub fn class_text(class24: u32) -> String {
    use pci_ids::FromId;
    let base = (class24 >> 16) as u8;
    let sub = (class24 >> 8) as u8;
    let name = pci_ids::Subclass::from_cid_sid(base, sub)
        .map(|s| s.name().to_string())
        .or_else(|| pci_ids::Class::from_id(base).map(|c| c.name().to_string()))
        .unwrap_or_else(|| "Class".to_string());
    format!("{name} [{:04x}]", class24 >> 8)
}

/// ` (prog-if 01 [AHCI 1.0])` when the programming interface is not 0 or has a name
/// (as lspci: a PCI bridge shows ` (prog-if 00 [Normal decode])`).
fn prog_if_text(class24: u32) -> String {
    let base = (class24 >> 16) as u8;
    let sub = (class24 >> 8) as u8;
    let prog = class24 as u8;
    let name = pci_ids::Subclass::from_cid_sid(base, sub)
        .and_then(|s| s.prog_ifs().find(|p| p.id() == prog))
        .map(|p| format!(" [{}]", p.name()));
    match name {
        Some(name) => format!(" (prog-if {prog:02x}{name})"),
        None if prog != 0 => format!(" (prog-if {prog:02x})"),
        None => String::new(),
    }
}

/// `Control: I/O- Mem+ BusMaster+ SpecCycle- ...` (lspci's words for the command register).
pub fn control_text(cmd: u16) -> String {
    let c = u32::from(cmd);
    format!(
        "Control: I/O{} Mem{} BusMaster{} SpecCycle{} MemWINV{} VGASnoop{} ParErr{} Stepping{} SERR{} FastB2B{} DisINTx{}",
        flag(c, 1 << 0),
        flag(c, 1 << 1),
        flag(c, 1 << 2),
        flag(c, 1 << 3),
        flag(c, 1 << 4),
        flag(c, 1 << 5),
        flag(c, 1 << 6),
        flag(c, 1 << 7),
        flag(c, 1 << 8),
        flag(c, 1 << 9),
        flag(c, 1 << 10),
    )
}

fn devsel(status: u16) -> &'static str {
    match (status >> 9) & 3 {
        0 => "fast",
        1 => "medium",
        2 => "slow",
        _ => "??",
    }
}

/// `Status: Cap+ 66MHz- ... INTx-` (lspci's words for the status register).
pub fn status_text(status: u16) -> String {
    let s = u32::from(status);
    format!(
        "Status: Cap{} 66MHz{} UDF{} FastB2B{} ParErr{} DEVSEL={} >TAbort{} <TAbort{} <MAbort{} >SERR{} <PERR{} INTx{}",
        flag(s, 1 << 4),
        flag(s, 1 << 5),
        flag(s, 1 << 6),
        flag(s, 1 << 7),
        flag(s, 1 << 8),
        devsel(status),
        flag(s, 1 << 11),
        flag(s, 1 << 12),
        flag(s, 1 << 13),
        flag(s, 1 << 14),
        flag(s, 1 << 15),
        flag(s, 1 << 3),
    )
}

/// Header type without the multi-function bit.
pub fn header_type(cfg: &ConfigSpace) -> u8 {
    cfg.b(HEADER_TYPE) & 0x7f
}

/// The header lines: revision, class, Control, Status, Latency (bus masters only, as lspci),
/// Interrupt (when a pin or an IRQ is set) and, for bridges, the bus numbers.
/// `class24` and `irq` come from sysfs (`class`, `irq`).
pub fn header_lines(cfg: &ConfigSpace, class24: u32, irq: Option<u32>) -> Lines {
    let mut out = Lines::default();
    if let Some(rev) = cfg.u8(REVISION) {
        out.push(1, format!("Revision: {rev:02x}"));
    }
    out.push(
        1,
        format!("Class: {}{}", class_text(class24), prog_if_text(class24)),
    );
    let (Some(cmd), Some(status)) = (cfg.u16(COMMAND), cfg.u16(STATUS)) else {
        return out;
    };
    out.push(1, control_text(cmd));
    out.push(1, status_text(status));
    let htype = header_type(cfg);
    if cmd & 0x4 != 0 {
        let (min_gnt, max_lat) = if htype == HEADER_NORMAL {
            (cfg.b(MIN_GNT), cfg.b(MAX_LAT))
        } else {
            (0, 0)
        };
        let mut t = format!("Latency: {}", cfg.b(LATENCY_TIMER));
        if min_gnt != 0 || max_lat != 0 {
            let mut parts = Vec::new();
            if min_gnt != 0 {
                parts.push(format!("{}ns min", u32::from(min_gnt) * 250));
            }
            if max_lat != 0 {
                parts.push(format!("{}ns max", u32::from(max_lat) * 250));
            }
            t += &format!(" ({})", parts.join(", "));
        }
        let cache_line = cfg.b(CACHE_LINE_SIZE);
        if cache_line != 0 {
            t += &format!(", Cache Line Size: {} bytes", u32::from(cache_line) * 4);
        }
        out.push(1, t);
    }
    let pin = if htype == HEADER_CARDBUS || htype == HEADER_NORMAL || htype == HEADER_BRIDGE {
        cfg.b(INTERRUPT_PIN)
    } else {
        0
    };
    let irq = irq.unwrap_or(0);
    if pin != 0 || irq != 0 {
        let p = if pin != 0 {
            char::from(b'A' + (pin - 1).min(25))
        } else {
            '?'
        };
        out.push(1, format!("Interrupt: pin {p} routed to IRQ {irq}"));
    }
    if htype == HEADER_BRIDGE {
        out.push(
            1,
            format!(
                "Bus: primary={:02x}, secondary={:02x}, subordinate={:02x}, sec-latency={}",
                cfg.b(0x18),
                cfg.b(0x19),
                cfg.b(0x1a),
                cfg.b(0x1b)
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_config::ConfigImage;
    use super::*;

    #[test]
    fn every_command_bit_has_its_word() {
        let names = [
            "I/O",
            "Mem",
            "BusMaster",
            "SpecCycle",
            "MemWINV",
            "VGASnoop",
            "ParErr",
            "Stepping",
            "SERR",
            "FastB2B",
            "DisINTx",
        ];
        assert_eq!(
            control_text(0),
            "Control: I/O- Mem- BusMaster- SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx-"
        );
        for (bit, name) in names.iter().enumerate() {
            let t = control_text(1 << bit);
            assert_eq!(t.matches('+').count(), 1, "{t}");
            assert!(t.contains(&format!(" {name}+")), "{t}");
        }
    }

    #[test]
    fn every_status_bit_has_its_word() {
        assert_eq!(
            status_text(0),
            "Status: Cap- 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-"
        );
        for (bit, name) in [
            (3, "INTx"),
            (4, "Cap"),
            (5, "66MHz"),
            (6, "UDF"),
            (7, "FastB2B"),
            (8, "ParErr"),
            (11, ">TAbort"),
            (12, "<TAbort"),
            (13, "<MAbort"),
            (14, ">SERR"),
            (15, "<PERR"),
        ] {
            let t = status_text(1 << bit);
            assert_eq!(t.matches('+').count(), 1, "{t}");
            assert!(t.contains(&format!(" {name}+")), "{t}");
        }
        assert!(status_text(0x0200).contains("DEVSEL=medium"));
        assert!(status_text(0x0400).contains("DEVSEL=slow"));
        assert!(status_text(0x0600).contains("DEVSEL=??"));
    }

    #[test]
    fn class_names_from_the_id_repository() {
        assert_eq!(class_text(0x018000), "Mass storage controller [0180]");
        assert_eq!(class_text(0xffff00), "Unassigned class [ffff]");
        assert_eq!(class_text(0x060400), "PCI bridge [0604]");
        assert_eq!(prog_if_text(0x010601), " (prog-if 01 [AHCI 1.0])");
        assert_eq!(prog_if_text(0x058000), "");
        assert_eq!(prog_if_text(0x058042), " (prog-if 42)");
        assert_eq!(prog_if_text(0x060400), " (prog-if 00 [Normal decode])");
    }

    #[test]
    fn header_of_a_bus_master_bridge() {
        let mut c = ConfigImage::new(0x8086, 0x1901);
        c.put16(COMMAND, 0x0407)
            .put16(STATUS, 0x0010)
            .put8(REVISION, 0x07)
            .put8(CACHE_LINE_SIZE, 0x10)
            .put8(HEADER_TYPE, 0x81)
            .put8(INTERRUPT_PIN, 1)
            .put32(0x18, 0x0002_0100);
        let cfg = ConfigSpace::new(&c.bytes);
        assert_eq!(
            header_lines(&cfg, 0x060400, Some(122)).to_text(),
            "  Revision: 07\n  Class: PCI bridge [0604] (prog-if 00 [Normal decode])\n  \
             Control: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+\n  \
             Status: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n  \
             Latency: 0, Cache Line Size: 64 bytes\n  \
             Interrupt: pin A routed to IRQ 122\n  \
             Bus: primary=00, secondary=01, subordinate=02, sec-latency=0\n"
        );
    }

    #[test]
    fn latency_with_grant_and_no_interrupt() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.put16(COMMAND, 0x0004)
            .put8(LATENCY_TIMER, 32)
            .put8(MIN_GNT, 2)
            .put8(MAX_LAT, 4);
        let cfg = ConfigSpace::new(&c.bytes);
        let t = header_lines(&cfg, 0x058000, None).to_text();
        assert!(t.contains("  Latency: 32 (500ns min, 1000ns max)\n"), "{t}");
        assert!(!t.contains("Interrupt"), "{t}");
        // Without BusMaster there is no Latency line; an unreadable header gives only ids.
        c.put16(COMMAND, 0);
        let cfg = ConfigSpace::new(&c.bytes);
        assert!(!header_lines(&cfg, 0x058000, None)
            .to_text()
            .contains("Latency"));
        let t = header_lines(&ConfigSpace::new(&[]), 0x058000, None).to_text();
        assert_eq!(t, "  Class: Memory controller [0580]\n");
    }
}
