//! The test pattern (fact sheet section 5): the 32-bit "Numerical Recipes" LCG from seed 0,
//! written one value per 32-bit word, continuing across iterations.
//!
//! Populate and verify work on chunks: 16 independent lanes advance by the LCG jumped 16
//! steps (x[n+16] = A16 * x[n] + C16), which the compiler vectorises; DMA buffers are only
//! touched by bulk copies of whole chunks.

use vfio_access::DmaBuffer;

pub const LCG_MULTIPLIER: u32 = 1_664_525;
pub const LCG_INCREMENT: u32 = 1_013_904_223;

const LANES: usize = 16;
/// Words per chunk copied to or from a DMA buffer.
const CHUNK_WORDS: usize = 4096;

/// Multiplier and increment of the LCG advanced `steps` times: x[n+steps] = a * x[n] + c.
pub const fn jump(steps: u64) -> (u32, u32) {
    let (mut a, mut c) = (1u32, 0u32);
    let (mut ma, mut mc) = (LCG_MULTIPLIER, LCG_INCREMENT);
    let mut k = steps;
    while k > 0 {
        if k & 1 == 1 {
            a = a.wrapping_mul(ma);
            c = c.wrapping_mul(ma).wrapping_add(mc);
        }
        mc = mc.wrapping_mul(ma).wrapping_add(mc);
        ma = ma.wrapping_mul(ma);
        k >>= 1;
    }
    (a, c)
}

const JUMP_LANES: (u32, u32) = jump(LANES as u64);

/// The first word that differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// Word index from the start of the verified range.
    pub index: u64,
    pub actual: u32,
    pub expected: u32,
}

/// The generator: the value of the next word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TestPattern {
    value: u32,
}

impl TestPattern {
    pub fn new(seed: u32) -> Self {
        Self { value: seed }
    }

    /// The next word's value.
    pub fn value(&self) -> u32 {
        self.value
    }

    /// Returns the current value and advances one step.
    #[inline]
    pub fn next_word(&mut self) -> u32 {
        let v = self.value;
        self.value = v.wrapping_mul(LCG_MULTIPLIER).wrapping_add(LCG_INCREMENT);
        v
    }

    /// Advances `steps` words without generating them.
    pub fn advance(&mut self, steps: u64) {
        let (a, c) = jump(steps);
        self.value = self.value.wrapping_mul(a).wrapping_add(c);
    }

    /// Fills `out` (little-endian words; its length a multiple of 4) with the next words.
    pub fn fill_bytes(&mut self, out: &mut [u8]) {
        debug_assert!(out.len() % 4 == 0);
        let (a, c) = JUMP_LANES;
        let mut lanes = [0u32; LANES];
        let mut v = self.value;
        for l in lanes.iter_mut() {
            *l = v;
            v = v.wrapping_mul(LCG_MULTIPLIER).wrapping_add(LCG_INCREMENT);
        }
        let mut blocks = out.chunks_exact_mut(LANES * 4);
        let mut bytes = [0u8; LANES * 4];
        for block in blocks.by_ref() {
            for i in 0..LANES {
                bytes[4 * i..4 * i + 4].copy_from_slice(&lanes[i].to_le_bytes());
                lanes[i] = lanes[i].wrapping_mul(a).wrapping_add(c);
            }
            block.copy_from_slice(&bytes);
        }
        self.value = lanes[0];
        for dst in blocks.into_remainder().chunks_exact_mut(4) {
            dst.copy_from_slice(&self.next_word().to_le_bytes());
        }
    }

    /// Fills `out` with the next words.
    pub fn fill_words(&mut self, out: &mut [u32]) {
        let (a, c) = JUMP_LANES;
        let mut lanes = [0u32; LANES];
        let mut v = self.value;
        for l in lanes.iter_mut() {
            *l = v;
            v = v.wrapping_mul(LCG_MULTIPLIER).wrapping_add(LCG_INCREMENT);
        }
        let mut blocks = out.chunks_exact_mut(LANES);
        for block in blocks.by_ref() {
            block.copy_from_slice(&lanes);
            for l in lanes.iter_mut() {
                *l = l.wrapping_mul(a).wrapping_add(c);
            }
        }
        self.value = lanes[0];
        for w in blocks.into_remainder() {
            *w = self.next_word();
        }
    }

    /// Writes the next `words` words into `buffer` from byte `offset`.
    pub fn populate(&mut self, buffer: &DmaBuffer, offset: usize, words: usize) {
        let mut chunk = vec![0u8; CHUNK_WORDS * 4];
        let mut done = 0;
        while done < words {
            let n = (words - done).min(CHUNK_WORDS);
            let bytes = &mut chunk[..n * 4];
            self.fill_bytes(bytes);
            buffer.write_bytes(offset + done * 4, bytes);
            done += n;
        }
    }

