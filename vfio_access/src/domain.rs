//! An IOMMU domain: a VFIO container (real) or a simulated IOMMU, with the IOVA allocator
//! that hands out its address space.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::dma::{check_memlock, BufferAllocation, DmaAccess, DmaBuffer, HostMemory};
use crate::error::{OsError, Result, VfioError};
use crate::filter::DmaCapability;
use crate::iova::{IovaAllocator, IovaRange};
use crate::messages::Messages;
use crate::real::Container;
use crate::sim::SimIommu;

pub(crate) enum DomainKind {
    Real(Arc<Container>),
    Sim(Arc<SimIommu>),
}

pub struct IommuDomain {
    pub(crate) kind: DomainKind,
    allocator: Mutex<IovaAllocator>,
    pinned: AtomicU64,
}

impl IommuDomain {
    pub(crate) fn new(kind: DomainKind, allocator: IovaAllocator) -> Arc<Self> {
        Arc::new(Self {
            kind,
            allocator: Mutex::new(allocator),
            pinned: AtomicU64::new(0),
        })
    }

    fn allocator(&self) -> std::sync::MutexGuard<'_, IovaAllocator> {
        self.allocator.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Limits future allocations to `window` (a secondary's share of the container).
    pub fn restrict_window(&self, window: IovaRange) {
        self.allocator().restrict(window)
    }

    pub fn free_iova_ranges(&self) -> Vec<IovaRange> {
        self.allocator().free_ranges()
    }

    /// The smallest IOMMU page size: IOVAs and sizes are multiples of it.
    pub fn iova_page_size(&self) -> u64 {
        self.allocator().page_size()
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

    pub(crate) fn allocate(
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
        let range = self.allocator().allocate(len, dma)?;
        let mapped = match &self.kind {
            DomainKind::Real(c) => c.map_dma(memory.as_ptr() as u64, range.start, len, access),
            DomainKind::Sim(s) => s.map(memory.as_ptr(), range.start, len, access),
        };
        if let Err(errno) = mapped {
            self.allocator().free(range);
            return Err(VfioError::MapDma {
                size: len,
                iova: range.start,
                errno: OsError(errno),
            });
        }
        self.pinned.fetch_add(len, Ordering::Relaxed);
        Ok(DmaBuffer::new(memory, range, Arc::clone(self), messages))
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
        self.allocator().free(range);
        Ok(())
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
