//! The extended capability list (offsets 0x100..0xfff, PCI Express Base §7.6): AER and
//! Device Serial Number decoded, others named. Readable only with the full 4 KiB config
//! (sysfs `config` as root).

use super::aer;
use super::express::PortType;
use super::{ConfigSpace, Lines, EXTENDED_CONFIG_SIZE};

pub const EXT_CAP_ID_AER: u16 = 0x01;
pub const EXT_CAP_ID_DSN: u16 = 0x03;

/// The (offset, id, version) chain, stopping at an empty or all-ones header or a loop.
pub fn extended_chain(cfg: &ConfigSpace) -> Vec<(usize, u16, u8)> {
    let mut out = Vec::new();
    let mut seen = vec![false; EXTENDED_CONFIG_SIZE];
    let mut at = 0x100;
    while at >= 0x100 && cfg.has(at, 4) && !seen[at] {
        seen[at] = true;
        let header = cfg.l(at);
        if header == 0 || header == 0xffff_ffff {
            break;
        }
        out.push((at, (header & 0xffff) as u16, ((header >> 16) & 0xf) as u8));
        at = ((header >> 20) & 0xffc) as usize;
    }
    out
}

/// Decodes the extended list. `port_type` is the PCI Express port type (AER's root
/// registers exist only in root ports and event collectors).
pub fn extended_capabilities(cfg: &ConfigSpace, port_type: Option<PortType>) -> Lines {
    let mut lines = Lines::default();
    let mut seen = vec![false; EXTENDED_CONFIG_SIZE];
    let mut at = 0x100;
    loop {
        if !cfg.has(at, 4) {
            break;
        }
        let header = cfg.l(at);
        if header == 0 || header == 0xffff_ffff {
            break;
        }
        let id = (header & 0xffff) as u16;
        let version = (header >> 16) & 0xf;
        let head = format!("Capabilities: [{at:03x} v{version}] ");
        if seen[at] {
            lines.push(1, head + "<chain looped>");
            break;
        }
        seen[at] = true;
        let mut body = Lines::default();
        let title = match id {
            0x0000 => "Null".to_string(),
            EXT_CAP_ID_AER => aer::aer_lines(cfg, at, port_type, &mut body),
            EXT_CAP_ID_DSN => serial_number(cfg, at),
            other => extended_title(cfg, at, other),
        };
        lines.push(1, head + &title);
        lines.extend(body);
        at = ((header >> 20) & 0xffc) as usize;
        if at == 0 {
            break;
        }
    }
    lines
}

/// `Device Serial Number 00-0a-35-ff-ff-00-00-01` (upper dword first, bytes high to low).
fn serial_number(cfg: &ConfigSpace, at: usize) -> String {
    if !cfg.has(at + 4, 8) {
        return "Device Serial Number".into();
    }
    let serial = (u64::from(cfg.l(at + 8)) << 32) | u64::from(cfg.l(at + 4));
    let bytes: Vec<String> = serial
        .to_be_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("Device Serial Number {}", bytes.join("-"))
}

/// Names of the extended capabilities decoded no further (lspci's words).
fn extended_title(cfg: &ConfigSpace, at: usize, id: u16) -> String {
    match id {
        0x02 | 0x09 => "Virtual Channel".into(),
        0x04 => "Power Budgeting <?>".into(),
        0x05 => "Root Complex Link".into(),
        0x06 => "Root Complex Internal Link <?>".into(),
        0x07 => "Root Complex Event Collector <?>".into(),
        0x08 => "Multi-Function Virtual Channel <?>".into(),
        0x0a => "Root Complex Register Block <?>".into(),
        0x0b => {
            let h = cfg.l(at + 4);
            format!(
                "Vendor Specific Information: ID={:04x} Rev={} Len={:03x} <?>",
                h & 0xffff,
                (h >> 16) & 0xf,
                h >> 20
            )
        }
        0x0d => "Access Control Services".into(),
        0x0e => "Alternative Routing-ID Interpretation (ARI)".into(),
        0x0f => "Address Translation Service (ATS)".into(),
        0x10 => "Single Root I/O Virtualization (SR-IOV)".into(),
        0x12 => "Multicast".into(),
        0x13 => "Page Request Interface (PRI)".into(),
        0x15 => "Physical Resizable BAR".into(),
        0x17 => "Transaction Processing Hints".into(),
        0x18 => "Latency Tolerance Reporting".into(),
        0x19 => "Secondary PCI Express".into(),
        0x1b => "Process Address Space ID (PASID)".into(),
        0x1d => "Downstream Port Containment".into(),
        0x1e => "L1 PM Substates".into(),
        0x1f => "Precision Time Measurement".into(),
        0x25 => "Data Link Feature <?>".into(),
        0x26 => "Physical Layer 16.0 GT/s <?>".into(),
        0x27 => "Lane Margining at the Receiver <?>".into(),
        other => format!("Extended Capability ID {other:#x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_config::ConfigImage;
    use super::*;

    #[test]
    fn serial_number_and_names_and_loops() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.ext_cap(0x100, EXT_CAP_ID_DSN, 1)
            .put32(0x104, 0x0102_0304)
            .put32(0x108, 0x0a0b_0c0d);
        c.ext_cap(0x140, 0x0018, 1);
        c.ext_cap(0x150, 0x0b, 1).put32(0x154, 0x0180_1234);
        c.ext_cap(0x160, 0x00ab, 2);
        let cfg = ConfigSpace::new(&c.bytes);
        assert_eq!(
            extended_capabilities(&cfg, Some(PortType::Endpoint)).to_text(),
            "  Capabilities: [100 v1] Device Serial Number 0a-0b-0c-0d-01-02-03-04\n  \
             Capabilities: [140 v1] Latency Tolerance Reporting\n  \
             Capabilities: [150 v1] Vendor Specific Information: ID=1234 Rev=0 Len=018 <?>\n  \
             Capabilities: [160 v2] Extended Capability ID 0xab\n"
        );
        assert_eq!(
            extended_chain(&cfg),
            vec![
                (0x100, EXT_CAP_ID_DSN, 1),
                (0x140, 0x18, 1),
                (0x150, 0x0b, 1),
                (0x160, 0xab, 2)
            ]
        );
        // A loop back to 0x100 is reported once.
        c.put32(0x160, 0x1002_00ab);
        let cfg = ConfigSpace::new(&c.bytes);
        let t = extended_capabilities(&cfg, None).to_text();
        assert!(
            t.ends_with("  Capabilities: [100 v1] <chain looped>\n"),
            "{t}"
        );
        assert_eq!(extended_chain(&cfg).len(), 4);
        // Only 256 bytes readable (not root, or a conventional device): nothing.
        let short = c.truncated(256);
        assert_eq!(
            extended_capabilities(&ConfigSpace::new(&short), None).to_text(),
            ""
        );
        // All-ones (no extended space behind a conventional bridge) ends the list.
        let mut ones = ConfigImage::new(0x10ee, 0x7024);
        ones.put32(0x100, 0xffff_ffff);
        assert_eq!(
            extended_capabilities(&ConfigSpace::new(&ones.bytes), None).to_text(),
            ""
        );
    }
}
