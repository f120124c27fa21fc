//! One container's IOVA space shared by several processes: ONE allocator per container,
//! every allocation tagged with the client holding it, optional per-client windows, and the
//! clean-up when a client ends however it ends.
//!
//! Why (vfio_access.md §7.1 #2, §7.3 and §12 #4, #7, #8): IOVA space belongs to the
//! container, so processes allocating independently collide; a dead client's mappings stay
//! in the container (pinning its pages) until someone unmaps them with their exact original
//! ranges, or until the container is torn down. Allocated regions are therefore never
//! merged, and a range the kernel would not unmap is kept as an *orphan* (reusing its
//! IOVAs would fail with EEXIST) until the container is disabled.
//!
//! Used by a process alone (every allocation is [`OWN`]), by `test_primary`'s in-process
//! manager for its secondaries (each with its window), and by `vfio_multi_process_manager`.

use std::collections::{BTreeMap, HashMap};

use crate::error::VfioError;
use crate::filter::DmaCapability;
use crate::iova::{IovaAllocator, IovaRange};

/// Who asked: a connection number of a manager; [`OWN`] for this process itself.
pub type ClientId = u32;

/// The allocations of the process that owns the space (direct mode).
pub const OWN: ClientId = 0;

/// Who holds an allocated range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Client(ClientId),
    /// Its client ended and the range could not be unmapped: kept allocated until the
    /// container is disabled.
    Orphan,
}

/// What ending one client's use of the space did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    /// Ranges the client still held.
    pub regions: usize,
    pub bytes: u64,
    /// Bytes the kernel reported unmapped (the ranges fully unmapped are free again).
    pub unmapped_bytes: u64,
    /// Ranges that could not be (fully) unmapped and became orphans.
    pub orphaned_regions: usize,
    pub orphaned_bytes: u64,
    /// Why unmaps failed (one line each).
    pub errors: Vec<String>,
}

/// Everything given up when the container was torn down (or re-enabled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reclaim {
    pub regions: usize,
    pub bytes: u64,
    pub orphaned_regions: usize,
    pub orphaned_bytes: u64,
}

/// The allocator of one container and who holds what in it.
#[derive(Debug, Clone)]
pub struct SharedIovaSpace {
    allocator: IovaAllocator,
    /// Allocated ranges by start.
    held: BTreeMap<u64, (IovaRange, Holder)>,
    windows: HashMap<ClientId, IovaRange>,
}

impl SharedIovaSpace {
    /// `ranges`: the container's valid IOVA ranges; `page_size`: its smallest IOMMU page.
    pub fn new(ranges: &[IovaRange], page_size: u64) -> Self {
        Self::from_allocator(IovaAllocator::new(ranges, page_size))
    }

    pub fn from_allocator(allocator: IovaAllocator) -> Self {
        Self {
            allocator,
            held: BTreeMap::new(),
            windows: HashMap::new(),
        }
    }

    pub fn page_size(&self) -> u64 {
        self.allocator.page_size()
    }

    /// The requested size rounded up to the IOMMU page size.
    pub fn aligned_size(&self, size: u64) -> Option<u64> {
        self.allocator.aligned_size(size)
    }

    /// Keeps `client`'s future allocations inside `window`.
    pub fn set_window(&mut self, client: ClientId, window: IovaRange) {
        self.windows.insert(client, window);
    }

    pub fn window(&self, client: ClientId) -> Option<IovaRange> {
        self.windows.get(&client).copied()
    }

    pub fn free_ranges(&self) -> Vec<IovaRange> {
        self.allocator.free_ranges()
    }

    /// Every allocated range with its holder, in IOVA order.
    pub fn held(&self) -> Vec<(IovaRange, Holder)> {
        self.held.values().copied().collect()
    }

    pub fn held_by(&self, client: ClientId) -> Vec<IovaRange> {
        self.held
            .values()
            .filter(|(_, h)| *h == Holder::Client(client))
            .map(|(r, _)| *r)
            .collect()
    }

    /// Best fit (iova.rs) for `client`, inside its window when it has one.
    pub fn allocate(
        &mut self,
        client: ClientId,
        size: u64,
        dma: DmaCapability,
    ) -> Result<IovaRange, VfioError> {
        let bounds = self.window(client).unwrap_or(IovaRange::new(0, u64::MAX));
        let range = self.allocator.allocate_within(size, dma, bounds)?;
        self.held
            .insert(range.start, (range, Holder::Client(client)));
        Ok(range)
    }

