//! The memory-mapped tests of `test_dma_bridge`: every iteration writes the whole tested
//! card memory by H2C, reads it back by C2H (each C2H piece once its H2C data is on the
//! card) and verifies it; they differ in how the memory is split into transfers.

use std::io::{self, Write};

use xdma_registers::descriptor::descriptors_for;

use super::channel_pair::{ChannelPair, IterationSteps};
use super::options::DmaBridgeOptions;
use super::outcome::{mismatch_text, Outcome};
use super::{card_memory, iterations};
use crate::designs::DmaDesign;
use crate::mapping::descriptors_mapping_bytes;
use crate::progress::Progress;
use crate::{
    BufferLayout, ChannelConfig, ChannelError, Completion, DmaChannel, DmaDirection, TestPattern,
};

/// `memory_fixed_buffers`: the card memory as a ring of equal buffers, one per descriptor.
pub fn fixed_buffers(
    options: &DmaBridgeOptions,
    d: &DmaDesign,
    h: u8,
    c: u8,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> io::Result<Outcome> {
    let mem = card_memory(options, d);
    let (n, bpb) = if mem < options.max_buffer_size {
        (1u64, mem)
    } else {
        let bpb = options.max_buffer_size / 4 * 4;
        (mem / bpb, bpb)
    };
    writeln!(
        out,
        "\nTesting using {n} buffers of size 0x{bpb:x} bytes, H2C channel {h} C2H channel {c}"
    )?;
    let config = |direction, id| ChannelConfig {
        num_descriptors: n.min(u64::from(u32::MAX)) as u32,
        buffers: BufferLayout::fixed(bpb),
        timeout: options.timeout.duration(),
        ..ChannelConfig::new(direction, id, d.interface(), d.bridge.bar)
    };
    let pair = match ChannelPair::open(
        d,
        2 * descriptors_mapping_bytes(n as usize, false),
        (mem, mem),
        config(DmaDirection::H2C, h),
        config(DmaDirection::C2H, c),
    ) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::AllocFailed(e)),
    };
    Ok(run_whole_memory(options, pair, n * bpb, progress, |pair| {
        let mut watchdog = pair.watchdog();
        let (mut h_started, mut h_done, mut c_done) = (0u64, 0u64, 0u64);
        while c_done < n && !pair.any_failed() {
            let (h2c, c2h) = (&mut pair.h2c, &mut pair.c2h);
            let mut progress = false;
            if h_started < n && h2c.get_next_h2c_buffer().is_some() {
                h2c.start_populated();
                h_started += 1;
                progress = true;
            }
            if let Some(done) = h2c.poll_completed() {
                check_fixed(h2c, done, h_done, bpb);
                h_done += 1;
                c2h.start_next_c2h_buffer();
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                check_fixed(c2h, done, c_done, bpb);
                c_done += 1;
                progress = true;
            }
            if progress {
                watchdog.progressed();
            } else if pair.no_progress(&watchdog, || {
                format!("{c_done} of {n} C2H buffers ({h_done} H2C buffers done)")
            }) {
                break;
            }
        }
    }))
}

/// Checks a fixed-buffer completion: full length and buffer order.
fn check_fixed(ch: &mut DmaChannel, done: Completion, index: u64, bpb: u64) {
    let n = u64::from(ch.num_descriptors());
    if done.len != bpb {
        ch.record_failure(ChannelError::Assertion("transfer_len == bytes_per_buffer"));
    } else if done.host_offset as u64 != (index % n) * bpb {
        ch.record_failure(ChannelError::Assertion("buffer returned in order"));
    }
}

