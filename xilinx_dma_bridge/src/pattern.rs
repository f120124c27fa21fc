//! The test pattern (xilinx_dma_bridge.md §5): the 32-bit "Numerical Recipes" LCG from seed 0,
//! written one value per 32-bit word, continuing across iterations.
//!
//! Populate and verify work on blocks of 32 consecutive words held as 32 independent lanes
//! that advance by the LCG jumped 32 steps (x[n+32] = A32 * x[n] + C32). The lanes are kept
//! in `u64`s holding 32-bit values (a 32x32->64 multiply whose low half is the result);
//! LLVM narrows this back to 32-bit lanes and, on the baseline x86-64 CPU (no 32-bit lane
//! multiply), emulates the multiply with `pmuludq` pairs.
//! Populate generates small chunks that stay in L1 and copies each to the DMA buffer with
//! one bulk copy; verify copies a chunk out of the DMA buffer and compares it with the
//! generated values in registers (no expected buffer), looking for the first differing
//! word only in a chunk that differs.

use vfio_access::DmaBuffer;

pub const LCG_MULTIPLIER: u32 = 1_664_525;
pub const LCG_INCREMENT: u32 = 1_013_904_223;

/// Words per block (lanes).
const LANES: usize = 32;
const BLOCK_BYTES: usize = LANES * 4;
/// Bytes per chunk copied to or from a DMA buffer with one bulk copy: small enough to stay
/// in L1 (a stack array), large enough that the per-copy overhead is negligible (4 KiB
/// chunks measured ~40% slower for populate).
const CHUNK_BYTES: usize = 16384;

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

/// `LANES` consecutive generator values, one per `u64` lane (only the low 32 bits are meaningful:
/// the upper halves hold multiply garbage that the next step masks off).
#[derive(Clone, Copy)]
struct Block([u64; LANES]);

impl Block {
    fn new(first: u32) -> Self {
        let mut lanes = [0u64; LANES];
        let mut v = first;
        for l in lanes.iter_mut() {
            *l = u64::from(v);
            v = v.wrapping_mul(LCG_MULTIPLIER).wrapping_add(LCG_INCREMENT);
        }
        Self(lanes)
    }

    /// The value of the block's first word.
    fn first(&self) -> u32 {
        self.0[0] as u32
    }

    /// Moves on to the next `LANES` words.
    #[inline(always)]
    fn advance(&mut self) {
        let (a, c) = (u64::from(JUMP_LANES.0), u64::from(JUMP_LANES.1));
        for l in self.0.iter_mut() {
            *l = (*l & 0xffff_ffff).wrapping_mul(a).wrapping_add(c);
        }
    }

    #[inline(always)]
    fn store(&self, out: &mut [u8; BLOCK_BYTES]) {
        for (dst, l) in out.chunks_exact_mut(4).zip(self.0.iter()) {
            dst.copy_from_slice(&(*l as u32).to_le_bytes());
        }
    }

    /// The bitwise OR of the differences between `actual` and the block, per lane.
    #[inline(always)]
    fn accumulate_difference(&self, actual: &[u8; BLOCK_BYTES], acc: &mut [u32; LANES]) {
        for ((d, a), l) in acc
            .iter_mut()
            .zip(actual.chunks_exact(4))
            .zip(self.0.iter())
        {
            *d |= u32::from_le_bytes([a[0], a[1], a[2], a[3]]) ^ (*l as u32);
        }
    }
}

/// Stores consecutive blocks into `out` (a whole number of blocks), advancing `block`.
#[inline(always)]
fn store_blocks(block: &mut Block, out: &mut [u8]) {
    for dst in out.chunks_exact_mut(BLOCK_BYTES) {
        if let Ok(dst) = <&mut [u8; BLOCK_BYTES]>::try_from(dst) {
            block.store(dst);
        }
        block.advance();
    }
}

/// Whether `data` (a whole number of blocks) equals the consecutive blocks from `block`,
/// which is advanced past them either way.
#[inline(always)]
fn blocks_match(block: &mut Block, data: &[u8]) -> bool {
    let mut acc = [0u32; LANES];
    for a in data.chunks_exact(BLOCK_BYTES) {
        if let Ok(a) = <&[u8; BLOCK_BYTES]>::try_from(a) {
            block.accumulate_difference(a, &mut acc);
        }
        block.advance();
    }
    acc.iter().fold(0, |x, y| x | y) == 0
}

