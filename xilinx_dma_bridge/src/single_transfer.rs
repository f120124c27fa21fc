//! The 2023 single-transfer driver (fact sheet 4.11): a linear chain of descriptors over a
//! whole host mapping, the last with STOP | COMPLETED, restarted for every transfer by a
//! rising edge of Run. Used by `test_ddr` and `time_dma_blkram`.

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vfio_access::{Device, DmaBuffer};

use crate::descriptor::*;
use crate::discovery::{channel_registers, map_dma_window, ChannelRegisters, Direction};
use crate::mapping::{Region, SubAllocator};
use crate::registers::*;

/// State of a transfer after a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    InProgress,
    Complete,
    /// The message printed for the failure.
    Error(String),
    Timeout(String),
}

/// One channel with a linear descriptor chain.
pub struct SingleTransfer {
    regs: ChannelRegisters,
    descriptors: Arc<DmaBuffer>,
    chain: Region,
    completed_word: Region,
    lengths: Vec<u64>,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
}

impl SingleTransfer {
    /// Builds the chain covering `len` bytes of `data` from `host_offset`, card addresses
    /// from 0. Does not set Run.
    #[allow(clippy::too_many_arguments)]
    pub fn init(
        device: &Device,
        bar_index: u8,
        direction: Direction,
        channel_id: u8,
        data: &DmaBuffer,
        host_offset: u64,
        len: u64,
        min_size_alignment: u64,
        descriptors: &mut SubAllocator,
        timeout: Option<Duration>,
    ) -> Result<Self, String> {
        let bar = map_dma_window(device, bar_index)?;
        let regs = channel_registers(&bar, direction, channel_id, false)?;
        let align = u64::from(regs.addr_alignment)
            .max(min_size_alignment)
            .max(1);
        let max_len = MAX_LENGTH_FIELD / align * align;
        let count = len.div_ceil(max_len).max(1) as usize;
        let chain = descriptors.allocate(count * DESCRIPTOR_BYTES)?;
        let completed_word = descriptors.allocate(4)?;
        let buf = Arc::clone(descriptors.buffer());
        let mut lengths = Vec::with_capacity(count);
        let mut done = 0u64;
        for i in 0..count {
            let piece = (len - done).min(max_len);
            let last = i + 1 == count;
            let d = chain.offset + i * DESCRIPTOR_BYTES;
            let control = MAGIC
                | if last {
                    CONTROL_STOP | CONTROL_COMPLETED
                } else {
                    0
                };
            let host = data.iova() + host_offset + done;
            let (src, dst) = match direction {
                Direction::H2C => (host, done),
                Direction::C2H => (done, host),
            };
            let next = if last {
                0
            } else {
                chain.iova + ((i + 1) * DESCRIPTOR_BYTES) as u64
            };
            buf.write_u32(d + OFF_CONTROL, control);
            buf.write_u32(d + OFF_LENGTH, piece as u32);
            buf.write_u64(d + OFF_SRC, src);
            buf.write_u64(d + OFF_DST, dst);
            buf.write_u64(d + OFF_NEXT, next);
            lengths.push(piece);
            done += piece;
        }
        buf.write_u32(completed_word.offset, 0);
        fence(Ordering::SeqCst);
        bar.write64_split(regs.sgdma_base + SG_DESCRIPTOR_ADDR, chain.iova);
        bar.write32(regs.sgdma_base + SG_DESCRIPTOR_ADJACENT, 0);
        bar.write64_split(regs.channel_base + CH_POLL_WB_ADDR, completed_word.iova);
        bar.write32(
            regs.channel_base + CH_CONTROL,
            match direction {
                Direction::H2C => CONTROL_INIT_H2C,
                Direction::C2H => CONTROL_INIT_C2H,
            },
        );
        let bit = match direction {
            Direction::H2C => 1 << channel_id,
            Direction::C2H => 1 << (16 + channel_id),
        };
        bar.write32(regs.common_base + COMMON_CREDIT_ENABLE_W1C, bit);
        bar.write32(regs.common_base + COMMON_DSC_CONTROL_W1C, bit);
        Ok(Self {
            regs,
            descriptors: buf,
            chain,
            completed_word,
            lengths,
            timeout,
            deadline: None,
        })
    }

    /// Lengths of the chain's descriptors.
    pub fn descriptor_lengths(&self) -> &[u64] {
        &self.lengths
    }

    /// `Size of DMA descriptors used for <h2c|c2h>: [0]=0x... [1]=0x...`
    pub fn descriptor_sizes_line(&self) -> String {
        let dir = match self.regs.direction {
            Direction::H2C => "h2c",
            Direction::C2H => "c2h",
        };
        let sizes: Vec<String> = self
            .lengths
            .iter()
            .enumerate()
            .map(|(i, l)| format!("[{i}]=0x{l:x}"))
            .collect();
        format!(
            "Size of DMA descriptors used for {dir}: {}",
            sizes.join(" ")
        )
    }

    /// Rewrites the card address of every descriptor, consecutive from `start`.
    pub fn set_card_start_address(&mut self, start: u64) {
        let mut at = start;
        for (i, len) in self.lengths.iter().enumerate() {
            let d = self.chain.offset
                + i * DESCRIPTOR_BYTES
                + match self.regs.direction {
                    Direction::H2C => OFF_DST,
                    Direction::C2H => OFF_SRC,
                };
            self.descriptors.write_u64(d, at);
            at += len;
        }
    }

    fn status(&self) -> u32 {
        self.regs.bar.read32(self.regs.channel_base + CH_STATUS)
    }

    /// Starts the chain: zero the writeback, set Run.
    pub fn start(&mut self) -> Result<(), String> {
        if self.status() & STATUS_BUSY != 0 {
            return Err("Error: Attempting to start transfer when DMA channel busy".into());
        }
        self.deadline = self.timeout.map(|t| Instant::now() + t);
        self.descriptors.write_u32(self.completed_word.offset, 0);
        fence(Ordering::SeqCst);
        self.regs
            .bar
            .write32(self.regs.channel_base + CH_CONTROL_W1S, CONTROL_RUN);
        Ok(())
    }

    /// Polls the completed-count writeback.
    pub fn poll(&mut self) -> TransferState {
        let wb = self.descriptors.read_u32(self.completed_word.offset);
        fence(Ordering::Acquire);
        let count = u64::from(wb & WB_COUNT_MASK);
        let total = self.lengths.len();
        if wb & WB_STS_ERR != 0 {
            return TransferState::Error(format!(
                "Transfer completed with error. channel_status=0x{:x} with {count} out of {total} descriptors completed",
                self.status()
            ));
        }
        if count == total as u64 {
            self.stop();
            return TransferState::Complete;
        }
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return TransferState::Timeout(format!(
                "Transfer timed out. channel_status=0x{:x} with {count} out of {total} descriptors completed",
                self.status()
            ));
        }
        TransferState::InProgress
    }

    /// Starts and polls until the transfer ends.
    pub fn run(&mut self) -> TransferState {
        if let Err(e) = self.start() {
            return TransferState::Error(e);
        }
        loop {
            match self.poll() {
                TransferState::InProgress => std::thread::yield_now(),
                other => {
                    if other != TransferState::Complete {
                        self.stop();
                    }
                    return other;
                }
            }
        }
    }

    /// Clears Run.
    pub fn stop(&self) {
        self.regs
            .bar
            .write32(self.regs.channel_base + CH_CONTROL_W1C, CONTROL_RUN);
    }
}
