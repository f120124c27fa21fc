//! Reading SPD images from files: raw binary, `i2cdump` output, or hex dumps: `xxd` (any
//! `-g` grouping: bytes in file order), `od -x` / `hexdump` (8 little-endian 16-bit
//! words), `od -t x1` / `hexdump -C` (16 bytes), with `*` repeat lines. Offsets ending in
//! `:` are hex; bare offsets are hex or octal (od's default), told apart by the step
//! between consecutive lines.

use thiserror::Error;

/// Detected file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpdFileFormat {
    Binary,
    HexDump,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpdFileError {
    #[error("file is empty")]
    Empty,
    #[error("line {line}: {reason} (hex dumps read: xxd, od -x, od -t x1, hexdump, hexdump -C, i2cdump)")]
    Syntax { line: usize, reason: String },
    #[error("line {line}: byte at offset {offset:#x} was not read (XX)")]
    Unread { line: usize, offset: usize },
    #[error("offset {offset:#x} is missing from the hex dump")]
    Gap { offset: usize },
    #[error("no data lines found in the hex dump")]
    NoData,
}

/// An SPD image read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpdImage {
    pub format: SpdFileFormat,
    pub bytes: Vec<u8>,
}

/// Largest image accepted from a hex dump (DDR5 SPDs are 1024 bytes; anything far
/// beyond is not an SPD and would only waste memory).
const MAX_HEX_LEN: usize = 0x1_0000;

/// Parse file content, detecting the format: text made only of printable ASCII and
/// whitespace is a hex dump, anything else is a binary image.
pub fn parse(content: &[u8]) -> Result<SpdImage, SpdFileError> {
    if content.is_empty() {
        return Err(SpdFileError::Empty);
    }
    let is_text = content
        .iter()
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b));
    if !is_text {
        return Ok(SpdImage {
            format: SpdFileFormat::Binary,
            bytes: content.to_vec(),
        });
    }
    // Checked above: printable ASCII only.
    let text = String::from_utf8_lossy(content);
    parse_hex_dump(&text).map(|bytes| SpdImage {
        format: SpdFileFormat::HexDump,
        bytes,
    })
}

/// One parsed line: offset and bytes (`None` = unread `XX`).
type Line = (usize, Vec<Option<u8>>);

fn is_i2cdump_header(line: &str) -> bool {
    // "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef"
    let tokens: Vec<&str> = line.split_whitespace().collect();
    tokens.len() >= 16
        && tokens[..16]
            .iter()
            .enumerate()
            .all(|(i, t)| *t == format!("{i:x}") || *t == format!("{i:02x}"))
}

fn hex(token: &str) -> Option<u32> {
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(token, 16).ok()
}

/// The offset field of a line, its radix applied (`None`: not a number in it).
fn parse_offset(text: &str, radix: u32) -> Option<usize> {
    let t = text.strip_suffix(':').unwrap_or(text);
    if t.is_empty() || !t.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    usize::from_str_radix(t, radix).ok()
}

/// The radix of bare (colon-less) offsets: `od` prints octal, `hexdump` hex, both with
/// 7 digits. The first two consecutive data lines decide: the second offset is the first
/// plus 16 bytes in one radix only. Hex when nothing decides.
fn bare_offset_radix(text: &str) -> u32 {
    let mut previous: Option<&str> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line == "*" {
            previous = None;
            continue;
        }
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if first.ends_with(':') {
            return 16;
        }
        if let Some(prev) = previous {
            for radix in [16, 8] {
                if let (Some(a), Some(b)) = (parse_offset(prev, radix), parse_offset(first, radix))
                {
                    if b == a + 16 {
                        return radix;
                    }
                }
            }
            return 16;
        }
        previous = Some(first);
    }
    16
}

