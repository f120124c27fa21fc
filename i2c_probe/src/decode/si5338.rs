//! Si5338 clock generator at 0x70 (spec 5.5).

use crate::reads::RawRead;
use std::fmt::Write;

pub const SI5338_ADDR: u8 = 0x70;
/// PAGE_SEL register (bit 0 selects registers 256..350).
pub const PAGE_SEL_REG: u8 = 0xff;
/// Total number of registers (two pages).
pub const REGISTER_COUNT: usize = 351;

/// Why the registers could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Si5338Failure {
    /// PAGE_SEL write or read-back failed.
    PageSelectFailed,
    /// PAGE_SEL read back a different value.
    PageSelectMismatch { wrote: u8, readback: u8 },
    /// The register block read failed.
    RegisterReadFailed,
}

/// All 351 registers (index = register number), or the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Si5338Readings {
    pub registers: Result<Vec<u8>, Si5338Failure>,
}

/// The access sequence: select page 1 (write then read-back of PAGE_SEL, compare),
/// read registers 256..350, select page 0, read registers 0..255 (PAGE_SEL left at 0).
pub fn reads() -> Vec<RawRead> {
    let mut v = Vec::new();
    for (page, len) in [(1u8, REGISTER_COUNT - 256), (0, 256)] {
        v.push(RawRead::Write {
            addr: SI5338_ADDR,
            bytes: vec![PAGE_SEL_REG, page],
        });
        v.push(RawRead::Register {
            addr: SI5338_ADDR,
            reg: PAGE_SEL_REG,
            len: 1,
            repeated_start: true,
        });
        v.push(RawRead::Register {
            addr: SI5338_ADDR,
            reg: 0,
            len,
            repeated_start: true,
        });
    }
    v
}

/// Fields decoded from registers 0, 2, 3, 4, 5 and 27.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Si5338Identity {
    pub revision: char,
    pub base_part: u8,
    pub grade: char,
    pub nvm_code: u32,
    pub i2c_address: u8,
}

/// Decode the identity registers. Grade and NVM code reproduce the original's masks and
/// shifts (grade: `(reg3 & 0xF1) >> 3`, NVM: reg4 shifted by 16), which the expected output
/// depends on; they are not validated against the register map. `None` if fewer than 28
/// registers are given.
pub fn identity(regs: &[u8]) -> Option<Si5338Identity> {
    let r = |i: usize| regs.get(i).copied();
    let (r0, r2, r3, r4, r5, r27) = (r(0)?, r(2)?, r(3)?, r(4)?, r(5)?, r(27)?);
    Some(Si5338Identity {
        revision: char::from(b'A' + (r0 & 0x07)),
        base_part: r2 & 0x3f,
        grade: char::from(b'A' + ((r3 & 0xf1) >> 3)),
        nvm_code: (u32::from(r3 & 1) << 16) | (u32::from(r4) << 16) | u32::from(r5),
        i2c_address: r27 & 0x7f,
    })
}

/// The section text.
pub fn render(r: &Si5338Readings) -> String {
    let mut out = String::from("\nSi5338 Clock Generator information:\n");
    let regs = match &r.registers {
        Ok(regs) => regs,
        Err(failure) => {
            match failure {
                Si5338Failure::PageSelectFailed => out.push_str("Failed to modify PAGE_SEL\n"),
                Si5338Failure::PageSelectMismatch { wrote, readback } => {
                    let _ = writeln!(out, "Wrote {wrote} to PAGE_SEL, but readback {readback}");
                }
                Si5338Failure::RegisterReadFailed => {}
            }
            out.push_str("Failed to read Si5338 registers\n");
            return out;
        }
    };
    match identity(regs) {
        Some(id) => {
            let _ = writeln!(
                out,
                "  Device: Si53{}{} revision {}",
                id.base_part, id.grade, id.revision
            );
            let _ = writeln!(out, "  NVM code={}", id.nvm_code);
            let _ = writeln!(out, "  Configured 7-bit I2C address={:#x}", id.i2c_address);
        }
        None => out.push_str("Failed to read Si5338 registers\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_quirks_reproduced() {
        let mut regs = vec![0u8; REGISTER_COUNT];
        regs[3] = 0x19; // bit 3 masked out, bit 0 shifted away -> grade from bits 7..4
        regs[4] = 0x01;
        regs[5] = 0x02;
        let id = identity(&regs).unwrap();
        assert_eq!(id.grade, 'C');
        assert_eq!(id.nvm_code, (1 << 16) | 2);
    }

    #[test]
    fn mismatch_text() {
        let r = Si5338Readings {
            registers: Err(Si5338Failure::PageSelectMismatch {
                wrote: 1,
                readback: 0,
            }),
        };
        assert_eq!(
            render(&r),
            "\nSi5338 Clock Generator information:\nWrote 1 to PAGE_SEL, but readback 0\nFailed to read Si5338 registers\n"
        );
    }
}
