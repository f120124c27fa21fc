//! Advanced Error Reporting (PCI Express Base §7.8.4): status, mask and severity of the
//! uncorrectable and correctable errors, capabilities, header log and root registers.

use super::express::PortType;
use super::{flag, ConfigSpace, Lines};

const UNCOR_STATUS: usize = 0x04;
const UNCOR_MASK: usize = 0x08;
const UNCOR_SEVERITY: usize = 0x0c;
const COR_STATUS: usize = 0x10;
const COR_MASK: usize = 0x14;
const CAPABILITIES: usize = 0x18;
const HEADER_LOG: usize = 0x1c;
const ROOT_COMMAND: usize = 0x2c;
const ROOT_STATUS: usize = 0x30;
const ERROR_SOURCE: usize = 0x34;

/// The uncorrectable error bits lspci shows, in its order.
pub const UNCORRECTABLE: [(&str, u32); 12] = [
    ("DLP", 1 << 4),
    ("SDES", 1 << 5),
    ("TLP", 1 << 12),
    ("FCP", 1 << 13),
    ("CmpltTO", 1 << 14),
    ("CmpltAbrt", 1 << 15),
    ("UnxCmplt", 1 << 16),
    ("RxOF", 1 << 17),
    ("MalfTLP", 1 << 18),
    ("ECRC", 1 << 19),
    ("UnsupReq", 1 << 20),
    ("ACSViol", 1 << 21),
];

/// The correctable error bits lspci shows, in its order.
pub const CORRECTABLE: [(&str, u32); 6] = [
    ("RxErr", 1 << 0),
    ("BadTLP", 1 << 6),
    ("BadDLLP", 1 << 7),
    ("Rollover", 1 << 8),
    ("Timeout", 1 << 12),
    ("AdvNonFatalErr", 1 << 13),
];