/// Parse one data line; `Ok(None)` for lines that carry no data (address-only end line).
fn parse_line(line: &str, number: usize, radix: u32) -> Result<Option<Line>, SpdFileError> {
    let syntax = |reason: &str| SpdFileError::Syntax {
        line: number,
        reason: reason.to_string(),
    };
    let mut tokens = line.split_whitespace();
    let mut first = tokens.next().unwrap_or("");
    // "0000 0010: ..." lines (a 0000 prefix before the offset), as decode-dimms tolerates.
    if first == "0000" {
        if let Some(next) = tokens.clone().next().filter(|t| t.ends_with(':')) {
            first = next;
            tokens.next();
        }
    }
    // xxd and i2cdump end the offset with ':' (always hex); od / hexdump do not.
    let in_file_order = first.ends_with(':');
    let offset_text = first.strip_suffix(':').unwrap_or(first);
    if !(2..=8).contains(&offset_text.len()) {
        return Err(syntax("expected an offset of 2 to 8 hex digits"));
    }
    let radix = if in_file_order { 16 } else { radix };
    let offset = parse_offset(offset_text, radix).ok_or_else(|| syntax("invalid offset"))?;
    let rest: Vec<&str> = tokens.collect();
    if rest.is_empty() {
        // Final address-only line of od/hexdump output.
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(16);
    let mut used = 0;
    for t in &rest {
        if bytes.len() >= 16 {
            break; // ASCII column.
        }
        if t.eq_ignore_ascii_case("xx") {
            bytes.push(None);
        } else if t.len() == 2 {
            bytes.push(Some(hex(t).ok_or_else(|| syntax("invalid hex byte"))? as u8));
        } else if t.len() == 4 && hex(t).is_some() && !in_file_order {
            // od -x / hexdump: a little-endian 16-bit word.
            let w = hex(t).unwrap_or(0) as u16;
            bytes.extend(w.to_le_bytes().map(Some));
        } else if in_file_order && (t.len() == 4 || t.len() == 8) && hex(t).is_some() {
            // xxd -g2 / -g4: the bytes as they are in the file.
            for pair in t.as_bytes().chunks(2) {
                let pair = std::str::from_utf8(pair).unwrap_or("");
                bytes.push(Some(hex(pair).unwrap_or(0) as u8));
            }
        } else {
            break; // ASCII column or end of data.
        }
        used += 1;
    }
    if bytes.len() != 16 && rest.len() > used {
        return Err(syntax("expected 16 hex bytes"));
    }
    Ok(Some((offset, bytes)))
}

/// Parse a hex dump into bytes; every offset from 0 to the end must be present.
pub fn parse_hex_dump(text: &str) -> Result<Vec<u8>, SpdFileError> {
    let radix = bare_offset_radix(text);
    let mut data: Vec<Option<u8>> = Vec::new();
    let mut line_of: Vec<usize> = Vec::new();
    let mut last: Option<Line> = None;
    let mut repeat_from: Option<usize> = None;
    let mut seen_data = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if !seen_data && is_i2cdump_header(line) {
            continue;
        }
        if line.trim() == "*" {
            repeat_from = last.as_ref().map(|(o, b)| o + b.len());
            continue;
        }
        let parsed = parse_line(line, number, radix)?;
        let offset = match &parsed {
            Some((o, _)) => *o,
            None => {
                let first = line.split_whitespace().next().unwrap_or("");
                parse_offset(first, radix).unwrap_or(0)
            }
        };
        // Fill a `*` run with the previous line's bytes up to this offset.
        if let (Some(start), Some((_, prev))) = (repeat_from.take(), &last) {
            let mut o = start;
            while o < offset && !prev.is_empty() {
                for &b in prev {
                    if o >= offset {
                        break;
                    }
                    store(&mut data, &mut line_of, o, b, number)?;
                    o += 1;
                }
            }
        }
        let Some((offset, bytes)) = parsed else {
            break;
        };
        for (i, &b) in bytes.iter().enumerate() {
            store(&mut data, &mut line_of, offset + i, b, number)?;
        }
        seen_data = true;
        last = Some((offset, bytes));
    }
    if !seen_data {
        return Err(SpdFileError::NoData);
    }
    data.iter()
        .enumerate()
        .map(|(offset, b)| match b {
            Some(v) => Ok(*v),
            None if line_of[offset] == 0 => Err(SpdFileError::Gap { offset }),
            None => Err(SpdFileError::Unread {
                line: line_of[offset],
                offset,
            }),
        })
        .collect()
}

