//! Si5338 clock generator: 351 registers in two pages selected by PAGE_SEL (register 255,
//! bit 0, present on both pages); the pointer auto-increments and wraps at 256.

use super::I2cTarget;

const PAGE_SEL: u8 = 0xff;
const REGISTER_COUNT: usize = 351;

#[derive(Debug, Clone)]
pub struct Si5338 {
    address: u8,
    regs: Vec<u8>,
    page: u8,
    pointer: u8,
    expect_pointer: bool,
}

impl Si5338 {
    /// Registers of the TEF1001 part (OTP blank): reg0 0x01 (revision B), reg2 0x26
    /// (Si5338), reg3..5 0 (grade A, NVM 0), reg27 0x70 (I2C address), others 0.
    pub fn new(address: u8) -> Self {
        let mut regs = vec![0u8; REGISTER_COUNT];
        regs[0] = 0x01;
        regs[2] = 0x26;
        regs[27] = 0x70;
        Self {
            address,
            regs,
            page: 0,
            pointer: 0,
            expect_pointer: false,
        }
    }

    fn index(&self) -> usize {
        usize::from(self.page) * 256 + usize::from(self.pointer)
    }

    /// Register by absolute number (0..=350); PAGE_SEL reads the page bit.
    pub fn register(&self, reg: usize) -> Option<u8> {
        if reg == usize::from(PAGE_SEL) {
            return Some(self.page);
        }
        self.regs.get(reg).copied()
    }

    pub fn page(&self) -> u8 {
        self.page
    }
}

impl I2cTarget for Si5338 {
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
        if self.pointer == PAGE_SEL {
            self.page = b & 1;
        } else {
            let index = self.index();
            if let Some(r) = self.regs.get_mut(index) {
                *r = b;
            }
        }
        self.pointer = self.pointer.wrapping_add(1);
        true
    }

    fn read_byte(&mut self) -> u8 {
        let b = if self.pointer == PAGE_SEL {
            self.page
        } else {
            self.regs.get(self.index()).copied().unwrap_or(0)
        };
        self.pointer = self.pointer.wrapping_add(1);
        b
    }

    fn stop(&mut self) {
        self.expect_pointer = false;
    }
}
