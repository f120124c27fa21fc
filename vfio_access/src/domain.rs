//! An IOMMU domain: a VFIO container (real) or a simulated IOMMU, with where its IOVAs
//! come from: this process's own [`SharedIovaSpace`] (direct mode, a primary, the manager
//! itself), or a manager that owns the space (a client of `vfio_multi_process_manager`, or
//! a secondary of `test_primary`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::dma::{check_memlock, BufferAllocation, DmaAccess, DmaBuffer, HostMemory};
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

pub struct IommuDomain {
    pub(crate) kind: DomainKind,
    iova: IovaSource,
    pinned: AtomicU64,
}

impl IommuDomain {
    pub(crate) fn new(kind: DomainKind, allocator: IovaAllocator) -> Arc<Self> {
        Arc::new(Self {
            kind,
            iova: IovaSource::Own(Mutex::new(SharedIovaSpace::from_allocator(allocator))),
            pinned: AtomicU64::new(0),
        })
    }

    /// A domain whose IOVAs the manager behind `link` allocates (container `container_id`).
    pub(crate) fn managed(
        kind: DomainKind,
        link: Arc<ManagerLink>,
        container_id: u32,
        page_size: u64,
    ) -> Arc<Self> {
        Arc::new(Self {
            kind,
            iova: IovaSource::Manager {
                link,
                container_id,
                page_size: page_size.max(1).next_power_of_two(),
            },
            pinned: AtomicU64::new(0),
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
        let memory = HostMemory::allocate(size, mode)?;
        let len = memory.len() as u64;
        if let DomainKind::Real(_) = self.kind {
            check_memlock(len, self.pinned.load(Ordering::Relaxed))?;
        }
        let range = self.allocate_iova(len, dma)?;
        let mapped = match &self.kind {
            DomainKind::Real(c) => c.map_dma(memory.as_ptr() as u64, range.start, len, access),
            DomainKind::Sim(s) => s.map(memory.as_ptr(), range.start, len, access),
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
