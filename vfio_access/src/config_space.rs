//! PCI configuration-space decoding shared by the open path and the diagnostic tools:
//! command register text, capability chain walk, PCI Express link fields.

/// Something whose configuration space can be read.
pub trait ConfigRead {
    fn config_u8(&self, offset: u64) -> Option<u8>;
    fn config_u16(&self, offset: u64) -> Option<u16>;
    fn config_u32(&self, offset: u64) -> Option<u32>;
}

pub const COMMAND: u64 = 0x04;
pub const CMD_IO: u16 = 1 << 0;
pub const CMD_MEMORY: u16 = 1 << 1;
pub const CMD_BUS_MASTER: u16 = 1 << 2;

fn pm(b: bool) -> char {
    if b {
        '+'
    } else {
        '-'
    }
}

/// `control: I/O- Mem+ BusMaster+` (without leading spaces).
pub fn command_text(command: u16) -> String {
    format!(
        "control: I/O{} Mem{} BusMaster{}",
        pm(command & CMD_IO != 0),
        pm(command & CMD_MEMORY != 0),
        pm(command & CMD_BUS_MASTER != 0)
    )
}

/// Standard capability names (PCI Code and ID Assignment Specification).
pub fn capability_name(id: u8) -> Option<&'static str> {
    Some(match id {
        0x01 => "Power Management",
        0x02 => "AGP",
        0x03 => "Vital Product Data",
        0x04 => "Slot Identification",
        0x05 => "Message Signaled Interrupts",
        0x06 => "CompactPCI Hot Swap",
        0x07 => "PCI-X",
        0x08 => "HyperTransport",
        0x09 => "Vendor specific",
        0x0a => "Debug port",
        0x0b => "CompactPCI central resource control",
        0x0c => "PCI Standard Hot-Plug Controller",
        0x0d => "Bridge subsystem vendor/device ID",
        0x0e => "AGP Target PCI-PCI bridge",
        0x0f => "Secure Device",
        0x10 => "PCI Express",
        0x11 => "MSI-X",
        0x12 => "SATA Data/Index Configuration",
        0x13 => "PCI Advanced Features",
        0x14 => "Enhanced Allocation",
        0x15 => "Flattening Portal Bridge",
        _ => return None,
    })
}

/// The capability chain: (offset, id), stopping at loops and out-of-range pointers.
pub fn capabilities(cfg: &dyn ConfigRead) -> Vec<(u8, u8)> {
    let mut caps = Vec::new();
    let status = cfg.config_u16(0x06).unwrap_or(0);
    if status & 0x10 == 0 {
        return caps;
    }
    let mut ptr = cfg.config_u8(0x34).unwrap_or(0) & 0xfc;
    let mut seen = [false; 256];
    while ptr >= 0x40 && !seen[ptr as usize] {
        seen[ptr as usize] = true;
        let Some(id) = cfg.config_u8(ptr.into()) else {
            break;
        };
        caps.push((ptr, id));
        ptr = cfg.config_u8(u64::from(ptr) + 1).unwrap_or(0) & 0xfc;
    }
    caps
}

/// Link speed text for a PCIe speed encoding.
pub fn link_speed_text(encoding: u32) -> String {
    match encoding {
        1 => "2.5 GT/s".into(),
        2 => "5 GT/s".into(),
        3 => "8 GT/s".into(),
        4 => "16 GT/s".into(),
        5 => "32 GT/s".into(),
        6 => "64 GT/s".into(),
        n => format!("Unknown encoding 0x{n:x}"),
    }
}

/// PCIe link: ((max speed, max width), (negotiated speed, negotiated width)).
pub fn pcie_link(cfg: &dyn ConfigRead) -> Option<((u32, u32), (u32, u32))> {
    let (off, _) = capabilities(cfg).into_iter().find(|&(_, id)| id == 0x10)?;
    let cap = cfg.config_u32(u64::from(off) + 0x0c)?;
    let status = u32::from(cfg.config_u16(u64::from(off) + 0x12)?);
    Some((
        (cap & 0xf, (cap >> 4) & 0x3f),
        (status & 0xf, (status >> 4) & 0x3f),
    ))
}

/// The two warning lines when the negotiated link is below the device's capability.
pub fn reduced_bandwidth_warning(cfg: &dyn ConfigRead, description: &str) -> Option<String> {
    let ((ms, mw), (ns, nw)) = pcie_link(cfg)?;
    if ms == ns && mw == nw {
        return None;
    }
    Some(format!(
        "Warning: Device {description} has reduced bandwidth\n         Max width x{mw} speed {}. Negotiated width x{nw} speed {}",
        link_speed_text(ms),
        link_speed_text(ns)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bytes(Vec<u8>);
    impl ConfigRead for Bytes {
        fn config_u8(&self, o: u64) -> Option<u8> {
            self.0.get(o as usize).copied()
        }
        fn config_u16(&self, o: u64) -> Option<u16> {
            Some(u16::from_le_bytes([
                self.config_u8(o)?,
                self.config_u8(o + 1)?,
            ]))
        }
        fn config_u32(&self, o: u64) -> Option<u32> {
            Some(u32::from(self.config_u16(o)?) | (u32::from(self.config_u16(o + 2)?) << 16))
        }
    }

    #[test]
    fn command_register_text() {
        assert_eq!(command_text(0x0006), "control: I/O- Mem+ BusMaster+");
        assert_eq!(command_text(0x0001), "control: I/O+ Mem- BusMaster-");
    }

    #[test]
    fn walks_chain_and_stops_on_loop() {
        let mut c = vec![0u8; 256];
        c[0x06] = 0x10;
        c[0x34] = 0x40;
        c[0x40] = 0x01;
        c[0x41] = 0x60;
        c[0x60] = 0x10;
        c[0x61] = 0x40; // loops back
        c[0x6c] = 0x42; // gen2 x4
        c[0x72] = 0x12; // gen2 x1
        let cfg = Bytes(c);
        assert_eq!(capabilities(&cfg), vec![(0x40, 1), (0x60, 0x10)]);
        assert_eq!(pcie_link(&cfg), Some(((2, 4), (2, 1))));
        let w = reduced_bandwidth_warning(&cfg, "device 0000:15:00.0 (10ee:7024)").unwrap();
        assert_eq!(
            w,
            "Warning: Device device 0000:15:00.0 (10ee:7024) has reduced bandwidth\n         Max width x4 speed 5 GT/s. Negotiated width x1 speed 5 GT/s"
        );
        assert_eq!(link_speed_text(9), "Unknown encoding 0x9");
    }
}