fn flags_text(value: u32, names: &[(&str, u32)]) -> String {
    names
        .iter()
        .map(|(n, m)| format!("{n}{}", flag(value, *m)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pushes the AER detail lines for the capability at `at`; returns its title.
pub fn aer_lines(
    cfg: &ConfigSpace,
    at: usize,
    port_type: Option<PortType>,
    body: &mut Lines,
) -> String {
    let title = "Advanced Error Reporting".to_string();
    if !cfg.has(at + UNCOR_STATUS, 40) {
        return title;
    }
    for (name, off) in [
        ("UESta", UNCOR_STATUS),
        ("UEMsk", UNCOR_MASK),
        ("UESvrt", UNCOR_SEVERITY),
    ] {
        body.push(
            2,
            format!("{name}: {}", flags_text(cfg.l(at + off), &UNCORRECTABLE)),
        );
    }
    for (name, off) in [("CESta", COR_STATUS), ("CEMsk", COR_MASK)] {
        body.push(
            2,
            format!("{name}: {}", flags_text(cfg.l(at + off), &CORRECTABLE)),
        );
    }
    let cap = cfg.l(at + CAPABILITIES);
    body.push(
        2,
        format!(
            "AERCap: First Error Pointer: {:02x}, ECRCGenCap{} ECRCGenEn{} ECRCChkCap{} ECRCChkEn{}",
            cap & 0x1f,
            flag(cap, 1 << 5),
            flag(cap, 1 << 6),
            flag(cap, 1 << 7),
            flag(cap, 1 << 8)
        ),
    );
    body.push(
        3,
        format!(
            "MultHdrRecCap{} MultHdrRecEn{} TLPPfxPres{} HdrLogCap{}",
            flag(cap, 1 << 9),
            flag(cap, 1 << 10),
            flag(cap, 1 << 11),
            flag(cap, 1 << 12)
        ),
    );
    let log: Vec<String> = (0..4)
        .map(|i| format!("{:08x}", cfg.l(at + HEADER_LOG + 4 * i)))
        .collect();
    body.push(2, format!("HeaderLog: {}", log.join(" ")));
    let is_root = matches!(
        port_type,
        Some(PortType::RootPort | PortType::RootComplexEventCollector)
    );
    if is_root && cfg.has(at + ROOT_COMMAND, 12) {
        let c = cfg.l(at + ROOT_COMMAND);
        body.push(
            2,
            format!(
                "RootCmd: CERptEn{} NFERptEn{} FERptEn{}",
                flag(c, 1),
                flag(c, 2),
                flag(c, 4)
            ),
        );
        let s = cfg.l(at + ROOT_STATUS);
        body.push(
            2,
            format!(
                "RootSta: CERcvd{} MultCERcvd{} UERcvd{} MultUERcvd{}",
                flag(s, 1),
                flag(s, 2),
                flag(s, 4),
                flag(s, 8)
            ),
        );
        body.push(
            3,
            format!(
                "FirstFatal{} NonFatalMsg{} FatalMsg{} IntMsg {}",
                flag(s, 0x10),
                flag(s, 0x20),
                flag(s, 0x40),
                s >> 27
            ),
        );
        body.push(
            2,
            format!(
                "ErrorSrc: ERR_COR: {:04x} ERR_FATAL/NONFATAL: {:04x}",
                cfg.w(at + ERROR_SOURCE),
                cfg.w(at + ERROR_SOURCE + 2)
            ),
        );
    }
    title
}

#[cfg(test)]
mod tests {
    use super::super::test_config::ConfigImage;
    use super::*;

    fn decode(c: &ConfigImage, t: PortType) -> String {
        let mut body = Lines::default();
        let title = aer_lines(&ConfigSpace::new(&c.bytes), 0x100, Some(t), &mut body);
        format!("{title}\n{}", body.to_text())
    }

    #[test]
    fn every_uncorrectable_and_correctable_bit() {
        let mut c = ConfigImage::new(0x10ee, 0x7024);
        c.ext_cap(0x100, 1, 2);
        let clear = decode(&c, PortType::Endpoint);
        assert_eq!(
            clear,
            "Advanced Error Reporting\n    \
             UESta: DLP- SDES- TLP- FCP- CmpltTO- CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-\n    \
             UEMsk: DLP- SDES- TLP- FCP- CmpltTO- CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-\n    \
             UESvrt: DLP- SDES- TLP- FCP- CmpltTO- CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-\n    \
             CESta: RxErr- BadTLP- BadDLLP- Rollover- Timeout- AdvNonFatalErr-\n    \
             CEMsk: RxErr- BadTLP- BadDLLP- Rollover- Timeout- AdvNonFatalErr-\n    \
             AERCap: First Error Pointer: 00, ECRCGenCap- ECRCGenEn- ECRCChkCap- ECRCChkEn-\n      \
             MultHdrRecCap- MultHdrRecEn- TLPPfxPres- HdrLogCap-\n    \
             HeaderLog: 00000000 00000000 00000000 00000000\n"
        );
        for (name, mask) in UNCORRECTABLE {
            for (reg, off) in [("UESta", 0x104), ("UEMsk", 0x108), ("UESvrt", 0x10c)] {
                c.put32(off, mask);
                let t = decode(&c, PortType::Endpoint);
                assert_eq!(t.matches('+').count(), 1, "{t}");
                let line = t.lines().find(|l| l.contains(reg)).unwrap();
                assert!(line.contains(&format!(" {name}+")), "{line}");
                c.put32(off, 0);
            }
        }
        for (name, mask) in CORRECTABLE {
            for (reg, off) in [("CESta", 0x110), ("CEMsk", 0x114)] {
                c.put32(off, mask);
                let t = decode(&c, PortType::Endpoint);
                assert_eq!(t.matches('+').count(), 1, "{t}");
                let line = t.lines().find(|l| l.contains(reg)).unwrap();
                assert!(line.contains(&format!(" {name}+")), "{line}");
                c.put32(off, 0);
            }
        }
        c.put32(0x118, 0x1fff)
            .put32(0x11c, 0x4a00_0001)
            .put32(0x128, 0xdead_beef);
        let t = decode(&c, PortType::Endpoint);
        assert!(t.contains("AERCap: First Error Pointer: 1f, ECRCGenCap+ ECRCGenEn+ ECRCChkCap+ ECRCChkEn+\n      MultHdrRecCap+ MultHdrRecEn+ TLPPfxPres+ HdrLogCap+\n"), "{t}");
        assert!(
            t.contains("HeaderLog: 4a000001 00000000 00000000 deadbeef\n"),
            "{t}"
        );
        assert!(!t.contains("RootCmd"), "{t}");
    }

    #[test]
    fn root_port_registers() {
        let mut c = ConfigImage::new(0x8086, 0x1901);
        c.ext_cap(0x100, 1, 2)
            .put32(0x12c, 0x7)
            .put32(0x130, 0x1800_007f)
            .put32(0x134, 0x0010_0008);
        let t = decode(&c, PortType::RootPort);
        assert!(
            t.ends_with(
                "    RootCmd: CERptEn+ NFERptEn+ FERptEn+\n    \
                 RootSta: CERcvd+ MultCERcvd+ UERcvd+ MultUERcvd+\n      \
                 FirstFatal+ NonFatalMsg+ FatalMsg+ IntMsg 3\n    \
                 ErrorSrc: ERR_COR: 0008 ERR_FATAL/NONFATAL: 0010\n"
            ),
            "{t}"
        );
        // Too short to hold the registers: title only.
        let short = c.truncated(0x120);
        let mut body = Lines::default();
        let title = aer_lines(&ConfigSpace::new(&short), 0x100, None, &mut body);
        assert_eq!(title, "Advanced Error Reporting");
        assert!(body.0.is_empty());
    }
}
