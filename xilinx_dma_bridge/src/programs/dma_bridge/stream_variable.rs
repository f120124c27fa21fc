//! `stream_variable_transfers`: packets of up to the H2C transfer length, wrapping around
//! the H2C mapping, received as C2H transfers of up to the C2H length wrapping around the
//! C2H mapping; completions checked against the plan, data verified.

use std::io::{self, Write};

use xdma_registers::descriptor::MAX_DESCRIPTOR_LEN;

use super::channel_pair::{ChannelPair, IterationSteps};
use super::iterations;
use super::options::DmaBridgeOptions;
use super::outcome::{rx_mismatch_text, Outcome};
use crate::designs::DmaDesign;
use crate::mapping::descriptors_mapping_bytes;
use crate::progress::Progress;
use crate::{ChannelConfig, ChannelError, ChannelInterface, DmaDirection, TestPattern};

/// Descriptors per ring.
const RING: u64 = 1023;

pub fn variable_transfers(
    options: &DmaBridgeOptions,
    d: &DmaDesign,
    h: u8,
    c: u8,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> io::Result<Outcome> {
    let w = options.stream_axi_width_bytes;
    let (map_h, map_c) = options.stream_mapping_size;
    let (lh, lc) = options.transfer_length;
    let (map_h, map_c) = (map_h / w * w, map_c / w * w);
    let max_h = lh.min(map_h) / w * w;
    let max_c = lc.min(map_c).min(MAX_DESCRIPTOR_LEN) / w * w;
    let bytes = map_h.min(map_c);
    writeln!(out, "\nTesting streams with variable size buffers:")?;
    writeln!(
        out,
        "  H2C mapping size 0x{map_h:x} max transfer length 0x{max_h:x} channel ID {h}"
    )?;
    writeln!(
        out,
        "  C2H mapping size 0x{map_c:x} max transfer length 0x{max_c:x} channel ID {c}"
    )?;
    let config = |direction, id| ChannelConfig {
        num_descriptors: RING as u32,
        timeout: options.timeout.duration(),
        ..ChannelConfig::new(direction, id, ChannelInterface::Stream, d.bridge.bar)
    };
    let mut pair = match ChannelPair::open(
        d,
        descriptors_mapping_bytes(RING as usize, false)
            + descriptors_mapping_bytes(RING as usize, true),
        (map_h.max(4), map_c.max(4)),
        config(DmaDirection::H2C, h),
        config(DmaDirection::C2H, c),
    ) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::AllocFailed(e)),
    };
    if max_h == 0 || max_c == 0 {
        pair.h2c
            .record_failure(ChannelError::Assertion("max_transfer_length > 0"));
    }
    let mut steps = VariableTransfers {
        map_h,
        map_c,
        max_h,
        max_c,
        bytes,
        tx: TestPattern::new(0),
        rx: TestPattern::new(0),
        tx_at: 0,
        rx_at: 0,
        tx_plan: Vec::new(),
        rx_plan: Vec::new(),
    };
    let timings = pair.run_iterations(iterations(options, bytes / 4), bytes, &mut steps, progress);
    Ok(pair.finish(timings))
}

/// One planned stream transfer.
#[derive(Debug, Clone, Copy)]
struct Planned {
    offset: u64,
    len: u64,
    eop: bool,
}

struct VariableTransfers {
    map_h: u64,
    map_c: u64,
    max_h: u64,
    max_c: u64,
    /// Bytes sent per iteration.
    bytes: u64,
    tx: TestPattern,
    rx: TestPattern,
    /// Where the next H2C / C2H transfer starts in its mapping.
    tx_at: u64,
    rx_at: u64,
    /// This iteration's transfers.
    tx_plan: Vec<Planned>,
    rx_plan: Vec<Planned>,
}

impl IterationSteps for VariableTransfers {
    fn plan(&mut self) {
        self.tx_plan.clear();
        self.rx_plan.clear();
        let mut planned = 0;
        while planned < self.bytes {
            if self.tx_at == self.map_h {
                self.tx_at = 0;
            }
            let len = self
                .max_h
                .min(self.bytes - planned)
                .min(self.map_h - self.tx_at);
            self.tx_plan.push(Planned {
                offset: self.tx_at,
                len,
                eop: true,
            });
            let mut left = len;
            while left > 0 {
                if self.rx_at == self.map_c {
                    self.rx_at = 0;
                }
                let piece = self.max_c.min(left).min(self.map_c - self.rx_at);
                left -= piece;
                self.rx_plan.push(Planned {
                    offset: self.rx_at,
                    len: piece,
                    eop: left == 0,
                });
                self.rx_at += piece;
            }
            self.tx_at += len;
            planned += len;
        }
    }

    fn populate(&mut self, pair: &mut ChannelPair) {
        for t in &self.tx_plan {
            self.tx
                .populate(&pair.h2c_data, t.offset as usize, (t.len / 4) as usize);
        }
    }

    fn transfer(&mut self, pair: &mut ChannelPair) {
        let (tx_plan, rx_plan) = (&self.tx_plan, &self.rx_plan);
        let mut watchdog = pair.watchdog();
        let (mut tx_started, mut rx_started, mut tx_done, mut rx_done) = (0, 0, 0, 0);
        while (tx_done < tx_plan.len() || rx_done < rx_plan.len()) && !pair.any_failed() {
            let (h2c, c2h) = (&mut pair.h2c, &mut pair.c2h);
            let mut progress = false;
            while rx_started < rx_plan.len() {
                let p = rx_plan[rx_started];
                if c2h.populate_stream_transfer(p.len, p.offset).is_none() {
                    break;
                }
                c2h.start_populated();
                rx_started += 1;
                progress = true;
            }
            while tx_started < tx_plan.len() {
                let p = tx_plan[tx_started];
                if h2c.populate_stream_transfer(p.len, p.offset).is_none() {
                    break;
                }
                h2c.start_populated();
                tx_started += 1;
                progress = true;
            }
            if let Some(done) = h2c.poll_completed() {
                let p = tx_plan[tx_done];
                if done.len != p.len || done.host_offset as u64 != p.offset {
                    h2c.record_failure(ChannelError::Assertion(
                        "h2c completion == planned transfer",
                    ));
                }
                tx_done += 1;
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                let p = rx_plan[rx_done];
                if done.len != p.len {
                    c2h.record_failure(ChannelError::Assertion(
                        "rx_buffer->transfer_len == expected_transfer_len",
                    ));
                } else if done.eop != Some(p.eop) {
                    c2h.record_failure(ChannelError::Assertion(
                        "rx_buffer->end_of_packet == expected_eop",
                    ));
                } else if done.host_offset as u64 != p.offset {
                    c2h.record_failure(ChannelError::Assertion("rx_buffer->data == expected_data"));
                }
                rx_done += 1;
                progress = true;
            }
            let (tx_total, rx_total) = (tx_plan.len(), rx_plan.len());
            if progress {
                watchdog.progressed();
            } else if pair.no_progress(&watchdog, || {
                format!("{tx_done} of {tx_total} H2C and {rx_done} of {rx_total} C2H transfers")
            }) {
                break;
            }
        }
    }

    fn verify(&mut self, pair: &mut ChannelPair) {
        for (b, p) in self.rx_plan.iter().enumerate() {
            if let Err(m) = self
                .rx
                .verify(&pair.c2h_data, p.offset as usize, (p.len / 4) as usize)
            {
                pair.c2h
                    .record_failure(ChannelError::DataMismatch(rx_mismatch_text(b, m)));
                break;
            }
        }
    }
}