    /// Frees `range` if it is exactly one allocation held by `client` (the caller has
    /// unmapped it). False otherwise, and nothing changes.
    pub fn free(&mut self, client: ClientId, range: IovaRange) -> bool {
        match self.held.get(&range.start) {
            Some((r, Holder::Client(c))) if *r == range && *c == client => {
                self.held.remove(&range.start);
                self.allocator.free(range);
                true
            }
            _ => false,
        }
    }

    /// `client` ended: each range it still holds is unmapped with `unmap` (which returns
    /// the bytes the kernel reported unmapped) and freed when fully unmapped, else kept as
    /// an orphan. Its window is forgotten.
    pub fn release<E: std::fmt::Display>(
        &mut self,
        client: ClientId,
        mut unmap: impl FnMut(IovaRange) -> Result<u64, E>,
    ) -> Release {
        let mut report = Release::default();
        for range in self.held_by(client) {
            report.regions += 1;
            report.bytes += range.size();
            let done = match unmap(range) {
                Ok(n) => {
                    report.unmapped_bytes += n;
                    if n != range.size() {
                        report.errors.push(format!(
                            "VFIO_IOMMU_UNMAP_DMA of size {} at IOVA 0x{:x} unmapped {n} bytes",
                            range.size(),
                            range.start
                        ));
                    }
                    n == range.size()
                }
                Err(e) => {
                    report.errors.push(format!(
                        "VFIO_IOMMU_UNMAP_DMA of size {} at IOVA 0x{:x} failed : {e}",
                        range.size(),
                        range.start
                    ));
                    false
                }
            };
            if done {
                self.held.remove(&range.start);
                self.allocator.free(range);
            } else {
                report.orphaned_regions += 1;
                report.orphaned_bytes += range.size();
                self.held.insert(range.start, (range, Holder::Orphan));
            }
        }
        self.windows.remove(&client);
        report
    }

    /// The container was torn down (its IOMMU domain dropped every mapping): everything
    /// held is given up, and the space starts again from `ranges` (re-read on re-enable).
    pub fn reclaim(&mut self, ranges: &[IovaRange], page_size: u64) -> Reclaim {
        let mut r = Reclaim::default();
        for (range, holder) in self.held.values() {
            r.regions += 1;
            r.bytes += range.size();
            if *holder == Holder::Orphan {
                r.orphaned_regions += 1;
                r.orphaned_bytes += range.size();
            }
        }
        self.held.clear();
        self.allocator = IovaAllocator::new(ranges, page_size);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_tags_release_and_orphans() {
        let mut s = SharedIovaSpace::new(&[IovaRange::new(0, 0xf_ffff)], 0x1000);
        s.set_window(1, IovaRange::new(0x8_0000, 0xf_ffff));
        let a = s.allocate(1, 0x1800, DmaCapability::A64).unwrap();
        assert_eq!(a, IovaRange::new(0x8_0000, 0x8_1fff));
        let b = s.allocate(2, 0x1000, DmaCapability::Bits(28)).unwrap();
        // Best fit: the smaller free piece left after `a`, never overlapping it.
        assert_eq!(b, IovaRange::new(0x8_2000, 0x8_2fff));
        // Only the holder frees, and only the exact range.
        assert!(!s.free(2, a));
        assert!(!s.free(1, IovaRange::new(a.start, a.start + 0xfff)));
        let c = s.allocate(1, 0x1000, DmaCapability::A64).unwrap();
        // Client 1 ends: one range unmaps, the other is refused (0 bytes) and is orphaned.
        let rel = s.release(1, |r| -> Result<u64, String> {
            Ok(if r == a { r.size() } else { 0 })
        });
        assert_eq!(
            (rel.regions, rel.bytes, rel.unmapped_bytes),
            (2, 0x3000, 0x2000)
        );
        assert_eq!((rel.orphaned_regions, rel.orphaned_bytes), (1, 0x1000));
        assert_eq!(rel.errors.len(), 1, "{:?}", rel.errors);
        assert_eq!(s.held(), vec![(b, Holder::Client(2)), (c, Holder::Orphan)]);
        assert_eq!(s.window(1), None);
        let r = s.reclaim(&[IovaRange::new(0, 0xf_ffff)], 0x1000);
        assert_eq!(
            r,
            Reclaim {
                regions: 2,
                bytes: 0x2000,
                orphaned_regions: 1,
                orphaned_bytes: 0x1000
            }
        );
        assert_eq!(s.free_ranges(), vec![IovaRange::new(0, 0xf_ffff)]);
    }
}
