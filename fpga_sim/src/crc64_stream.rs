//! The CRC64 stream engine of the `*_dma_stream_crc64` designs (designs_after_seed.md §3.2):
//! H2C n -> engine n -> C2H n; one 8-byte little-endian result per H2C packet.
//!
//! The engine's register starts at all ones, processes each 16-byte beat as two
//! little-endian 64-bit words (low first), shifting right with the reflected ECMA-182
//! polynomial, and outputs the raw register (no final XOR). Over whole 8-byte words that is
//! the bitwise NOT of CRC-64/XZ, which the `crc` crate provides (same polynomial, init,
//! reflection; its xorout of all ones is undone here).
//!
//! TKEEP is ignored by the hardware: a partial last beat is processed as 16 bytes. The
//! content of the unused lanes is not determined (§7); this model feeds zero bytes.

use crc::{Crc, Digest, CRC_64_XZ};

/// Bytes per beat of the designs' AXI4-Stream (the CRC64 "tdata width").
pub const CRC64_TDATA_WIDTH_BYTES: u64 = 16;

static CRC64_XZ: Crc<u64> = Crc::<u64>::new(&CRC_64_XZ);

/// One engine: the state of the packet in progress.
pub struct Crc64StreamEngine {
    digest: Digest<'static, u64>,
    packet_bytes: u64,
}

impl Default for Crc64StreamEngine {
    fn default() -> Self {
        Self {
            digest: CRC64_XZ.digest(),
            packet_bytes: 0,
        }
    }
}

impl Crc64StreamEngine {
    /// Accepts more bytes of the current packet.
    pub fn push(&mut self, data: &[u8]) {
        self.digest.update(data);
        self.packet_bytes += data.len() as u64;
    }

    /// Ends the packet (TLAST): the result the engine sends to C2H; the register restarts
    /// from all ones.
    pub fn end_packet(&mut self) -> u64 {
        let partial = self.packet_bytes % CRC64_TDATA_WIDTH_BYTES;
        if partial != 0 {
            self.digest
                .update(&[0u8; CRC64_TDATA_WIDTH_BYTES as usize][partial as usize..]);
        }
        let digest = std::mem::replace(&mut self.digest, CRC64_XZ.digest());
        self.packet_bytes = 0;
        !digest.finalize()
    }

    /// Drops the packet in progress (reset).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The engine's result over whole 64-bit words (a software reference for tests).
pub fn crc64_of_words(words: &[u64]) -> u64 {
    let mut d = CRC64_XZ.digest();
    for w in words {
        d.update(&w.to_le_bytes());
    }
    !d.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 64-bit "Knuth MMIX" LCG of the sheet, starting at 0.
    fn lcg64(n: usize) -> Vec<u64> {
        let mut v = Vec::with_capacity(n);
        let mut x = 0u64;
        for _ in 0..n {
            v.push(x);
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
        }
        v
    }

    #[test]
    fn the_sheets_test_vectors() {
        let seq = lcg64(1 + 510 + 512);
        assert_eq!(
            seq[..5],
            [
                0x0,
                0x14057B7EF767814F,
                0x1A08EE1184BA6D32,
                0x9AF678222E728119,
                0x66B61AE97F2099B4
            ]
        );
        assert_eq!(crc64_of_words(&[0, 0]), 0x165EC0E80495DC9C);
        assert_eq!(crc64_of_words(&seq[1..3]), 0x6BAF489009C4BA9E);
        assert_eq!(crc64_of_words(&seq[1..5]), 0xE93CA9D31924E4E6);
        assert_eq!(crc64_of_words(&seq[..510]), 0x2AB8B5A3A3128D4F);
        assert_eq!(crc64_of_words(&seq[510..1022]), 0x8ACFE55DCDFB9AF2);
        assert_eq!(crc64_of_words(&[0]), 0x49958C9ABD7D353F);
        assert_eq!(crc64_of_words(&[1, 2]), 0xD1A6900BEEAC467D);
        // CRC-64/XZ's check value, as the sheet quotes it.
        assert_eq!(CRC64_XZ.checksum(b"123456789"), 0x995DC9BBDF1939FA);
    }

    #[test]
    fn engine_matches_the_word_reference_across_pushes_and_restarts() {
        let seq = lcg64(1024);
        let bytes: Vec<u8> = seq[..510].iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut e = Crc64StreamEngine::default();
        for piece in bytes.chunks(4096) {
            e.push(piece);
        }
        assert_eq!(e.end_packet(), 0x2AB8B5A3A3128D4F);
        e.push(&[0u8; 16]);
        assert_eq!(e.end_packet(), 0x165EC0E80495DC9C, "restarts from all ones");
        // A partial beat is processed as 16 bytes (unused lanes zero in this model).
        e.push(&[0u8; 8]);
        assert_eq!(e.end_packet(), 0x165EC0E80495DC9C);
    }
}
