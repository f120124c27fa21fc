//! Card memory (DDR or block RAM) of a memory-mapped design, allocated lazily in chunks so
//! that an 8 GiB board only costs the memory a test actually touches.
//!
//! A memory may be given undecoded address bits ([`CARD_MEMORY_UNDECODED_BITS_ENV`]): an
//! address with such a bit set reaches the same cell as the address without it, like the
//! U200 memory found to be half its size (designs_after_seed.md §4.5), so tests of address
//! aliasing have something to find.

use std::sync::Mutex;

/// Bytes per lazily allocated chunk.
pub const CHUNK: u64 = 1 << 20;

/// Zeros for reading chunks that were never written.
static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];

/// Environment variable read when an XDMA model is created: a mask (hex with `0x`, or
/// decimal) of card memory address bits the memory does not decode. Bits below [`CHUNK`]
/// are ignored.
pub const CARD_MEMORY_UNDECODED_BITS_ENV: &str = "FPGA_SIM_CARD_MEMORY_UNDECODED_BITS";

pub struct CardMemory {
    size: u64,
    /// Address bits not decoded (whole chunks only).
    undecoded: u64,
    chunks: Vec<Mutex<Option<Box<[u8]>>>>,
}

impl CardMemory {
    pub fn new(size: u64) -> Self {
        Self::with_undecoded_bits(size, 0)
    }

    /// A memory where the address bits in `undecoded` (above the chunk size) are ignored.
    pub fn with_undecoded_bits(size: u64, undecoded: u64) -> Self {
        let n = size.div_ceil(CHUNK) as usize;
        Self {
            size,
            undecoded: undecoded & !(CHUNK - 1),
            chunks: (0..n).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// The undecoded address bits named by [`CARD_MEMORY_UNDECODED_BITS_ENV`] (0 if unset
    /// or unparsable).
    pub fn undecoded_bits_from_env() -> u64 {
        std::env::var(CARD_MEMORY_UNDECODED_BITS_ENV)
            .ok()
            .and_then(|v| {
                let v = v.trim();
                match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(hex, 16).ok(),
                    None => v.parse().ok(),
                }
            })
            .unwrap_or(0)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether `addr..addr+len` lies inside the memory.
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr.checked_add(len).is_some_and(|e| e <= self.size)
    }

    fn chunk_len(&self, index: usize) -> usize {
        (self.size - index as u64 * CHUNK).min(CHUNK) as usize
    }

    /// Splits `addr..addr+len` into (chunk index, offset in chunk, length, offset in request).
    fn pieces(&self, addr: u64, len: u64) -> impl Iterator<Item = (usize, usize, usize, u64)> {
        let end = addr + len;
        let mut at = addr;
        let undecoded = self.undecoded;
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let index = ((at & !undecoded) / CHUNK) as usize;
            let off = (at % CHUNK) as usize;
            let n = (CHUNK - at % CHUNK).min(end - at) as usize;
            let piece = (index, off, n, at - addr);
            at += n as u64;
            Some(piece)
        })
    }

    /// Calls `f(chunk bytes, offset in request)` with writable card bytes, chunk by chunk,
    /// allocating chunks on first write. Stops at the first error `f` returns.
    pub fn write_with<E>(
        &self,
        addr: u64,
        len: u64,
        mut f: impl FnMut(&mut [u8], u64) -> Result<(), E>,
    ) -> Result<(), E> {
        for (index, off, n, done) in self.pieces(addr, len) {
            let mut slot = self.chunks[index].lock().unwrap_or_else(|p| p.into_inner());
            let chunk_len = self.chunk_len(index);
            let chunk = slot.get_or_insert_with(|| vec![0u8; chunk_len].into_boxed_slice());
            f(&mut chunk[off..off + n], done)?;
        }
        Ok(())
    }

    /// Calls `f(chunk bytes, offset in request)` with the card bytes, chunk by chunk
    /// (zeros for chunks never written). Stops at the first error `f` returns.
    pub fn read_with<E>(
        &self,
        addr: u64,
        len: u64,
        mut f: impl FnMut(&[u8], u64) -> Result<(), E>,
    ) -> Result<(), E> {
        for (index, off, n, done) in self.pieces(addr, len) {
            let slot = self.chunks[index].lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_ref() {
                Some(chunk) => f(&chunk[off..off + n], done)?,
                None => f(&ZEROS[..n], done)?,
            }
        }
        Ok(())
    }

    /// Bytes of host memory currently allocated for the card memory.
    pub fn allocated_bytes(&self) -> u64 {
        (0..self.chunks.len())
            .filter(|&i| {
                self.chunks[i]
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_some()
            })
            .map(|i| self.chunk_len(i) as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_reads_and_writes_across_chunks() {
        let m = CardMemory::new(8 << 30);
        assert_eq!(m.allocated_bytes(), 0);
        let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let addr = CHUNK * 5 - 1000;
        m.write_with::<()>(addr, data.len() as u64, |dst, done| {
            dst.copy_from_slice(&data[done as usize..done as usize + dst.len()]);
            Ok(())
        })
        .unwrap();
        assert_eq!(m.allocated_bytes(), 2 * CHUNK);
        let mut back = vec![0u8; 4000];
        m.read_with::<()>(addr, 4000, |src, done| {
            back[done as usize..done as usize + src.len()].copy_from_slice(src);
            Ok(())
        })
        .unwrap();
        assert_eq!(&back[..3000], &data[..]);
        assert!(back[3000..].iter().all(|&b| b == 0));
        assert!(m.contains(0, 8 << 30));
        assert!(!m.contains(1, 8 << 30));
    }

    #[test]
    fn an_undecoded_address_bit_aliases_the_upper_half() {
        let m = CardMemory::with_undecoded_bits(0x4000_0000, 0x2000_0000);
        m.write_with::<()>(0x2000_0010, 4, |d, _| {
            d.copy_from_slice(&[9, 8, 7, 6]);
            Ok(())
        })
        .unwrap();
        let mut back = [0u8; 4];
        m.read_with::<()>(0x10, 4, |src, done| {
            back[done as usize..done as usize + src.len()].copy_from_slice(src);
            Ok(())
        })
        .unwrap();
        assert_eq!(back, [9, 8, 7, 6]);
        assert_eq!(m.allocated_bytes(), CHUNK);
    }

    #[test]
    fn partial_last_chunk() {
        let m = CardMemory::new(0x120000);
        m.write_with::<()>(0x11FFFC, 4, |d, _| {
            d.copy_from_slice(&[1, 2, 3, 4]);
            Ok(())
        })
        .unwrap();
        assert_eq!(m.allocated_bytes(), 0x20000);
    }
}
