//! SMBus packet error code: CRC-8, polynomial 0x07, initial 0, MSB first, no final XOR.
//!
//! The PEC covers every byte on the wire from the first START of a message: both address
//! bytes (W and, after the repeated START, R), command code, block counts and data, but
//! not the PEC byte itself.

use crc::{Crc, Digest, CRC_8_SMBUS};

/// The SMBus CRC-8 algorithm.
pub const SMBUS_PEC: Crc<u8> = Crc::<u8>::new(&CRC_8_SMBUS);

/// On-wire address byte for a 7-bit address: `(addr << 1) | R/W`.
pub fn address_byte(addr: u8, read: bool) -> u8 {
    (addr << 1) | u8::from(read)
}

/// PEC of a complete sequence of covered bytes.
pub fn pec(bytes: &[u8]) -> u8 {
    SMBUS_PEC.checksum(bytes)
}

/// Running PEC for a message being clocked byte by byte (what a bus driver needs).
#[derive(Clone)]
pub struct PecAccumulator {
    digest: Digest<'static, u8>,
}

impl PecAccumulator {
    /// Start a new message (running CRC := 0).
    pub fn new() -> Self {
        Self {
            digest: SMBUS_PEC.digest(),
        }
    }

    /// Feed one covered byte.
    pub fn update(&mut self, byte: u8) {
        self.digest.update(&[byte]);
    }

    /// The PEC expected for the bytes fed so far.
    pub fn value(&self) -> u8 {
        self.digest.clone().finalize()
    }
}

impl Default for PecAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for PecAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PecAccumulator({:#04x})", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(pec(b"123456789"), 0xf4);
    }

    #[test]
    fn accumulator_matches_one_shot() {
        let bytes = [0x80, 0x06, 0x02, 0x00, 0x8b, 0x81, 0x02, 0x00, 0x18];
        let mut acc = PecAccumulator::new();
        for b in bytes {
            acc.update(b);
        }
        assert_eq!(acc.value(), pec(&bytes));
        assert_eq!(acc.value(), 0x76);
    }

    #[test]
    fn address_bytes() {
        assert_eq!(address_byte(0x40, false), 0x80);
        assert_eq!(address_byte(0x40, true), 0x81);
        assert_eq!(address_byte(0x4f, true), 0x9f);
    }
}
