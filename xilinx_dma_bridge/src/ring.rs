//! The ring-based channel driver (fact sheet section 4): per-channel descriptor rings in
//! DMA memory released to a running engine by descriptor credits, completion seen through
//! the poll-mode completed-count writeback (no register reads while waiting).

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vfio_access::{Device, DmaBuffer};

use crate::descriptor::*;
use crate::discovery::{channel_registers, map_dma_window, ChannelRegisters, Direction};
use crate::failure::{FailureRecord, OverallSuccess};
use crate::mapping::{Region, SubAllocator};
use crate::registers::*;

/// How long finalisation waits for the channel to become idle.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// Caller-supplied configuration of one channel (fact sheet 4.2).
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// Non-zero: memory-mapped channel with this many bytes; 0: stream channel.
    pub card_memory_size: u64,
    pub card_memory_base: u64,
    pub min_size_alignment: u64,
    pub num_descriptors: u32,
    pub direction: Direction,
    pub channel_id: u8,
    /// 0: variable transfers; otherwise N fixed buffers of this size.
    pub bytes_per_buffer: u64,
    pub host_buffer_start_offset: u64,
    pub card_buffer_start_offset: u64,
    pub c2h_stream_continuous: bool,
    /// Per-transfer timeout; negative disables.
    pub timeout_seconds: f64,
    /// Index of the BAR holding the DMA registers.
    pub bar_index: u8,
}

impl ChannelConfig {
    /// A configuration with the usual defaults (timeout 10 s, min alignment 1).
    pub fn new(direction: Direction, channel_id: u8, card_memory_size: u64, bar_index: u8) -> Self {
        Self {
            card_memory_size,
            card_memory_base: 0,
            min_size_alignment: 1,
            num_descriptors: 1,
            direction,
            channel_id,
            bytes_per_buffer: 0,
            host_buffer_start_offset: 0,
            card_buffer_start_offset: 0,
            c2h_stream_continuous: false,
            timeout_seconds: 10.0,
            bar_index,
        }
    }
}

/// A completed transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// Offset of the transfer's first byte in the data mapping.
    pub host_offset: usize,
    pub len: u64,
    /// End of packet, for C2H stream transfers only.
    pub eop: Option<bool>,
}

/// One H2C or C2H channel driven through a credit-gated descriptor ring.
pub struct DmaChannel {
    config: ChannelConfig,
    device_name: String,
    stream: bool,
    regs: Option<ChannelRegisters>,
    addr_alignment: u64,
    descriptors: Arc<DmaBuffer>,
    ring: Region,
    completed_word: Region,
    stream_wb: Option<Region>,
    data: Arc<DmaBuffer>,
    failure: FailureRecord,
    overall: OverallSuccess,
    initialised: bool,
    num_descriptors: u32,
    started: u32,
    in_use: u32,
    completed_unreported: u32,
    last_count: u32,
    next_start: u32,
    next_report: u32,
    per_transfer: Vec<u32>,
    deadline: Option<Instant>,
}

const EMPTY: Region = Region {
    offset: 0,
    iova: 0,
    len: 0,
};

macro_rules! check {
    ($self:ident, $cond:expr) => {
        if !($cond) {
            $self.fail(concat!("Assertion failed: ", stringify!($cond)));
            return None;
        }
    };
}

impl DmaChannel {
    /// Initialises a channel (fact sheet 4.5). Never fails outright: a problem is recorded
    /// as the channel's failure, which the caller reads with [`failure`](Self::failure).
    pub fn init(
        device: &Device,
        config: ChannelConfig,
        descriptors: &mut SubAllocator,
        data: Arc<DmaBuffer>,
        overall: &OverallSuccess,
    ) -> Self {
        let stream = config.card_memory_size == 0;
        let n = config.num_descriptors;
        let mut ch = Self {
            device_name: device.location().to_string(),
            stream,
            regs: None,
            addr_alignment: 1,
            descriptors: Arc::clone(descriptors.buffer()),
            ring: EMPTY,
            completed_word: EMPTY,
            stream_wb: None,
            data,
            failure: FailureRecord::default(),
            overall: overall.clone(),
            initialised: false,
            num_descriptors: n,
            started: 0,
            in_use: 0,
            completed_unreported: 0,
            last_count: 0,
            next_start: 0,
            next_report: 0,
            per_transfer: Vec::new(),
            deadline: None,
            config,
        };
        if let Err(m) = ch.try_init(device, descriptors) {
            ch.fail(m);
        }
        ch
    }

