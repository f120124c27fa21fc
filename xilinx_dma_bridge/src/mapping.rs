//! Host DMA mappings as the driver uses them: shared buffers, and sub-allocation of
//! descriptor rings and writebacks from one mapping (64-byte aligned).

use std::sync::Arc;

use vfio_access::DmaBuffer;

/// Alignment of every sub-allocation.
pub const SUB_ALIGN: usize = 64;

pub fn round_up_64(n: usize) -> usize {
    n.div_ceil(SUB_ALIGN) * SUB_ALIGN
}

/// Bytes one channel needs in a descriptors mapping (fact sheet 4.3).
pub fn descriptors_mapping_bytes(num_descriptors: usize, c2h_stream: bool) -> usize {
    round_up_64(num_descriptors * crate::descriptor::DESCRIPTOR_BYTES)
        + SUB_ALIGN
        + if c2h_stream {
            round_up_64(num_descriptors * crate::descriptor::STREAM_WB_BYTES)
        } else {
            0
        }
}

/// A region carved from a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Byte offset in the mapping.
    pub offset: usize,
    pub iova: u64,
    pub len: usize,
}

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

    /// The next `n` bytes at a 64-byte boundary, or the original's message when full.
    pub fn allocate(&mut self, n: usize) -> Result<Region, String> {
        let offset = round_up_64(self.next);
        if offset.checked_add(n).is_none_or(|e| e > self.buffer.len()) {
            return Err(format!(
                "Insufficient space to allocate {n} bytes in VFIO DMA mapping"
            ));
        }
        self.next = offset + n;
        Ok(Region {
            offset,
            iova: self.buffer.iova() + offset as u64,
            len: n,
        })
    }
}
