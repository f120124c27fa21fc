//! Parameter tables: SFDP (JESD216, xilinx_quad_spi.md 6.5) and Spansion ID-CFI (6.2), and the
//! raw parameter dump (7.1).

use std::fmt::Write as _;

/// Bytes of SFDP space read during identification.
pub const SFDP_READ_BYTES: usize = 2048;
/// Bytes of Spansion ID-CFI space read during identification.
pub const CFI_READ_BYTES: usize = 512;
/// JEDEC basic flash parameter table ID.
pub const BASIC_TABLE_ID: u16 = 0xFF00;

/// Which parameter space was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    Cfi,
    Sfdp,
}

/// A CFI vendor-specific table (Spansion "ALT20" tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorTable {
    pub id: u8,
    pub data: Vec<u8>,
}

/// The raw identification data kept for the diagnostic dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawParameters {
    pub kind: ParameterKind,
    pub bytes: Vec<u8>,
    /// Bytes actually populated (the dump prints these).
    pub populated_len: usize,
    pub vendor_tables: Vec<VendorTable>,
}

impl RawParameters {
    /// The dump of xilinx_quad_spi.md 7.1.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let name = match self.kind {
            ParameterKind::Cfi => "CFI",
            ParameterKind::Sfdp => "SFDP",
        };
        let _ = writeln!(out, "{name} raw parameter bytes:");
        for (i, b) in self.bytes.iter().take(self.populated_len).enumerate() {
            let _ = writeln!(out, "  [{i:03X}] = {b:02X} {}", printable(*b));
        }
        out.push('\n');
        for t in &self.vendor_tables {
            let _ = writeln!(out, "CFI vendor specific table ID 0x{:02X}", t.id);
            for (i, b) in t.data.iter().enumerate() {
                let _ = writeln!(out, "  [{:02X}] = {b:02X} {}", i + 2, printable(*b));
            }
            out.push('\n');
        }
        out
    }
}

fn printable(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

/// One SFDP parameter header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SfdpHeader {
    pub id: u16,
    pub major: u8,
    pub minor: u8,
    pub length_dwords: u8,
    pub pointer: u32,
}

/// Parsed SFDP space with the basic parameter table located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sfdp {
    pub headers: Vec<SfdpHeader>,
    pub basic: Vec<u32>,
    pub basic_major: u8,
    pub basic_minor: u8,
    pub populated_len: usize,
}

impl Sfdp {
    /// Parses the SFDP space; the error is the original's message.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        if data.get(0..4) != Some(b"SFDP".as_slice()) {
            return Err("Failed to find SFDP string".into());
        }
        let count = usize::from(data.get(6).copied().unwrap_or(0)) + 1;
        let mut headers = Vec::with_capacity(count);
        let mut populated_len = 8;
        for i in 0..count {
            let at = 8 + 8 * i;
            let h = data
                .get(at..at + 8)
                .ok_or("Attempt to read header off end of SFDP data")?;
            let header = SfdpHeader {
                id: u16::from(h[7]) << 8 | u16::from(h[0]),
                minor: h[1],
                major: h[2],
                length_dwords: h[3],
                pointer: u32::from(h[4]) | u32::from(h[5]) << 8 | u32::from(h[6]) << 16,
            };
            let end = header.pointer as usize + 4 * usize::from(header.length_dwords);
            if end > data.len() {
                return Err("Attempt to read table off end of SFDP data".into());
            }
            populated_len = populated_len.max(end).max(at + 8);
            headers.push(header);
        }
        // The last header with the basic table ID wins (revisions in increasing order).
        let (basic, basic_major, basic_minor) =
            match headers.iter().rev().find(|h| h.id == BASIC_TABLE_ID) {
                Some(h) => {
                    let start = h.pointer as usize;
                    let words = (0..usize::from(h.length_dwords))
                        .map(|k| {
                            let b = &data[start + 4 * k..start + 4 * k + 4];
                            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
                        })
                        .collect();
                    (words, h.major, h.minor)
                }
                None => (Vec::new(), 0, 0),
            };
        Ok(Self {
            headers,
            basic,
            basic_major,
            basic_minor,
            populated_len,
        })
    }

    /// Field of basic-table DWORD `index` (1-based): `width` bits from `lsb`. An index out
    /// of range yields 0 and a diagnostic line.
    pub fn field(&self, index: usize, width: u32, lsb: u32, log: &mut dyn FnMut(String)) -> u32 {
        match index.checked_sub(1).and_then(|i| self.basic.get(i)) {
            Some(w) => {
                let mask = if width >= 32 {
                    u32::MAX
                } else {
                    (1u32 << width) - 1
                };
                (w >> lsb) & mask
            }
            None => {
                log(format!("SFDP word_index {index} out of range"));
                0
            }
        }
    }

    /// Flash size in bytes from DWORD 2 (None when absurd).
    pub fn flash_size_bytes(&self, log: &mut dyn FnMut(String)) -> Option<u64> {
        let dw2 = self.field(2, 32, 0, log);
        let bits = if dw2 & 0x8000_0000 == 0 {
            u64::from(dw2) + 1
        } else {
            let n = dw2 & 0x7FFF_FFFF;
            if n >= 48 {
                return None;
            }
            1u64 << n
        };
        Some(bits / 8)
    }
}

/// Spansion ID-CFI layout values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cfi {
    pub size_bytes: u64,
    pub page_size: u32,
    /// (sector count, sector size) per region, in address order.
    pub regions: Vec<(u32, u32)>,
    pub populated_len: usize,
    pub vendor_tables: Vec<VendorTable>,
}

impl Cfi {
    /// Parses the 512-byte ID-CFI space (offset 0 = manufacturer ID).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let le16 = |i: usize| u32::from(byte(i)) | u32::from(byte(i + 1)) << 8;
        if data.get(0x10..0x13) != Some(b"QRY".as_slice()) {
            return Err("Failed to find QRY string in CFI parameters".into());
        }
        if data.get(0x17..0x19) != Some(b"SF".as_slice()) {
            return Err("Failed to find Alternate OEM Command Set in CFI parameters".into());
        }
        let populated_len = match byte(0x03) {
            0 => data.len(),
            n => (3 + usize::from(n)).min(data.len()),
        };
        let size_exp = u32::from(byte(0x27));
        let page_exp = le16(0x2A);
        if size_exp >= 48 || page_exp >= 32 {
            return Err(format!(
                "Out of range CFI device size 2^{size_exp} or page size 2^{page_exp}"
            ));
        }
        let count = byte(0x2C);
        if !(1..=2).contains(&count) {
            return Err(format!(
                "Out of range num_erase_block_regions value of {count}"
            ));
        }
        let regions = (0..usize::from(count))
            .map(|i| {
                let at = 0x2D + 4 * i;
                (le16(at) + 1, le16(at + 2) * 256)
            })
            .collect();
        let mut vendor_tables = Vec::new();
        if data.get(0x51..0x56) == Some(b"ALT20".as_slice()) {
            let mut at = 0x56;
            while vendor_tables.len() < 16 && at + 2 <= data.len() {
                let id = data[at];
                let len = usize::from(data[at + 1]);
                let end = (at + 2 + len).min(data.len());
                vendor_tables.push(VendorTable {
                    id,
                    data: data[at + 2..end].to_vec(),
                });
                at = end;
            }
        }
        Ok(Self {
            size_bytes: 1u64 << size_exp,
            page_size: 1u32 << page_exp,
            regions,
            populated_len,
            vendor_tables,
        })
    }
}