/// `memory_variable_transfers`: transfers of `--transfer-length` (per direction) through
/// rings sized to hold the whole memory, at most 1023 descriptors.
pub fn variable_transfers(
    options: &DmaBridgeOptions,
    d: &DmaDesign,
    h: u8,
    c: u8,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> io::Result<Outcome> {
    let mem = card_memory(options, d);
    let (lh, lc) = options.transfer_length;
    let (len_h, len_c) = (lh.min(mem), lc.min(mem));
    let ring = |len: u64| (mem.div_ceil(len) * descriptors_for(len)).min(1023);
    let (ring_h, ring_c) = (ring(len_h), ring(len_c));
    writeln!(out, "\nTesting using:")?;
    writeln!(
        out,
        "  H2C channel {h} transfer length 0x{len_h:x} bytes with {ring_h} descriptors"
    )?;
    writeln!(
        out,
        "  C2H channel {c} transfer length 0x{len_c:x} bytes with {ring_c} descriptors"
    )?;
    let config = |direction, id, n: u64| ChannelConfig {
        num_descriptors: n as u32,
        timeout: options.timeout.duration(),
        ..ChannelConfig::new(direction, id, d.memory_interface(mem), d.bridge.bar)
    };
    let pair = match ChannelPair::open(
        d,
        descriptors_mapping_bytes(ring_h as usize, false)
            + descriptors_mapping_bytes(ring_c as usize, false),
        (mem, mem),
        config(DmaDirection::H2C, h, ring_h),
        config(DmaDirection::C2H, c, ring_c),
    ) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::AllocFailed(e)),
    };
    Ok(run_whole_memory(options, pair, mem, progress, |pair| {
        let mut watchdog = pair.watchdog();
        let (mut h_started, mut h_done, mut c_started, mut c_done) = (0u64, 0u64, 0u64, 0u64);
        while c_done < mem && !pair.any_failed() {
            let (h2c, c2h) = (&mut pair.h2c, &mut pair.c2h);
            let mut progress = false;
            while h_started < mem {
                let len = len_h.min(mem - h_started);
                if h2c
                    .populate_mm_transfer(len, h_started, h_started)
                    .is_none()
                {
                    break;
                }
                h2c.start_populated();
                h_started += len;
                progress = true;
            }
            if let Some(done) = h2c.poll_completed() {
                if done.host_offset as u64 != h_done {
                    h2c.record_failure(ChannelError::Assertion(
                        "h2c_transfer == expected_h2c_transfer",
                    ));
                }
                h_done += done.len;
                progress = true;
            }
            while c_started < h_done {
                let len = len_c.min(mem - c_started);
                if c_started + len > h_done
                    || c2h
                        .populate_mm_transfer(len, c_started, c_started)
                        .is_none()
                {
                    break;
                }
                c2h.start_populated();
                c_started += len;
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                if done.host_offset as u64 != c_done {
                    c2h.record_failure(ChannelError::Assertion(
                        "c2h_transfer == expected_c2h_transfer",
                    ));
                }
                c_done += done.len;
                progress = true;
            }
            if progress {
                watchdog.progressed();
            } else if pair.no_progress(&watchdog, || {
                format!("0x{c_done:x} of 0x{mem:x} bytes read back (0x{h_done:x} written)")
            }) {
                break;
            }
        }
    }))
}

/// The iterations both memory-mapped tests share: populate `bytes` of the H2C mapping,
/// `transfer` them to the card and back, verify the C2H mapping (`DDR word[..]` on a
/// mismatch), reporting to `progress`.
fn run_whole_memory(
    options: &DmaBridgeOptions,
    mut pair: ChannelPair,
    bytes: u64,
    progress: &mut dyn Progress,
    transfer: impl FnMut(&mut ChannelPair),
) -> Outcome {
    let mut steps = WholeMemory {
        words: (bytes / 4) as usize,
        tx: TestPattern::new(0),
        rx: TestPattern::new(0),
        transfer,
    };
    let timings = pair.run_iterations(iterations(options, bytes / 4), bytes, &mut steps, progress);
    pair.finish(timings)
}

struct WholeMemory<F> {
    words: usize,
    tx: TestPattern,
    rx: TestPattern,
    transfer: F,
}

impl<F: FnMut(&mut ChannelPair)> IterationSteps for WholeMemory<F> {
    fn populate(&mut self, pair: &mut ChannelPair) {
        self.tx.populate(&pair.h2c_data, 0, self.words);
    }

    fn transfer(&mut self, pair: &mut ChannelPair) {
        (self.transfer)(pair);
    }

    fn verify(&mut self, pair: &mut ChannelPair) {
        if let Err(m) = self.rx.verify(&pair.c2h_data, 0, self.words) {
            pair.c2h
                .record_failure(ChannelError::DataMismatch(mismatch_text("DDR ", m)));
        }
    }
}
