use super::super::capabilities::{standard_capabilities, CAP_ID_EXPRESS};
use super::super::test_config::ConfigImage;
use super::*;

const AT: usize = 0x40;

/// A function with only a PCI Express capability at 0x40 of `version` and `port_type`.
fn express(port_type: u16, version: u16, slot: bool) -> ConfigImage {
    let mut c = ConfigImage::new(0x10ee, 0x7024);
    let flags = version | (port_type << 4) | if slot { 0x100 } else { 0 };
    c.cap(AT, CAP_ID_EXPRESS, flags);
    c
}

fn render_at(c: &ConfigImage, location: PciLocation) -> String {
    let cfg = ConfigSpace::new(&c.bytes);
    standard_capabilities(&cfg, location, 0x10ee)
        .lines
        .to_text()
}

fn render(c: &ConfigImage) -> String {
    render_at(c, PciLocation::new(0, 3, 0, 0))
}

/// The output line that starts (after indentation) with `prefix`.
fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .map(str::trim_start)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{text}"))
}

/// Sets each (bit of a `width`-byte register at `reg`) alone and checks that exactly the
/// flag `name` on the line starting with `prefix` turned to `+`.
fn check_flags(base: &ConfigImage, reg: usize, width: usize, cases: &[(u32, &str, &str)]) {
    let baseline = render(base).matches('+').count();
    for &(bit, prefix, name) in cases {
        let mut c = base.clone();
        let old = match width {
            2 => u32::from(u16::from_le_bytes([c.bytes[reg], c.bytes[reg + 1]])),
            _ => u32::from_le_bytes(c.bytes[reg..reg + 4].try_into().unwrap()),
        };
        match width {
            2 => c.put16(reg, (old | (1 << bit)) as u16),
            _ => c.put32(reg, old | (1 << bit)),
        };
        let t = render(&c);
        assert_eq!(
            t.matches('+').count(),
            baseline + 1,
            "bit {bit} of {reg:#x}:\n{t}"
        );
        let l = line(&t, prefix);
        assert!(
            l.split([' ', ',', ';'])
                .any(|tok| tok == format!("{name}+")),
            "bit {bit} of {reg:#x} should set {name} on {l:?}"
        );
    }
}

#[test]
fn endpoint_v2_all_clear() {
    let c = express(0, 2, false);
    assert_eq!(
        render(&c),
        "  Capabilities: [40] Express (v2) Endpoint, MSI 00\n    \
         DevCap: MaxPayload 128 bytes, PhantFunc 0, Latency L0s <64ns, L1 <1us\n      \
         ExtTag- AttnBtn- AttnInd- PwrInd- RBE- FLReset- SlotPowerLimit 0W\n    \
         DevCtl: CorrErr- NonFatalErr- FatalErr- UnsupReq-\n      \
         RlxdOrd- ExtTag- PhantFunc- AuxPwr- NoSnoop-\n      \
         MaxPayload 128 bytes, MaxReadReq 128 bytes\n    \
         DevSta: CorrErr- NonFatalErr- FatalErr- UnsupReq- AuxPwr- TransPend-\n    \
         LnkCap: Port #0, Speed unknown, Width x0, ASPM not supported\n      \
         ClockPM- Surprise- LLActRep- BwNot- ASPMOptComp-\n    \
         LnkCtl: ASPM Disabled; RCB 64 bytes, Disabled- CommClk-\n      \
         ExtSynch- ClockPM- AutWidDis- BWInt- AutBWInt-\n    \
         LnkSta: Speed unknown, Width x0\n      \
         TrErr- Train- SlotClk- DLActive- BWMgmt- ABWMgmt-\n    \
         LnkCtl2: Target Link Speed: 2.5GT/s, EnterCompliance- SpeedDis-\n      \
         Transmit Margin: Normal Operating Range, EnterModifiedCompliance- ComplianceSOS-\n      \
         Compliance Preset/De-emphasis: -6dB de-emphasis, 0dB preshoot\n    \
         LnkSta2: Current De-emphasis Level: -6dB, EqualizationComplete- EqualizationPhase1-\n      \
         EqualizationPhase2- EqualizationPhase3- LinkEqualizationRequest-\n      \
         Retimer- 2Retimers- CrosslinkRes: unsupported\n"
    );
}

