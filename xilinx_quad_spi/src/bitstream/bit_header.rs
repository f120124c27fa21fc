//! The `.bit` file header written by Vivado: a fixed 13-byte preamble, then fields
//! 'a' (design name), 'b' (part), 'c' (date), 'd' (time) as length-prefixed
//! NUL-terminated strings, then 'e' with the 32-bit bitstream length.

use super::error::BitHeaderError;

/// The fixed preamble every `.bit` file starts with.
pub const BIT_PREAMBLE: [u8; 13] = [
    0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x00, 0x00, 0x01,
];

/// Strings from a `.bit` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitHeader {
    /// Design name, with Vivado's `;COMPRESS=...;UserID=...;Version=...` attributes.
    pub design_name: String,
    /// Part name without the `xc` prefix, e.g. `7a200tfbg484`.
    pub part_name: String,
    /// Build date `YYYY/MM/DD`.
    pub date: String,
    /// Build time `HH:MM:SS`.
    pub time: String,
}

/// Whether `bytes` looks like a `.bit` file (longer than the preamble, starts with it).
pub fn is_bit_file(bytes: &[u8]) -> bool {
    bytes.len() > BIT_PREAMBLE.len() && bytes.starts_with(&BIT_PREAMBLE)
}

/// Sequential reader over the header bytes; every read is bounds checked.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a str,
}

impl<'a> Cursor<'a> {
    fn off_end(&self) -> BitHeaderError {
        BitHeaderError::OffEnd {
            path: self.path.to_string(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BitHeaderError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.off_end())?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| self.off_end())?;
        self.pos = end;
        Ok(slice)
    }

    fn tag(&mut self, expected: char) -> Result<(), BitHeaderError> {
        let found = *self.take(1)?.first().ok_or_else(|| self.off_end())?;
        if char::from(found) == expected {
            Ok(())
        } else {
            Err(BitHeaderError::UnexpectedField {
                found,
                expected,
                path: self.path.to_string(),
            })
        }
    }

    fn u16_be(&mut self) -> Result<u16, BitHeaderError> {
        let bytes: [u8; 2] = self.take(2)?.try_into().map_err(|_| self.off_end())?;
        Ok(u16::from_be_bytes(bytes))
    }

    fn u32_be(&mut self) -> Result<u32, BitHeaderError> {
        let bytes: [u8; 4] = self.take(4)?.try_into().map_err(|_| self.off_end())?;
        Ok(u32::from_be_bytes(bytes))
    }

    /// A tagged string field: tag, 16-bit length (including NUL), bytes, NUL.
    fn string_field(&mut self, field: char) -> Result<String, BitHeaderError> {
        self.tag(field)?;
        let len = usize::from(self.u16_be()?);
        if len == 0 {
            return Err(BitHeaderError::EmptyString {
                field,
                path: self.path.to_string(),
            });
        }
        let raw = self.take(len)?;
        match raw.split_last() {
            Some((0, text)) => Ok(String::from_utf8_lossy(text).into_owned()),
            _ => Err(BitHeaderError::NotNullTerminated {
                field,
                path: self.path.to_string(),
            }),
        }
    }
}

/// Parses the header of a `.bit` file (`bytes` must start with [`BIT_PREAMBLE`]).
/// Returns the header and the byte offset where the bitstream starts. `path` is used
/// in error messages only.
pub fn parse_bit_header(bytes: &[u8], path: &str) -> Result<(BitHeader, usize), BitHeaderError> {
    let mut cursor = Cursor {
        bytes,
        pos: 0,
        path,
    };
    cursor.take(BIT_PREAMBLE.len())?;
    let design_name = cursor.string_field('a')?;
    let part_name = cursor.string_field('b')?;
    let date = cursor.string_field('c')?;
    let time = cursor.string_field('d')?;
    cursor.tag('e')?;
    let header_length = u64::from(cursor.u32_be()?);
    let remaining = bytes.len().saturating_sub(cursor.pos) as u64;
    if header_length != remaining {
        return Err(BitHeaderError::LengthMismatch {
            header_length,
            remaining,
            path: path.to_string(),
        });
    }
    let header = BitHeader {
        design_name,
        part_name,
        date,
        time,
    };
    Ok((header, cursor.pos))
}

/// Builds a `.bit` file from header strings and a bitstream; used to make test files.
/// Fails if a string is too long for the 16-bit length or the bitstream for 32 bits.
pub fn build_bit_file(header: &BitHeader, bitstream: &[u8]) -> Option<Vec<u8>> {
    let mut out = BIT_PREAMBLE.to_vec();
    for (tag, text) in [
        (b'a', &header.design_name),
        (b'b', &header.part_name),
        (b'c', &header.date),
        (b'd', &header.time),
    ] {
        let len = u16::try_from(text.len() + 1).ok()?;
        out.push(tag);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(text.as_bytes());
        out.push(0);
    }
    out.push(b'e');
    out.extend_from_slice(&u32::try_from(bitstream.len()).ok()?.to_be_bytes());
    out.extend_from_slice(bitstream);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BitHeader {
        BitHeader {
            design_name: "top;COMPRESS=TRUE".into(),
            part_name: "7a200tfbg484".into(),
            date: "2024/02/24".into(),
            time: "16:41:41".into(),
        }
    }

    #[test]
    fn round_trip() {
        let file = build_bit_file(&sample(), &[1, 2, 3, 4]).unwrap();
        assert!(is_bit_file(&file));
        let (header, start) = parse_bit_header(&file, "x.bit").unwrap();
        assert_eq!(header, sample());
        assert_eq!(&file[start..], &[1, 2, 3, 4]);
    }

    #[test]
    fn errors() {
        let file = build_bit_file(&sample(), &[1, 2, 3, 4]).unwrap();
        // Length mismatch: one byte too many.
        let mut longer = file.clone();
        longer.push(0);
        assert_eq!(
            parse_bit_header(&longer, "f").unwrap_err().to_string(),
            "Bitstream length in bit header is 4 bytes, but expected 5 bytes of file size for f"
        );
        // Truncated in the middle of the design name.
        assert!(matches!(
            parse_bit_header(&file[..20], "f"),
            Err(BitHeaderError::OffEnd { .. })
        ));
        // Wrong tag.
        let mut wrong = file.clone();
        wrong[13] = b'z';
        assert_eq!(
            parse_bit_header(&wrong, "f").unwrap_err().to_string(),
            "Read 0x7a rather than expected field id a from bit header in f"
        );
        // Empty string.
        let mut empty = BIT_PREAMBLE.to_vec();
        empty.extend_from_slice(&[b'a', 0, 0]);
        assert!(matches!(
            parse_bit_header(&empty, "f"),
            Err(BitHeaderError::EmptyString { field: 'a', .. })
        ));
        // Not NUL terminated: overwrite the NUL of the design name.
        let mut unterminated = file.clone();
        let nul = 13 + 3 + sample().design_name.len();
        unterminated[nul] = b'X';
        assert!(matches!(
            parse_bit_header(&unterminated, "f"),
            Err(BitHeaderError::NotNullTerminated { field: 'a', .. })
        ));
    }
}
