//! One stream under test, in one direction only, and its throughput statistics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vfio_access::{Device, DmaAccess, DmaBuffer, PciLocation, VfioError};

use crate::designs::DmaDesign;
use crate::mapping::descriptors_mapping_bytes;
use crate::{
    BufferLayout, ChannelConfig, ChannelInterface, DmaChannel, DmaDirection, SubAllocator,
    TestPattern,
};

/// The ring shape every stream uses.
#[derive(Debug, Clone, Copy)]
pub struct RingShape {
    /// Host mapping per stream, in bytes.
    pub mapping: u64,
    pub num_descriptors: u64,
    /// mapping / num_descriptors (not rounded, designs_after_seed.md §4.3).
    pub bytes_per_buffer: u64,
    pub timeout: Option<Duration>,
}

/// Bytes and transfers since a start time, up to the latest completion.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub start: Option<Instant>,
    pub bytes: u64,
    pub transfers: u64,
}

pub struct Stream {
    pub location: PciLocation,
    pub direction: DmaDirection,
    pub channel_id: u8,
    pub channel: DmaChannel,
    pub bytes_per_buffer: u64,
    /// C2H only: the design fills C2H only from H2C packets (loopback, CRC64), so after the
    /// stop its outstanding buffers may never fill (fixed-data C2H always fills).
    pub fed_by_h2c: bool,
    /// Buffers started and not yet completed.
    pub in_use: u64,
    pub overall: Tally,
    pub interval: Tally,
    pub last_completion: Option<Instant>,
    _descriptors: Arc<DmaBuffer>,
}

impl Stream {
    /// Maps and initialises one channel of `d` in fixed-buffer credit mode, its mappings in
    /// the container of `mapping_device`. H2C data is the next words of `generator`.
    pub fn open(
        d: &DmaDesign,
        mapping_device: &Device,
        (direction, channel_id): (DmaDirection, u8),
        shape: RingShape,
        generator: &mut TestPattern,
    ) -> Result<Self, VfioError> {
        let n = shape.num_descriptors as usize;
        // Twice what one channel needs, as the original sizes it.
        let descriptors = Arc::new(mapping_device.alloc_dma(
            2 * descriptors_mapping_bytes(n, direction == DmaDirection::C2H),
            DmaAccess::READ_WRITE,
        )?);
        let access = match direction {
            DmaDirection::H2C => DmaAccess::READ,
            DmaDirection::C2H => DmaAccess::WRITE,
        };
        let data = Arc::new(mapping_device.alloc_dma(shape.mapping as usize, access)?);
        if direction == DmaDirection::H2C {
            generator.populate(&data, 0, (shape.mapping / 4) as usize);
        }
        let mut sub = SubAllocator::new(Arc::clone(&descriptors));
        let config = ChannelConfig {
            num_descriptors: shape.num_descriptors as u32,
            buffers: BufferLayout::fixed(shape.bytes_per_buffer),
            timeout: shape.timeout,
            ..ChannelConfig::new(
                direction,
                channel_id,
                ChannelInterface::Stream,
                d.bridge.bar,
            )
        };
        let channel = DmaChannel::init(d.device, config, &mut sub, data);
        Ok(Self {
            location: d.design.location,
            direction,
            channel_id,
            channel,
            bytes_per_buffer: shape.bytes_per_buffer,
            fed_by_h2c: direction == DmaDirection::C2H
                && (d.design.axi_stream_switch.is_some()
                    || !d.design.design.info().default_routes.is_empty()),
            in_use: 0,
            overall: Tally::default(),
            interval: Tally::default(),
            last_completion: None,
            _descriptors: descriptors,
        })
    }

    /// `<bdf> <H2C|C2H> channel <id>`.
    pub fn label(&self) -> String {
        format!(
            "{} {} channel {}",
            self.location, self.direction, self.channel_id
        )
    }

    /// Starts the next buffer; false when none is free or the channel failed.
    pub fn start_next(&mut self) -> bool {
        let started = match self.direction {
            DmaDirection::H2C => {
                if self.channel.get_next_h2c_buffer().is_some() {
                    self.channel.start_populated();
                    !self.channel.failed()
                } else {
                    false
                }
            }
            DmaDirection::C2H => self.channel.start_next_c2h_buffer(),
        };
        if started {
            self.in_use += 1;
            if self.overall.start.is_none() {
                let now = Instant::now();
                self.overall.start = Some(now);
                self.interval.start = Some(now);
            }
        }
        started
    }

    /// Polls for one completion: the bytes it carried (H2C: the buffer size; C2H: the
    /// length the writeback reports, 8 on the CRC64 designs).
    pub fn poll(&mut self) -> Option<u64> {
        let done = self.channel.poll_completed()?;
        self.in_use -= 1;
        let bytes = match self.direction {
            DmaDirection::H2C => self.bytes_per_buffer,
            DmaDirection::C2H => done.len,
        };
        self.last_completion = Some(Instant::now());
        for t in [&mut self.overall, &mut self.interval] {
            t.bytes += bytes;
            t.transfers += 1;
        }
        Some(bytes)
    }

    /// The statistics of the tally, ending at the latest completion.
    pub fn stats(&self, tally: &Tally) -> StreamStats {
        let seconds = match (tally.start, self.last_completion) {
            (Some(s), Some(e)) if e > s => (e - s).as_secs_f64(),
            _ => 0.0,
        };
        StreamStats {
            label: self.label(),
            bytes: tally.bytes,
            transfers: tally.transfers,
            seconds,
        }
    }

    /// A new interval starts at the most recent completion.
    pub fn next_interval(&mut self) {
        self.interval = Tally {
            start: self.last_completion.or(self.interval.start),
            bytes: 0,
            transfers: 0,
        };
    }
}

/// Throughput of one stream over an interval or the whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    pub label: String,
    pub bytes: u64,
    pub transfers: u64,
    pub seconds: f64,
}

impl StreamStats {
    /// `  <bdf> <dir> channel <id> <rate> Mbytes/sec (<bytes> bytes in <n> transfers over
    /// <secs> secs)` or `  <bdf> <dir> channel <id> No completed transfers`.
    pub fn line(&self) -> String {
        if self.transfers == 0 {
            return format!("  {} No completed transfers", self.label);
        }
        let rate = if self.seconds > 0.0 {
            self.bytes as f64 / 1e6 / self.seconds
        } else {
            0.0
        };
        format!(
            "  {} {rate:.3} Mbytes/sec ({} bytes in {} transfers over {:.6} secs)",
            self.label, self.bytes, self.transfers, self.seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_lines() {
        let s = StreamStats {
            label: "0000:15:00.0 C2H channel 1".into(),
            bytes: 8_000_000,
            transfers: 1_000_000,
            seconds: 2.0,
        };
        assert_eq!(
            s.line(),
            "  0000:15:00.0 C2H channel 1 4.000 Mbytes/sec (8000000 bytes in 1000000 transfers over 2.000000 secs)"
        );
        let none = StreamStats { transfers: 0, ..s };
        assert_eq!(
            none.line(),
            "  0000:15:00.0 C2H channel 1 No completed transfers"
        );
    }
}