#[test]
fn an_fpga_endpoint_trained_below_its_capability() {
    // Gen2 x4 capable, trained at 2.5 GT/s x1: both are "downgraded".
    let mut c = express(0, 2, false);
    c.put16(AT + 2, 0x0002 | (3 << 9))
        .put32(AT + DEVCAP, 0x1000_8fe2 | (10 << 18) | (1 << 26))
        .put16(AT + DEVCTL, 0x2930 | (1 << 15))
        .put32(AT + LNKCAP, 0x0000_dc42)
        .put16(AT + LNKCTL, 0x0040)
        .put16(AT + LNKSTA, 0x1011)
        .put32(AT + LNKCAP2, 0x0000_0006)
        .put16(AT + LNKCTL2, 0x0002);
    let info = express_info(&ConfigSpace::new(&c.bytes), AT);
    assert_eq!(
        info.link,
        Some(LinkFields {
            max_speed: 2,
            max_width: 4,
            speed: 1,
            width: 1
        })
    );
    assert_eq!(info.interrupt_message, 3);
    let t = render(&c);
    assert!(
        t.starts_with("  Capabilities: [40] Express (v2) Endpoint, MSI 03\n"),
        "{t}"
    );
    assert_eq!(
        line(&t, "DevCap:"),
        "DevCap: MaxPayload 512 bytes, PhantFunc 0, Latency L0s unlimited, L1 unlimited"
    );
    assert_eq!(
        line(&t, "ExtTag+"),
        "ExtTag+ AttnBtn- AttnInd- PwrInd- RBE+ FLReset+ SlotPowerLimit 1W"
    );
    assert_eq!(
        line(&t, "RlxdOrd"),
        "RlxdOrd+ ExtTag+ PhantFunc- AuxPwr- NoSnoop+ FLReset+"
    );
    assert_eq!(
        line(&t, "MaxPayload 256"),
        "MaxPayload 256 bytes, MaxReadReq 512 bytes"
    );
    assert_eq!(
        line(&t, "LnkCap:"),
        "LnkCap: Port #0, Speed 5GT/s, Width x4, ASPM L0s L1, Exit Latency L0s <2us, L1 <2us"
    );
    assert_eq!(
        line(&t, "LnkSta:"),
        "LnkSta: Speed 2.5GT/s (downgraded), Width x1 (downgraded)"
    );
    assert_eq!(
        line(&t, "LnkCap2:"),
        "LnkCap2: Supported Link Speeds: 2.5-5GT/s, Crosslink- Retimer- 2Retimers- DRS-"
    );
    assert_eq!(
        line(&t, "LnkCtl2:"),
        "LnkCtl2: Target Link Speed: 5GT/s, EnterCompliance- SpeedDis-"
    );
    assert!(t.contains("CommClk+"), "{t}");
}

