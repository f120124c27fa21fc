//! The software side of the CRC64 stream designs (designs_after_seed.md §3.2): the result
//! the engine returns for a packet, and the 64-bit test sequence the CRC64 tests send.
//!
//! The engine starts from all ones, shifts right with the reflected ECMA-182 polynomial over
//! each little-endian 64-bit word and outputs the raw register. Over whole words that is the
//! bitwise NOT of CRC-64/XZ (same polynomial, init and reflection, xorout all ones), which the
//! `crc` crate provides.

use crc::{Crc, CRC_64_XZ};

static CRC64_XZ: Crc<u64> = Crc::<u64>::new(&CRC_64_XZ);

/// What the engine returns for a packet of `words` (a whole number of 16-byte beats on the
/// hardware, §6 pitfall 4): NOT CRC-64/XZ over the words' little-endian bytes.
pub fn crc64_of_words(words: &[u64]) -> u64 {
    let mut digest = CRC64_XZ.digest();
    for w in words {
        digest.update(&w.to_le_bytes());
    }
    !digest.finalize()
}

/// The 64-bit "Knuth MMIX" LCG of the CRC64 tests (§3.2): next = x * 6364136223846793005 +
/// 1442695040888963407 mod 2^64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lcg64(u64);

impl Lcg64 {
    const MULTIPLIER: u64 = 6_364_136_223_846_793_005;
    const INCREMENT: u64 = 1_442_695_040_888_963_407;

    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The current value.
    pub const fn value(&self) -> u64 {
        self.0
    }

    /// Steps to the next value and returns it.
    pub fn advance(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(Self::MULTIPLIER)
            .wrapping_add(Self::INCREMENT);
        self.0
    }

    /// Returns the current value, then steps ("write then advance", the descriptor-credits
    /// CRC64 ring test).
    pub fn take(&mut self) -> u64 {
        let v = self.0;
        self.advance();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(n: usize) -> Vec<u64> {
        let mut g = Lcg64::new(0);
        (0..n).map(|_| g.take()).collect()
    }

    /// The test vectors of designs_after_seed.md §3.2.
    #[test]
    fn the_sheets_test_vectors() {
        let seq = sequence(1 + 510 + 512);
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
        let vectors: [(&[u64], u64); 7] = [
            (&[0, 0], 0x165EC0E80495DC9C),
            (&seq[1..3], 0x6BAF489009C4BA9E),
            (&seq[1..5], 0xE93CA9D31924E4E6),
            (&seq[..510], 0x2AB8B5A3A3128D4F),
            (&seq[510..1022], 0x8ACFE55DCDFB9AF2),
            (&[0], 0x49958C9ABD7D353F),
            (&[1, 2], 0xD1A6900BEEAC467D),
        ];
        for (words, expected) in vectors {
            assert_eq!(crc64_of_words(words), expected, "{words:x?}");
            // The simulated engine computes the same.
            assert_eq!(fpga_sim::crc64_stream::crc64_of_words(words), expected);
        }
        // CRC-64/XZ's check value as the sheet quotes it: the crate's algorithm is the one.
        assert_eq!(CRC64_XZ.checksum(b"123456789"), 0x995DC9BBDF1939FA);
    }

    /// The bit-serial definition of §3.2, as an independent reference.
    fn bit_serial(words: &[u64]) -> u64 {
        let mut crc = u64::MAX;
        for &w in words {
            crc ^= w;
            for _ in 0..64 {
                let out = crc & 1;
                crc >>= 1;
                if out == 1 {
                    crc ^= 0xC96C5795D7870F42;
                }
            }
        }
        crc
    }

    #[test]
    fn table_driven_equals_the_bit_serial_definition() {
        let seq = sequence(300);
        for n in [1, 2, 3, 16, 299] {
            assert_eq!(crc64_of_words(&seq[..n]), bit_serial(&seq[..n]), "{n}");
        }
    }

    #[test]
    fn simulated_engine_over_beats_matches() {
        let seq = sequence(64);
        let bytes: Vec<u8> = seq.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut engine = fpga_sim::crc64_stream::Crc64StreamEngine::default();
        for beat in bytes.chunks(16) {
            engine.push(beat);
        }
        assert_eq!(engine.end_packet(), crc64_of_words(&seq));
    }

    #[test]
    fn advance_and_take() {
        let mut g = Lcg64::new(0);
        assert_eq!(g.advance(), 0x14057B7EF767814F);
        assert_eq!(g.take(), 0x14057B7EF767814F);
        assert_eq!(g.value(), 0x1A08EE1184BA6D32);
    }
}
