//! IOVA allocation inside the ranges a container reports: best fit over a sorted list of
//! free and allocated regions, never overlapping, honouring each device's address limit.

use crate::error::VfioError;
use crate::filter::DmaCapability;

/// An inclusive IOVA range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IovaRange {
    pub start: u64,
    /// Inclusive end.
    pub end: u64,
}

impl IovaRange {
    pub fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }
    pub fn size(&self) -> u64 {
        self.end - self.start + 1
    }
    pub fn intersect(&self, other: &IovaRange) -> Option<IovaRange> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start <= end).then_some(IovaRange { start, end })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Region {
    range: IovaRange,
    allocated: bool,
}

const FOUR_GIB: u64 = 1 << 32;

/// Allocator over a container's (or a secondary's window of) IOVA space.
#[derive(Debug, Clone)]
pub struct IovaAllocator {
    regions: Vec<Region>,
    page_size: u64,
}

impl IovaAllocator {
    /// `ranges` are the valid IOVA ranges (from `VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`);
    /// `page_size` the smallest IOMMU page size (a power of two).
    pub fn new(ranges: &[IovaRange], page_size: u64) -> Self {
        let page_size = page_size.max(1).next_power_of_two();
        let mut sorted: Vec<IovaRange> = ranges.to_vec();
        sorted.sort();
        let mut regions: Vec<Region> = Vec::new();
        for r in sorted {
            // Only whole pages are usable.
            let Some(start) = align_up(r.start, page_size) else {
                continue;
            };
            let end_excl = (u128::from(r.end) + 1) / u128::from(page_size) * u128::from(page_size);
            if end_excl <= u128::from(start) {
                continue;
            }
            let end_excl = end_excl.min(u128::from(u64::MAX) + 1);
            let range = IovaRange::new(start, (end_excl - 1) as u64);
            match regions.last_mut() {
                Some(last) if last.range.end.checked_add(1) == Some(range.start) => {
                    last.range.end = range.end
                }
                Some(last) if last.range.end >= range.start => {
                    last.range.end = last.range.end.max(range.end)
                }
                _ => regions.push(Region {
                    range,
                    allocated: false,
                }),
            }
        }
        Self { regions, page_size }
    }

    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// Keeps only the part of the space inside `window` (a secondary's own window).
    pub fn restrict(&mut self, window: IovaRange) {
        let ranges: Vec<IovaRange> = self
            .regions
            .iter()
            .filter(|r| !r.allocated)
            .filter_map(|r| r.range.intersect(&window))
            .collect();
        *self = IovaAllocator::new(&ranges, self.page_size);
    }

    /// The requested size rounded up to the IOMMU page size.
    pub fn aligned_size(&self, size: u64) -> Option<u64> {
        align_up(size.max(1), self.page_size)
    }

    /// Best-fit allocation. 64-bit devices are placed at or above 4 GiB when possible so
    /// that low IOVA stays free for 32-bit devices.
    pub fn allocate(&mut self, size: u64, dma: DmaCapability) -> Result<IovaRange, VfioError> {
        self.allocate_within(size, dma, IovaRange::new(0, u64::MAX))
    }

    /// [`allocate`](Self::allocate) kept inside `bounds` (a client's window of a shared
    /// container).
    pub fn allocate_within(
        &mut self,
        size: u64,
        dma: DmaCapability,
        bounds: IovaRange,
    ) -> Result<IovaRange, VfioError> {
        let bits = match dma {
            DmaCapability::A64 | DmaCapability::None => 64,
            DmaCapability::A32 => 32,
            DmaCapability::Bits(b) => b as u32,
        };
        let too_big = VfioError::NoFreeIova { size, bits };
        let size = self.aligned_size(size).ok_or(too_big)?;
        let max = dma.max_iova().unwrap_or(u64::MAX).min(bounds.end);
        let attempt = |min: u64| self.best_fit(size, min.max(bounds.start), max);
        let found = if dma == DmaCapability::A64 {
            attempt(FOUR_GIB).or_else(|| attempt(0))
        } else {
            attempt(0)
        };
        let start = found.ok_or(VfioError::NoFreeIova { size, bits })?;
        let range = IovaRange::new(start, start + size - 1);
        self.mark(range, true);
        Ok(range)
    }

    fn best_fit(&self, size: u64, min: u64, max: u64) -> Option<u64> {
        let mut best: Option<(u64, u64)> = None; // (leftover, start)
        for r in self.regions.iter().filter(|r| !r.allocated) {
            let Some(start) = align_up(r.range.start.max(min), self.page_size) else {
                continue;
            };
            let end = r.range.end.min(max);
            if start > end || end - start + 1 < size {
                continue;
            }
            let leftover = (end - start + 1) - size;
            if best.is_none_or(|(b, _)| leftover < b) {
                best = Some((leftover, start));
            }
        }
        best.map(|(_, s)| s)
    }

    /// Returns an allocation made by [`allocate`](Self::allocate). False when `range` is not
    /// exactly one current allocation.
    pub fn free(&mut self, range: IovaRange) -> bool {
        let exact = self.regions.iter().any(|r| r.allocated && r.range == range);
        if exact {
            self.mark(range, false);
        }
        exact
    }

