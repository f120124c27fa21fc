//! Intel HEX (`.mcs`) configuration-memory files: decoding to a flash image, and
//! encoding (used to make test files and for tools that write .mcs).

use super::error::McsError;

/// Largest decoded image accepted: the biggest configuration flash (2 Gbit). Stops a
/// corrupted address record from allocating gigabytes.
pub const MAX_IMAGE_BYTES: usize = 256 * 1024 * 1024;

/// Longest record: count 1 + address 2 + type 1 + data 255 + checksum 1.
const MAX_RECORD_BYTES: usize = 260;

const DATA: u8 = 0x00;
const END_OF_FILE: u8 = 0x01;
const EXTENDED_SEGMENT: u8 = 0x02;
const EXTENDED_LINEAR: u8 = 0x04;

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Why a line is not a record.
enum LineFault {
    Invalid,
    Checksum,
}

/// One raw record: its bytes (count, address, type, data, checksum).
struct Line {
    bytes: Vec<u8>,
    next: usize,
}

/// Reads the line at `pos`: ':' then hex pairs up to the first non-hex pair, then any
/// CR/LF characters.
fn read_line(text: &[u8], pos: usize) -> Result<Line, LineFault> {
    if text.get(pos) != Some(&b':') {
        return Err(LineFault::Invalid);
    }
    let mut bytes = Vec::with_capacity(32);
    let mut i = pos + 1;
    while bytes.len() < MAX_RECORD_BYTES {
        let pair = (
            text.get(i).copied().and_then(hex_value),
            text.get(i + 1).copied().and_then(hex_value),
        );
        match pair {
            (Some(hi), Some(lo)) => bytes.push(hi << 4 | lo),
            _ => break,
        }
        i += 2;
    }
    while matches!(text.get(i), Some(b'\r' | b'\n')) {
        i += 1;
    }
    let count = usize::from(*bytes.first().ok_or(LineFault::Invalid)?);
    if bytes.len() < 5 || count + 5 != bytes.len() {
        return Err(LineFault::Invalid);
    }
    let sum = bytes.iter().fold(0u8, |acc, b| acc.wrapping_add(*b));
    if sum != 0 {
        return Err(LineFault::Checksum);
    }
    Ok(Line { bytes, next: i })
}

/// Whether the content starts with a valid Intel HEX record.
pub fn starts_with_intel_hex(text: &[u8]) -> bool {
    read_line(text, 0).is_ok()
}

/// Decodes Intel HEX text to a flash image starting at address 0. Gaps are erased
/// (0xFF); the image ends at the highest address written.
pub fn decode_intel_hex(text: &[u8], path: &str) -> Result<Vec<u8>, McsError> {
    let mut image = Vec::new();
    let mut base: u64 = 0;
    let mut pos = 0;
    let mut line_no = 0;
    while pos < text.len() {
        line_no += 1;
        let line = read_line(text, pos).map_err(|fault| match fault {
            LineFault::Invalid => McsError::InvalidRecord {
                line: line_no,
                path: path.to_string(),
            },
            LineFault::Checksum => McsError::BadChecksum {
                line: line_no,
                path: path.to_string(),
            },
        })?;
        pos = line.next;
        // Layout checked by read_line: [count, addr_hi, addr_lo, type, data.., checksum].
        let (address, record_type, data) = match line.bytes.as_slice() {
            [_, hi, lo, record_type, rest @ ..] => (
                u64::from(u16::from_be_bytes([*hi, *lo])),
                *record_type,
                rest.split_last().map(|(_, data)| data).unwrap_or_default(),
            ),
            _ => {
                return Err(McsError::InvalidRecord {
                    line: line_no,
                    path: path.to_string(),
                })
            }
        };
        let bad_length = || McsError::BadRecordLength {
            record_type,
            length: data.len(),
            line: line_no,
            path: path.to_string(),
        };
        match record_type {
            DATA => store(&mut image, base + address, data, line_no, path)?,
            END_OF_FILE if data.is_empty() => return Ok(image),
            END_OF_FILE => return Err(bad_length()),
            // Segment × 256 as the original computes it (the standard says × 16);
            // Xilinx tools only write type 04 records.
            EXTENDED_SEGMENT => match data {
                [b0, b1] => base = (u64::from(*b0) << 16) | (u64::from(*b1) << 8),
                _ => return Err(bad_length()),
            },
            EXTENDED_LINEAR => match data {
                [b0, b1] => base = u64::from(u16::from_be_bytes([*b0, *b1])) << 16,
                _ => return Err(bad_length()),
            },
            _ => {}
        }
    }
    Err(McsError::MissingEof {
        path: path.to_string(),
    })
}

