//! TEF1001 CPLD fan controller: register 0 control (0xff), 1 RPS counter. The pointer write
//! must end with STOP; a read after a repeated START is NACKed (the real CPLD cannot take
//! one), a read in a new message returns the pointed register.

use super::I2cTarget;

#[derive(Debug, Clone)]
pub struct FanCpld {
    address: u8,
    regs: [u8; 2],
    pointer: u8,
    expect_pointer: bool,
    /// A write happened in the current message (no STOP since).
    wrote_in_message: bool,
}

impl FanCpld {
    pub fn new(address: u8, control: u8, rps: u8) -> Self {
        Self {
            address,
            regs: [control, rps],
            pointer: 0,
            expect_pointer: false,
            wrote_in_message: false,
        }
    }

    pub fn set_rps(&mut self, rps: u8) {
        self.regs[1] = rps;
    }
}

impl I2cTarget for FanCpld {
    fn address(&self) -> u8 {
        self.address
    }

    fn start(&mut self, read: bool) -> bool {
        if read && self.wrote_in_message {
            return false;
        }
        self.expect_pointer = !read;
        self.wrote_in_message |= !read;
        true
    }

    fn write_byte(&mut self, b: u8) -> bool {
        if self.expect_pointer {
            self.pointer = b;
            self.expect_pointer = false;
        }
        // Register writes are unreliable on the real CPLD; the model ignores them.
        true
    }

    fn read_byte(&mut self) -> u8 {
        self.regs
            .get(usize::from(self.pointer))
            .copied()
            .unwrap_or(0xff)
    }

    fn stop(&mut self) {
        self.expect_pointer = false;
        self.wrote_in_message = false;
    }
}
