//! The PCI Express capability (PCI Express Base Specification §7.5.3): device, link, slot
//! and root registers and the link-2 registers, worded as `lspci -vv`.

use super::{bits, flag, ConfigSpace, Lines};
use crate::location::PciLocation;

// Register offsets within the capability.
const FLAGS: usize = 0x02;
const DEVCAP: usize = 0x04;
const DEVCTL: usize = 0x08;
const DEVSTA: usize = 0x0a;
const LNKCAP: usize = 0x0c;
const LNKCTL: usize = 0x10;
const LNKSTA: usize = 0x12;
const SLTCAP: usize = 0x14;
const SLTCTL: usize = 0x18;
const SLTSTA: usize = 0x1a;
const RTCTL: usize = 0x1c;
const RTCAP: usize = 0x1e;
const RTSTA: usize = 0x20;
const DEVCAP2: usize = 0x24;
const LNKCAP2: usize = 0x2c;
const LNKCTL2: usize = 0x30;
const LNKSTA2: usize = 0x32;

/// Device/port type (capability flags bits 7:4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortType {
    Endpoint,
    LegacyEndpoint,
    RootPort,
    UpstreamPort,
    DownstreamPort,
    PcieToPciBridge,
    PciToPcieBridge,
    RootComplexIntegratedEndpoint,
    RootComplexEventCollector,
    Unknown(u8),
}

impl PortType {
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Endpoint,
            1 => Self::LegacyEndpoint,
            4 => Self::RootPort,
            5 => Self::UpstreamPort,
            6 => Self::DownstreamPort,
            7 => Self::PcieToPciBridge,
            8 => Self::PciToPcieBridge,
            9 => Self::RootComplexIntegratedEndpoint,
            10 => Self::RootComplexEventCollector,
            n => Self::Unknown(n),
        }
    }

    fn is_endpoint(self) -> bool {
        matches!(self, Self::Endpoint | Self::LegacyEndpoint)
    }

    /// Ports whose link partner may legitimately run slower (lspci does not call their
    /// link "downgraded").
    fn is_downstream_port(self) -> bool {
        matches!(
            self,
            Self::RootPort | Self::DownstreamPort | Self::PciToPcieBridge
        )
    }

    fn has_link(self) -> bool {
        !matches!(
            self,
            Self::RootComplexIntegratedEndpoint | Self::RootComplexEventCollector
        )
    }

    fn has_root_registers(self) -> bool {
        matches!(self, Self::RootPort | Self::RootComplexEventCollector)
    }
}

/// Link capability and status fields (encodings as in the registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkFields {
    pub max_speed: u8,
    pub max_width: u8,
    pub speed: u8,
    pub width: u8,
}

/// Where the PCI Express capability is and what it says about the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpressInfo {
    pub offset: usize,
    pub version: u8,
    pub port_type: PortType,
    /// Slot implemented (root and downstream ports only).
    pub slot: bool,
    pub interrupt_message: u8,
    /// The link registers when readable and the function has a link.
    pub link: Option<LinkFields>,
}

/// Reads the capability at `offset` (whose id is 0x10).
pub fn express_info(cfg: &ConfigSpace, offset: usize) -> ExpressInfo {
    let flags = u32::from(cfg.w(offset + FLAGS));
    let port_type = PortType::from_code(bits(flags, 4, 4) as u8);
    let slot = matches!(
        port_type,
        PortType::RootPort | PortType::DownstreamPort | PortType::PciToPcieBridge
    ) && flags & 0x100 != 0;
    let link = (port_type.has_link() && cfg.has(offset + LNKCAP, 8)).then(|| {
        let cap = cfg.l(offset + LNKCAP);
        let sta = u32::from(cfg.w(offset + LNKSTA));
        LinkFields {
            max_speed: bits(cap, 0, 4) as u8,
            max_width: bits(cap, 4, 6) as u8,
            speed: bits(sta, 0, 4) as u8,
            width: bits(sta, 4, 6) as u8,
        }
    });
    ExpressInfo {
        offset,
        version: bits(flags, 0, 4) as u8,
        port_type,
        slot,
        interrupt_message: bits(flags, 9, 5) as u8,
        link,
    }
}