    /// Splits the region containing `range` and sets its state; free neighbours merge,
    /// allocated ones stay separate so each can be unmapped with its exact original range.
    fn mark(&mut self, range: IovaRange, allocated: bool) {
        let Some(idx) = self
            .regions
            .iter()
            .position(|r| r.range.start <= range.start && range.end <= r.range.end)
        else {
            return;
        };
        let old = self.regions.remove(idx);
        let mut pieces = Vec::with_capacity(3);
        if old.range.start < range.start {
            pieces.push(Region {
                range: IovaRange::new(old.range.start, range.start - 1),
                allocated: old.allocated,
            });
        }
        pieces.push(Region { range, allocated });
        if range.end < old.range.end {
            pieces.push(Region {
                range: IovaRange::new(range.end + 1, old.range.end),
                allocated: old.allocated,
            });
        }
        for (i, p) in pieces.into_iter().enumerate() {
            self.regions.insert(idx + i, p);
        }
        self.merge_free();
    }

    fn merge_free(&mut self) {
        let mut merged: Vec<Region> = Vec::with_capacity(self.regions.len());
        for r in self.regions.drain(..) {
            match merged.last_mut() {
                Some(last)
                    if !last.allocated
                        && !r.allocated
                        && last.range.end.checked_add(1) == Some(r.range.start) =>
                {
                    last.range.end = r.range.end
                }
                _ => merged.push(r),
            }
        }
        self.regions = merged;
    }

    pub fn free_ranges(&self) -> Vec<IovaRange> {
        self.regions
            .iter()
            .filter(|r| !r.allocated)
            .map(|r| r.range)
            .collect()
    }

    pub fn allocated_ranges(&self) -> Vec<IovaRange> {
        self.regions
            .iter()
            .filter(|r| r.allocated)
            .map(|r| r.range)
            .collect()
    }
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    v.checked_add(align - 1).map(|x| x & !(align - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intel() -> IovaAllocator {
        IovaAllocator::new(
            &[
                IovaRange::new(0, 0xfedf_ffff),
                IovaRange::new(0xfef0_0000, 0x7f_ffff_ffff),
            ],
            0x1000,
        )
    }

    #[test]
    fn placement_follows_best_fit_and_4gib_preference() {
        let mut a = intel();
        let r = a.allocate(0x1000, DmaCapability::A64).unwrap();
        assert_eq!(r.start, 0x1_0000_0000);
        let r2 = a.allocate(0x2000, DmaCapability::A64).unwrap();
        assert_eq!(r2.start, 0x1_0000_1000);
        // A small 32-bit allocation lands in the smaller free region above the MSI window.
        let s = a.allocate(0x100, DmaCapability::A32).unwrap();
        assert_eq!(s, IovaRange::new(0xfef0_0000, 0xfef0_0fff));
        // A large one does not fit there and goes to 0.
        let l = a.allocate(0x4000_0000, DmaCapability::A32).unwrap();
        assert_eq!(l.start, 0);
        // 28-bit devices stay below 0x1000_0000.
        let e = a.allocate(0x1000, DmaCapability::Bits(28));
        assert!(e.is_err(), "0..0x3fffffff is taken by the 1 GiB allocation");
        assert!(a.free(l));
        let e = a.allocate(0x1000, DmaCapability::Bits(28)).unwrap();
        assert!(e.end < 0x1000_0000);
    }

    #[test]
    fn free_requires_exact_range_and_merges() {
        let mut a = IovaAllocator::new(&[IovaRange::new(0, 0xffff)], 0x1000);
        let x = a.allocate(0x1000, DmaCapability::None).unwrap();
        let y = a.allocate(0x1000, DmaCapability::None).unwrap();
        assert!(!a.free(IovaRange::new(x.start, x.start + 0x7ff)));
        assert!(a.free(x));
        assert!(!a.free(x));
        assert!(a.free(y));
        assert_eq!(a.free_ranges(), vec![IovaRange::new(0, 0xffff)]);
    }

    #[test]
    fn exhaustion_message() {
        let mut a = IovaAllocator::new(&[IovaRange::new(0, 0xfff)], 0x1000);
        a.allocate(1, DmaCapability::A64).unwrap();
        let err = a.allocate(1, DmaCapability::A64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "No free IOVA to allocate 4096 bytes for 64 bit IOVA capable device"
        );
        let mut empty = IovaAllocator::new(&[], 0x1000);
        assert!(empty.allocate(1, DmaCapability::A32).is_err());
    }

    #[test]
    fn restrict_to_window() {
        let mut a = intel();
        a.restrict(IovaRange::new(0x100_0000, 0x1ff_ffff));
        assert_eq!(
            a.free_ranges(),
            vec![IovaRange::new(0x100_0000, 0x1ff_ffff)]
        );
        let r = a.allocate(0x10_0000, DmaCapability::A64).unwrap();
        assert_eq!(r.start, 0x100_0000);
    }
}
