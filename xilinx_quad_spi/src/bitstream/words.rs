//! Access to configuration words: big-endian 32-bit words read from a growing byte
//! buffer (a file in memory, or SPI flash read in chunks on demand), and the
//! byte-by-byte sync word search.

/// The configuration sync word.
pub const SYNC_WORD: u32 = 0xAA99_5566;

/// Flash is read in chunks of this size when the parser needs more data.
pub const FLASH_CHUNK_BYTES: usize = 32768;

/// Bytes the parser reads from. Implementations may fetch more data lazily.
pub trait BitstreamSource {
    /// Bytes available so far.
    fn data(&self) -> &[u8];

    /// Tries to make at least `len` bytes available; returns whether they are.
    fn fill_to(&mut self, len: usize) -> bool;
}

/// A complete buffer, e.g. a file read into memory.
impl BitstreamSource for &[u8] {
    fn data(&self) -> &[u8] {
        self
    }

    #[inline]
    fn fill_to(&mut self, len: usize) -> bool {
        len <= self.len()
    }
}

/// Reads a big-endian word at `offset`, if all four bytes are present.
#[inline]
pub fn word_at(data: &[u8], offset: usize) -> Option<u32> {
    let end = offset.checked_add(4)?;
    let bytes: [u8; 4] = data.get(offset..end)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// Reads the word at `offset`, fetching more data from the source when needed.
#[inline]
pub fn read_word<S: BitstreamSource>(source: &mut S, offset: usize) -> Option<u32> {
    let end = offset.checked_add(4)?;
    if !source.fill_to(end) {
        return None;
    }
    word_at(source.data(), offset)
}

/// Finds the sync word at or after byte `start`, advancing one byte at a time so an
/// unaligned sync is found. Returns its byte index.
pub fn find_sync<S: BitstreamSource>(source: &mut S, start: usize) -> Option<usize> {
    let pattern = SYNC_WORD.to_be_bytes();
    let mut from = start;
    loop {
        if !source.fill_to(from.checked_add(4)?) {
            return None;
        }
        let data = source.data();
        let window = data.get(from..)?;
        if let Some(pos) = window.windows(4).position(|w| w == pattern) {
            return Some(from + pos);
        }
        // Keep the last three bytes: a sync may straddle the next chunk boundary.
        from = data.len().saturating_sub(3).max(from);
        if !source.fill_to(data.len() + 1) {
            return None;
        }
    }
}

/// SPI flash read lazily in 32 KiB chunks, as the parser asks for more words.
///
/// `read(address, buf)` must fill `buf` from flash `address`; a failed read ends the
/// data (the driver reports its own error) and the error is kept for the caller.
pub struct FlashSource<F, E> {
    read: F,
    start_address: u64,
    flash_size: u64,
    buffer: Vec<u8>,
    read_error: Option<E>,
}

impl<F, E> FlashSource<F, E>
where
    F: FnMut(u64, &mut [u8]) -> Result<(), E>,
{
    /// A source for the flash contents from `start_address` up to `flash_size`.
    pub fn new(start_address: u64, flash_size: u64, read: F) -> Self {
        Self {
            read,
            start_address,
            flash_size,
            buffer: Vec::new(),
            read_error: None,
        }
    }

    /// Flash address of the first buffered byte.
    pub fn start_address(&self) -> u64 {
        self.start_address
    }

    /// Bytes read from flash so far.
    pub fn bytes_read(&self) -> u64 {
        self.buffer.len() as u64
    }

    /// The first read error, if a read failed.
    pub fn read_error(&self) -> Option<&E> {
        self.read_error.as_ref()
    }

    /// Gives back the bytes read and the read error, if any.
    pub fn into_parts(self) -> (Vec<u8>, Option<E>) {
        (self.buffer, self.read_error)
    }

    /// Reads the next chunk; false when the flash is exhausted or a read failed.
    fn read_chunk(&mut self) -> bool {
        if self.read_error.is_some() {
            return false;
        }
        // The end test includes the start address (the original's later fix).
        let next_address = self.start_address.saturating_add(self.bytes_read());
        let remaining = self.flash_size.saturating_sub(next_address);
        if remaining == 0 {
            return false;
        }
        let chunk = usize::try_from(remaining)
            .unwrap_or(FLASH_CHUNK_BYTES)
            .min(FLASH_CHUNK_BYTES);
        let old_len = self.buffer.len();
        self.buffer.resize(old_len + chunk, 0xFF);
        let target = self.buffer.get_mut(old_len..).unwrap_or_default();
        match (self.read)(next_address, target) {
            Ok(()) => true,
            Err(error) => {
                self.buffer.truncate(old_len);
                self.read_error = Some(error);
                false
            }
        }
    }
}

impl<F, E> BitstreamSource for FlashSource<F, E>
where
    F: FnMut(u64, &mut [u8]) -> Result<(), E>,
{
    fn data(&self) -> &[u8] {
        &self.buffer
    }

    fn fill_to(&mut self, len: usize) -> bool {
        while self.buffer.len() < len {
            if !self.read_chunk() {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unaligned_sync_in_slice() {
        let data = [0xFF, 0xFF, 0xFF, 0xAA, 0x99, 0x55, 0x66, 0x20];
        assert_eq!(find_sync(&mut &data[..], 0), Some(3));
        assert_eq!(find_sync(&mut &data[..], 4), None);
        assert_eq!(find_sync(&mut &data[..3], 0), None);
    }

    #[test]
    fn finds_sync_straddling_flash_chunks() {
        let mut flash = vec![0xFFu8; 3 * FLASH_CHUNK_BYTES];
        let at = FLASH_CHUNK_BYTES - 2;
        flash[at..at + 4].copy_from_slice(&SYNC_WORD.to_be_bytes());
        let mut reads = 0;
        let mut source = FlashSource::new(0, flash.len() as u64, |addr, buf: &mut [u8]| {
            reads += 1;
            let start = addr as usize;
            buf.copy_from_slice(&flash[start..start + buf.len()]);
            Ok::<(), ()>(())
        });
        assert_eq!(find_sync(&mut source, 0), Some(at));
        assert_eq!(source.bytes_read(), 2 * FLASH_CHUNK_BYTES as u64);
        drop(source);
        assert_eq!(reads, 2);
    }

    #[test]
    fn flash_source_stops_at_flash_end_including_start_address() {
        let flash = vec![0xFFu8; 40000];
        let mut source = FlashSource::new(10000, flash.len() as u64, |addr, buf: &mut [u8]| {
            let start = addr as usize;
            buf.copy_from_slice(&flash[start..start + buf.len()]);
            Ok::<(), ()>(())
        });
        assert_eq!(find_sync(&mut source, 0), None);
        assert_eq!(source.bytes_read(), 30000);
    }

    #[test]
    fn flash_read_error_ends_data() {
        let mut source = FlashSource::new(0, 1 << 20, |_addr, _buf: &mut [u8]| Err("bus error"));
        assert_eq!(read_word(&mut source, 0), None);
        assert_eq!(source.read_error(), Some(&"bus error"));
        assert_eq!(source.bytes_read(), 0);
    }
}