/// `Express (v2) Endpoint, MSI 00`.
pub fn express_title(info: &ExpressInfo) -> String {
    let slot = if info.slot { '+' } else { '-' };
    let kind = match info.port_type {
        PortType::Endpoint => "Endpoint".to_string(),
        PortType::LegacyEndpoint => "Legacy Endpoint".to_string(),
        PortType::RootPort => format!("Root Port (Slot{slot})"),
        PortType::UpstreamPort => "Upstream Port".to_string(),
        PortType::DownstreamPort => format!("Downstream Port (Slot{slot})"),
        PortType::PcieToPciBridge => "PCI-Express to PCI/PCI-X Bridge".to_string(),
        PortType::PciToPcieBridge => format!("PCI/PCI-X to PCI-Express Bridge (Slot{slot})"),
        PortType::RootComplexIntegratedEndpoint => "Root Complex Integrated Endpoint".to_string(),
        PortType::RootComplexEventCollector => "Root Complex Event Collector".to_string(),
        PortType::Unknown(n) => format!("Unknown type {n}"),
    };
    format!(
        "Express (v{}) {kind}, MSI {:02x}",
        info.version, info.interrupt_message
    )
}

/// Pushes the capability's detail lines into `body`; returns its title.
pub fn express_lines(
    cfg: &ConfigSpace,
    info: &ExpressInfo,
    location: PciLocation,
    body: &mut Lines,
) -> String {
    let at = info.offset;
    let t = info.port_type;
    let size = if t.has_root_registers() {
        32
    } else if info.slot {
        24
    } else {
        16
    };
    if !cfg.has(at + DEVCAP, size) {
        return express_title(info);
    }
    device_lines(cfg, at, t, body);
    if t.has_link() {
        link_lines(cfg, at, t, body);
    }
    if info.slot {
        slot_lines(cfg, at, body);
    }
    if t.has_root_registers() {
        root_lines(cfg, at, body);
    }
    let size2 = if info.slot { 24 } else { 16 };
    if info.version >= 2 && cfg.has(at + DEVCAP2, size2) && t.has_link() {
        link2_lines(cfg, at, t, location, body);
    }
    express_title(info)
}

const L0S_LATENCY: [&str; 8] = [
    "<64ns",
    "<128ns",
    "<256ns",
    "<512ns",
    "<1us",
    "<2us",
    "<4us",
    "unlimited",
];
const L1_LATENCY: [&str; 8] = [
    "<1us",
    "<2us",
    "<4us",
    "<8us",
    "<16us",
    "<32us",
    "<64us",
    "unlimited",
];

/// Slot power limit: value x scale watts (PCIe Base §7.5.3.3), with the >250 W encodings.
pub fn power_limit_text(value: u32, scale: u32) -> String {
    if scale == 0 && value == 0xff {
        return ">600W".into();
    }
    let value = if scale == 0 && (0xf0..=0xfe).contains(&value) {
        250 + 25 * (value - 0xf0)
    } else {
        value
    };
    // Milliwatts are exact for every encoding, so the shortest decimal form is exact.
    let milliwatts = value * [1000, 100, 10, 1][scale as usize & 3];
    let text = format!("{}.{:03}", milliwatts / 1000, milliwatts % 1000);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}W")
}

