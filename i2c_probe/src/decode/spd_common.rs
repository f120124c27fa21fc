//! Helpers shared by the DDR3 and DDR4 SPD decoders.

use crc::{Crc, CRC_16_XMODEM};
use std::fmt::Write;

/// JEDEC SPD CRC-16: polynomial 0x1021, initial 0, MSB first, no reflection, no final XOR
/// (the XMODEM parameters).
pub const SPD_CRC: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);

/// Result of one SPD CRC check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrcCheck {
    pub actual: u16,
    pub expected: u16,
}

impl CrcCheck {
    /// CRC over `covered`, compared with the little-endian value stored at `stored`.
    /// `None` if the SPD is too short to hold either.
    pub fn compute(spd: &[u8], covered: std::ops::Range<usize>, stored: usize) -> Option<Self> {
        let data = spd.get(covered)?;
        let lo = *spd.get(stored)?;
        let hi = *spd.get(stored + 1)?;
        Some(Self {
            actual: SPD_CRC.checksum(data),
            expected: u16::from_le_bytes([lo, hi]),
        })
    }

    pub fn passed(&self) -> bool {
        self.actual == self.expected
    }

    /// `Actual CRC=0x....  Expected CRC=0x.... : CRC PASS|FAIL`
    pub fn text(&self) -> String {
        format!(
            "Actual CRC=0x{:04x}  Expected CRC=0x{:04x} : CRC {}",
            self.actual,
            self.expected,
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

/// What to do after a CRC mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrcPolicy {
    /// End the decode (what i2c_dump_info does).
    Stop,
    /// Report and keep decoding (like `decode-dimms -c`).
    Continue,
}

/// Outcome of a decode: the text and the CRC checks that were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpdReport {
    pub text: String,
    pub crc: Vec<CrcCheck>,
}

impl SpdReport {
    /// True when at least one CRC was checked and all matched.
    pub fn crc_passed(&self) -> bool {
        !self.crc.is_empty() && self.crc.iter().all(CrcCheck::passed)
    }
}

/// `  RAW bytes:` and one line per 16 bytes: `    <start>-<end>:` then ` <hex2>` per byte
/// (indices right-aligned in 3; a short last line lists the bytes present).
pub fn raw_dump(out: &mut String, spd: &[u8]) {
    out.push_str("  RAW bytes:\n");
    for (row, chunk) in spd.chunks(16).enumerate() {
        let start = row * 16;
        let _ = write!(out, "    {:>3}-{:>3}:", start, start + 15);
        for b in chunk {
            let _ = write!(out, " {b:02x}");
        }
        out.push('\n');
    }
}

/// Decoding ended early (the reason is already in the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// Line writer with checked byte access: a byte beyond the data ends the decode with
/// a message instead of panicking.
pub struct SpdWriter<'a> {
    pub spd: &'a [u8],
    pub out: String,
}

impl<'a> SpdWriter<'a> {
    pub fn new(spd: &'a [u8], out: String) -> Self {
        Self { spd, out }
    }

    pub fn byte(&mut self, index: usize) -> Result<u8, Stop> {
        match self.spd.get(index) {
            Some(&b) => Ok(b),
            None => {
                let _ = writeln!(
                    self.out,
                    "  SPD data truncated: byte {index} missing ({} bytes present)",
                    self.spd.len()
                );
                Err(Stop)
            }
        }
    }

    pub fn line(&mut self, text: impl AsRef<str>) {
        self.out.push_str(text.as_ref());
        self.out.push('\n');
    }

    /// Print a line and end the decode.
    pub fn fail(&mut self, text: impl AsRef<str>) -> Stop {
        self.line(text);
        Stop
    }
}

/// Printable part-number text: stops at the first zero byte; bytes map to the same code
/// points (identical to the C output for ASCII).
pub fn ascii_field(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect()
}

/// `Supported` / `Not Supported`
pub fn supported(flag: bool) -> &'static str {
    if flag {
        "Supported"
    } else {
        "Not Supported"
    }
}