/// The first mismatch in `data` (whole words) against the pattern from `first`.
fn find_mismatch(first: u32, data: &[u8]) -> Option<(usize, u32, u32)> {
    let mut p = TestPattern::new(first);
    data.chunks_exact(4).enumerate().find_map(|(i, a)| {
        let actual = u32::from_le_bytes([a[0], a[1], a[2], a[3]]);
        let expected = p.next_word();
        (actual != expected).then_some((i, actual, expected))
    })
}

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

    /// Fills `out` (little-endian words; a trailing partial word is left alone) with the
    /// next words.
    pub fn fill_bytes(&mut self, out: &mut [u8]) {
        let whole = out.len() / BLOCK_BYTES * BLOCK_BYTES;
        let (blocks, rest) = out.split_at_mut(whole);
        let mut block = Block::new(self.value);
        store_blocks(&mut block, blocks);
        self.value = block.first();
        for dst in rest.chunks_exact_mut(4) {
            dst.copy_from_slice(&self.next_word().to_le_bytes());
        }
    }

    /// Fills `out` with the next words.
    pub fn fill_words(&mut self, out: &mut [u32]) {
        let mut block = Block::new(self.value);
        let mut blocks = out.chunks_exact_mut(LANES);
        for dst in blocks.by_ref() {
            for (w, l) in dst.iter_mut().zip(block.0.iter()) {
                *w = *l as u32;
            }
            block.advance();
        }
        self.value = block.first();
        for w in blocks.into_remainder() {
            *w = self.next_word();
        }
    }

    /// Writes the next `words` words into `buffer` from byte `offset`.
    pub fn populate(&mut self, buffer: &DmaBuffer, offset: usize, words: usize) {
        let mut chunk = [0u8; CHUNK_BYTES];
        let mut block = Block::new(self.value);
        let mut at = offset;
        let mut left = words * 4;
        while left >= CHUNK_BYTES {
            store_blocks(&mut block, &mut chunk);
            buffer.write_bytes(at, &chunk);
            at += CHUNK_BYTES;
            left -= CHUNK_BYTES;
        }
        self.value = block.first();
        if left > 0 {
            let tail = &mut chunk[..left];
            self.fill_bytes(tail);
            buffer.write_bytes(at, tail);
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
        let mut chunk = [0u8; CHUNK_BYTES];
        let mut block = Block::new(self.value);
        let mut done = 0usize;
        while words - done >= CHUNK_BYTES / 4 {
            buffer.read_bytes(offset + done * 4, &mut chunk);
            let first = block.first();
            if !blocks_match(&mut block, &chunk) {
                return Err(self.mismatch_at(first, &chunk, done, words));
            }
            done += CHUNK_BYTES / 4;
        }
        self.value = block.first();
        let tail = &mut chunk[..(words - done) * 4];
        buffer.read_bytes(offset + done * 4, tail);
        let first = self.value;
        self.advance(tail.len() as u64 / 4);
        match find_mismatch(first, tail) {
            None => Ok(()),
            Some((i, actual, expected)) => Err(Mismatch {
                index: (done + i) as u64,
                actual,
                expected,
            }),
        }
    }

    /// The first mismatch of a differing chunk whose words start at index `done` and at
    /// pattern value `first`; the generator is left advanced by `words` in all.
    fn mismatch_at(&mut self, first: u32, chunk: &[u8], done: usize, words: usize) -> Mismatch {
        let (i, actual, expected) = find_mismatch(first, chunk).unwrap_or((0, 0, 0));
        self.value = first;
        self.advance((words - done) as u64);
        Mismatch {
            index: (done + i) as u64,
            actual,
            expected,
        }
    }

    /// Checks words held in a byte slice (a trailing partial word is ignored).
    pub fn verify_bytes(&mut self, data: &[u8]) -> Result<(), Mismatch> {
        let words = data.len() / 4;
        let whole = data.len() / CHUNK_BYTES * CHUNK_BYTES;
        let mut block = Block::new(self.value);
        for (k, chunk) in data[..whole].chunks_exact(CHUNK_BYTES).enumerate() {
            let first = block.first();
            if !blocks_match(&mut block, chunk) {
                return Err(self.mismatch_at(first, chunk, k * CHUNK_BYTES / 4, words));
            }
        }
        self.value = block.first();
        let tail = &data[whole..words * 4];
        let first = self.value;
        self.advance(tail.len() as u64 / 4);
        match find_mismatch(first, tail) {
            None => Ok(()),
            Some((i, actual, expected)) => Err(Mismatch {
                index: (whole / 4 + i) as u64,
                actual,
                expected,
            }),
        }
    }
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

    #[test]
    fn mismatches_in_later_chunks_and_tails() {
        // Whole chunks, then a tail that is not a whole number of blocks.
        let words = 3 * CHUNK_BYTES / 4 + 37;
        let mut clean = vec![0u8; words * 4];
        TestPattern::new(0).fill_bytes(&mut clean);
        let mut scalar = TestPattern::new(0);
        for w in clean.chunks_exact(4) {
            assert_eq!(w, scalar.next_word().to_le_bytes());
        }
        for index in [0, 1, CHUNK_BYTES / 4 - 1, CHUNK_BYTES / 4 + 5, words - 1] {
            let mut bytes = clean.clone();
            bytes[4 * index + 3] ^= 0x80;
            let mut p = TestPattern::new(0);
            let e = p.verify_bytes(&bytes).unwrap_err();
            assert_eq!(e.index, index as u64);
            assert_eq!(e.actual ^ e.expected, 0x8000_0000);
            assert_eq!(p.value(), scalar.value(), "generator advanced by all words");
        }
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