    /// Checks the next `words` words of `buffer` from byte `offset`. The generator always
    /// advances by `words`; the first mismatch is returned.
    pub fn verify(
        &mut self,
        buffer: &DmaBuffer,
        offset: usize,
        words: usize,
    ) -> Result<(), Mismatch> {
        let mut actual = vec![0u8; CHUNK_WORDS * 4];
        let mut expected = vec![0u8; CHUNK_WORDS * 4];
        let mut done = 0;
        let mut first: Option<Mismatch> = None;
        while done < words {
            let n = (words - done).min(CHUNK_WORDS);
            let a = &mut actual[..n * 4];
            let e = &mut expected[..n * 4];
            self.fill_bytes(e);
            if first.is_none() {
                buffer.read_bytes(offset + done * 4, a);
                if a != e {
                    first = first_difference(a, e).map(|(i, actual, expected)| Mismatch {
                        index: (done + i) as u64,
                        actual,
                        expected,
                    });
                }
            }
            done += n;
        }
        first.map_or(Ok(()), Err)
    }

    /// Checks words held in a byte slice.
    pub fn verify_bytes(&mut self, data: &[u8]) -> Result<(), Mismatch> {
        let mut expected = vec![0u8; CHUNK_WORDS * 4];
        let mut first = None;
        for (k, a) in data.chunks(CHUNK_WORDS * 4).enumerate() {
            let e = &mut expected[..a.len()];
            self.fill_bytes(e);
            if first.is_none() && a != e {
                first = first_difference(a, e).map(|(i, actual, expected)| Mismatch {
                    index: (k * CHUNK_WORDS + i) as u64,
                    actual,
                    expected,
                });
            }
        }
        first.map_or(Ok(()), Err)
    }
}

fn first_difference(a: &[u8], e: &[u8]) -> Option<(usize, u32, u32)> {
    a.chunks_exact(4)
        .zip(e.chunks_exact(4))
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| {
            (
                i,
                u32::from_le_bytes([x[0], x[1], x[2], x[3]]),
                u32::from_le_bytes([y[0], y[1], y[2], y[3]]),
            )
        })
}

/// Iterations needed for the cumulative words written to reach 2^32.
pub fn iterations_for(words_per_iteration: u64) -> u64 {
    if words_per_iteration == 0 {
        return 0;
    }
    (1u64 << 32).div_ceil(words_per_iteration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_start() {
        let mut p = TestPattern::new(0);
        let first: Vec<u32> = (0..6).map(|_| p.next_word()).collect();
        assert_eq!(
            first,
            [
                0x0000_0000,
                0x3C6E_F35F,
                0x4750_2932,
                0xD1CC_F6E9,
                0xAAF9_5334,
                0x6252_E503
            ]
        );
    }

    #[test]
    fn checkpoints() {
        for (steps, value) in [
            (0x48000u64, 0x16E6_8000u32),
            (0x10_0000, 0x8A50_0000),
            (0x1000_0000, 0x5000_0000),
            (0x2000_0000, 0xA000_0000),
            (1 << 32, 0),
        ] {
            let mut p = TestPattern::new(0);
            p.advance(steps);
            assert_eq!(p.value(), value, "after 0x{steps:x} steps");
        }
        // The chunked generator agrees with the jump for an odd length.
        let mut p = TestPattern::new(0);
        let mut words = vec![0u32; 0x48000];
        p.fill_words(&mut words);
        assert_eq!(p.value(), 0x16E6_8000);
        let mut q = TestPattern::new(0);
        let scalar: Vec<u32> = (0..0x48000).map(|_| q.next_word()).collect();
        assert_eq!(words, scalar);
        let mut bytes = vec![0u8; 4 * 1000 + 4 * 7];
        let mut r = TestPattern::new(0);
        r.fill_bytes(&mut bytes);
        assert_eq!(&bytes[4..8], &0x3C6E_F35Fu32.to_le_bytes());
        assert_eq!(
            u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap()),
            scalar[1006]
        );
    }

    #[test]
    fn verify_bytes_finds_first_mismatch() {
        let mut bytes = vec![0u8; 4 * 10000];
        TestPattern::new(0).fill_bytes(&mut bytes);
        assert_eq!(TestPattern::new(0).verify_bytes(&bytes), Ok(()));
        bytes[4 * 5000 + 1] ^= 0x10;
        let mut p = TestPattern::new(0);
        let e = p.verify_bytes(&bytes).unwrap_err();
        assert_eq!(e.index, 5000);
        assert_eq!(e.actual ^ e.expected, 0x1000);
        assert_eq!(
            p.value(),
            TestPattern::new(0).tap(|q| q.advance(10000)).value()
        );
    }

    trait Tap: Sized {
        fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
    }
    impl Tap for TestPattern {
        fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
            f(&mut self);
            self
        }
    }

    #[test]
    fn iterations() {
        assert_eq!(iterations_for(0x48000), 14564);
        assert_eq!(iterations_for(0x1000_0000), 16);
    }
}
