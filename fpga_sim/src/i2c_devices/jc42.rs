//! JC-42.4 temperature sensor: 8-bit pointer, 16-bit registers sent MSB first; the
//! pointer does not auto-increment (further reads repeat the register).

use super::I2cTarget;

#[derive(Debug, Clone)]
pub struct Jc42Sensor {
    address: u8,
    regs: [u16; 8],
    pointer: u8,
    expect_pointer: bool,
    /// Next byte of the register is the LSB.
    low_byte_next: bool,
    write_msb: Option<u8>,
}

impl Jc42Sensor {
    /// Power-on registers: capabilities 0x006f, configuration and limits 0,
    /// ambient `ambient`, manufacturer 0x104a (STMicroelectronics), device ID 0x0000.
    pub fn new(address: u8, ambient: u16) -> Self {
        let mut regs = [0u16; 8];
        regs[0] = 0x006f;
        regs[5] = ambient;
        regs[6] = 0x104a;
        Self {
            address,
            regs,
            pointer: 0,
            expect_pointer: false,
            low_byte_next: false,
            write_msb: None,
        }
    }

    pub fn set_ambient(&mut self, raw: u16) {
        self.regs[5] = raw;
    }

    pub fn register(&self, reg: u8) -> Option<u16> {
        self.regs.get(usize::from(reg)).copied()
    }
}

impl I2cTarget for Jc42Sensor {
    fn address(&self) -> u8 {
        self.address
    }

    fn start(&mut self, read: bool) -> bool {
        self.expect_pointer = !read;
        self.low_byte_next = false;
        self.write_msb = None;
        true
    }

    fn write_byte(&mut self, b: u8) -> bool {
        if self.expect_pointer {
            self.expect_pointer = false;
            self.pointer = b & 0x0f;
            return usize::from(self.pointer) < self.regs.len();
        }
        match self.write_msb.take() {
            None => self.write_msb = Some(b),
            Some(msb) => {
                // Configuration and the three limits are writable.
                if (1..=4).contains(&self.pointer) {
                    self.regs[usize::from(self.pointer)] = u16::from_be_bytes([msb, b]);
                }
            }
        }
        true
    }

    fn read_byte(&mut self) -> u8 {
        let [msb, lsb] = self.regs[usize::from(self.pointer) % self.regs.len()].to_be_bytes();
        let b = if self.low_byte_next { lsb } else { msb };
        self.low_byte_next = !self.low_byte_next;
        b
    }

    fn stop(&mut self) {
        self.expect_pointer = false;
        self.write_msb = None;
    }
}
