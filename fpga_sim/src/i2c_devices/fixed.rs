//! A device that ACKs everything and returns a fixed byte (SPD write-protect status at
//! 0x31, LTM4676A global addresses 0x5a/0x5b).

use super::I2cTarget;

#[derive(Debug, Clone)]
pub struct FixedResponder {
    address: u8,
    value: u8,
}

impl FixedResponder {
    pub fn new(address: u8, value: u8) -> Self {
        Self { address, value }
    }
}

impl I2cTarget for FixedResponder {
    fn address(&self) -> u8 {
        self.address
    }
    fn start(&mut self, _read: bool) -> bool {
        true
    }
    fn write_byte(&mut self, _b: u8) -> bool {
        true
    }
    fn read_byte(&mut self) -> u8 {
        self.value
    }
    fn stop(&mut self) {}
}