fn device_lines(cfg: &ConfigSpace, at: usize, t: PortType, body: &mut Lines) {
    let cap = cfg.l(at + DEVCAP);
    let mut line = format!(
        "DevCap: MaxPayload {} bytes, PhantFunc {}",
        128u32 << bits(cap, 0, 3),
        (1u32 << bits(cap, 3, 2)) - 1
    );
    if t.is_endpoint() {
        line += &format!(
            ", Latency L0s {}, L1 {}",
            L0S_LATENCY[bits(cap, 6, 3) as usize],
            L1_LATENCY[bits(cap, 9, 3) as usize]
        );
    }
    body.push(2, line);
    let mut more = format!("ExtTag{}", flag(cap, 1 << 5));
    if t.is_endpoint() || matches!(t, PortType::UpstreamPort | PortType::PcieToPciBridge) {
        more += &format!(
            " AttnBtn{} AttnInd{} PwrInd{}",
            flag(cap, 1 << 12),
            flag(cap, 1 << 13),
            flag(cap, 1 << 14)
        );
    }
    more += &format!(" RBE{}", flag(cap, 1 << 15));
    let flr_type = t.is_endpoint() || t == PortType::RootComplexIntegratedEndpoint;
    if flr_type {
        more += &format!(" FLReset{}", flag(cap, 1 << 28));
    }
    if matches!(
        t,
        PortType::Endpoint | PortType::UpstreamPort | PortType::PcieToPciBridge
    ) {
        more += &format!(
            " SlotPowerLimit {}",
            power_limit_text(bits(cap, 18, 8), bits(cap, 26, 2))
        );
    }
    body.push(3, more);

    let ctl = u32::from(cfg.w(at + DEVCTL));
    body.push(
        2,
        format!(
            "DevCtl: CorrErr{} NonFatalErr{} FatalErr{} UnsupReq{}",
            flag(ctl, 1),
            flag(ctl, 2),
            flag(ctl, 4),
            flag(ctl, 8)
        ),
    );
    let mut more = format!(
        "RlxdOrd{} ExtTag{} PhantFunc{} AuxPwr{} NoSnoop{}",
        flag(ctl, 1 << 4),
        flag(ctl, 1 << 8),
        flag(ctl, 1 << 9),
        flag(ctl, 1 << 10),
        flag(ctl, 1 << 11)
    );
    if t == PortType::PcieToPciBridge {
        more += &format!(" BrConfRtry{}", flag(ctl, 1 << 15));
    }
    if flr_type && cap & (1 << 28) != 0 {
        more += &format!(" FLReset{}", flag(ctl, 1 << 15));
    }
    body.push(3, more);
    body.push(
        3,
        format!(
            "MaxPayload {} bytes, MaxReadReq {} bytes",
            128u32 << bits(ctl, 5, 3),
            128u32 << bits(ctl, 12, 3)
        ),
    );
    let sta = u32::from(cfg.w(at + DEVSTA));
    body.push(
        2,
        format!(
            "DevSta: CorrErr{} NonFatalErr{} FatalErr{} UnsupReq{} AuxPwr{} TransPend{}",
            flag(sta, 1),
            flag(sta, 2),
            flag(sta, 4),
            flag(sta, 8),
            flag(sta, 0x10),
            flag(sta, 0x20)
        ),
    );
}

/// lspci's words for a link speed encoding.
pub fn link_speed_text(encoding: u8) -> &'static str {
    match encoding {
        1 => "2.5GT/s",
        2 => "5GT/s",
        3 => "8GT/s",
        4 => "16GT/s",
        5 => "32GT/s",
        6 => "64GT/s",
        _ => "unknown",
    }
}

fn link_compare(t: PortType, status: u8, capability: u8) -> &'static str {
    if status > capability {
        " (overdriven)"
    } else if status == capability || t.is_downstream_port() {
        ""
    } else {
        " (downgraded)"
    }
}

/// `LnkCap: Port #0, Speed 5GT/s, Width x4, ASPM L0s, Exit Latency L0s <64ns` (no prefix
/// indentation); shared with the bridge chain.
pub fn lnkcap_text(cap: u32) -> String {
    let aspm = bits(cap, 10, 2);
    let support = ["not supported", "L0s", "L1", "L0s L1"][aspm as usize];
    let mut s = format!(
        "LnkCap: Port #{}, Speed {}, Width x{}, ASPM {support}",
        cap >> 24,
        link_speed_text(bits(cap, 0, 4) as u8),
        bits(cap, 4, 6)
    );
    if aspm != 0 {
        s += ", Exit Latency ";
        if aspm & 1 != 0 {
            s += &format!("L0s {}", L0S_LATENCY[bits(cap, 12, 3) as usize]);
        }
        if aspm & 2 != 0 {
            if aspm & 1 != 0 {
                s += ", ";
            }
            s += &format!("L1 {}", L1_LATENCY[bits(cap, 15, 3) as usize]);
        }
    }
    s
}

