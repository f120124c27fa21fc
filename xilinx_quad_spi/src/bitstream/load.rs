//! Loading a bitstream file: format detection (Intel HEX, `.bit`, raw `.bin`) and
//! extraction of the configuration payload that goes into flash.

use std::io::Read;
use std::path::Path;

use super::bit_header::{is_bit_file, parse_bit_header, BitHeader};
use super::error::LoadError;
use super::mcs::{decode_intel_hex, starts_with_intel_hex};
use super::packets::{parse_bitstream, ParsedBitstream};
use super::report::{render_report, ReportSource};

/// Container format of a bitstream file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitstreamFormat {
    /// Intel HEX configuration-memory file (`.mcs`).
    IntelHex,
    /// Vivado `.bit` with its header.
    Bit,
    /// Raw bitstream (`.bin`), as stored in flash.
    Bin,
}

/// A bitstream file in memory.
#[derive(Debug, Clone)]
pub struct LoadedBitstream {
    name: String,
    format: BitstreamFormat,
    bit_header: Option<BitHeader>,
    /// File contents, or the decoded image for Intel HEX.
    bytes: Vec<u8>,
    /// Where the configuration payload starts in `bytes` (after a `.bit` header).
    payload_start: usize,
}

/// The largest bitstream file read: room for an Intel HEX file of the largest supported
/// flash (128 MiB of data is about 360 MiB of HEX text). Reading stops there, so a device
/// file such as /dev/zero gives an error instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Whether the name has an Intel HEX extension (`.mcs`, `.hex`), in any case.
fn has_hex_extension(name: &str) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mcs") || e.eq_ignore_ascii_case("hex"))
}

impl LoadedBitstream {
    /// Reads and decodes a file. I/O errors carry the path and the OS error text.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let io = |io| LoadError::Io {
            path: name.clone(),
            io,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge { path: name, size });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            // A file that grows, or a device without a size.
            return Err(LoadError::TooLarge {
                path: name,
                size: bytes.len() as u64,
            });
        }
        Self::from_bytes(bytes, &name)
    }

    /// Decodes file contents. `name` is used for messages and, through its extension,
    /// to recognise Intel HEX files whose first line is damaged.
    ///
    /// Detection order: Intel HEX (first line is a valid record, or `.mcs`/`.hex`
    /// name), then `.bit` (starts with the fixed preamble), else raw `.bin`. A file
    /// recognised as Intel HEX must decode completely: a bad record or missing
    /// end-of-file record is an error rather than a silent fall-back to `.bin`.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Result<Self, LoadError> {
        if starts_with_intel_hex(&bytes) || has_hex_extension(name) {
            let image = decode_intel_hex(&bytes, name)?;
            return Ok(Self {
                name: name.to_string(),
                format: BitstreamFormat::IntelHex,
                bit_header: None,
                bytes: image,
                payload_start: 0,
            });
        }
        if is_bit_file(&bytes) {
            let (header, payload_start) = parse_bit_header(&bytes, name)?;
            return Ok(Self {
                name: name.to_string(),
                format: BitstreamFormat::Bit,
                bit_header: Some(header),
                bytes,
                payload_start,
            });
        }
        Ok(Self {
            name: name.to_string(),
            format: BitstreamFormat::Bin,
            bit_header: None,
            bytes,
            payload_start: 0,
        })
    }

    /// The name given when loading (the path for files).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The detected container format.
    pub fn format(&self) -> BitstreamFormat {
        self.format
    }

    /// The `.bit` header, for `.bit` files.
    pub fn bit_header(&self) -> Option<&BitHeader> {
        self.bit_header.as_ref()
    }

    /// The configuration payload to write to flash: the bytes after a `.bit` header,
    /// the decoded image of an Intel HEX file, or a `.bin` file's contents.
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(self.payload_start..).unwrap_or_default()
    }

    /// Parses the payload's configuration packets.
    pub fn parse(&self) -> ParsedBitstream<'_> {
        parse_bitstream(self.payload())
    }

    /// Parses and renders the report of spec section 12 with `Read bitsteam from
    /// file <display_path>` as the source line.
    pub fn report(&self, display_path: &str) -> (ParsedBitstream<'_>, String) {
        let parsed = self.parse();
        let source = ReportSource::File {
            path: display_path,
            bit_header: self.bit_header(),
        };
        let text = render_report(&parsed, &source);
        (parsed, text)
    }
}