#[test]
fn every_device_and_link_flag() {
    let c = express(0, 2, false);
    check_flags(
        &c,
        AT + DEVCAP,
        4,
        &[
            (5, "ExtTag", "ExtTag"),
            (12, "ExtTag", "AttnBtn"),
            (13, "ExtTag", "AttnInd"),
            (14, "ExtTag", "PwrInd"),
            (15, "ExtTag", "RBE"),
            (28, "ExtTag", "FLReset"),
        ],
    );
    check_flags(
        &c,
        AT + DEVCTL,
        2,
        &[
            (0, "DevCtl:", "CorrErr"),
            (1, "DevCtl:", "NonFatalErr"),
            (2, "DevCtl:", "FatalErr"),
            (3, "DevCtl:", "UnsupReq"),
            (4, "RlxdOrd", "RlxdOrd"),
            (8, "RlxdOrd", "ExtTag"),
            (9, "RlxdOrd", "PhantFunc"),
            (10, "RlxdOrd", "AuxPwr"),
            (11, "RlxdOrd", "NoSnoop"),
        ],
    );
    check_flags(
        &c,
        AT + DEVSTA,
        2,
        &[
            (0, "DevSta:", "CorrErr"),
            (1, "DevSta:", "NonFatalErr"),
            (2, "DevSta:", "FatalErr"),
            (3, "DevSta:", "UnsupReq"),
            (4, "DevSta:", "AuxPwr"),
            (5, "DevSta:", "TransPend"),
        ],
    );
    check_flags(
        &c,
        AT + LNKCAP,
        4,
        &[
            (18, "ClockPM", "ClockPM"),
            (19, "ClockPM", "Surprise"),
            (20, "ClockPM", "LLActRep"),
            (21, "ClockPM", "BwNot"),
            (22, "ClockPM", "ASPMOptComp"),
        ],
    );
    check_flags(
        &c,
        AT + LNKCTL,
        2,
        &[
            (4, "LnkCtl:", "Disabled"),
            (6, "LnkCtl:", "CommClk"),
            (7, "ExtSynch", "ExtSynch"),
            (8, "ExtSynch", "ClockPM"),
            (9, "ExtSynch", "AutWidDis"),
            (10, "ExtSynch", "BWInt"),
            (11, "ExtSynch", "AutBWInt"),
        ],
    );
    check_flags(
        &c,
        AT + LNKSTA,
        2,
        &[
            (10, "TrErr", "TrErr"),
            (11, "TrErr", "Train"),
            (12, "TrErr", "SlotClk"),
            (13, "TrErr", "DLActive"),
            (14, "TrErr", "BWMgmt"),
            (15, "TrErr", "ABWMgmt"),
        ],
    );
    check_flags(
        &c,
        AT + LNKCAP2,
        4,
        &[
            (8, "LnkCap2:", "Crosslink"),
            (23, "LnkCap2:", "Retimer"),
            (24, "LnkCap2:", "2Retimers"),
            (31, "LnkCap2:", "DRS"),
        ],
    );
    check_flags(
        &c,
        AT + LNKCTL2,
        2,
        &[
            (4, "LnkCtl2:", "EnterCompliance"),
            (5, "LnkCtl2:", "SpeedDis"),
            (10, "Transmit Margin", "EnterModifiedCompliance"),
            (11, "Transmit Margin", "ComplianceSOS"),
        ],
    );
    check_flags(
        &c,
        AT + LNKSTA2,
        2,
        &[
            (1, "LnkSta2:", "EqualizationComplete"),
            (2, "LnkSta2:", "EqualizationPhase1"),
            (3, "EqualizationPhase2", "EqualizationPhase2"),
            (4, "EqualizationPhase2", "EqualizationPhase3"),
            (5, "EqualizationPhase2", "LinkEqualizationRequest"),
            (6, "Retimer", "Retimer"),
            (7, "Retimer", "2Retimers"),
        ],
    );
}

