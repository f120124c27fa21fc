//! One looped-back stream pair under test: its channels, mappings and progress.

use std::sync::Arc;
use std::time::Instant;

use vfio_access::{DmaAccess, DmaBuffer, PciLocation};

use crate::designs::DmaDesign;
use crate::mapping::descriptors_mapping_bytes;
use crate::{ChannelConfig, Direction, DmaChannel, OverallSuccess, SubAllocator, TestPattern};

/// The ring shape every pair uses.
#[derive(Debug, Clone, Copy)]
pub struct RingShape {
    /// Host mapping per direction, in bytes.
    pub mapping: u64,
    /// Descriptors (buffers) per ring.
    pub num_descriptors: u64,
    pub bytes_per_buffer: u64,
    pub timeout_seconds: f64,
}

pub struct Pair {
    pub label: String,
    pub location: PciLocation,
    pub h2c_id: u8,
    pub c2h_id: u8,
    pub h2c: DmaChannel,
    pub c2h: DmaChannel,
    pub c2h_data: Arc<DmaBuffer>,
    /// The pattern state the H2C mapping was populated from.
    pub pattern_start: TestPattern,
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
    /// mapping with the next words of `generator`; the mapping error text on failure.
    pub fn open(
        d: &DmaDesign,
        (h2c_id, c2h_id): (u8, u8),
        shape: RingShape,
        generator: &mut TestPattern,
        overall: &OverallSuccess,
    ) -> Result<Self, String> {
        let n = shape.num_descriptors;
        let alloc = |size: u64, access| {
            d.device
                .alloc_dma(size as usize, access)
                .map(Arc::new)
                .map_err(|e| e.to_string())
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
            bytes_per_buffer: shape.bytes_per_buffer,
            timeout_seconds: shape.timeout_seconds,
            ..ChannelConfig::new(direction, channel_id, 0, d.bridge.bar)
        };
        let h2c = DmaChannel::init(
            d.device,
            config(Direction::H2C, h2c_id),
            &mut sub,
            Arc::clone(&h2c_data),
            overall,
        );
        let c2h = DmaChannel::init(
            d.device,
            config(Direction::C2H, c2h_id),
            &mut sub,
            Arc::clone(&c2h_data),
            overall,
        );
        let pattern_start = *generator;
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
            pattern_start,
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
}
