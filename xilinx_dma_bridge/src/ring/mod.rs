//! The ring-based channel driver (xilinx_dma_bridge.md §4): per-channel descriptor rings
//! in DMA memory released to a running engine by descriptor credits, completion seen
//! through the poll-mode completed-count writeback (no register reads while waiting).
//!
//! - [`config`]: what the caller configures; [`bookkeeping`]: the ring counters, tested
//!   on their own.

pub mod bookkeeping;
pub mod config;

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vfio_access::{Device, DmaBuffer};
use xdma_registers::descriptor::stream_writeback;
use xdma_registers::descriptor::{
    completed_count, descriptors_for, stream_writeback::StreamWriteback, Descriptor,
    DescriptorFlags, DESCRIPTOR_BYTES, MAX_DESCRIPTOR_LEN, MAX_LENGTH_FIELD,
};
use xdma_registers::register_map::MAX_CREDITS;
use xdma_registers::{map_dma_window, ChannelBlocks, DmaDirection};

use self::bookkeeping::RingBookkeeping;
pub use self::config::{BufferLayout, ChannelConfig, ChannelInterface};
use crate::channel_error::{ChannelError, ChannelFailure, ChannelState};
use crate::mapping::{Region, SubAllocator};

/// How long finalisation waits for the channel to become idle (§4.9).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// A completed transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// Offset of the transfer's first byte in the data mapping.
    pub host_offset: usize,
    pub len: u64,
    /// End of packet, for C2H stream transfers only.
    pub eop: Option<bool>,
}

/// Where a channel's ring lives once initialised.
struct Ring {
    blocks: ChannelBlocks,
    descriptors: Region,
    completed_word: Region,
    stream_writebacks: Option<Region>,
    bookkeeping: RingBookkeeping,
}

/// One H2C or C2H channel driven through a credit-gated descriptor ring.
pub struct DmaChannel {
    config: ChannelConfig,
    device_name: String,
    descriptors_mapping: Arc<DmaBuffer>,
    data: Arc<DmaBuffer>,
    ring: Option<Ring>,
    addr_alignment: u64,
    failure: ChannelFailure,
    deadline: Option<Instant>,
}

/// Records `$error` on `$self` and returns `$ret` when `$cond` does not hold.
macro_rules! check {
    ($self:ident, $cond:expr, $ret:expr) => {
        if !($cond) {
            $self.fail(ChannelError::Assertion(stringify!($cond)));
            return $ret;
        }
    };
}

impl DmaChannel {
    /// Initialises a channel (§4.5). Never fails outright: a problem is recorded as the
    /// channel's failure, which the caller reads with [`failure`](Self::failure).
    pub fn init(
        device: &Device,
        config: ChannelConfig,
        descriptors: &mut SubAllocator,
        data: Arc<DmaBuffer>,
    ) -> Self {
        let mut ch = Self {
            device_name: device.location().to_string(),
            descriptors_mapping: Arc::clone(descriptors.buffer()),
            data,
            ring: None,
            addr_alignment: 1,
            failure: ChannelFailure::default(),
            deadline: None,
            config,
        };
        match ch.try_init(device, descriptors) {
            Ok(ring) => ch.ring = Some(ring),
            Err(e) => ch.fail(e),
        }
        ch
    }

    fn validate(&self) -> Result<(), ChannelError> {
        let c = &self.config;
        let stream = c.interface.is_stream();
        let c2h_stream = stream && c.direction == DmaDirection::C2H;
        if c.num_descriptors == 0 {
            return Err(ChannelError::NoDescriptors);
        }
        let bytes_per_buffer = c.buffers.bytes_per_buffer();
        if bytes_per_buffer.is_some_and(|b| b > MAX_LENGTH_FIELD) {
            return Err(ChannelError::BufferTooLarge);
        }
        if bytes_per_buffer == Some(0) {
            return Err(ChannelError::EmptyBuffers);
        }
        if c.c2h_stream_continuous && !c2h_stream {
            return Err(ChannelError::ContinuousNotC2hStream);
        }
        if c.c2h_stream_continuous && bytes_per_buffer.is_none() {
            return Err(ChannelError::ContinuousWithoutBuffers);
        }
        if !c.c2h_stream_continuous && c.num_descriptors > MAX_CREDITS {
            return Err(ChannelError::TooManyDescriptors);
        }
        if let BufferLayout::Fixed {
            bytes_per_buffer,
            host_start_offset,
            card_start_offset,
        } = c.buffers
        {
            if bytes_per_buffer % self.addr_alignment != 0 {
                return Err(ChannelError::BufferMisaligned);
            }
            let total = u64::from(c.num_descriptors).saturating_mul(bytes_per_buffer);
            if host_start_offset.saturating_add(total) > self.data.len() as u64 {
                return Err(ChannelError::HostBufferTooSmall);
            }
            if let ChannelInterface::MemoryMapped {
                card_memory_size, ..
            } = c.interface
            {
                if card_start_offset % self.addr_alignment != 0 {
                    return Err(ChannelError::CardStartMisaligned);
                }
                if card_start_offset.saturating_add(total) > card_memory_size {
                    return Err(ChannelError::CardMemoryTooSmall);
                }
            }
        }
        Ok(())
    }