#[test]
fn root_port_slot_and_root_registers() {
    let c = express(4, 2, true);
    let t = render(&c);
    assert!(
        t.starts_with("  Capabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n"),
        "{t}"
    );
    // Root ports show no latencies, attention flags, FLR or slot power limit in DevCap.
    assert_eq!(
        line(&t, "DevCap:"),
        "DevCap: MaxPayload 128 bytes, PhantFunc 0"
    );
    assert_eq!(line(&t, "ExtTag"), "ExtTag- RBE-");
    assert_eq!(
        line(&t, "SltCap:"),
        "SltCap: AttnBtn- PwrCtrl- MRL- AttnInd- PwrInd- HotPlug- Surprise-"
    );
    assert_eq!(
        line(&t, "Slot #"),
        "Slot #0, PowerLimit 0W; Interlock- NoCompl-"
    );
    assert_eq!(line(&t, "RootCap:"), "RootCap: CRSVisible-");
    assert_eq!(
        line(&t, "RootSta:"),
        "RootSta: PME ReqID 0000, PMEStatus- PMEPending-"
    );
    check_flags(
        &c,
        AT + SLTCAP,
        4,
        &[
            (0, "SltCap:", "AttnBtn"),
            (1, "SltCap:", "PwrCtrl"),
            (2, "SltCap:", "MRL"),
            (3, "SltCap:", "AttnInd"),
            (4, "SltCap:", "PwrInd"),
            (5, "SltCap:", "Surprise"),
            (6, "SltCap:", "HotPlug"),
            (17, "Slot #", "Interlock"),
            (18, "Slot #", "NoCompl"),
        ],
    );
    check_flags(
        &c,
        AT + SLTCTL,
        2,
        &[
            (0, "SltCtl:", "AttnBtn"),
            (1, "SltCtl:", "PwrFlt"),
            (2, "SltCtl:", "MRL"),
            (3, "SltCtl:", "PresDet"),
            (4, "SltCtl:", "CmdCplt"),
            (5, "SltCtl:", "HPIrq"),
            (12, "SltCtl:", "LinkChg"),
            (10, "Control:", "Power"),
            (11, "Control:", "Interlock"),
        ],
    );
    check_flags(
        &c,
        AT + SLTSTA,
        2,
        &[
            (0, "SltSta:", "AttnBtn"),
            (1, "SltSta:", "PowerFlt"),
            (5, "SltSta:", "MRL"),
            (4, "SltSta:", "CmdCplt"),
            (6, "SltSta:", "PresDet"),
            (7, "SltSta:", "Interlock"),
            (2, "Changed:", "MRL"),
            (3, "Changed:", "PresDet"),
            (8, "Changed:", "LinkState"),
        ],
    );
    check_flags(
        &c,
        AT + RTCTL,
        2,
        &[
            (0, "RootCtl:", "ErrCorrectable"),
            (1, "RootCtl:", "ErrNon-Fatal"),
            (2, "RootCtl:", "ErrFatal"),
            (3, "RootCtl:", "PMEIntEna"),
            (4, "RootCtl:", "CRSVisible"),
        ],
    );
    check_flags(&c, AT + RTCAP, 2, &[(0, "RootCap:", "CRSVisible")]);
    check_flags(
        &c,
        AT + RTSTA,
        4,
        &[
            (16, "RootSta:", "PMEStatus"),
            (17, "RootSta:", "PMEPending"),
        ],
    );
    // Value fields of the slot: number, power limit, indicators; PME requester.
    let mut v = express(4, 2, true);
    v.put32(AT + SLTCAP, (12 << 19) | (0xf2 << 7))
        .put16(AT + SLTCTL, (1 << 6) | (3 << 8))
        .put32(AT + RTSTA, 0x0000_0300);
    let t = render(&v);
    assert_eq!(
        line(&t, "Slot #"),
        "Slot #12, PowerLimit 300W; Interlock- NoCompl-"
    );
    assert_eq!(
        line(&t, "Control:"),
        "Control: AttnInd On, PwrInd Off, Power- Interlock-"
    );
    assert_eq!(
        line(&t, "RootSta:"),
        "RootSta: PME ReqID 0300, PMEStatus- PMEPending-"
    );
    // A root port's slower partner is not "downgraded"; a faster status is "overdriven".
    v.put32(AT + LNKCAP, 0x43).put16(AT + LNKSTA, 0x11);
    assert_eq!(
        line(&render(&v), "LnkSta:"),
        "LnkSta: Speed 2.5GT/s, Width x1"
    );
    v.put16(AT + LNKSTA, 0x84);
    assert_eq!(
        line(&render(&v), "LnkSta:"),
        "LnkSta: Speed 16GT/s (overdriven), Width x8 (overdriven)"
    );
}

