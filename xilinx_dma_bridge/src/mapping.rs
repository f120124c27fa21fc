//! Host DMA mappings as the driver uses them: sub-allocation of descriptor rings and
//! writebacks from one mapping, each region 64-byte aligned (xilinx_dma_bridge.md §4.1,
//! §4.3).

use std::sync::Arc;

use vfio_access::DmaBuffer;
use xdma_registers::descriptor::{completed_count, stream_writeback, DESCRIPTOR_BYTES};

/// Alignment of every sub-allocation.
pub const SUB_ALIGN: usize = 64;

pub fn round_up_64(n: usize) -> usize {
    n.div_ceil(SUB_ALIGN) * SUB_ALIGN
}

/// Bytes one channel needs in a descriptors mapping (§4.3): the ring, the completed-count
/// word and, for a C2H stream channel, the stream writebacks.
pub fn descriptors_mapping_bytes(num_descriptors: usize, c2h_stream: bool) -> usize {
    round_up_64(num_descriptors * DESCRIPTOR_BYTES)
        + round_up_64(completed_count::BYTES)
        + if c2h_stream {
            round_up_64(num_descriptors * stream_writeback::BYTES)
        } else {
            0
        }
}

/// A region carved from a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Byte offset in the mapping.
    pub offset: usize,
    /// Device address of the first byte. Without an IOMMU the rest of the region need
    /// not follow it: address later bytes through the buffer's `device_address`.
    pub iova: u64,
    pub len: usize,
}

/// The mapping has no room left (the original's message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Insufficient space to allocate {0} bytes in VFIO DMA mapping")]
pub struct SubAllocationError(pub usize);

/// Carves regions from one DMA mapping in order.
pub struct SubAllocator {
    buffer: Arc<DmaBuffer>,
    next: usize,
}

impl SubAllocator {
    pub fn new(buffer: Arc<DmaBuffer>) -> Self {
        Self { buffer, next: 0 }
    }

    pub fn buffer(&self) -> &Arc<DmaBuffer> {
        &self.buffer
    }

    /// The next `n` bytes at a 64-byte boundary.
    pub fn allocate(&mut self, n: usize) -> Result<Region, SubAllocationError> {
        let offset = round_up_64(self.next);
        if offset.checked_add(n).is_none_or(|e| e > self.buffer.len()) {
            return Err(SubAllocationError(n));
        }
        self.next = offset + n;
        Ok(Region {
            offset,
            iova: self.buffer.device_address(offset),
            len: n,
        })
    }
}
