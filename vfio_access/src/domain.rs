//! An IOMMU domain: a VFIO container (real) or a simulated IOMMU, with where its IOVAs
//! come from: this process's own [`SharedIovaSpace`] (direct mode, a primary, the manager
//! itself), or a manager that owns the space (a client of `vfio_multi_process_manager`, or
//! a secondary of `test_primary`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::dma::{
    check_memlock, huge_page_size, page_size, BufferAllocation, DmaAccess, DmaBuffer, DmaSegment,
    HostMemory,
};
use crate::error::{OsError, Result, VfioError};
use crate::filter::DmaCapability;
use crate::iova::{IovaAllocator, IovaRange};
use crate::manager::ManagerLink;
use crate::messages::Messages;
use crate::multiprocess::{SharedIovaSpace, OWN};
use crate::real::Container;
use crate::sim::SimIommu;

pub(crate) enum DomainKind {
    Real(Arc<Container>),
    Sim(Arc<SimIommu>),
}

/// Where a domain's IOVAs come from.
enum IovaSource {
    /// This process holds the container's allocator; its own allocations are [`OWN`].
    Own(Mutex<SharedIovaSpace>),
    /// A manager holds it: every allocation and free is a request to it.
    Manager {
        link: Arc<ManagerLink>,
        container_id: u32,
        page_size: u64,
    },
}

/// What a device is given as the address of host memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmaAddressing {
    /// An IOVA the IOMMU translates: each buffer is one contiguous mapping.
    Iommu,
    /// No IOMMU (vfio noiommu mode): physical addresses from `/proc/self/pagemap`, in as
    /// many segments as the pinned pages form (physical.rs).
    Physical,
    /// The simulated boards' noiommu mode: "physical" addresses handed out by the
    /// simulated IOMMU's allocator, each buffer deliberately fragmented into scattered
    /// segments of one base page to 2 MiB (huge pages: 1 to 4 huge pages), so that
    /// segment handling is tested without root.
    SimulatedPhysical,
}

pub struct IommuDomain {
    pub(crate) kind: DomainKind,
    iova: IovaSource,
    addressing: DmaAddressing,
    pinned: AtomicU64,
    /// Seeds the simulated fragmentation, so that successive buffers differ.
    fragment_seed: AtomicU64,
}

impl IommuDomain {
    pub(crate) fn new(kind: DomainKind, allocator: IovaAllocator) -> Arc<Self> {
        Self::with_addressing(kind, allocator, DmaAddressing::Iommu)
    }

    pub(crate) fn with_addressing(
        kind: DomainKind,
        allocator: IovaAllocator,
        addressing: DmaAddressing,
    ) -> Arc<Self> {
        Arc::new(Self {
            kind,
            iova: IovaSource::Own(Mutex::new(SharedIovaSpace::from_allocator(allocator))),
            addressing,
            pinned: AtomicU64::new(0),
            fragment_seed: AtomicU64::new(0x5eed),
        })
    }

    /// How devices in this domain address host memory.
    pub fn addressing(&self) -> DmaAddressing {
        self.addressing
    }

    /// A domain whose IOVAs the manager behind `link` allocates (container `container_id`).
    pub(crate) fn managed(
        kind: DomainKind,
        link: Arc<ManagerLink>,
        container_id: u32,
        page_size: u64,
        addressing: DmaAddressing,
    ) -> Arc<Self> {
        Arc::new(Self {
            kind,
            iova: IovaSource::Manager {
                link,
                container_id,
                page_size: page_size.max(1).next_power_of_two(),
            },
            addressing,
            pinned: AtomicU64::new(0),
            fragment_seed: AtomicU64::new(0x5eed),
        })
    }

    /// Runs `f` on this process's IOVA space; None when a manager holds it.
    pub fn with_space<R>(&self, f: impl FnOnce(&mut SharedIovaSpace) -> R) -> Option<R> {
        match &self.iova {
            IovaSource::Own(space) => Some(f(&mut space.lock().unwrap_or_else(|p| p.into_inner()))),
            IovaSource::Manager { .. } => None,
        }
    }