#[test]
fn downstream_port_de_emphasis_and_drs() {
    let mut c = express(6, 2, false);
    c.put32(AT + LNKCAP2, 0x8000_0000 | (0x1f << 1))
        .put16(AT + LNKCTL2, 0x0045 | (2 << 7) | (9 << 12))
        .put16(AT + LNKSTA2, 0x8001 | (2 << 8) | (5 << 12));
    let t = render(&c);
    assert!(t.contains("Downstream Port (Slot-)"), "{t}");
    assert_eq!(
        line(&t, "LnkCap2:"),
        "LnkCap2: Supported Link Speeds: 2.5-32GT/s, Crosslink- Retimer- 2Retimers- DRS+"
    );
    assert_eq!(
        line(&t, "LnkCtl2:"),
        "LnkCtl2: Target Link Speed: 32GT/s, EnterCompliance- SpeedDis-, Selectable De-emphasis: -3.5dB"
    );
    assert_eq!(
        line(&t, "Transmit Margin"),
        "Transmit Margin: 200-400mV(full-swing)/100-200mV(half-swing), EnterModifiedCompliance- ComplianceSOS-"
    );
    assert_eq!(
        line(&t, "Compliance Preset"),
        "Compliance Preset/De-emphasis: 0dB de-emphasis, 3.5dB preshoot"
    );
    assert!(t.contains("Current De-emphasis Level: -3.5dB"), "{t}");
    assert_eq!(
        line(&t, "Retimer"),
        "Retimer- 2Retimers- CrosslinkRes: Downstream Port, DRS+"
    );
    assert_eq!(
        line(&t, "DownstreamComp"),
        "DownstreamComp: Link Up - Present and DRS Received"
    );
}

#[test]
fn which_registers_each_port_type_shows() {
    // Function 1 of a multi-function endpoint: no LnkCap2/LnkCtl2.
    let mut c = express(0, 2, false);
    c.put32(AT + LNKCAP2, 0x6);
    let t = render_at(&c, PciLocation::new(0, 3, 0, 1));
    assert!(
        !t.contains("LnkCap2") && !t.contains("LnkCtl2") && t.contains("LnkSta2"),
        "{t}"
    );
    // Version 1: no link-2 registers at all.
    let t = render(&express(0, 1, false));
    assert!(
        t.contains("Express (v1) Endpoint") && !t.contains("LnkSta2"),
        "{t}"
    );
    // Root complex integrated endpoint and event collector: no link.
    let t = render(&express(9, 2, false));
    assert!(
        t.contains("Root Complex Integrated Endpoint") && !t.contains("Lnk"),
        "{t}"
    );
    assert!(line(&t, "ExtTag").contains("FLReset-"), "{t}");
    let t = render(&express(10, 2, false));
    assert!(
        t.contains("Root Complex Event Collector") && t.contains("RootCtl:"),
        "{t}"
    );
    // Upstream port and PCIe-to-PCI bridge: attention flags and slot power limit.
    let t = render(&express(5, 2, false));
    assert_eq!(
        line(&t, "ExtTag"),
        "ExtTag- AttnBtn- AttnInd- PwrInd- RBE- SlotPowerLimit 0W"
    );
    assert!(
        line(&t, "LnkCtl:").starts_with("LnkCtl: ASPM Disabled; Disabled-"),
        "{t}"
    );
    let mut b = express(7, 2, false);
    b.put16(AT + DEVCTL, 0x8000);
    let t = render(&b);
    assert!(t.contains("PCI-Express to PCI/PCI-X Bridge"), "{t}");
    assert!(line(&t, "RlxdOrd").ends_with("BrConfRtry+"), "{t}");
    assert!(render(&express(8, 2, true)).contains("PCI/PCI-X to PCI-Express Bridge (Slot+)"));
    assert!(render(&express(1, 2, false)).contains("Legacy Endpoint"));
    assert!(render(&express(3, 2, false)).contains("Unknown type 3"));
    // The slot bit means nothing on an endpoint.
    assert!(!express_info(&ConfigSpace::new(&express(0, 2, true).bytes), AT).slot);
    // Config cut short (a normal user's 64 bytes reach no capability; 0x48 stops inside it).
    let short = express(0, 2, false).truncated(0x48);
    let cfg = ConfigSpace::new(&short);
    let mut body = Lines::default();
    let info = express_info(&cfg, AT);
    assert_eq!(info.link, None);
    let title = express_lines(&cfg, &info, PciLocation::new(0, 3, 0, 0), &mut body);
    assert_eq!(title, "Express (v2) Endpoint, MSI 00");
    assert!(body.0.is_empty());
}