    /// Each fixed buffer is one descriptor: it must be one contiguous piece of the data
    /// buffer (always so behind an IOMMU).
    fn check_fixed_buffers_contiguous(&self) -> Result<(), ChannelError> {
        let c = &self.config;
        if let BufferLayout::Fixed {
            bytes_per_buffer,
            host_start_offset,
            ..
        } = c.buffers
        {
            for index in 0..c.num_descriptors {
                let offset = host_start_offset + u64::from(index) * bytes_per_buffer;
                if self
                    .data
                    .contiguous_address(offset as usize, bytes_per_buffer as usize)
                    .is_none()
                {
                    return Err(ChannelError::BufferNotContiguous {
                        index,
                        offset,
                        len: bytes_per_buffer,
                    });
                }
            }
        }
        Ok(())
    }

    fn try_init(
        &mut self,
        device: &Device,
        descriptors: &mut SubAllocator,
    ) -> Result<Ring, ChannelError> {
        let c = self.config.clone();
        let stream = c.interface.is_stream();
        let bar = map_dma_window(device, c.bar_index)?;
        let blocks = ChannelBlocks::check(&bar, c.direction, c.channel_id, stream)?;
        self.addr_alignment = u64::from(blocks.alignments.addr_alignment)
            .max(c.min_size_alignment)
            .max(1);
        self.validate()?;
        self.check_fixed_buffers_contiguous()?;
        if blocks.is_busy() {
            return Err(ChannelError::BusyAtInit);
        }
        let credits = blocks.credits();
        if credits != 0 {
            return Err(ChannelError::CreditsAtInit(credits));
        }
        let n = c.num_descriptors as usize;
        let mapping = Arc::clone(&self.descriptors_mapping);
        let stream_writebacks = if stream && c.direction == DmaDirection::C2H {
            let wb = descriptors.allocate(n * stream_writeback::BYTES)?;
            mapping.fill(wb.offset, wb.len, 0);
            Some(wb)
        } else {
            None
        };
        let ring_region = descriptors.allocate(n * DESCRIPTOR_BYTES)?;
        let completed_word = descriptors.allocate(completed_count::BYTES)?;
        let ring = Ring {
            blocks,
            descriptors: ring_region,
            completed_word,
            stream_writebacks,
            bookkeeping: RingBookkeeping::new(c.num_descriptors, c.c2h_stream_continuous),
        };
        for i in 0..c.num_descriptors {
            let (length, host, card) = match c.buffers {
                BufferLayout::Variable => (0, 0, 0),
                BufferLayout::Fixed {
                    bytes_per_buffer,
                    host_start_offset,
                    card_start_offset,
                } => {
                    let at = u64::from(i) * bytes_per_buffer;
                    (
                        bytes_per_buffer,
                        self.data.device_address((host_start_offset + at) as usize),
                        card_start_offset + at,
                    )
                }
            };
            // An H2C stream with fixed buffers sends each buffer as one packet.
            let eop = stream
                && c.direction == DmaDirection::H2C
                && matches!(c.buffers, BufferLayout::Fixed { .. });
            self.write_descriptor(&ring, i, length, host, card, eop);
        }
        mapping.write_u32(completed_word.offset, 0);
        fence(Ordering::SeqCst);
        let b = &ring.blocks;
        b.set_writeback_address(completed_word.iova);
        b.write_control(c.direction.init_control());
        b.set_first_descriptor(ring_region.iova);
        b.set_fetch_halted(false);
        b.set_credit_mode(!c.c2h_stream_continuous);
        b.set_run();
        Ok(ring)
    }

