//! The CRC64 ring test (designs_after_seed.md §3.4): messages of 64-bit LCG words sent from
//! an H2C ring through the CRC64 engine; each comes back as one 8-byte C2H packet holding
//! the CRC, checked against the software result.

use std::io::{self, Write};
use std::time::Instant;

use vfio_access::mmio::Mmio;
use vfio_access::{signals, DmaAccess};

use super::raw_ring::{init_pair, Ring};
use super::{Ctx, PAGE, RING};
use crate::crc64::{crc64_of_words, Lcg64};

/// 64-bit words per page (one H2C descriptor).
const PAGE_WORDS64: u64 = PAGE / 8;
/// Words in message 0; message m has `FIRST_MESSAGE_WORDS + 2 m` (always whole 16-byte beats).
const FIRST_MESSAGE_WORDS: u64 = 510;
/// Bytes of the engine's result packet.
const CRC_BYTES: u32 = 8;

/// Why the DMA stopped (the data check never stops it).
enum DmaFailure {
    /// Already reported (timeout, error writeback, interrupt).
    Reported,
    /// A line still to print.
    Line(String),
}

/// H2C channel `h` through CRC64 engine to C2H channel `c`.
pub(super) fn crc64_ring_test(
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
    let Some(h2c_data) = ctx.alloc(
        "h2c_data",
        RING * PAGE,
        DmaAccess::READ,
        ctx.offsets[1],
        out,
    )?
    else {
        stop_both(&h2c, &c2h);
        return Ok(false);
    };
    let Some(c2h_data) = ctx.alloc(
        "c2h_data",
        RING * PAGE,
        DmaAccess::WRITE,
        ctx.offsets[2],
        out,
    )?
    else {
        stop_both(&h2c, &c2h);
        return Ok(false);
    };
    for i in 0..RING {
        c2h.populate(i, PAGE, 0, c2h_data.card_iova(i * PAGE), false);
    }
    c2h.credit(RING);

    let mut sequence = Lcg64::new(0);
    let mut words: Vec<u64> = Vec::new();
    let (mut completed_messages, mut processed) = (0u64, 0u64);
    let (mut total_words, mut total_descriptors) = (0u64, 0u64);
    let mut data_ok = true;
    let mut failure: Option<DmaFailure> = None;
    let deadline = ctx.deadline();
    'messages: for m in 0..messages {
        let message_words = FIRST_MESSAGE_WORDS + 2 * m;
        words.clear();
        words.extend((0..message_words).map(|_| sequence.take()));
        let pieces = message_words.div_ceil(PAGE_WORDS64);
        for (p, chunk) in words.chunks(PAGE_WORDS64 as usize).enumerate() {
            let index = h2c.started + p as u64;
            let slot = index % RING;
            let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_le_bytes()).collect();
            h2c_data.buffer.write_bytes((slot * PAGE) as usize, &bytes);
            h2c.populate(
                index,
                bytes.len() as u64,
                h2c_data.card_iova(slot * PAGE),
                0,
                p as u64 + 1 == pieces,
            );
        }
        h2c.credit(pieces);
        let expected = crc64_of_words(&words);

        // The C2H result packet.
        loop {
            h2c.poll();
            c2h.poll();
            if let Some(f) = ring_failure(&h2c, &c2h, out)? {
                failure = Some(f);
                break 'messages;
            }
            if c2h.completed > processed {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() > d) {
                writeln!(
                    out,
                    "Test timeout waiting for C2H descriptor to complete (processed {processed} completed {} channel_status 0x{:x})",
                    c2h.completed,
                    c2h.regs.status()
                )?;
                if h2c.completed == h2c.started {
                    writeln!(out, "H2C had completed")?;
                } else {
                    writeln!(out, "Test timeout waiting for {}", h2c.waiting_text())?;
                }
                failure = Some(DmaFailure::Reported);
                break 'messages;
            }
            std::thread::yield_now();
        }
        let wb = c2h.take_stream_wb(processed);
        if !wb.magic_ok() {
            failure = Some(DmaFailure::Line(format!(
                "Incorrect stream wb_magic_status 0x{:x}",
                wb.magic_status
            )));
            break;
        }
        if !wb.eop() {
            failure = Some(DmaFailure::Line("EOP not set".into()));
            break;
        }
        if wb.length != CRC_BYTES {
            failure = Some(DmaFailure::Line(format!(
                "Incorrect length actual {} expected {CRC_BYTES}",
                wb.length
            )));
            break;
        }
        let actual = c2h_data
            .buffer
            .read_u64(((processed % RING) * PAGE) as usize);
        if actual != expected && data_ok {
            writeln!(
                out,
                "Actual CRC {actual:016X} != Expected CRC {expected:016X} (over {message_words} words)"
            )?;
            data_ok = false;
        }
        processed += 1;
        c2h.credit(1);

        // Every H2C descriptor of the message.
        loop {
            h2c.poll();
            c2h.poll();
            if let Some(f) = ring_failure(&h2c, &c2h, out)? {
                failure = Some(f);
                break 'messages;
            }
            if h2c.completed == h2c.started {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() > d) {
                writeln!(out, "Test timeout waiting for {}", h2c.waiting_text())?;
                failure = Some(DmaFailure::Reported);
                break 'messages;
            }
            std::thread::yield_now();
        }
        completed_messages += 1;
        total_words += message_words;
        total_descriptors += pieces;
    }
    stop_both(&h2c, &c2h);
    match failure {
        None if data_ok => {
            writeln!(
                out,
                "Successfully sent {messages} messages from Ch{h}->{c} with a total of {total_words} 64-bit words in {total_descriptors} descriptors"
            )?;
            Ok(true)
        }
        // Every message was transferred, but a CRC was wrong (already reported).
        None => Ok(false),
        Some(f) => {
            if let DmaFailure::Line(l) = f {
                writeln!(out, "{l}")?;
            }
            writeln!(
                out,
                "Failed after {completed_messages} out of {messages} messages transferred by DMA"
            )?;
            Ok(false)
        }
    }
}

/// An error writeback or an interrupt ends the test.
fn ring_failure(h2c: &Ring, c2h: &Ring, out: &mut dyn Write) -> io::Result<Option<DmaFailure>> {
    if h2c.error || c2h.error {
        let failed = if h2c.error { h2c } else { c2h };
        failed.report_error(out)?;
        return Ok(Some(DmaFailure::Reported));
    }
    if signals::interrupted() {
        return Ok(Some(DmaFailure::Line("Interrupted".into())));
    }
    Ok(None)
}