/// `LnkSta: Speed 2.5GT/s (downgraded), Width x1 (downgraded)`.
pub fn lnksta_text(t: PortType, link: &LinkFields) -> String {
    format!(
        "LnkSta: Speed {}{}, Width x{}{}",
        link_speed_text(link.speed),
        link_compare(t, link.speed, link.max_speed),
        link.width,
        link_compare(t, link.width, link.max_width)
    )
}

fn link_lines(cfg: &ConfigSpace, at: usize, t: PortType, body: &mut Lines) {
    let cap = cfg.l(at + LNKCAP);
    body.push(2, lnkcap_text(cap));
    body.push(
        3,
        format!(
            "ClockPM{} Surprise{} LLActRep{} BwNot{} ASPMOptComp{}",
            flag(cap, 1 << 18),
            flag(cap, 1 << 19),
            flag(cap, 1 << 20),
            flag(cap, 1 << 21),
            flag(cap, 1 << 22)
        ),
    );
    let ctl = u32::from(cfg.w(at + LNKCTL));
    let aspm =
        ["Disabled", "L0s Enabled", "L1 Enabled", "L0s L1 Enabled"][bits(ctl, 0, 2) as usize];
    let mut line = format!("LnkCtl: ASPM {aspm};");
    if t.is_endpoint() || matches!(t, PortType::RootPort | PortType::PcieToPciBridge) {
        line += &format!(" RCB {} bytes,", if ctl & 8 != 0 { 128 } else { 64 });
    }
    line += &format!(
        " Disabled{} CommClk{}",
        flag(ctl, 1 << 4),
        flag(ctl, 1 << 6)
    );
    body.push(2, line);
    body.push(
        3,
        format!(
            "ExtSynch{} ClockPM{} AutWidDis{} BWInt{} AutBWInt{}",
            flag(ctl, 1 << 7),
            flag(ctl, 1 << 8),
            flag(ctl, 1 << 9),
            flag(ctl, 1 << 10),
            flag(ctl, 1 << 11)
        ),
    );
    let sta = u32::from(cfg.w(at + LNKSTA));
    let link = LinkFields {
        max_speed: bits(cap, 0, 4) as u8,
        max_width: bits(cap, 4, 6) as u8,
        speed: bits(sta, 0, 4) as u8,
        width: bits(sta, 4, 6) as u8,
    };
    body.push(2, lnksta_text(t, &link));
    body.push(
        3,
        format!(
            "TrErr{} Train{} SlotClk{} DLActive{} BWMgmt{} ABWMgmt{}",
            flag(sta, 1 << 10),
            flag(sta, 1 << 11),
            flag(sta, 1 << 12),
            flag(sta, 1 << 13),
            flag(sta, 1 << 14),
            flag(sta, 1 << 15)
        ),
    );
}

const INDICATOR: [&str; 4] = ["Unknown", "On", "Blink", "Off"];