/// Stores a data record, growing the image with erased bytes.
fn store(
    image: &mut Vec<u8>,
    address: u64,
    data: &[u8],
    line: usize,
    path: &str,
) -> Result<(), McsError> {
    let end = address + data.len() as u64;
    let too_high = || McsError::AddressTooHigh {
        address: end,
        limit: MAX_IMAGE_BYTES,
        line,
        path: path.to_string(),
    };
    let end = usize::try_from(end).map_err(|_| too_high())?;
    if end > MAX_IMAGE_BYTES {
        return Err(too_high());
    }
    let start = end - data.len();
    if image.len() < end {
        image.resize(end, 0xFF);
    }
    if let Some(target) = image.get_mut(start..end) {
        target.copy_from_slice(data);
    }
    Ok(())
}

/// Encodes an image as Intel HEX with 16 data bytes per record and type 04 records
/// at each 64 KiB boundary, as Xilinx tools write `.mcs` files.
pub fn encode_intel_hex(image: &[u8]) -> String {
    use std::fmt::Write;

    fn record(out: &mut String, address: u16, record_type: u8, data: &[u8]) {
        let mut bytes = vec![data.len() as u8];
        bytes.extend_from_slice(&address.to_be_bytes());
        bytes.push(record_type);
        bytes.extend_from_slice(data);
        let sum = bytes.iter().fold(0u8, |acc, b| acc.wrapping_add(*b));
        bytes.push(sum.wrapping_neg());
        out.push(':');
        for b in bytes {
            let _ = write!(out, "{b:02X}");
        }
        out.push_str("\r\n");
    }

    let mut out = String::new();
    for (index, chunk) in image.chunks(16).enumerate() {
        let address = index * 16;
        if address % 0x1_0000 == 0 {
            let upper = ((address >> 16) as u16).to_be_bytes();
            record(&mut out, 0, EXTENDED_LINEAR, &upper);
        }
        record(&mut out, (address & 0xFFFF) as u16, DATA, chunk);
    }
    record(&mut out, 0, END_OF_FILE, &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_across_64k() {
        let image: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let text = encode_intel_hex(&image);
        assert!(starts_with_intel_hex(text.as_bytes()));
        assert_eq!(decode_intel_hex(text.as_bytes(), "t.mcs").unwrap(), image);
    }

    #[test]
    fn lower_case_and_lf_only() {
        let text = ":0400000001020304f2\n:00000001ff\n";
        assert_eq!(
            decode_intel_hex(text.as_bytes(), "t").unwrap(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn faults() {
        let checksum = ":0400000001020304F3\r\n:00000001FF\r\n";
        assert!(matches!(
            decode_intel_hex(checksum.as_bytes(), "t"),
            Err(McsError::BadChecksum { line: 1, .. })
        ));
        let no_eof = ":0400000001020304F2\r\n";
        assert!(matches!(
            decode_intel_hex(no_eof.as_bytes(), "t"),
            Err(McsError::MissingEof { .. })
        ));
        let count = ":0500000001020304F2\r\n";
        assert!(matches!(
            decode_intel_hex(count.as_bytes(), "t"),
            Err(McsError::InvalidRecord { line: 1, .. })
        ));
        let garbage = ":00000001FF".replace(':', "x");
        assert!(!starts_with_intel_hex(garbage.as_bytes()));
        let eof_with_data = ":0100000100FE\r\n";
        assert!(matches!(
            decode_intel_hex(eof_with_data.as_bytes(), "t"),
            Err(McsError::BadRecordLength { record_type: 1, .. })
        ));
        let high = ":02000004FFFFFC\r\n:0100000000FF\r\n:00000001FF\r\n";
        assert!(matches!(
            decode_intel_hex(high.as_bytes(), "t"),
            Err(McsError::AddressTooHigh { line: 2, .. })
        ));
    }
}