    /// Writes descriptor `index` of the ring for `length` bytes at host IOVA `host` and
    /// card offset `card` (memory mapped only), linked to the next index.
    fn write_descriptor(
        &self,
        ring: &Ring,
        index: u32,
        length: u64,
        host: u64,
        card: u64,
        eop: bool,
    ) {
        let card = match self.config.interface {
            ChannelInterface::MemoryMapped {
                card_memory_base, ..
            } => card_memory_base + card,
            ChannelInterface::Stream => 0,
        };
        let (source, destination) = match (self.config.direction, &ring.stream_writebacks) {
            (DmaDirection::C2H, Some(wb)) => (
                self.descriptors_mapping
                    .device_address(wb.offset + index as usize * stream_writeback::BYTES),
                host,
            ),
            (DmaDirection::H2C, _) => (host, card),
            (DmaDirection::C2H, None) => (card, host),
        };
        let next_index = ring.bookkeeping.index_after(index, 1);
        Descriptor {
            flags: DescriptorFlags::completed().with_eop(eop),
            length: length as u32,
            source,
            destination,
            next: self
                .descriptors_mapping
                .device_address(descriptor_offset(ring, next_index)),
        }
        .write_to(&self.descriptors_mapping, descriptor_offset(ring, index));
    }

    fn fail(&mut self, error: ChannelError) {
        self.failure.record(error);
    }