#[test]
fn value_fields_and_their_texts() {
    assert_eq!(power_limit_text(0, 0), "0W");
    assert_eq!(power_limit_text(25, 0), "25W");
    assert_eq!(power_limit_text(75, 1), "7.5W");
    assert_eq!(power_limit_text(10, 3), "0.01W");
    assert_eq!(power_limit_text(0xf0, 0), "250W");
    assert_eq!(power_limit_text(0xfe, 0), "600W");
    assert_eq!(power_limit_text(0xff, 0), ">600W");
    assert_eq!(power_limit_text(0xff, 1), "25.5W");
    for (code, text) in [
        (1, "2.5GT/s"),
        (2, "5GT/s"),
        (3, "8GT/s"),
        (4, "16GT/s"),
        (5, "32GT/s"),
        (6, "64GT/s"),
        (0, "unknown"),
        (7, "unknown"),
    ] {
        assert_eq!(link_speed_text(code), text);
    }
    for (v, t) in [
        (0x10, "2.5-32GT/s"),
        (0x08, "2.5-16GT/s"),
        (0x04, "2.5-8GT/s"),
        (0x01, "2.5GT/s"),
        (0x20, "RsvdP"),
        (0, "Unknown"),
    ] {
        assert_eq!(supported_speeds_text(v), t);
    }
    assert_eq!(target_speed_text(0), "2.5GT/s");
    assert_eq!(target_speed_text(9), "Unknown");
    assert_eq!(
        transmit_margin_text(1),
        "800-1200mV(full-swing)/400-700mV(half-swing)"
    );
    assert_eq!(transmit_margin_text(7), "Unknown");
    assert_eq!(compliance_preset_text(10), "Unknown");
    assert_eq!(crosslink_text(1), "Upstream Port");
    assert_eq!(crosslink_text(3), "incomplete");
    assert_eq!(downstream_component_text(3), "Reserved");
    assert_eq!(downstream_component_text(1), "Link Down - Not Present");
    // ASPM support and exit latencies, port number, width.
    assert_eq!(
        lnkcap_text(0x2a00_0411 | (3 << 12)),
        "LnkCap: Port #42, Speed 2.5GT/s, Width x1, ASPM L0s, Exit Latency L0s <512ns"
    );
    assert_eq!(
        lnkcap_text(0x0000_0904 | (7 << 15)),
        "LnkCap: Port #0, Speed 16GT/s, Width x16, ASPM L1, Exit Latency L1 unlimited"
    );
    // DevCap payload, phantom functions, latencies; DevCtl payload and read request.
    let mut c = express(0, 2, false);
    c.put32(AT + DEVCAP, 0x5 | (3 << 3) | (7 << 6) | (5 << 9))
        .put16(AT + DEVCTL, (5 << 5) | (5 << 12));
    let t = render(&c);
    assert_eq!(
        line(&t, "DevCap:"),
        "DevCap: MaxPayload 4096 bytes, PhantFunc 7, Latency L0s unlimited, L1 <32us"
    );
    assert_eq!(
        line(&t, "MaxPayload 4096 bytes,"),
        "MaxPayload 4096 bytes, MaxReadReq 4096 bytes"
    );
    for (aspm, text) in [(1, "L0s Enabled"), (2, "L1 Enabled"), (3, "L0s L1 Enabled")] {
        c.put16(AT + LNKCTL, aspm | 8);
        let t = render(&c);
        assert!(
            line(&t, "LnkCtl:").starts_with(&format!("LnkCtl: ASPM {text}; RCB 128 bytes,")),
            "{t}"
        );
    }
}
