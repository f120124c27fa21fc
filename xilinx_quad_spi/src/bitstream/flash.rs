//! Parsing a bitstream straight from SPI flash, read lazily in 32 KiB chunks so only
//! the part of the flash holding the bitstream (plus the erased word after it) is read.

use std::borrow::Cow;

use super::packets::{parse_packets, ParsedBitstream};
use super::report::{render_report, ReportSource};
use super::words::FlashSource;

/// Outcome of parsing from flash.
#[derive(Debug)]
pub struct FlashParse<E> {
    /// The packets, over the bytes read.
    pub parsed: ParsedBitstream<'static>,
    /// Flash address parsing started at.
    pub start_address: u64,
    /// Bytes read from flash (whole chunks).
    pub bytes_read: u64,
    /// The first flash read error; the data ended there.
    pub read_error: Option<E>,
}

impl<E> FlashParse<E> {
    /// The report with `Read <N> bytes from SPI flash starting at address <A>`.
    pub fn report(&self) -> String {
        render_report(
            &self.parsed,
            &ReportSource::Flash {
                bytes_read: self.bytes_read,
                start_address: self.start_address,
            },
        )
    }
}

/// Parses the bitstream stored in flash at `start_address`. `read(address, buf)` fills
/// `buf` from flash; it is called with chunks of at most 32 KiB, never past
/// `flash_size`. Erased flash after the trailing NOPs ends the parse without error;
/// erased flash everywhere gives `No Sync word found` after reading the whole flash.
pub fn parse_flash<F, E>(start_address: u64, flash_size: u64, read: F) -> FlashParse<E>
where
    F: FnMut(u64, &mut [u8]) -> Result<(), E>,
{
    let mut source = FlashSource::new(start_address, flash_size, read);
    let parse = parse_packets(&mut source);
    let bytes_read = source.bytes_read();
    let (buffer, read_error) = source.into_parts();
    FlashParse {
        parsed: ParsedBitstream::from_parse(Cow::Owned(buffer), parse),
        start_address,
        bytes_read,
        read_error,
    }
}
