//! Configuration register addresses (UG470 Type 1 packet register field).

/// Cyclic redundancy check register.
pub const CRC: u16 = 0x00;
/// Frame address register.
pub const FAR: u16 = 0x01;
/// Frame data register, input (configuration frame data).
pub const FDRI: u16 = 0x02;
/// Frame data register, output (readback).
pub const FDRO: u16 = 0x03;
/// Command register.
pub const CMD: u16 = 0x04;
/// Control register 0.
pub const CTL0: u16 = 0x05;
/// Masking register for CTL0/CTL1.
pub const MASK: u16 = 0x06;
/// Status register.
pub const STAT: u16 = 0x07;
/// Legacy output register (daisy chain).
pub const LOUT: u16 = 0x08;
/// Configuration option register 0.
pub const COR0: u16 = 0x09;
/// Multiple frame write register (compressed bitstreams).
pub const MFWR: u16 = 0x0A;
/// Initial CBC value register (encrypted bitstreams).
pub const CBC: u16 = 0x0B;
/// Device ID register.
pub const IDCODE: u16 = 0x0C;
/// User access register (USR_ACCESS value, often a build timestamp).
pub const AXSS: u16 = 0x0D;
/// Configuration option register 1.
pub const COR1: u16 = 0x0E;
/// Warm boot start address register.
pub const WBSTAR: u16 = 0x10;
/// Watchdog timer register.
pub const TIMER: u16 = 0x11;
/// Readback CRC software register.
pub const RBCRC_SW: u16 = 0x13;
/// Boot history status register.
pub const BOOTSTS: u16 = 0x16;
/// Control register 1.
pub const CTL1: u16 = 0x18;
/// BPI/SPI configuration options register.
pub const BSPI: u16 = 0x1F;

/// Register names in address order; anything absent is displayed as unknown.
const NAMES: &[(u16, &str)] = &[
    (CRC, "CRC"),
    (FAR, "FAR"),
    (FDRI, "FDRI"),
    (FDRO, "FDRO"),
    (CMD, "CMD"),
    (CTL0, "CTL0"),
    (MASK, "MASK"),
    (STAT, "STAT"),
    (LOUT, "LOUT"),
    (COR0, "COR0"),
    (MFWR, "MFWR"),
    (CBC, "CBC"),
    (IDCODE, "IDCODE"),
    (AXSS, "AXSS"),
    (COR1, "COR1"),
    (WBSTAR, "WBSTAR"),
    (TIMER, "TIMER"),
    (RBCRC_SW, "RBCRC_SW"),
    (BOOTSTS, "BOOTSTS"),
    (CTL1, "CTL1"),
    (BSPI, "BSPI"),
];

/// Name of a configuration register, or `None` for an undefined address.
pub fn register_name(address: u16) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(addr, _)| *addr == address)
        .map(|(_, name)| *name)
}

/// Register name as shown in the report: undefined addresses become `unknown (0x<hex>)`.
pub fn register_display(address: u16) -> String {
    match register_name(address) {
        Some(name) => name.to_string(),
        None => format!("unknown (0x{address:x})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_registers() {
        assert_eq!(register_display(0x1F), "BSPI");
        assert_eq!(register_display(0x0D), "AXSS");
        assert_eq!(register_display(0x1E), "unknown (0x1e)");
        assert_eq!(register_display(0x12), "unknown (0x12)");
    }
}