    /// Limits this process's future allocations to `window` (a secondary's share of the
    /// container).
    pub fn restrict_window(&self, window: IovaRange) {
        self.with_space(|s| s.set_window(OWN, window));
    }

    /// The free IOVA ranges (none known when a manager holds the space).
    pub fn free_iova_ranges(&self) -> Vec<IovaRange> {
        self.with_space(|s| s.free_ranges()).unwrap_or_default()
    }

    /// The smallest IOMMU page size: IOVAs and sizes are multiples of it.
    pub fn iova_page_size(&self) -> u64 {
        match &self.iova {
            IovaSource::Own(_) => self.with_space(|s| s.page_size()).unwrap_or(4096),
            IovaSource::Manager { page_size, .. } => *page_size,
        }
    }

    /// The VFIO container behind a real domain.
    pub(crate) fn container(&self) -> Option<&Arc<Container>> {
        match &self.kind {
            DomainKind::Real(c) => Some(c),
            DomainKind::Sim(_) => None,
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self.kind, DomainKind::Sim(_))
    }

    /// The simulated IOMMU behind this domain, if simulated.
    pub fn sim_iommu(&self) -> Option<&Arc<SimIommu>> {
        match &self.kind {
            DomainKind::Sim(s) => Some(s),
            DomainKind::Real(_) => None,
        }
    }

    fn allocate_iova(&self, size: u64, dma: DmaCapability) -> Result<IovaRange> {
        match &self.iova {
            IovaSource::Own(space) => space
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .allocate(OWN, size, dma),
            IovaSource::Manager {
                link, container_id, ..
            } => link.allocate_iova(*container_id, dma, size),
        }
    }

    fn free_iova(&self, range: IovaRange) -> Result<()> {
        match &self.iova {
            IovaSource::Own(space) => {
                space
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .free(OWN, range);
                Ok(())
            }
            IovaSource::Manager {
                link, container_id, ..
            } => link.free_iova(*container_id, range),
        }
    }

    /// Unmaps exactly `range` (whoever mapped it), returning the bytes the kernel (or the
    /// simulated IOMMU) reported unmapped. The IOVA bookkeeping is the caller's.
    pub(crate) fn unmap_exact(&self, range: IovaRange) -> Result<u64, nix::errno::Errno> {
        match &self.kind {
            DomainKind::Real(c) => c.unmap_dma(range.start, range.size()),
            DomainKind::Sim(s) => Ok(s.unmap_range(range.start, range.end)),
        }
    }

    pub(crate) fn allocate(
        self: &Arc<Self>,
        size: usize,
        dma: DmaCapability,
        access: DmaAccess,
        mode: BufferAllocation,
        messages: Messages,
    ) -> Result<DmaBuffer> {
        match self.addressing {
            DmaAddressing::Iommu => self.allocate_mapped(size, dma, access, mode, messages),
            DmaAddressing::Physical => self.allocate_physical(size, dma, mode, messages),
            DmaAddressing::SimulatedPhysical => {
                self.allocate_fragmented(size, dma, access, mode, messages)
            }
        }
    }

    /// Behind an IOMMU: one mapping, one segment.
    fn allocate_mapped(
        self: &Arc<Self>,
        size: usize,
        dma: DmaCapability,
        access: DmaAccess,
        mode: BufferAllocation,
        messages: Messages,
    ) -> Result<DmaBuffer> {
        let memory = HostMemory::allocate(size, mode)?;
        let len = memory.len() as u64;
        if let DomainKind::Real(_) = self.kind {
            check_memlock(len, self.pinned.load(Ordering::Relaxed))?;
        }
        let range = self.map_range(&memory, 0, len, dma, access)?;
        let segment = DmaSegment {
            device_address: range.start,
            offset: 0,
            len: memory.len(),
        };
        Ok(DmaBuffer::new(
            memory,
            vec![segment],
            vec![range],
            Arc::clone(self),
            messages,
        ))
    }

