//! The stream ring test: messages looped back from an H2C ring to a C2H ring, every piece
//! checked as it arrives.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::time::Instant;

use vfio_access::mmio::Mmio;
use vfio_access::{signals, DmaAccess};

use super::raw_ring::{init_pair, Ring};
use super::{Ctx, PAGE, PAGE_WORDS, RING};
use crate::TestPattern;

/// One received piece the C2H side expects.
pub(super) struct Piece {
    bytes: u64,
    eop: bool,
}

/// H2C channel `h` looped back to C2H channel `c`: messages of 1023 + m words split into
/// page-sized H2C descriptors (EOP on the last), one credit write per message; every C2H
/// descriptor is one page, credited up front and re-credited once checked.
pub(super) fn stream_ring_test(
    ctx: &Ctx,
    bar: &Mmio,
    h: u8,
    c: u8,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let messages = ctx.args.stream_messages;
    let Some((_descriptors, mut h2c, mut c2h)) = init_pair(ctx, bar, h, c, true, out)? else {
        return Ok(false);
    };
    let stop_both = |h2c: &Ring, c2h: &Ring| {
        h2c.stop();
        c2h.stop();
    };
    let h2c_data = ctx.alloc(
        "h2c_data",
        RING * PAGE,
        DmaAccess::READ,
        ctx.offsets[1],
        out,
    )?;
    let Some(h2c_data) = h2c_data else {
        stop_both(&h2c, &c2h);
        return Ok(false);
    };
    let c2h_data = ctx.alloc(
        "c2h_data",
        RING * PAGE,
        DmaAccess::WRITE,
        ctx.offsets[2],
        out,
    )?;
    let Some(c2h_data) = c2h_data else {
        stop_both(&h2c, &c2h);
        return Ok(false);
    };
    for i in 0..RING {
        c2h.populate(i, PAGE, 0, c2h_data.card_iova(i * PAGE), false);
    }
    c2h.credit(RING);

    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    let mut expected: VecDeque<Piece> = VecDeque::new();
    let mut page = vec![0u8; PAGE as usize];
    let (mut sent, mut received, mut processed) = (0u64, 0u64, 0u64);
    let (mut total_words, mut total_descriptors, mut rx_words) = (0u64, 0u64, 0u64);
    let mut failure: Option<String> = None;
    let deadline = ctx.deadline();
    while received < messages {
        h2c.poll();
        c2h.poll();
        if h2c.error || c2h.error {
            let failed = if h2c.error { &h2c } else { &c2h };
            failed.report_error(out)?;
            failure = Some(String::new());
            break;
        }
        if sent < messages {
            let words = RING + sent;
            let pieces = words.div_ceil(PAGE_WORDS);
            if pieces <= RING - h2c.in_flight() {
                for p in 0..pieces {
                    let slot = (h2c.started + p) % RING;
                    let n = (words - p * PAGE_WORDS).min(PAGE_WORDS);
                    let bytes = &mut page[..(n * 4) as usize];
                    tx.fill_bytes(bytes);
                    h2c_data.buffer.write_bytes((slot * PAGE) as usize, bytes);
                    let last = p + 1 == pieces;
                    h2c.populate(
                        h2c.started + p,
                        n * 4,
                        h2c_data.card_iova(slot * PAGE),
                        0,
                        last,
                    );
                    expected.push_back(Piece {
                        bytes: n * 4,
                        eop: last,
                    });
                }
                h2c.credit(pieces);
                sent += 1;
                total_words += words;
                total_descriptors += pieces;
            }
        }
        while failure.is_none() && c2h.completed > processed {
            let Some(piece) = expected.pop_front() else {
                failure = Some(format!(
                    "Unexpected C2H descriptor completion {} with nothing sent",
                    processed
                ));
                break;
            };
            let wb = c2h.take_stream_wb(processed);
            let len = wb.length;
            if !wb.magic_ok() {
                failure = Some(format!(
                    "Incorrect stream wb_magic_status 0x{:x}",
                    wb.magic_status
                ));
            } else if wb.eop() != piece.eop {
                failure = Some(format!(
                    "Incorrect EOP actual {} expected {}",
                    u32::from(wb.eop()),
                    u32::from(piece.eop)
                ));
            } else if u64::from(len) != piece.bytes {
                failure = Some(format!(
                    "Incorrect length actual {len} expected {}",
                    piece.bytes
                ));
            } else {
                let slot = processed % RING;
                let data = &mut page[..piece.bytes as usize];
                c2h_data.buffer.read_bytes((slot * PAGE) as usize, data);
                if let Err(m) = rx.verify_bytes(data) {
                    failure = Some(format!(
                        "word[{}] actual=0x{:08x} expected=0x{:08x}",
                        rx_words + m.index,
                        m.actual,
                        m.expected
                    ));
                }
            }
            if failure.is_some() {
                break;
            }
            processed += 1;
            rx_words += piece.bytes / 4;
            if piece.eop {
                received += 1;
            }
            c2h.credit(1);
        }
        if failure.is_some() {
            break;
        }
        if signals::interrupted() {
            failure = Some("Interrupted".into());
            break;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            c2h.report_timeout(out)?;
            if h2c.completed == h2c.started {
                writeln!(out, "H2C had completed")?;
            } else {
                h2c.report_timeout(out)?;
            }
            failure = Some(String::new());
            break;
        }
        std::thread::yield_now();
    }
    stop_both(&h2c, &c2h);
    match failure {
        None => {
            writeln!(
                out,
                "Successfully sent {messages} messages from Ch{h}->{c} with a total of {total_words} 32-bit words in {total_descriptors} descriptors"
            )?;
            Ok(true)
        }
        Some(m) => {
            if !m.is_empty() {
                writeln!(out, "{m}")?;
            }
            writeln!(
                out,
                "Failed after {received} out of {messages} messages transferred by DMA"
            )?;
            Ok(false)
        }
    }
}