fn store(
    data: &mut Vec<Option<u8>>,
    line_of: &mut Vec<usize>,
    offset: usize,
    b: Option<u8>,
    line: usize,
) -> Result<(), SpdFileError> {
    if offset >= MAX_HEX_LEN {
        return Err(SpdFileError::Syntax {
            line,
            reason: format!("offset {offset:#x} is too large for an SPD"),
        });
    }
    if data.len() <= offset {
        data.resize(offset + 1, None);
        line_of.resize(offset + 1, 0);
    }
    data[offset] = b;
    line_of[offset] = line;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i2cdump_with_header_and_ascii() {
        let text = "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n\
00: 92 13 0b 08 04 21 02 09 0b 11 01 08 0a 00 fe 00    ???????????.?.?.\n\
10: 69 78 69 30 69 11 18 81 20 08 3c 3c 00 f0 83 05    ixi0i??? ?<<.???\n";
        let img = parse(text.as_bytes()).unwrap();
        assert_eq!(img.format, SpdFileFormat::HexDump);
        assert_eq!(img.bytes.len(), 32);
        assert_eq!(img.bytes[0], 0x92);
        assert_eq!(img.bytes[31], 0x05);
    }

    #[test]
    fn od_style_with_repeat_and_words() {
        let text = "0000000 1392 080b 2104 0902 110b 0801 000a 00fe\n\
*\n\
0000030 ffff ffff ffff ffff ffff ffff ffff ffff\n\
0000040\n";
        let bytes = parse_hex_dump(text).unwrap();
        assert_eq!(bytes.len(), 0x40);
        assert_eq!(&bytes[..4], &[0x92, 0x13, 0x0b, 0x08]);
        assert_eq!(&bytes[0x20..0x24], &[0x92, 0x13, 0x0b, 0x08]);
        assert_eq!(bytes[0x3f], 0xff);
    }

    #[test]
    fn unread_and_gap_errors() {
        let text = "00: 92 13 XX 08 04 21 02 09 0b 11 01 08 0a 00 fe 00\n";
        assert!(matches!(
            parse_hex_dump(text),
            Err(SpdFileError::Unread { line: 1, offset: 2 })
        ));
        let text = "10: 92 13 0b 08 04 21 02 09 0b 11 01 08 0a 00 fe 00\n";
        assert_eq!(parse_hex_dump(text), Err(SpdFileError::Gap { offset: 0 }));
        assert!(matches!(
            parse_hex_dump("hello world\n"),
            Err(SpdFileError::Syntax { line: 1, .. })
        ));
    }

    /// The first 32 bytes of a DDR3 SPD.
    const SPD_START: [u8; 32] = [
        0x92, 0x11, 0x0b, 0x02, 0x02, 0x00, 0x00, 0x09, 0x03, 0x52, 0x01, 0x08, 0x0c, 0x00, 0x7e,
        0x00, 0x69, 0x78, 0x69, 0x30, 0x69, 0x11, 0x18, 0x81, 0x20, 0x08, 0x3c, 0x3c, 0x00, 0xf0,
        0x83, 0x05,
    ];

    #[test]
    fn plain_xxd_is_read_in_file_order() {
        // `xxd spd.bin | head -2`
        let text = "00000000: 9211 0b02 0200 0009 0352 0108 0c00 7e00  .........R....~.\n\
00000010: 6978 6930 6911 1881 2008 3c3c 00f0 8305  ixi0i... .<<....\n";
        assert_eq!(parse_hex_dump(text).unwrap(), SPD_START);
        // `xxd -g1` and `xxd -g4`
        let g1 = "00000000: 92 11 0b 02 02 00 00 09 03 52 01 08 0c 00 7e 00  .........R....~.\n\
00000010: 69 78 69 30 69 11 18 81 20 08 3c 3c 00 f0 83 05  ixi0i... .<<....\n";
        assert_eq!(parse_hex_dump(g1).unwrap(), SPD_START);
        let g4 = "00000000: 92110b02 02000009 03520108 0c007e00  .........R....~.\n\
00000010: 69786930 69111881 20083c3c 00f08305  ixi0i... .<<....\n";
        assert_eq!(parse_hex_dump(g4).unwrap(), SPD_START);
    }

    #[test]
    fn od_with_octal_offsets_is_read() {
        // `od -x spd.bin` (little-endian words, octal offsets)
        let words = "0000000 1192 020b 0002 0900 5203 0801 000c 007e\n\
0000020 7869 3069 1169 8118 0820 3c3c f000 0583\n\
0000040\n";
        assert_eq!(parse_hex_dump(words).unwrap(), SPD_START);
        // `od -t x1 spd.bin`
        let bytes = "0000000 92 11 0b 02 02 00 00 09 03 52 01 08 0c 00 7e 00\n\
0000020 69 78 69 30 69 11 18 81 20 08 3c 3c 00 f0 83 05\n\
0000040\n";
        assert_eq!(parse_hex_dump(bytes).unwrap(), SPD_START);
        // A repeat run with octal offsets: 0o100 = 64 bytes.
        let repeated = "0000000 ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff\n\
0000020 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n\
*\n\
0000100\n";
        let image = parse_hex_dump(repeated).unwrap();
        assert_eq!(image.len(), 64);
        assert!(image[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn unreadable_text_names_the_formats_read() {
        let e = parse_hex_dump("this is not a dump\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: invalid offset (hex dumps read: xxd, od -x, od -t x1, hexdump, hexdump -C, i2cdump)"
        );
    }

    #[test]
    fn binary_detected() {
        let img = parse(&[0x92, 0x13, 0x0b, 0x00]).unwrap();
        assert_eq!(img.format, SpdFileFormat::Binary);
        assert_eq!(parse(&[]), Err(SpdFileError::Empty));
    }
}