    fn try_init(&mut self, device: &Device, descriptors: &mut SubAllocator) -> Result<(), String> {
        let c = self.config.clone();
        let bar = map_dma_window(device, c.bar_index)?;
        let regs = channel_registers(&bar, c.direction, c.channel_id, self.stream)?;
        let n = c.num_descriptors;
        self.per_transfer = vec![0; n as usize];
        self.addr_alignment = u64::from(regs.addr_alignment)
            .max(c.min_size_alignment)
            .max(1);
        let c2h_stream = self.stream && c.direction == Direction::C2H;
        if n == 0 {
            return Err("No descriptors specified".into());
        }
        if c.bytes_per_buffer > MAX_LENGTH_FIELD {
            return Err("bytes_per_buffer exceeds the maximum for one descriptor".into());
        }
        if c.c2h_stream_continuous && !c2h_stream {
            return Err(
                "c2h_stream_continuous can only be used on an AXI stream C2H channel".into(),
            );
        }
        if c.c2h_stream_continuous && c.bytes_per_buffer == 0 {
            return Err(
                "bytes_per_buffer must be specified to use h2c_stream_continuous mode".into(),
            );
        }
        if !c.c2h_stream_continuous && n > MAX_CREDITS {
            return Err("num_descriptors exceeds the maximum number of credits".into());
        }
        if c.bytes_per_buffer > 0 {
            if c.bytes_per_buffer % self.addr_alignment != 0 {
                return Err(
                    "The configuration bytes_per_buffer doesn't meet the addr_alignment".into(),
                );
            }
            if !self.stream && c.card_buffer_start_offset % self.addr_alignment != 0 {
                return Err(
                    "The configuration card_buffer_start_offset doesn't meet the addr_alignment"
                        .into(),
                );
            }
            let total = u64::from(n) * c.bytes_per_buffer;
            if c.host_buffer_start_offset + total > self.data.len() as u64 {
                return Err("Host buffer too small".into());
            }
            if !self.stream && c.card_buffer_start_offset + total > c.card_memory_size {
                return Err("Card memory too small".into());
            }
        }
        let status = bar.read32(regs.channel_base + CH_STATUS);
        if status & STATUS_BUSY != 0 {
            return Err("Error: Attempting to initialise when DMA channel busy".into());
        }
        let credits = bar.read32(regs.sgdma_base + SG_DESCRIPTOR_CREDITS);
        if credits != 0 {
            return Err(format!(
                "Error: Attempting to initialise DMA channel when {credits} available credits"
            ));
        }
        let nu = n as usize;
        if c2h_stream {
            let wb = descriptors.allocate(nu * STREAM_WB_BYTES)?;
            self.descriptors.fill(wb.offset, wb.len, 0);
            self.stream_wb = Some(wb);
        }
        self.ring = descriptors.allocate(nu * DESCRIPTOR_BYTES)?;
        let data_iova = self.data.iova();
        for i in 0..nu {
            let mut control = MAGIC | CONTROL_COMPLETED;
            if self.stream && c.direction == Direction::H2C && c.bytes_per_buffer > 0 {
                control |= CONTROL_EOP;
            }
            let (mut host, mut card) = (0u64, 0u64);
            if c.bytes_per_buffer > 0 {
                host = data_iova + c.host_buffer_start_offset + i as u64 * c.bytes_per_buffer;
                if !self.stream {
                    card = c.card_memory_base
                        + c.card_buffer_start_offset
                        + i as u64 * c.bytes_per_buffer;
                }
            }
            let (src, dst) = match (c.direction, self.stream) {
                (Direction::C2H, true) => {
                    let wb = self.stream_wb.map_or(0, |w| w.iova);
                    (wb + (i * STREAM_WB_BYTES) as u64, host)
                }
                (Direction::H2C, _) => (host, card),
                (Direction::C2H, false) => (card, host),
            };
            let d = self.ring.offset + i * DESCRIPTOR_BYTES;
            let next = self.ring.iova + (((i + 1) % nu) * DESCRIPTOR_BYTES) as u64;
            self.descriptors.write_u32(d + OFF_CONTROL, control);
            self.descriptors
                .write_u32(d + OFF_LENGTH, c.bytes_per_buffer as u32);
            self.descriptors.write_u64(d + OFF_SRC, src);
            self.descriptors.write_u64(d + OFF_DST, dst);
            self.descriptors.write_u64(d + OFF_NEXT, next);
            self.per_transfer[i] = u32::from(c.c2h_stream_continuous);
        }
        self.completed_word = descriptors.allocate(4)?;
        self.descriptors.write_u32(self.completed_word.offset, 0);
        fence(Ordering::SeqCst);
        bar.write64_split(
            regs.channel_base + CH_POLL_WB_ADDR,
            self.completed_word.iova,
        );
        bar.write32(
            regs.channel_base + CH_CONTROL,
            match c.direction {
                Direction::H2C => CONTROL_INIT_H2C,
                Direction::C2H => CONTROL_INIT_C2H,
            },
        );
        bar.write64_split(regs.sgdma_base + SG_DESCRIPTOR_ADDR, self.ring.iova);
        bar.write32(regs.sgdma_base + SG_DESCRIPTOR_ADJACENT, 0);
        let bit = self.common_bit();
        bar.write32(regs.common_base + COMMON_DSC_CONTROL_W1C, bit);
        if c.c2h_stream_continuous {
            bar.write32(regs.common_base + COMMON_CREDIT_ENABLE_W1C, bit);
        } else {
            bar.write32(regs.common_base + COMMON_CREDIT_ENABLE_W1S, bit);
        }
        bar.write32(regs.channel_base + CH_CONTROL_W1S, CONTROL_RUN);
        self.regs = Some(regs);
        self.initialised = true;
        Ok(())
    }

