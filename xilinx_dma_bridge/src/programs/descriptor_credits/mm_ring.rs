//! The memory-mapped ring test: card memory written by H2C and read back by C2H through
//! two credit-gated rings, then verified word by word.

use std::io::{self, Write};
use std::time::Instant;

use vfio_access::mmio::Mmio;
use vfio_access::{signals, DmaAccess, DmaBuffer};

use super::raw_ring::{init_pair, Ring};
use super::{Ctx, PAGE, PAGE_WORDS, RING};
use crate::TestPattern;

/// H2C descriptors populated per credit write in the memory-mapped ring test.
pub(super) const MM_GROUP: u64 = 5;
/// Mismatched words printed before the rest are only counted.
pub(super) const MAX_MISMATCH_LINES: u64 = 10;

/// Fills `bytes` of `buffer` from `offset` with the next pattern words, inverted when asked.
pub(super) fn write_pattern(
    pattern: &mut TestPattern,
    buffer: &DmaBuffer,
    bytes: u64,
    invert: bool,
) {
    if !invert {
        pattern.populate(buffer, 0, (bytes / 4) as usize);
        return;
    }
    let mut chunk = vec![0u8; 64 << 10];
    let mut at = 0usize;
    while (at as u64) < bytes {
        let n = ((bytes - at as u64) as usize).min(chunk.len());
        let c = &mut chunk[..n];
        pattern.fill_bytes(c);
        c.iter_mut().for_each(|b| *b = !*b);
        buffer.write_bytes(at, c);
        at += n;
    }
}

/// Channel 0 both directions, one page per descriptor, H2C credited in groups of 5 and
/// each C2H page credited as soon as its H2C page has completed.
pub(super) fn mm_ring_test(ctx: &Ctx, bar: &Mmio, out: &mut dyn Write) -> io::Result<bool> {
    let total = (ctx.design.bridge.memory_size / PAGE).min(ctx.args.mm_descriptors);
    let bytes = total * PAGE;
    writeln!(
        out,
        "Testing {bytes} bytes of card memory, using rings with {RING} descriptors, and a total of {total} descriptors"
    )?;
    if total == 0 {
        writeln!(out, "The card memory holds no whole page to test")?;
        return Ok(false);
    }
    let Some((_descriptors, mut h2c, mut c2h)) = init_pair(ctx, bar, 0, 0, false, out)? else {
        return Ok(false);
    };
    let stop_both = |h2c: &Ring, c2h: &Ring| {
        h2c.stop();
        c2h.stop();
    };
    let Some(h2c_data) = ctx.alloc("h2c_data", bytes, DmaAccess::READ, ctx.offsets[1], out)? else {
        stop_both(&h2c, &c2h);
        return Ok(false);
    };
    let Some(c2h_data) = ctx.alloc("c2h_data", bytes, DmaAccess::WRITE, ctx.offsets[2], out)?
    else {
        stop_both(&h2c, &c2h);
        return Ok(false);
    };
    write_pattern(&mut TestPattern::new(0), &h2c_data.buffer, bytes, false);
    write_pattern(&mut TestPattern::new(0), &c2h_data.buffer, bytes, true);

    let deadline = ctx.deadline();
    let mut pass = true;
    while c2h.completed < total {
        h2c.poll();
        c2h.poll();
        if h2c.error || c2h.error {
            let failed = if h2c.error { &h2c } else { &c2h };
            failed.report_error(out)?;
            pass = false;
            break;
        }
        let n = MM_GROUP
            .min(total - h2c.started)
            .min(RING - h2c.in_flight());
        if n > 0 && (n == MM_GROUP || h2c.started + n == total) {
            for i in h2c.started..h2c.started + n {
                h2c.populate(i, PAGE, h2c_data.card_iova(i * PAGE), i * PAGE, false);
            }
            h2c.credit(n);
        }
        while c2h.started < h2c.completed && c2h.in_flight() < RING {
            let i = c2h.started;
            c2h.populate(i, PAGE, i * PAGE, c2h_data.card_iova(i * PAGE), false);
            c2h.credit(1);
        }
        if signals::interrupted() {
            writeln!(out, "Interrupted")?;
            pass = false;
            break;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            if h2c.completed < h2c.started || h2c.started < total {
                h2c.report_timeout(out)?;
            } else {
                c2h.report_timeout(out)?;
            }
            pass = false;
            break;
        }
        std::thread::yield_now();
    }
    stop_both(&h2c, &c2h);
    if !pass {
        return Ok(false);
    }
    verify_card_words(&c2h_data.buffer, total * PAGE_WORDS, out)
}

/// Checks every word of the C2H mapping against the pattern.
pub(super) fn verify_card_words(
    buffer: &DmaBuffer,
    words: u64,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let mut expected = TestPattern::new(0);
    let mut mismatches = 0u64;
    let mut chunk = vec![0u8; 64 << 10];
    let mut done = 0u64;
    while done < words {
        let n = ((words - done) * 4).min(chunk.len() as u64) as usize;
        let c = &mut chunk[..n];
        buffer.read_bytes((done * 4) as usize, c);
        let mut p = expected;
        if p.verify_bytes(c).is_err() {
            for (k, w) in c.chunks_exact(4).enumerate() {
                let actual = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                let e = expected.next_word();
                if actual != e {
                    if mismatches < MAX_MISMATCH_LINES {
                        writeln!(
                            out,
                            "card_words[{}] actual=0x{actual:08x} expected=0x{e:08x}",
                            done + k as u64
                        )?;
                    }
                    mismatches += 1;
                }
            }
        } else {
            expected = p;
        }
        done += (n / 4) as u64;
    }
    if mismatches > MAX_MISMATCH_LINES {
        writeln!(
            out,
            "... {} more of {mismatches} card words differ",
            mismatches - MAX_MISMATCH_LINES
        )?;
    }
    Ok(mismatches == 0)
}