    /// Allocates an IOVA range for `len` bytes of `memory` from `offset` and maps them.
    fn map_range(
        &self,
        memory: &HostMemory,
        offset: usize,
        len: u64,
        dma: DmaCapability,
        access: DmaAccess,
    ) -> Result<IovaRange> {
        let range = self.allocate_iova(len, dma)?;
        // SAFETY (of the pointer arithmetic): offset + len lies inside `memory`.
        let host = memory.as_ptr().wrapping_add(offset);
        let mapped = match &self.kind {
            DomainKind::Real(c) => c.map_dma(host as u64, range.start, len, access),
            DomainKind::Sim(s) => s.map(host, range.start, len, access),
        };
        if let Err(errno) = mapped {
            // Given back: a failed map must not keep its IOVA (vfio_access.md §12 #9).
            let _ = self.free_iova(range);
            return Err(VfioError::MapDma {
                size: len,
                iova: range.start,
                errno: OsError(errno),
            });
        }
        self.pinned.fetch_add(len, Ordering::Relaxed);
        Ok(range)
    }

    /// No IOMMU: pinned pages at their physical addresses (physical.rs).
    fn allocate_physical(
        self: &Arc<Self>,
        size: usize,
        dma: DmaCapability,
        mode: BufferAllocation,
        messages: Messages,
    ) -> Result<DmaBuffer> {
        check_memlock(size as u64, self.pinned.load(Ordering::Relaxed))?;
        let (memory, _contiguous_page) = HostMemory::allocate_pinned(size, mode)?;
        // pagemap has one entry per base page, whatever page size backs the mapping.
        let segments = crate::physical::read_segments(memory.as_ptr(), memory.len(), page_size())?;
        crate::physical::check_address_limit(&segments, dma, memory.len())?;
        self.pinned
            .fetch_add(memory.len() as u64, Ordering::Relaxed);
        Ok(DmaBuffer::new(
            memory,
            segments,
            Vec::new(),
            Arc::clone(self),
            messages,
        ))
    }

    /// Simulated noiommu mode: the buffer is cut into pieces of pseudo-random sizes, each
    /// mapped on its own, and the pieces are given addresses in reverse order so that no
    /// two neighbours are contiguous.
    fn allocate_fragmented(
        self: &Arc<Self>,
        size: usize,
        dma: DmaCapability,
        access: DmaAccess,
        mode: BufferAllocation,
        messages: Messages,
    ) -> Result<DmaBuffer> {
        let granule = match mode {
            BufferAllocation::HugePages => huge_page_size(),
            _ => page_size(),
        };
        // Huge pages are simulated by the fragmentation granule: the host memory itself is
        // ordinary, so that no huge pages need reserving to test.
        let host_mode = match mode {
            BufferAllocation::SharedMemory => BufferAllocation::SharedMemory,
            _ => BufferAllocation::Heap,
        };
        let memory = HostMemory::allocate(size.max(1).next_multiple_of(granule), host_mode)?;
        let max_units = match mode {
            BufferAllocation::HugePages => 4,
            _ => (2 << 20) / granule,
        };
        let mut seed = self.fragment_seed.fetch_add(1, Ordering::Relaxed);
        let pieces = fragment_lengths(memory.len(), granule, max_units, &mut seed);
        let mut ranges: Vec<IovaRange> = Vec::with_capacity(pieces.len());
        // Addresses are allocated from the last piece to the first, so that each piece
        // lies below the one before it in the buffer.
        for &n in pieces.iter().rev() {
            match self.allocate_iova(n as u64, dma) {
                Ok(r) => ranges.push(r),
                Err(e) => {
                    for r in ranges {
                        let _ = self.free_iova(r);
                    }
                    return Err(e);
                }
            }
        }
        ranges.reverse();
        let mut segments = Vec::with_capacity(pieces.len());
        let mut mapped: Vec<IovaRange> = Vec::with_capacity(pieces.len());
        let mut offset = 0usize;
        for (i, (&n, range)) in pieces.iter().zip(&ranges).enumerate() {
            let host = memory.as_ptr().wrapping_add(offset);
            let result = match &self.kind {
                DomainKind::Sim(s) => s.map(host, range.start, n as u64, access),
                DomainKind::Real(c) => c.map_dma(host as u64, range.start, n as u64, access),
            };
            if let Err(errno) = result {
                for r in &mapped {
                    let _ = self.unmap(*r);
                }
                for r in &ranges[i..] {
                    let _ = self.free_iova(*r);
                }
                return Err(VfioError::MapDma {
                    size: n as u64,
                    iova: range.start,
                    errno: OsError(errno),
                });
            }
            self.pinned.fetch_add(n as u64, Ordering::Relaxed);
            mapped.push(*range);
            segments.push(DmaSegment {
                device_address: range.start,
                offset,
                len: n,
            });
            offset += n;
        }
        Ok(DmaBuffer::new(
            memory,
            segments,
            mapped,
            Arc::clone(self),
            messages,
        ))
    }

