//! `stream_fixed_buffers[_c2h_continuous]`: packets of one H2C buffer each, looped back
//! into fixed-size C2H buffers (several per packet when they are smaller), checking
//! order, lengths, EOP and data.

use std::io::{self, Write};

use super::channel_pair::{ChannelPair, IterationSteps};
use super::iterations;
use super::options::DmaBridgeOptions;
use super::outcome::{rx_mismatch_text, Outcome};
use crate::designs::DmaDesign;
use crate::mapping::descriptors_mapping_bytes;
use crate::progress::Progress;
use crate::{
    BufferLayout, ChannelConfig, ChannelError, ChannelInterface, Completion, DmaDirection,
    TestPattern,
};

pub fn fixed_buffers(
    options: &DmaBridgeOptions,
    d: &DmaDesign,
    h: u8,
    c: u8,
    continuous: bool,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> io::Result<Outcome> {
    let (map_h, map_c) = options.stream_mapping_size;
    let (n_h, n_c) = options.stream_num_descriptors;
    let w = options.stream_axi_width_bytes;
    let size_h = map_h / n_h / 4 * 4;
    let size_c = map_c / n_c / w * w;
    let per_packet = if size_c == 0 {
        0
    } else {
        size_h.div_ceil(size_c)
    };
    let packets = n_c
        .checked_div(per_packet)
        .map_or(0, |p| p.min(n_c).min(n_h));
    let bytes = packets * size_h;
    writeln!(
        out,
        "\nTesting streams using H2C {n_h} buffers of size 0x{size_h:x} bytes, C2H {n_c} buffers of size 0x{size_c:x} bytes{}, H2C channel {h} C2H channel {c}",
        if continuous { " in continuous mode" } else { "" }
    )?;
    let timeout = options.timeout.duration();
    let mut pair = match ChannelPair::open(
        d,
        descriptors_mapping_bytes(n_h as usize, false)
            + descriptors_mapping_bytes(n_c as usize, true),
        (map_h, map_c),
        ChannelConfig {
            num_descriptors: n_h.min(u64::from(u32::MAX)) as u32,
            buffers: BufferLayout::fixed(size_h),
            timeout,
            ..ChannelConfig::new(DmaDirection::H2C, h, ChannelInterface::Stream, d.bridge.bar)
        },
        ChannelConfig {
            num_descriptors: n_c.min(u64::from(u32::MAX)) as u32,
            buffers: BufferLayout::fixed(size_c),
            c2h_stream_continuous: continuous,
            timeout,
            ..ChannelConfig::new(DmaDirection::C2H, c, ChannelInterface::Stream, d.bridge.bar)
        },
    ) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::AllocFailed(e)),
    };
    if packets == 0 {
        pair.h2c
            .record_failure(ChannelError::Assertion("h2c_packets_per_iteration > 0"));
    }
    let mut steps = FixedBuffers {
        n_h,
        n_c,
        size_h,
        size_c,
        packets,
        c2h_per_iteration: packets * per_packet,
        continuous,
        tx: TestPattern::new(0),
        rx: TestPattern::new(0),
        h_index: 0,
        c_index: 0,
        results: Vec::new(),
    };
    let timings = pair.run_iterations(iterations(options, bytes / 4), bytes, &mut steps, progress);
    Ok(pair.finish(timings))
}

struct FixedBuffers {
    n_h: u64,
    n_c: u64,
    size_h: u64,
    size_c: u64,
    /// H2C buffers (packets) per iteration.
    packets: u64,
    /// C2H buffers per iteration.
    c2h_per_iteration: u64,
    continuous: bool,
    tx: TestPattern,
    rx: TestPattern,
    /// H2C / C2H buffers used before this iteration.
    h_index: u64,
    c_index: u64,
    /// The C2H completions of this iteration.
    results: Vec<Completion>,
}

impl IterationSteps for FixedBuffers {
    fn populate(&mut self, pair: &mut ChannelPair) {
        for k in 0..self.packets {
            let i = (self.h_index + k) % self.n_h;
            self.tx.populate(
                &pair.h2c_data,
                (i * self.size_h) as usize,
                (self.size_h / 4) as usize,
            );
        }
    }

    fn transfer(&mut self, pair: &mut ChannelPair) {
        let (n_h, size_h, h_index) = (self.n_h, self.size_h, self.h_index);
        if !self.continuous {
            for _ in 0..self.c2h_per_iteration {
                pair.c2h.start_next_c2h_buffer();
            }
        }
        for k in 0..self.packets {
            match pair.h2c.get_next_h2c_buffer() {
                Some(off) if off as u64 == ((h_index + k) % n_h) * size_h => {
                    pair.h2c.start_populated()
                }
                _ => pair
                    .h2c
                    .record_failure(ChannelError::Assertion("h2c_buffer != NULL")),
            }
        }
        self.results.clear();
        let mut watchdog = pair.watchdog();
        let mut h_done = 0;
        while (h_done < self.packets || (self.results.len() as u64) < self.c2h_per_iteration)
            && !pair.any_failed()
        {
            let (h2c, c2h) = (&mut pair.h2c, &mut pair.c2h);
            let mut progress = false;
            if let Some(done) = h2c.poll_completed() {
                if done.host_offset as u64 != ((h_index + h_done) % n_h) * size_h {
                    h2c.record_failure(ChannelError::Assertion(
                        "h2c_buffer == expected_h2c_buffer",
                    ));
                }
                h_done += 1;
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                self.results.push(done);
                progress = true;
            }
            let (packets, c2h_expected) = (self.packets, self.c2h_per_iteration);
            let received = self.results.len();
            if progress {
                watchdog.progressed();
            } else if pair.no_progress(&watchdog, || {
                format!("{h_done} of {packets} H2C packets and {received} of {c2h_expected} C2H buffers")
            }) {
                break;
            }
        }
    }

    fn verify(&mut self, pair: &mut ChannelPair) {
        let (size_h, size_c, n_c) = (self.size_h, self.size_c, self.n_c);
        let c2h = &mut pair.c2h;
        let mut r = self.results.iter();
        'packets: for _ in 0..self.packets {
            let mut remaining = size_h;
            while remaining > 0 {
                let Some(got) = r.next() else {
                    c2h.record_failure(ChannelError::Assertion("rx_buffer != NULL"));
                    break 'packets;
                };
                let eop = remaining <= size_c;
                let len = if eop { remaining } else { size_c };
                let b = self.c_index % n_c;
                if got.host_offset as u64 != b * size_c {
                    c2h.record_failure(ChannelError::Assertion("rx_buffer->data == expected_data"));
                    break 'packets;
                }
                if got.len != len {
                    c2h.record_failure(ChannelError::Assertion(
                        "rx_buffer->transfer_len == expected_transfer_len",
                    ));
                    break 'packets;
                }
                if got.eop != Some(eop) {
                    c2h.record_failure(ChannelError::Assertion(
                        "rx_buffer->end_of_packet == expected_eop",
                    ));
                    break 'packets;
                }
                if let Err(m) = self
                    .rx
                    .verify(&pair.c2h_data, got.host_offset, (len / 4) as usize)
                {
                    c2h.record_failure(ChannelError::DataMismatch(rx_mismatch_text(b as usize, m)));
                    break 'packets;
                }
                remaining -= len;
                self.c_index += 1;
            }
        }
        self.h_index += self.packets;
    }
}
