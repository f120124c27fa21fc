//! `memory_host_chunks` (designs_after_seed.md §4.1): for cards with more memory than the
//! host can spare twice over. The whole card is written through one host buffer of
//! card memory / `--host_buffer_divisor`, chunk after chunk, before any of it is read back,
//! so address bits that alias are caught; a single pass.

use std::io::{self, Write};
use std::sync::Arc;

use vfio_access::timing::TransferTiming;
use vfio_access::DmaAccess;
use xdma_registers::descriptor::MAX_DESCRIPTOR_LEN;

use super::card_memory;
use super::channel_pair::ChannelPair;
use super::options::DmaBridgeOptions;
use super::outcome::{mismatch_text, Outcome};
use crate::designs::DmaDesign;
use crate::mapping::{descriptors_mapping_bytes, SubAllocator};
use crate::progress::Progress;
use crate::{ChannelConfig, ChannelError, DmaChannel, DmaDirection, TestPattern};

/// The host buffer: a whole number of 32-bit words, card words / divisor (deliberately not
/// rounded to the memory bus width), and the descriptors one transfer of it needs.
pub fn host_buffer(card_bytes: u64, divisor: u64) -> (u64, u64) {
    let host_words = card_bytes / 4 / divisor.max(1);
    let host_bytes = host_words * 4;
    (host_bytes, host_bytes.div_ceil(MAX_DESCRIPTOR_LEN).max(1))
}

/// Runs `memory_host_chunks` on H2C channel `h` and C2H channel `c`.
pub fn host_chunks(
    options: &DmaBridgeOptions,
    d: &DmaDesign,
    h: u8,
    c: u8,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> io::Result<Outcome> {
    let card_bytes = card_memory(options, d);
    let (host_bytes, contiguous_n) = host_buffer(card_bytes, options.host_buffer_divisor);
    let alloc = |size: usize, access| d.device.alloc_dma(size, access).map(Arc::new);
    let data = alloc(host_bytes.max(4) as usize, DmaAccess::READ_WRITE);
    // Without an IOMMU the buffer may be in several pieces: one descriptor per piece, split
    // at the length limit (behind an IOMMU this is the contiguous count).
    let n = match &data {
        Ok(m) => (m
            .device_runs(0, host_bytes as usize, MAX_DESCRIPTOR_LEN)
            .len() as u64)
            .max(contiguous_n),
        Err(_) => contiguous_n,
    };
    writeln!(
        out,
        "\nTesting using 0x{host_bytes:x} byte host buffers with {n} descriptors:"
    )?;
    writeln!(out, "  H2C channel {h}")?;
    writeln!(out, "  C2H channel {c}")?;
    let data = match data {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::AllocFailed(e)),
    };
    let config = |direction, id| ChannelConfig {
        num_descriptors: n as u32,
        timeout: options.timeout.duration(),
        ..ChannelConfig::new(direction, id, d.interface(), d.bridge.bar)
    };
    // One descriptors mapping for both rings and ONE data mapping both channels use.
    let descriptors = match alloc(
        2 * descriptors_mapping_bytes(n as usize, false),
        DmaAccess::READ_WRITE,
    ) {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::AllocFailed(e)),
    };
    let mut descriptors = SubAllocator::new(descriptors);
    let h2c = DmaChannel::init(
        d.device,
        config(DmaDirection::H2C, h),
        &mut descriptors,
        Arc::clone(&data),
    );
    let c2h = DmaChannel::init(
        d.device,
        config(DmaDirection::C2H, c),
        &mut descriptors,
        Arc::clone(&data),
    );
    let mut pair = ChannelPair {
        h2c,
        c2h,
        h2c_data: Arc::clone(&data),
        c2h_data: data,
    };
    if host_bytes == 0 {
        pair.h2c.record_failure(ChannelError::Assertion(
            "host buffer of at least one word (card memory / host_buffer_divisor)",
        ));
    }
    let timings = write_then_read(&mut pair, card_bytes / 4, host_bytes, progress);
    Ok(pair.finish(timings))
}

/// The write phase over the whole card, then the read phase; the four timing blocks.
fn write_then_read(
    pair: &mut ChannelPair,
    card_words: u64,
    host_bytes: u64,
    progress: &mut dyn Progress,
) -> Vec<TransferTiming> {
    let host_words = host_bytes / 4;
    let mut populate = TransferTiming::new("populate test pattern", host_bytes);
    let mut h2c_dma = TransferTiming::new("host-to-card DMA", host_bytes);
    let mut c2h_dma = TransferTiming::new("card-to-host DMA", host_bytes);
    let mut verify = TransferTiming::new("verify test pattern", host_bytes);
    let chunks = || {
        (0..card_words)
            .step_by(host_words.max(1) as usize)
            .map(move |done| (done, host_words.min(card_words - done)))
    };
    progress.start(card_words * 4 * 4);
    let mut tx = TestPattern::new(0);
    progress.set_message("write card memory");
    for (done, words) in chunks() {
        if pair.any_failed() {
            break;
        }
        populate.start();
        tx.populate(&pair.h2c_data, 0, words as usize);
        populate.stop();
        h2c_dma.start();
        transfer(&mut pair.h2c, words * 4, done * 4);
        h2c_dma.stop();
        progress.advance(words * 8);
    }
    let mut rx = TestPattern::new(0);
    progress.set_message("read back card memory");
    for (done, words) in chunks() {
        if pair.any_failed() {
            break;
        }
        c2h_dma.start();
        transfer(&mut pair.c2h, words * 4, done * 4);
        c2h_dma.stop();
        if pair.any_failed() {
            break;
        }
        verify.start();
        let checked = rx.verify(&pair.c2h_data, 0, words as usize);
        verify.stop();
        progress.advance(words * 8);
        if let Err(mut m) = checked {
            m.index += done;
            pair.c2h
                .record_failure(ChannelError::DataMismatch(mismatch_text("DDR ", m)));
        }
    }
    progress.finish();
    vec![populate, h2c_dma, c2h_dma, verify]
}

/// One memory-mapped transfer of `len` bytes between host offset 0 and card offset
/// `card_offset`, polled to completion (or the channel's timeout, recorded on it).
fn transfer(ch: &mut DmaChannel, len: u64, card_offset: u64) {
    if ch.populate_mm_transfer(len, 0, card_offset).is_none() {
        return;
    }
    ch.start_populated();
    let mut watchdog = crate::poll_watchdog::PollWatchdog::new(ch.timeout());
    loop {
        if let Some(done) = ch.poll_completed() {
            if done.len != len {
                ch.record_failure(ChannelError::Assertion("transfer_len == chunk length"));
            }
            watchdog.progressed();
            return;
        }
        if ch.failed() {
            return;
        }
        if let Some(e) =
            watchdog.expired(|| format!("{len} byte transfer at card offset 0x{card_offset:x}"))
        {
            ch.record_failure(e);
            return;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::host_buffer;

    #[test]
    fn host_buffers_of_the_sheets_examples() {
        // designs_after_seed.md §4.1: 8 GiB / 4 and 1 GiB / 4.
        assert_eq!(host_buffer(8 << 30, 4), (0x8000_0000, 9));
        assert_eq!(host_buffer(1 << 30, 4), (0x1000_0000, 2));
        // Whole words, not rounded to the bus width.
        assert_eq!(host_buffer(0x100, 3), (84, 1));
        assert_eq!(host_buffer(8, 4), (0, 1));
    }
}
