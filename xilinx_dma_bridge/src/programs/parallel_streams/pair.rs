//! One looped-back stream pair under test: its channels, mappings, the expected content
//! of each buffer, and its progress.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vfio_access::{Device, DmaAccess, DmaBuffer, PciLocation, VfioError};

use crate::designs::DmaDesign;
use crate::mapping::descriptors_mapping_bytes;
use crate::pattern::Mismatch;
use crate::{
    BufferLayout, ChannelConfig, ChannelError, ChannelInterface, Completion, DmaChannel,
    DmaDirection, SubAllocator, TestPattern,
};

/// The ring shape every pair uses.
#[derive(Debug, Clone, Copy)]
pub struct RingShape {
    /// Host mapping per direction, in bytes.
    pub mapping: u64,
    /// Descriptors (buffers) per ring.
    pub num_descriptors: u64,
    /// A multiple of 4 (checked by the tool).
    pub bytes_per_buffer: u64,
    pub timeout: Option<Duration>,
}

pub struct Pair {
    pub label: String,
    pub location: PciLocation,
    pub h2c_id: u8,
    pub c2h_id: u8,
    pub h2c: DmaChannel,
    pub c2h: DmaChannel,
    pub c2h_data: Arc<DmaBuffer>,
    pub shape: RingShape,
    /// The pattern state the H2C mapping was populated from.
    pub pattern_start: TestPattern,
    /// The pattern state at the first word of each buffer: what every lap must bring back.
    pub buffer_patterns: Vec<TestPattern>,
    pub h2c_started: u64,
    pub c2h_started: u64,
    pub c2h_completed: u64,
    pub h2c_stopping: bool,
    pub stopped: bool,
    pub overall_start: Option<Instant>,
    pub interval_start: Option<Instant>,
    pub interval_transfers: u64,
    pub last_c2h: Option<Instant>,
    pub last_h2c: Option<Instant>,
    _descriptors: Arc<DmaBuffer>,
}

impl Pair {
    /// Maps and initialises H2C `h2c_id` and C2H `c2h_id` of `d`, populating the whole H2C
    /// mapping with the next words of `generator`. The mappings are made in the IOMMU
    /// container of `mapping_device` (normally `d`'s own device).
    pub fn open(
        d: &DmaDesign,
        mapping_device: &Device,
        (h2c_id, c2h_id): (u8, u8),
        shape: RingShape,
        generator: &mut TestPattern,
    ) -> Result<Self, VfioError> {
        let n = shape.num_descriptors;
        let alloc = |size: u64, access| {
            mapping_device
                .alloc_dma(size as usize, access)
                .map(Arc::new)
        };
        let desc = alloc(
            (descriptors_mapping_bytes(n as usize, false)
                + descriptors_mapping_bytes(n as usize, true)) as u64,
            DmaAccess::READ_WRITE,
        )?;
        let h2c_data = alloc(shape.mapping, DmaAccess::READ)?;
        let c2h_data = alloc(shape.mapping, DmaAccess::WRITE)?;
        let mut sub = SubAllocator::new(Arc::clone(&desc));
        let config = |direction, channel_id| ChannelConfig {
            num_descriptors: n as u32,
            buffers: BufferLayout::fixed(shape.bytes_per_buffer),
            timeout: shape.timeout,
            ..ChannelConfig::new(
                direction,
                channel_id,
                ChannelInterface::Stream,
                d.bridge.bar,
            )
        };
        let h2c = DmaChannel::init(
            d.device,
            config(DmaDirection::H2C, h2c_id),
            &mut sub,
            Arc::clone(&h2c_data),
        );
        let c2h = DmaChannel::init(
            d.device,
            config(DmaDirection::C2H, c2h_id),
            &mut sub,
            Arc::clone(&c2h_data),
        );
        let pattern_start = *generator;
        let words_per_buffer = shape.bytes_per_buffer / 4;
        let buffer_patterns = (0..n)
            .scan(pattern_start, |p, _| {
                let at = *p;
                p.advance(words_per_buffer);
                Some(at)
            })
            .collect();
        generator.populate(&h2c_data, 0, (shape.mapping / 4) as usize);
        let location = d.design.location;
        Ok(Pair {
            label: format!("{location} {h2c_id} -> {c2h_id}"),
            location,
            h2c_id,
            c2h_id,
            h2c,
            c2h,
            c2h_data,
            shape,
            pattern_start,
            buffer_patterns,
            h2c_started: 0,
            c2h_started: 0,
            c2h_completed: 0,
            h2c_stopping: false,
            stopped: false,
            overall_start: None,
            interval_start: None,
            interval_transfers: 0,
            last_c2h: None,
            last_h2c: None,
            _descriptors: desc,
        })
    }

    /// Starts the next H2C buffer if one is free.
    pub fn start_h2c(&mut self) -> bool {
        if self.h2c.get_next_h2c_buffer().is_some() {
            self.h2c.start_populated();
            self.h2c_started += 1;
            true
        } else {
            false
        }
    }

    pub fn failed(&self) -> bool {
        self.h2c.failed() || self.c2h.failed()
    }

    /// Checks C2H completion number `completed` (counted from 0 over the whole run) before
    /// its buffer is reused: one whole packet, in ring order, carrying the pattern of its
    /// buffer. The first problem is recorded on the C2H channel.
    pub fn check_received(&mut self, completion: Completion, completed: u64) {
        let bpb = self.shape.bytes_per_buffer;
        let n = self.shape.num_descriptors;
        if completion.len != bpb || completion.eop != Some(true) {
            self.c2h.record_failure(ChannelError::UnexpectedCompletion {
                len: completion.len,
                eop: completion.eop,
                expected_len: bpb,
            });
            return;
        }
        let index = completed % n;
        if completion.host_offset as u64 != index * bpb {
            self.c2h
                .record_failure(ChannelError::Assertion("rx_buffer->data == expected_data"));
            return;
        }
        let mut expected = self.buffer_patterns[index as usize];
        if let Err(m) = expected.verify(&self.c2h_data, completion.host_offset, (bpb / 4) as usize)
        {
            let lap = completed / n + 1;
            self.c2h
                .record_failure(ChannelError::DataMismatch(mismatch_text(
                    index * (bpb / 4),
                    m,
                    Some(lap),
                )));
        }
    }
}

/// `word[<i>] actual=0x<a> expected=0x<e>[ in lap <l>]`, `i` counted from the start of the
/// C2H mapping, laps from 1.
pub fn mismatch_text(first_word: u64, m: Mismatch, lap: Option<u64>) -> String {
    let mut text = format!(
        "word[{}] actual=0x{:x} expected=0x{:x}",
        first_word + m.index,
        m.actual,
        m.expected
    );
    if let Some(lap) = lap {
        text.push_str(&format!(" in lap {lap}"));
    }
    text
}
