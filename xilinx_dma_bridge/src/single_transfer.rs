//! The 2023 single-transfer driver (xilinx_dma_bridge.md §4.11): a linear chain of
//! descriptors over a whole host mapping, the last with STOP | COMPLETED, restarted for
//! every transfer by a rising edge of Run. Used by `test_ddr` and `time_dma_blkram`.

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vfio_access::{Device, DmaBuffer};
use xdma_registers::descriptor::{
    completed_count, Descriptor, DescriptorFlags, DESCRIPTOR_BYTES, MAX_LENGTH_FIELD,
};
use xdma_registers::{map_dma_window, ChannelBlocks, DmaDirection, DmaWindowError, IdentityError};

use crate::mapping::{Region, SubAllocationError, SubAllocator};

/// Why a chain could not be set up or a transfer failed; the texts are the original's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SingleTransferError {
    #[error(transparent)]
    DmaWindow(#[from] DmaWindowError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    SubAllocation(#[from] SubAllocationError),
    #[error("Transfer of 0x{len:x} bytes at host offset 0x{offset:x} is outside the host buffer of 0x{size:x} bytes")]
    OutsideBuffer { offset: u64, len: u64, size: u64 },
    #[error("Error: Attempting to start transfer when DMA channel busy")]
    Busy,
    #[error("Transfer completed with error. channel_status=0x{status:x} with {completed} out of {total} descriptors completed")]
    CompletedWithError {
        status: u32,
        completed: u64,
        total: usize,
    },
    #[error("Transfer timed out. channel_status=0x{status:x} with {completed} out of {total} descriptors completed")]
    TimedOut {
        status: u32,
        completed: u64,
        total: usize,
    },
}

/// State of a transfer after a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    InProgress,
    Complete,
    Failed(SingleTransferError),
}

/// One channel with a linear descriptor chain.
pub struct SingleTransfer {
    blocks: ChannelBlocks,
    descriptors: Arc<DmaBuffer>,
    chain: Region,
    completed_word: Region,
    /// Host device address and length of each descriptor.
    pieces: Vec<(u64, u64)>,
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
        direction: DmaDirection,
        channel_id: u8,
        data: &DmaBuffer,
        host_offset: u64,
        len: u64,
        min_size_alignment: u64,
        descriptors: &mut SubAllocator,
        timeout: Option<Duration>,
    ) -> Result<Self, SingleTransferError> {
        let bar = map_dma_window(device, bar_index)?;
        let blocks = ChannelBlocks::check(&bar, direction, channel_id, false)?;
        let align = u64::from(blocks.alignments.addr_alignment)
            .max(min_size_alignment)
            .max(1);
        // 2023 rule: the 28-bit maximum rounded down to the alignment (§3.1).
        let max_len = (MAX_LENGTH_FIELD / align * align).max(align.min(MAX_LENGTH_FIELD));
        // One descriptor per contiguous run of the host buffer (issue #14: without an
        // IOMMU the buffer is fragmented), each at most max_len.
        let end = host_offset
            .checked_add(len)
            .filter(|&e| e <= data.len() as u64)
            .ok_or(SingleTransferError::OutsideBuffer {
                offset: host_offset,
                len,
                size: data.len() as u64,
            })?;
        let mut pieces =
            data.device_runs(host_offset as usize, (end - host_offset) as usize, max_len);
        if pieces.is_empty() {
            pieces.push((data.device_address(host_offset as usize), 0));
        }
        let count = pieces.len();
        let chain = descriptors.allocate(count * DESCRIPTOR_BYTES)?;
        let completed_word = descriptors.allocate(completed_count::BYTES)?;
        let t = Self {
            blocks,
            descriptors: Arc::clone(descriptors.buffer()),
            chain,
            completed_word,
            pieces,
            timeout,
            deadline: None,
        };
        t.write_chain(0);
        t.descriptors.write_u32(completed_word.offset, 0);
        fence(Ordering::SeqCst);
        let b = &t.blocks;
        b.set_first_descriptor(chain.iova);
        b.set_writeback_address(completed_word.iova);
        b.write_control(direction.init_control());
        b.set_credit_mode(false);
        b.set_fetch_halted(false);
        Ok(t)
    }

    /// Writes every descriptor, card addresses consecutive from `card_start`.
    fn write_chain(&self, card_start: u64) {
        let count = self.pieces.len();
        let mut card = card_start;
        for (i, &(host, len)) in self.pieces.iter().enumerate() {
            let last = i + 1 == count;
            let (source, destination) = match self.blocks.direction {
                DmaDirection::H2C => (host, card),
                DmaDirection::C2H => (card, host),
            };
            Descriptor {
                flags: DescriptorFlags {
                    stop: last,
                    completed: last,
                    eop: false,
                },
                length: len as u32,
                source,
                destination,
                next: if last {
                    0
                } else {
                    self.descriptors
                        .device_address(self.chain.offset + (i + 1) * DESCRIPTOR_BYTES)
                },
            }
            .write_to(&self.descriptors, self.chain.offset + i * DESCRIPTOR_BYTES);
            card += len;
        }
    }

    /// Lengths of the chain's descriptors.
    pub fn descriptor_lengths(&self) -> Vec<u64> {
        self.pieces.iter().map(|&(_, len)| len).collect()
    }

    /// `Size of DMA descriptors used for <h2c|c2h>: [0]=0x... [1]=0x...`
    pub fn descriptor_sizes_line(&self) -> String {
        let sizes: Vec<String> = self
            .pieces
            .iter()
            .enumerate()
            .map(|(i, (_, l))| format!("[{i}]=0x{l:x}"))
            .collect();
        format!(
            "Size of DMA descriptors used for {}: {}",
            self.blocks.direction.lower_case(),
            sizes.join(" ")
        )
    }

    /// Rewrites the card address of every descriptor, consecutive from `start`.
    pub fn set_card_start_address(&mut self, start: u64) {
        self.write_chain(start);
    }

    /// Starts the chain: zero the writeback, set Run.
    pub fn start(&mut self) -> Result<(), SingleTransferError> {
        if self.blocks.is_busy() {
            return Err(SingleTransferError::Busy);
        }
        self.deadline = self.timeout.and_then(|t| Instant::now().checked_add(t));
        self.descriptors.write_u32(self.completed_word.offset, 0);
        fence(Ordering::SeqCst);
        self.blocks.set_run();
        Ok(())
    }

    /// Polls the completed-count writeback.
    pub fn poll(&mut self) -> TransferState {
        let wb = self.descriptors.read_u32(self.completed_word.offset);
        fence(Ordering::Acquire);
        let completed = u64::from(wb & completed_count::COUNT_MASK);
        let total = self.pieces.len();
        if wb & completed_count::STS_ERR != 0 {
            return TransferState::Failed(SingleTransferError::CompletedWithError {
                status: self.blocks.status(),
                completed,
                total,
            });
        }
        if completed == total as u64 {
            self.stop();
            return TransferState::Complete;
        }
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return TransferState::Failed(SingleTransferError::TimedOut {
                status: self.blocks.status(),
                completed,
                total,
            });
        }
        TransferState::InProgress
    }

    /// Starts and polls until the transfer ends (bounded by the timeout, if any).
    pub fn run(&mut self) -> Result<(), SingleTransferError> {
        self.start()?;
        loop {
            match self.poll() {
                TransferState::InProgress => std::thread::yield_now(),
                TransferState::Complete => return Ok(()),
                TransferState::Failed(e) => {
                    self.stop();
                    return Err(e);
                }
            }
        }
    }

    /// Clears Run.
    pub fn stop(&self) {
        self.blocks.clear_run();
    }
}