fn slot_lines(cfg: &ConfigSpace, at: usize, body: &mut Lines) {
    let cap = cfg.l(at + SLTCAP);
    body.push(
        2,
        format!(
            "SltCap: AttnBtn{} PwrCtrl{} MRL{} AttnInd{} PwrInd{} HotPlug{} Surprise{}",
            flag(cap, 1),
            flag(cap, 2),
            flag(cap, 4),
            flag(cap, 8),
            flag(cap, 0x10),
            flag(cap, 0x40),
            flag(cap, 0x20)
        ),
    );
    body.push(
        3,
        format!(
            "Slot #{}, PowerLimit {}; Interlock{} NoCompl{}",
            cap >> 19,
            power_limit_text(bits(cap, 7, 8), bits(cap, 15, 2)),
            flag(cap, 1 << 17),
            flag(cap, 1 << 18)
        ),
    );
    let ctl = u32::from(cfg.w(at + SLTCTL));
    body.push(
        2,
        format!(
            "SltCtl: Enable: AttnBtn{} PwrFlt{} MRL{} PresDet{} CmdCplt{} HPIrq{} LinkChg{}",
            flag(ctl, 1),
            flag(ctl, 2),
            flag(ctl, 4),
            flag(ctl, 8),
            flag(ctl, 0x10),
            flag(ctl, 0x20),
            flag(ctl, 0x1000)
        ),
    );
    body.push(
        3,
        format!(
            "Control: AttnInd {}, PwrInd {}, Power{} Interlock{}",
            INDICATOR[bits(ctl, 6, 2) as usize],
            INDICATOR[bits(ctl, 8, 2) as usize],
            flag(ctl, 0x400),
            flag(ctl, 0x800)
        ),
    );
    let sta = u32::from(cfg.w(at + SLTSTA));
    body.push(
        2,
        format!(
            "SltSta: Status: AttnBtn{} PowerFlt{} MRL{} CmdCplt{} PresDet{} Interlock{}",
            flag(sta, 1),
            flag(sta, 2),
            flag(sta, 0x20),
            flag(sta, 0x10),
            flag(sta, 0x40),
            flag(sta, 0x80)
        ),
    );
    body.push(
        3,
        format!(
            "Changed: MRL{} PresDet{} LinkState{}",
            flag(sta, 4),
            flag(sta, 8),
            flag(sta, 0x100)
        ),
    );
}

fn root_lines(cfg: &ConfigSpace, at: usize, body: &mut Lines) {
    let cap = u32::from(cfg.w(at + RTCAP));
    body.push(2, format!("RootCap: CRSVisible{}", flag(cap, 1)));
    let ctl = u32::from(cfg.w(at + RTCTL));
    body.push(
        2,
        format!(
            "RootCtl: ErrCorrectable{} ErrNon-Fatal{} ErrFatal{} PMEIntEna{} CRSVisible{}",
            flag(ctl, 1),
            flag(ctl, 2),
            flag(ctl, 4),
            flag(ctl, 8),
            flag(ctl, 0x10)
        ),
    );
    let sta = cfg.l(at + RTSTA);
    body.push(
        2,
        format!(
            "RootSta: PME ReqID {:04x}, PMEStatus{} PMEPending{}",
            sta & 0xffff,
            flag(sta, 1 << 16),
            flag(sta, 1 << 17)
        ),
    );
}

fn supported_speeds_text(vector: u32) -> &'static str {
    if vector & 0x60 != 0 {
        "RsvdP"
    } else if vector & 0x10 != 0 {
        "2.5-32GT/s"
    } else if vector & 0x08 != 0 {
        "2.5-16GT/s"
    } else if vector & 0x04 != 0 {
        "2.5-8GT/s"
    } else if vector & 0x02 != 0 {
        "2.5-5GT/s"
    } else if vector & 0x01 != 0 {
        "2.5GT/s"
    } else {
        "Unknown"
    }
}

fn target_speed_text(encoding: u32) -> &'static str {
    match encoding {
        0 | 1 => "2.5GT/s",
        2 => "5GT/s",
        3 => "8GT/s",
        4 => "16GT/s",
        5 => "32GT/s",
        6 => "64GT/s",
        _ => "Unknown",
    }
}

fn deemphasis_text(bit: u32) -> &'static str {
    if bit == 0 {
        "-6dB"
    } else {
        "-3.5dB"
    }
}

fn compliance_preset_text(code: u32) -> &'static str {
    match code {
        0 => "-6dB de-emphasis, 0dB preshoot",
        1 => "-3.5dB de-emphasis, 0dB preshoot",
        2 => "-4.4dB de-emphasis, 0dB preshoot",
        3 => "-2.5dB de-emphasis, 0dB preshoot",
        4 => "0dB de-emphasis, 0dB preshoot",
        5 => "0dB de-emphasis, 1.9dB preshoot",
        6 => "0dB de-emphasis, 2.5dB preshoot",
        7 => "-6.0dB de-emphasis, 3.5dB preshoot",
        8 => "-3.5dB de-emphasis, 3.5dB preshoot",
        9 => "0dB de-emphasis, 3.5dB preshoot",
        _ => "Unknown",
    }
}

