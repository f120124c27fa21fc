//! 256-byte SPD EEPROM (DDR3, EE1002-like): 8-bit address pointer written first, then
//! sequential reads with auto-increment wrapping 255 -> 0; current-address reads.

use super::{I2cTarget, TargetFault};

#[derive(Debug, Clone)]
pub struct SpdEeprom {
    address: u8,
    data: [u8; 256],
    pointer: u8,
    expect_pointer: bool,
    write_protected: bool,
}

impl SpdEeprom {
    /// A write-protected EEPROM holding `data`.
    pub fn new(address: u8, data: [u8; 256]) -> Self {
        Self {
            address,
            data,
            pointer: 0,
            expect_pointer: false,
            write_protected: true,
        }
    }

    /// Allow data writes (byte writes at the pointer with auto-increment).
    pub fn set_write_protected(&mut self, protected: bool) {
        self.write_protected = protected;
    }

    pub fn data(&self) -> &[u8; 256] {
        &self.data
    }

    /// Current address pointer.
    pub fn pointer(&self) -> u8 {
        self.pointer
    }
}

impl I2cTarget for SpdEeprom {
    fn address(&self) -> u8 {
        self.address
    }

    fn start(&mut self, read: bool) -> bool {
        self.expect_pointer = !read;
        true
    }

    fn write_byte(&mut self, b: u8) -> bool {
        if self.expect_pointer {
            self.pointer = b;
            self.expect_pointer = false;
            return true;
        }
        // Protected EEPROMs NACK data bytes.
        if self.write_protected {
            return false;
        }
        self.data[usize::from(self.pointer)] = b;
        self.pointer = self.pointer.wrapping_add(1);
        true
    }

    fn read_byte(&mut self) -> u8 {
        let b = self.data[usize::from(self.pointer)];
        self.pointer = self.pointer.wrapping_add(1);
        b
    }

    fn stop(&mut self) {
        self.expect_pointer = false;
    }

    fn inject_fault(&mut self, fault: TargetFault) -> bool {
        match fault {
            TargetFault::CorruptByte { offset, value } if offset < self.data.len() => {
                self.data[offset] = value;
                true
            }
            _ => false,
        }
    }
}