    fn common_bit(&self) -> u32 {
        match self.config.direction {
            Direction::H2C => 1 << self.config.channel_id,
            Direction::C2H => 1 << (16 + self.config.channel_id),
        }
    }

    fn fail(&mut self, message: impl Into<String>) {
        self.failure.record(message, &self.overall);
    }

    /// Records a failure found by the caller (e.g. a data mismatch) against this channel.
    pub fn record_failure(&mut self, message: impl Into<String>) {
        self.fail(message);
    }

    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }
    pub fn is_stream(&self) -> bool {
        self.stream
    }
    pub fn initialised(&self) -> bool {
        self.initialised
    }
    pub fn failed(&self) -> bool {
        self.failure.failed()
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
        self.num_descriptors
    }
    /// Descriptors started so far (24-bit wrapping).
    pub fn num_started(&self) -> u32 {
        self.started
    }

    fn desc_offset(&self, index: u32) -> usize {
        self.ring.offset + index as usize * DESCRIPTOR_BYTES
    }

    fn usable(&self) -> bool {
        self.initialised && !self.failure.failed()
    }

    /// Reads the completed-count writeback and checks for errors and the timeout (4.8).
    fn check_completion(&mut self) {
        if !self.usable() {
            return;
        }
        let wb = self.descriptors.read_u32(self.completed_word.offset);
        fence(Ordering::Acquire);
        let count = wb & WB_COUNT_MASK;
        let new = count.wrapping_sub(self.last_count) & WB_COUNT_MASK;
        self.completed_unreported += new;
        self.last_count = count;
        let kind = if wb & WB_STS_ERR != 0 {
            Some("Error reported in descriptor write back")
        } else if self
            .deadline
            .is_some_and(|d| count != self.started && Instant::now() > d)
        {
            Some("Timeout")
        } else {
            None
        };
        if let Some(kind) = kind {
            let status = self.read_status();
            let message = format!(
                "{kind}: channel_status=0x{status:x} ({}) num_descriptors_started={} num_completed_descriptors={} next_started_descriptor_index={} next_completed_descriptor_index={} channel_id={} direction={} device={}",
                status_names(status, self.config.direction == Direction::C2H),
                self.started,
                self.last_count,
                self.next_start,
                self.next_report,
                self.config.channel_id,
                self.config.direction,
                self.device_name
            );
            self.fail(message);
        }
    }

    fn read_status(&self) -> u32 {
        self.regs
            .as_ref()
            .map_or(0, |r| r.bar.read32(r.channel_base + CH_STATUS))
    }

    /// Free descriptors (after collecting completions).
    pub fn free_descriptors(&mut self) -> u32 {
        self.check_completion();
        self.num_descriptors - self.in_use
    }

    fn write_transfer(&mut self, len: u64, host_offset: u64, card_offset: Option<u64>) {
        let n = self.num_descriptors;
        let count = descriptors_for(len) as u32;
        let data_iova = self.data.iova();
        let mut done = 0u64;
        for k in 0..count {
            let index = (self.next_start + k) % n;
            let d = self.desc_offset(index);
            let piece = (len - done).min(MAX_DESCRIPTOR_LEN);
            let host = data_iova + host_offset + done;
            self.descriptors.write_u32(d + OFF_LENGTH, piece as u32);
            match (self.config.direction, card_offset) {
                (Direction::H2C, Some(card)) => {
                    let card = self.config.card_memory_base + card + done;
                    self.descriptors.write_u64(d + OFF_SRC, host);
                    self.descriptors.write_u64(d + OFF_DST, card);
                }
                (Direction::C2H, Some(card)) => {
                    let card = self.config.card_memory_base + card + done;
                    self.descriptors.write_u64(d + OFF_SRC, card);
                    self.descriptors.write_u64(d + OFF_DST, host);
                }
                (Direction::H2C, None) => {
                    self.descriptors.write_u64(d + OFF_SRC, host);
                    let mut control = MAGIC | CONTROL_COMPLETED;
                    if k + 1 == count {
                        control |= CONTROL_EOP;
                    }
                    self.descriptors.write_u32(d + OFF_CONTROL, control);
                }
                (Direction::C2H, None) => {
                    self.descriptors.write_u64(d + OFF_DST, host);
                }
            }
            done += piece;
        }
        let first = self.next_start;
        self.per_transfer[first as usize] = count;
        self.in_use += count;
    }

    /// Populates a memory-mapped variable transfer (4.7). Returns the host offset of the
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
        let required = descriptors_for(len);
        let n = u64::from(self.num_descriptors);
        let host_size = self.data.len() as u64;
        let card_size = self.config.card_memory_size;
        let variable = self.config.bytes_per_buffer == 0;
        let mm = !self.stream;
        check!(self, mm);
        check!(self, variable);
        check!(self, required <= n);
        check!(self, host_offset + len <= host_size);
        check!(self, card_offset + len <= card_size);
        if u64::from(self.free_descriptors()) < required || self.failed() {
            return None;
        }
        self.write_transfer(len, host_offset, Some(card_offset));
        Some(host_offset as usize)
    }

    /// Populates a stream variable transfer (4.7): C2H transfers must fit one descriptor;
    /// H2C transfers end with EOP.
    pub fn populate_stream_transfer(&mut self, len: u64, host_offset: u64) -> Option<usize> {
        if !self.usable() {
            return None;
        }
        let required = descriptors_for(len);
        let n = u64::from(self.num_descriptors);
        let host_size = self.data.len() as u64;
        let stream = self.stream;
        let variable = self.config.bytes_per_buffer == 0;
        let c2h = self.config.direction == Direction::C2H;
        check!(self, stream);
        check!(self, variable);
        check!(self, required <= n);
        check!(self, !c2h || required == 1);
        check!(self, host_offset + len <= host_size);
        if u64::from(self.free_descriptors()) < required || self.failed() {
            return None;
        }
        self.write_transfer(len, host_offset, None);
        Some(host_offset as usize)
    }

    fn buffer_offset(&self, index: u32) -> usize {
        (self.config.host_buffer_start_offset + u64::from(index) * self.config.bytes_per_buffer)
            as usize
    }

    /// Fixed-buffer H2C: reserves the next buffer and returns its host offset for the caller
    /// to fill before [`start_populated`](Self::start_populated).
    pub fn get_next_h2c_buffer(&mut self) -> Option<usize> {
        if !self.usable() {
            return None;
        }
        let fixed = self.config.bytes_per_buffer > 0;
        let h2c = self.config.direction == Direction::H2C;
        check!(self, fixed);
        check!(self, h2c);
        if self.free_descriptors() == 0 || self.failed() {
            return None;
        }
        let index = self.next_start;
        self.per_transfer[index as usize] = 1;
        self.in_use += 1;
        Some(self.buffer_offset(index))
    }

    /// Fixed-buffer C2H: reserves and starts the next buffer. False when none is free.
    pub fn start_next_c2h_buffer(&mut self) -> bool {
        if !self.usable() {
            return false;
        }
        if self.config.bytes_per_buffer == 0 || self.config.direction != Direction::C2H {
            self.fail("Assertion failed: fixed-buffer C2H channel");
            return false;
        }
        if self.free_descriptors() == 0 || self.failed() {
            return false;
        }
        let index = self.next_start;
        self.per_transfer[index as usize] = 1;
        self.in_use += 1;
        self.start_populated();
        true
    }

    /// Starts the transfer populated at the next-to-start index: one credit per descriptor.
    pub fn start_populated(&mut self) {
        if !self.usable() {
            return;
        }
        let c = self.per_transfer[self.next_start as usize];
        if c == 0 {
            self.fail("Assertion failed: num_descriptors_in_transfer > 0");
            return;
        }
        self.next_start = (self.next_start + c) % self.num_descriptors;
        self.started = self.started.wrapping_add(c) & WB_COUNT_MASK;
        // Descriptor writes must reach memory before the engine is told to fetch them.
        fence(Ordering::SeqCst);
        if let Some(r) = &self.regs {
            r.bar.write32(r.sgdma_base + SG_DESCRIPTOR_CREDITS, c);
        }
        if self.config.timeout_seconds >= 0.0 {
            self.deadline =
                Some(Instant::now() + Duration::from_secs_f64(self.config.timeout_seconds));
        }
    }

    /// The oldest completed but unreported transfer, if complete (4.8).
    pub fn poll_completed(&mut self) -> Option<Completion> {
        if !self.usable() {
            return None;
        }
        let index = self.next_report;
        let c = self.per_transfer[index as usize];
        if c == 0 {
            return None;
        }
        self.check_completion();
        if self.failed() || self.completed_unreported < c {
            return None;
        }
        let d = self.desc_offset(index);
        let host_iova = match self.config.direction {
            Direction::H2C => self.descriptors.read_u64(d + OFF_SRC),
            Direction::C2H => self.descriptors.read_u64(d + OFF_DST),
        };
        let host_offset = host_iova.wrapping_sub(self.data.iova()) as usize;
        let (len, eop) = match self.stream_wb {
            Some(wb) => {
                let at = wb.offset + index as usize * STREAM_WB_BYTES;
                let status = self.descriptors.read_u32(at);
                let len = self.descriptors.read_u32(at + 4);
                if status & STREAM_WB_MAGIC_MASK != STREAM_WB_MAGIC {
                    self.fail(format!("Incorrect stream wb_magic_status 0x{status:x}"));
                    return None;
                }
                self.descriptors.write_u64(at, 0);
                (u64::from(len), Some(status & STREAM_WB_EOP != 0))
            }
            None => {
                let len = (0..c)
                    .map(|k| {
                        let i = (index + k) % self.num_descriptors;
                        u64::from(
                            self.descriptors.read_u32(self.desc_offset(i) + OFF_LENGTH)
                                & MAX_LENGTH_FIELD as u32,
                        )
                    })
                    .sum();
                (len, None)
            }
        };
        self.completed_unreported -= c;
        if !self.config.c2h_stream_continuous {
            self.in_use -= c;
            self.per_transfer[index as usize] = 0;
        }
        self.next_report = (index + c) % self.num_descriptors;
        let n = self.num_descriptors;
        let unreported = self.completed_unreported;
        let in_use = self.in_use;
        check!(self, unreported < n);
        check!(self, in_use < n || self.config.c2h_stream_continuous);
        Some(Completion {
            host_offset,
            len,
            eop,
        })
    }

    /// Clears Run and waits (up to 1 s) for the channel to become idle (4.9).
    pub fn finalise(&mut self) {
        if !self.initialised {
            return;
        }
        self.initialised = false;
        let Some(r) = self.regs.clone() else {
            return;
        };
        r.bar.write32(r.channel_base + CH_CONTROL_W1C, CONTROL_RUN);
        let start = Instant::now();
        loop {
            if r.bar.read32(r.channel_base + CH_STATUS) & STATUS_BUSY == 0 {
                return;
            }
            if start.elapsed() > IDLE_TIMEOUT {
                if self.failure.failed() {
                    self.failure.set_idle_timeout_flag();
                } else {
                    self.fail("Timeout waiting to become idle after clearing Run bit");
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for DmaChannel {
    fn drop(&mut self) {
        self.finalise();
    }
}