fn transmit_margin_text(code: u32) -> &'static str {
    match code {
        0 => "Normal Operating Range",
        1 => "800-1200mV(full-swing)/400-700mV(half-swing)",
        2..=5 => "200-400mV(full-swing)/100-200mV(half-swing)",
        _ => "Unknown",
    }
}

fn crosslink_text(code: u32) -> &'static str {
    match code {
        0 => "unsupported",
        1 => "Upstream Port",
        2 => "Downstream Port",
        _ => "incomplete",
    }
}

fn downstream_component_text(code: u32) -> &'static str {
    match code {
        0 => "Link Down - Not Determined",
        1 => "Link Down - Not Present",
        2 => "Link Down - Present",
        4 => "Link Up - Present",
        5 => "Link Up - Present and DRS Received",
        _ => "Reserved",
    }
}

fn link2_lines(cfg: &ConfigSpace, at: usize, t: PortType, location: PciLocation, body: &mut Lines) {
    let mut cap2 = 0;
    // Link Capabilities/Control 2 are reserved in non-zero functions of multi-function
    // endpoints before PCIe 3.0; lspci skips them there.
    if !(t.is_endpoint() && (location.device != 0 || location.function != 0)) {
        cap2 = cfg.l(at + LNKCAP2);
        if cap2 != 0 {
            body.push(
                2,
                format!(
                    "LnkCap2: Supported Link Speeds: {}, Crosslink{} Retimer{} 2Retimers{} DRS{}",
                    supported_speeds_text(bits(cap2, 1, 7)),
                    flag(cap2, 1 << 8),
                    flag(cap2, 1 << 23),
                    flag(cap2, 1 << 24),
                    flag(cap2, 1 << 31)
                ),
            );
        }
        let ctl2 = u32::from(cfg.w(at + LNKCTL2));
        let mut line = format!(
            "LnkCtl2: Target Link Speed: {}, EnterCompliance{} SpeedDis{}",
            target_speed_text(bits(ctl2, 0, 4)),
            flag(ctl2, 0x10),
            flag(ctl2, 0x20)
        );
        if t == PortType::DownstreamPort {
            line += &format!(
                ", Selectable De-emphasis: {}",
                deemphasis_text(bits(ctl2, 6, 1))
            );
        }
        body.push(2, line);
        body.push(
            3,
            format!(
                "Transmit Margin: {}, EnterModifiedCompliance{} ComplianceSOS{}",
                transmit_margin_text(bits(ctl2, 7, 3)),
                flag(ctl2, 0x400),
                flag(ctl2, 0x800)
            ),
        );
        body.push(
            3,
            format!(
                "Compliance Preset/De-emphasis: {}",
                compliance_preset_text(bits(ctl2, 12, 4))
            ),
        );
    }
    let sta2 = u32::from(cfg.w(at + LNKSTA2));
    body.push(
        2,
        format!(
            "LnkSta2: Current De-emphasis Level: {}, EqualizationComplete{} EqualizationPhase1{}",
            deemphasis_text(sta2 & 1),
            flag(sta2, 2),
            flag(sta2, 4)
        ),
    );
    body.push(
        3,
        format!(
            "EqualizationPhase2{} EqualizationPhase3{} LinkEqualizationRequest{}",
            flag(sta2, 8),
            flag(sta2, 0x10),
            flag(sta2, 0x20)
        ),
    );
    let mut last = format!(
        "Retimer{} 2Retimers{} CrosslinkRes: {}",
        flag(sta2, 0x40),
        flag(sta2, 0x80),
        crosslink_text(bits(sta2, 8, 2))
    );
    if t.is_downstream_port() && cap2 & (1 << 31) != 0 {
        last += &format!(", DRS{}", flag(sta2, 0x8000));
        body.push(3, last);
        body.push(
            3,
            format!(
                "DownstreamComp: {}",
                downstream_component_text(bits(sta2, 12, 3))
            ),
        );
    } else {
        body.push(3, last);
    }
}

#[cfg(test)]
mod tests;
