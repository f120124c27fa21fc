//! Typed errors of the bitstream reader. Messages follow the fact sheet's wording
//! where it gives one, so reports read like the original tool's.

use std::io;

/// Why configuration packets could not be parsed to the end of configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input holds no bytes at all.
    #[error("Bitstream is empty (0 bytes)")]
    Empty,
    /// No 0xAA995566 sync word anywhere in the data.
    #[error("No Sync word found")]
    NoSyncWord,
    /// A packet announces more data words than the data holds. Absurd word counts
    /// (e.g. a corrupted Type 2 header) are reported this way too.
    #[error(
        "Only {available} out of {needed} data words available for packet \
         header_type={header_type} opcode={opcode} data_words_offset={data_offset}"
    )]
    TruncatedPacket {
        /// Whole data words present after the header.
        available: u64,
        /// Data words the header announced.
        needed: u64,
        /// Header type field (bits 31:29).
        header_type: u8,
        /// Opcode field (bits 28:27).
        opcode: u8,
        /// Byte offset of the first data word.
        data_offset: usize,
    },
    /// A Type 2 header that does not directly follow a Type 1 header.
    #[error("Type 2 packet header word {word:08X} at index {index} didn't follow a type 1 packet header")]
    Type2WithoutType1 {
        /// The header word.
        word: u32,
        /// Its byte index in the data.
        index: usize,
    },
    /// A header type other than 1 or 2 before the end of configuration.
    #[error("Unknown packet type {header_type} in header word {word:08X} at index {index}")]
    UnknownPacketType {
        /// Header type field (bits 31:29).
        header_type: u8,
        /// The header word.
        word: u32,
        /// Its byte index in the data.
        index: usize,
    },
    /// The data ended before a DESYNC command (end of configuration) was seen.
    #[error("data ended before the end of configuration (DESYNC command) was seen")]
    EndedBeforeDesync,
}

impl ParseError {
    /// Text for the report's `Error parsing bitstream: ` line. The original prints an
    /// empty text when the data simply ends before DESYNC, so that case stays empty.
    pub fn report_text(&self) -> String {
        match self {
            ParseError::EndedBeforeDesync => String::new(),
            other => other.to_string(),
        }
    }
}

/// Errors in a `.bit` file header (fields 'a'..'e' after the fixed 13-byte preamble).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitHeaderError {
    /// A field runs past the end of the file.
    #[error("Attempt to read bit header off end of file {path}")]
    OffEnd {
        /// File name used in messages.
        path: String,
    },
    /// A field tag other than the expected one.
    #[error(
        "Read 0x{found:02x} rather than expected field id {expected} from bit header in {path}"
    )]
    UnexpectedField {
        /// Tag byte found.
        found: u8,
        /// Tag expected ('a'..'e').
        expected: char,
        /// File name used in messages.
        path: String,
    },
    /// A string field of length 0.
    #[error("Empty string for field_id {field} in bit header in {path}")]
    EmptyString {
        /// Field tag.
        field: char,
        /// File name used in messages.
        path: String,
    },
    /// A string field whose last byte is not NUL.
    #[error("String for field_id {field} in bit header is not null-terminated in {path}")]
    NotNullTerminated {
        /// Field tag.
        field: char,
        /// File name used in messages.
        path: String,
    },
    /// The 'e' length differs from the bytes left in the file.
    #[error("Bitstream length in bit header is {header_length} bytes, but expected {remaining} bytes of file size for {path}")]
    LengthMismatch {
        /// Length stored in the 'e' field.
        header_length: u64,
        /// Bytes actually following the field.
        remaining: u64,
        /// File name used in messages.
        path: String,
    },
}

/// Errors decoding an Intel HEX (`.mcs`) file. Line numbers start at 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McsError {
    /// A line that is not a well-formed record (no ':', odd digits, bad byte count).
    #[error("Invalid Intel HEX record on line {line} of {path}")]
    InvalidRecord {
        /// Line number.
        line: usize,
        /// File name used in messages.
        path: String,
    },
    /// A record whose bytes do not sum to zero modulo 256.
    #[error("Intel HEX checksum mismatch on line {line} of {path}")]
    BadChecksum {
        /// Line number.
        line: usize,
        /// File name used in messages.
        path: String,
    },
    /// An end-of-file or address record with the wrong number of data bytes.
    #[error(
        "Intel HEX record type {record_type:02X} on line {line} of {path} has {length} data bytes"
    )]
    BadRecordLength {
        /// Record type.
        record_type: u8,
        /// Data bytes present.
        length: usize,
        /// Line number.
        line: usize,
        /// File name used in messages.
        path: String,
    },
    /// Data addressed beyond the largest configuration flash that makes sense.
    #[error("Intel HEX data at address 0x{address:X} on line {line} of {path} is beyond the {limit} byte limit")]
    AddressTooHigh {
        /// Absolute address of the record's end.
        address: u64,
        /// Limit in bytes.
        limit: usize,
        /// Line number.
        line: usize,
        /// File name used in messages.
        path: String,
    },
    /// The records end without an end-of-file record.
    #[error("Didn't find end of file record in {path}, possible truncated Intel HEX file")]
    MissingEof {
        /// File name used in messages.
        path: String,
    },
}

/// Errors loading a bitstream file before any packet is parsed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading the file failed; the OS error text is part of the message.
    #[error("Unable to read bitstream file {path}: {io}")]
    Io {
        /// File path.
        path: String,
        /// The OS error.
        io: io::Error,
    },
    /// The file is larger than [`super::load::MAX_FILE_BYTES`] (a device such as
    /// /dev/zero is read up to the limit).
    #[error(
        "{path} is larger than the {}-byte limit for a bitstream file (at least {size} bytes)",
        super::load::MAX_FILE_BYTES
    )]
    TooLarge {
        /// File path.
        path: String,
        /// File size.
        size: u64,
    },
    /// The `.bit` header is malformed.
    #[error(transparent)]
    BitHeader(#[from] BitHeaderError),
    /// The Intel HEX content is malformed.
    #[error(transparent)]
    Mcs(#[from] McsError),
}