    /// Records a failure found by the caller (e.g. a data mismatch) against this channel.
    pub fn record_failure(&mut self, error: ChannelError) {
        self.fail(error);
    }

    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }
    pub fn is_stream(&self) -> bool {
        self.config.interface.is_stream()
    }
    pub fn initialised(&self) -> bool {
        self.ring.is_some()
    }
    pub fn failed(&self) -> bool {
        self.failure.failed()
    }
    /// The first failure, if any.
    pub fn error(&self) -> Option<&ChannelError> {
        self.failure.error()
    }
    /// The failure text with the finalisation suffix, if any failure was recorded.
    pub fn failure(&self) -> Option<String> {
        self.failure.text()
    }
    pub fn data(&self) -> &Arc<DmaBuffer> {
        &self.data
    }
    pub fn addr_alignment(&self) -> u64 {
        self.addr_alignment
    }
    pub fn num_descriptors(&self) -> u32 {
        self.config.num_descriptors
    }
    /// Descriptors started so far (24-bit wrapping).
    pub fn num_started(&self) -> u32 {
        self.ring.as_ref().map_or(0, |r| r.bookkeeping.started())
    }
    /// The configured per-transfer timeout.
    pub fn timeout(&self) -> Option<Duration> {
        self.config.timeout
    }

    /// The ring, when initialised and not failed.
    fn usable(&self) -> bool {
        self.ring.is_some() && !self.failure.failed()
    }

    /// Reads the completed-count writeback and checks for errors and the timeout (§4.8).
    fn check_completion(&mut self) {
        if !self.usable() {
            return;
        }
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        let wb = self
            .descriptors_mapping
            .read_u32(ring.completed_word.offset);
        fence(Ordering::Acquire);
        ring.bookkeeping.observe_writeback(wb);
        let error = wb & completed_count::STS_ERR != 0;
        let timed_out = !error
            && ring.bookkeeping.awaiting_completion()
            && self.deadline.is_some_and(|d| Instant::now() > d);
        if error || timed_out {
            let k = &ring.bookkeeping;
            let state = ChannelState {
                status: ring.blocks.status(),
                started: k.started(),
                completed: k.last_count(),
                next_started_index: k.next_start(),
                next_completed_index: k.next_report(),
                channel_id: self.config.channel_id,
                direction: self.config.direction,
                device: self.device_name.clone(),
            };
            self.fail(if error {
                ChannelError::WritebackError(state)
            } else {
                ChannelError::Timeout(state)
            });
        }
    }

    /// Free descriptors (after collecting completions).
    pub fn free_descriptors(&mut self) -> u32 {
        self.check_completion();
        self.ring.as_ref().map_or(0, |r| r.bookkeeping.free())
    }

    /// Reserves and writes the descriptors of a variable transfer; None when not enough
    /// are free.
    /// One descriptor per contiguous run of the host buffer, each at most
    /// [`MAX_DESCRIPTOR_LEN`] (issue #14: without an IOMMU a buffer is fragmented).
    fn write_transfer(&mut self, len: u64, host_offset: u64, card_offset: u64) -> Option<usize> {
        let runs = self
            .data
            .device_runs(host_offset as usize, len as usize, MAX_DESCRIPTOR_LEN);
        // A zero-length transfer still takes one descriptor.
        let runs = if runs.is_empty() {
            vec![(self.data.device_address(host_offset as usize), 0)]
        } else {
            runs
        };
        let count = runs.len() as u32;
        if self.free_descriptors() < count || self.failed() {
            return None;
        }
        let first = self.reserve(count)?;
        let ring = self.ring.as_ref()?;
        let stream_h2c = self.is_stream() && self.config.direction == DmaDirection::H2C;
        let mut done = 0u64;
        for (k, &(host, piece)) in runs.iter().enumerate() {
            let index = ring.bookkeeping.index_after(first, k as u32);
            // A stream packet ends with its last descriptor.
            let eop = stream_h2c && k + 1 == runs.len();
            self.write_descriptor(ring, index, piece, host, card_offset + done, eop);
            done += piece;
        }
        Some(host_offset as usize)
    }

    /// Descriptors a transfer of `len` bytes at `host_offset` takes.
    fn descriptors_needed(&self, len: u64, host_offset: u64) -> u64 {
        match usize::try_from(host_offset.saturating_add(len)) {
            Ok(end) if end <= self.data.len() => (self
                .data
                .device_runs(host_offset as usize, len as usize, MAX_DESCRIPTOR_LEN)
                .len() as u64)
                .max(1),
            _ => descriptors_for(len),
        }
    }

    /// Populates a memory-mapped variable transfer (§4.7). Returns the host offset of the
    /// transfer, or None when not enough descriptors are free (or after a failure).
    pub fn populate_mm_transfer(
        &mut self,
        len: u64,
        host_offset: u64,
        card_offset: u64,
    ) -> Option<usize> {
        if !self.usable() {
            return None;
        }
        let required = self.descriptors_needed(len, host_offset);
        let n = u64::from(self.num_descriptors());
        let host_size = self.data.len() as u64;
        let card_size = match self.config.interface {
            ChannelInterface::MemoryMapped {
                card_memory_size, ..
            } => card_memory_size,
            ChannelInterface::Stream => 0,
        };
        let variable = self.config.buffers == BufferLayout::Variable;
        let mm = !self.is_stream();
        check!(self, mm, None);
        check!(self, variable, None);
        check!(self, required <= n, None);
        check!(self, host_offset.saturating_add(len) <= host_size, None);
        check!(self, card_offset.saturating_add(len) <= card_size, None);
        self.write_transfer(len, host_offset, card_offset)
    }

    /// Populates a stream variable transfer (§4.7): H2C transfers end with EOP. A C2H
    /// transfer fits one descriptor behind an IOMMU; without one it takes one per
    /// contiguous piece of the host buffer, and its completion sums their writebacks.
    pub fn populate_stream_transfer(&mut self, len: u64, host_offset: u64) -> Option<usize> {
        if !self.usable() {
            return None;
        }
        let required = self.descriptors_needed(len, host_offset);
        let n = u64::from(self.num_descriptors());
        let host_size = self.data.len() as u64;
        let stream = self.is_stream();
        let variable = self.config.buffers == BufferLayout::Variable;
        let c2h = self.config.direction == DmaDirection::C2H;
        check!(self, stream, None);
        check!(self, variable, None);
        check!(self, required <= n, None);
        check!(
            self,
            !c2h || required == 1 || !self.data.is_contiguous(),
            None
        );
        check!(self, host_offset.saturating_add(len) <= host_size, None);
        self.write_transfer(len, host_offset, 0)
    }

    /// Host offset of fixed buffer `index`.
    fn buffer_offset(&self, index: u32) -> usize {
        match self.config.buffers {
            BufferLayout::Fixed {
                bytes_per_buffer,
                host_start_offset,
                ..
            } => (host_start_offset + u64::from(index) * bytes_per_buffer) as usize,
            BufferLayout::Variable => 0,
        }
    }

    /// Reserves `count` descriptors for one transfer; the first index, None when not
    /// enough are free (or on a failure, recorded).
    fn reserve(&mut self, count: u32) -> Option<u32> {
        match self.ring.as_mut()?.bookkeeping.reserve(count) {
            Ok(first) => first,
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// Reserves the next fixed buffer; its index.
    fn reserve_fixed(&mut self) -> Option<u32> {
        if self.free_descriptors() == 0 || self.failed() {
            return None;
        }
        self.reserve(1)
    }

    /// Fixed-buffer H2C: reserves the next buffer and returns its host offset for the
    /// caller to fill before [`start_populated`](Self::start_populated).
    pub fn get_next_h2c_buffer(&mut self) -> Option<usize> {
        if !self.usable() {
            return None;
        }
        let fixed = self.config.buffers != BufferLayout::Variable;
        let h2c = self.config.direction == DmaDirection::H2C;
        check!(self, fixed, None);
        check!(self, h2c, None);
        let index = self.reserve_fixed()?;
        Some(self.buffer_offset(index))
    }

    /// Fixed-buffer C2H: reserves and starts the next buffer. False when none is free.
    pub fn start_next_c2h_buffer(&mut self) -> bool {
        if !self.usable() {
            return false;
        }
        let fixed = self.config.buffers != BufferLayout::Variable;
        let c2h = self.config.direction == DmaDirection::C2H;
        check!(self, fixed, false);
        check!(self, c2h, false);
        if self.reserve_fixed().is_none() {
            return false;
        }
        self.start_populated();
        true
    }

    /// Starts the transfer populated at the next-to-start index: one credit per
    /// descriptor; (re-)arms the timeout.
    pub fn start_populated(&mut self) {
        if !self.usable() {
            return;
        }
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        match ring.bookkeeping.start() {
            Ok(credits) => {
                // Descriptor writes must reach memory before the engine is told to fetch.
                fence(Ordering::SeqCst);
                ring.blocks.add_credits(credits);
                self.deadline = self
                    .config
                    .timeout
                    .and_then(|t| Instant::now().checked_add(t));
            }
            Err(e) => self.fail(e),
        }
    }

    /// The oldest completed but unreported transfer, if complete (§4.8).
    pub fn poll_completed(&mut self) -> Option<Completion> {
        if !self.usable() || !self.ring.as_ref()?.bookkeeping.has_transfer_to_report() {
            return None;
        }
        self.check_completion();
        if self.failed() {
            return None;
        }
        let ring = self.ring.as_ref()?;
        let ready = ring.bookkeeping.ready()?;
        let mapping = &self.descriptors_mapping;
        let first = Descriptor::read_from(mapping, descriptor_offset(ring, ready.first_index));
        let Some(first) = first else {
            self.fail(ChannelError::Assertion("descriptor magic intact"));
            return None;
        };
        let host_iova = match self.config.direction {
            DmaDirection::H2C => first.source,
            DmaDirection::C2H => first.destination,
        };
        let Some(host_offset) = self.data.offset_of(host_iova) else {
            self.fail(ChannelError::Assertion(
                "descriptor host address inside the buffer",
            ));
            return None;
        };
        let (len, eop) = match ring.stream_writebacks {
            Some(wb) => {
                // One writeback per descriptor of the transfer (several only when the
                // host buffer is fragmented, issue #14).
                let mut len = 0u64;
                let mut eop = false;
                for k in 0..ready.descriptors {
                    let i = ring.bookkeeping.index_after(ready.first_index, k);
                    let at = wb.offset + i as usize * stream_writeback::BYTES;
                    let w = StreamWriteback::read_from(mapping, at);
                    if !w.magic_ok() {
                        self.fail(ChannelError::StreamWritebackMagic(w.magic_status));
                        return None;
                    }
                    StreamWriteback::clear(mapping, at);
                    len += u64::from(w.length);
                    eop = w.eop();
                }
                (len, Some(eop))
            }
            None => {
                let len = (0..ready.descriptors)
                    .map(|k| {
                        let i = ring.bookkeeping.index_after(ready.first_index, k);
                        Descriptor::read_from(mapping, descriptor_offset(ring, i))
                            .map_or(0, |d| u64::from(d.length))
                    })
                    .sum();
                (len, None)
            }
        };
        let reported = self.ring.as_mut()?.bookkeeping.report(ready);
        if let Err(e) = reported {
            self.fail(e);
            return None;
        }
        Some(Completion {
            host_offset,
            len,
            eop,
        })
    }

    /// Clears Run and waits (up to 1 s) for the channel to become idle (§4.9).
    pub fn finalise(&mut self) {
        let Some(ring) = self.ring.take() else {
            return;
        };
        ring.blocks.clear_run();
        let start = Instant::now();
        while ring.blocks.is_busy() {
            if start.elapsed() > IDLE_TIMEOUT {
                if self.failure.failed() {
                    self.failure.set_idle_timeout();
                } else {
                    self.fail(ChannelError::IdleTimeout);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn descriptor_offset(ring: &Ring, index: u32) -> usize {
    ring.descriptors.offset + index as usize * DESCRIPTOR_BYTES
}

impl Drop for DmaChannel {
    fn drop(&mut self) {
        self.finalise();
    }
}