    /// A buffer without IOMMU mappings was freed: its pages no longer count as pinned.
    pub(crate) fn release_unmapped(&self, len: u64) {
        self.pinned.fetch_sub(len, Ordering::Relaxed);
    }

    pub(crate) fn unmap(&self, range: IovaRange) -> Result<()> {
        let size = range.size();
        let unmapped = match &self.kind {
            DomainKind::Real(c) => {
                c.unmap_dma(range.start, size)
                    .map_err(|e| VfioError::UnmapDma {
                        size,
                        unmapped: 0,
                        status: OsError(e).to_string(),
                    })?
            }
            DomainKind::Sim(s) => s.unmap(range.start, size),
        };
        if unmapped != size {
            return Err(VfioError::UnmapDma {
                size,
                unmapped,
                status: "Success".into(),
            });
        }
        self.pinned.fetch_sub(size, Ordering::Relaxed);
        self.free_iova(range)
    }

    /// Unmaps everything inside `window`, whoever mapped it (a dead secondary's mappings).
    /// Returns the bytes the kernel reported unmapped.
    pub fn unmap_window(&self, window: IovaRange) -> Result<u64> {
        match &self.kind {
            DomainKind::Real(c) => c.unmap_dma(window.start, window.size()).map_err(|e| {
                VfioError::sys(
                    format!(
                        "VFIO_IOMMU_UNMAP_DMA of window 0x{:x}-0x{:x}",
                        window.start, window.end
                    ),
                    e,
                )
            }),
            DomainKind::Sim(s) => Ok(s.unmap_range(window.start, window.end)),
        }
    }
}

/// Lengths (multiples of `granule`, at most `max_units` granules, roughly log-uniform so
/// that single pages are common) adding up to `len`, from a 64-bit LCG
/// (vfio_access.md §8's generator constants).
fn fragment_lengths(len: usize, granule: usize, max_units: usize, seed: &mut u64) -> Vec<usize> {
    let mut next = || {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) as usize
    };
    let bits = usize::BITS - max_units.max(1).leading_zeros();
    let mut pieces = Vec::new();
    let mut left = len;
    while left > 0 {
        let span = 1usize << (next() % bits as usize);
        let units = 1 + next() % span.min(max_units.max(1));
        let n = (units * granule).min(left);
        pieces.push(n);
        left -= n;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::fragment_lengths;

    #[test]
    fn fragments_cover_the_buffer_in_pages_of_4k_to_2m() {
        let mut seed = 1;
        let len = 64 << 20;
        let pieces = fragment_lengths(len, 4096, 512, &mut seed);
        assert_eq!(pieces.iter().sum::<usize>(), len);
        assert!(pieces
            .iter()
            .all(|&n| n % 4096 == 0 && (4096..=2 << 20).contains(&n)));
        assert!(pieces.contains(&4096), "single pages occur");
        assert!(pieces.iter().any(|&n| n > 1 << 20), "large pieces occur");
    }
}
