//! The simulated IOMMU: DMA buffers are registered at their IOVAs exactly as
//! `VFIO_IOMMU_MAP_DMA` would register them, and device models reach host memory only
//! through it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use nix::errno::Errno;

use crate::dma::DmaAccess;

#[derive(Debug, Clone, Copy)]
struct Mapping {
    /// Host virtual address of the first byte, kept as an integer: the memory belongs to a
    /// `DmaBuffer`, which unmaps itself here before releasing it.
    host: usize,
    size: u64,
    access: DmaAccess,
}

/// Why a simulated device's DMA was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IommuFault {
    #[error("IOMMU fault: IOVA 0x{iova:x} (+0x{len:x}) is not mapped")]
    NotMapped { iova: u64, len: u64 },
    #[error("IOMMU fault: IOVA 0x{iova:x} (+0x{len:x}) is not mapped for device {direction}")]
    Permission {
        iova: u64,
        len: u64,
        direction: &'static str,
    },
}

/// One simulated IOMMU domain (the simulated counterpart of a VFIO container).
#[derive(Default)]
pub struct SimIommu {
    mappings: RwLock<BTreeMap<u64, Mapping>>,
    faults: AtomicU64,
}

impl SimIommu {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Registers host memory at `iova`. Same rules as the kernel: non-empty, and no overlap
    /// with an existing mapping (EEXIST).
    ///
    /// The caller guarantees `host..host+size` stays valid until [`unmap`](Self::unmap).
    pub(crate) fn map(
        &self,
        host: *mut u8,
        iova: u64,
        size: u64,
        access: DmaAccess,
    ) -> Result<(), Errno> {
        let end = iova
            .checked_add(size)
            .filter(|_| size > 0)
            .ok_or(Errno::EINVAL)?;
        let mut maps = self.mappings.write().unwrap_or_else(|p| p.into_inner());
        let before = maps.range(..end).next_back();
        if before.is_some_and(|(&s, m)| s + m.size > iova) {
            return Err(Errno::EEXIST);
        }
        maps.insert(
            iova,
            Mapping {
                host: host as usize,
                size,
                access,
            },
        );
        Ok(())
    }

    /// Removes the mapping that starts at `iova` with exactly `size`; returns the bytes
    /// unmapped (0 when there is no such mapping, as the kernel reports).
    pub(crate) fn unmap(&self, iova: u64, size: u64) -> u64 {
        let mut maps = self.mappings.write().unwrap_or_else(|p| p.into_inner());
        match maps.get(&iova) {
            Some(m) if m.size == size => {
                maps.remove(&iova);
                size
            }
            _ => 0,
        }
    }

    /// Removes every mapping inside `start..=end` (a dead secondary's window); returns bytes.
    pub fn unmap_range(&self, start: u64, end: u64) -> u64 {
        let mut maps = self.mappings.write().unwrap_or_else(|p| p.into_inner());
        let keys: Vec<u64> = maps
            .range(start..=end)
            .filter(|(&s, m)| s + (m.size - 1) <= end)
            .map(|(&s, _)| s)
            .collect();
        keys.iter()
            .filter_map(|k| maps.remove(k))
            .map(|m| m.size)
            .sum()
    }

    pub fn mapping_count(&self) -> usize {
        self.mappings.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Number of DMA accesses refused so far.
    pub fn fault_count(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// Walks the mappings covering `iova..iova+len`, calling `f(host_ptr, offset_in_request,
    /// chunk_len)` for each piece. Holds the lock for the whole walk, so a buffer cannot be
    /// unmapped (and freed) while a device copies into or out of it.
    fn walk(
        &self,
        iova: u64,
        len: u64,
        need: DmaAccess,
        direction: &'static str,
        mut f: impl FnMut(*mut u8, usize, usize),
    ) -> Result<(), IommuFault> {
        let maps = self.mappings.read().unwrap_or_else(|p| p.into_inner());
        let fault = |e| {
            self.faults.fetch_add(1, Ordering::Relaxed);
            Err(e)
        };
        // Check the whole range first so a faulting transfer writes nothing.
        let mut pieces = Vec::new();
        let mut at = iova;
        let end = match iova.checked_add(len) {
            Some(e) => e,
            None => return fault(IommuFault::NotMapped { iova, len }),
        };
        while at < end {
            let Some((&start, m)) = maps.range(..=at).next_back() else {
                return fault(IommuFault::NotMapped { iova, len });
            };
            if at >= start + m.size {
                return fault(IommuFault::NotMapped { iova, len });
            }
            if !m.access.contains(need) {
                return fault(IommuFault::Permission {
                    iova,
                    len,
                    direction,
                });
            }
            let chunk = (start + m.size - at).min(end - at);
            pieces.push((
                m.host + (at - start) as usize,
                (at - iova) as usize,
                chunk as usize,
            ));
            at += chunk;
        }
        for (host, off, n) in pieces {
            f(host as *mut u8, off, n);
        }
        Ok(())
    }

    /// Device reads host memory (host-to-card).
    pub fn read(&self, iova: u64, buf: &mut [u8]) -> Result<(), IommuFault> {
        let dst = buf.as_mut_ptr();
        self.walk(
            iova,
            buf.len() as u64,
            DmaAccess::READ,
            "read",
            |host, off, n| {
                // SAFETY: `host..host+n` lies inside a live mapping (checked by `walk`, which holds
                // the lock that `unmap` needs, so the buffer cannot be freed meanwhile);
                // `dst+off..+n` lies inside `buf`. The regions cannot overlap: one is DMA memory,
                // the other a caller's slice.
                unsafe { std::ptr::copy_nonoverlapping(host, dst.add(off), n) }
            },
        )
    }

    /// Device writes host memory (card-to-host, writebacks).
    pub fn write(&self, iova: u64, data: &[u8]) -> Result<(), IommuFault> {
        let src = data.as_ptr();
        self.walk(
            iova,
            data.len() as u64,
            DmaAccess::WRITE,
            "write",
            |host, off, n| {
                // SAFETY: as in `read`, with the roles of the two regions swapped.
                unsafe { std::ptr::copy_nonoverlapping(src.add(off), host, n) }
            },
        )
    }

    pub fn read_u32(&self, iova: u64) -> Result<u32, IommuFault> {
        let mut b = [0u8; 4];
        self.read(iova, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u32(&self, iova: u64, value: u32) -> Result<(), IommuFault> {
        self.write(iova, &value.to_le_bytes())
    }
}

/// Host memory as a device sees it through an IOMMU: what a [`DmaPort`] reaches. The
/// in-process [`SimIommu`] is one; a vfio-user server's view of its client's DMA mappings
/// is another (crate `sim_board_server`).
pub trait DmaMemory: Send + Sync {
    /// Device reads host memory at `iova` (host-to-card); a fault copies nothing.
    fn read(&self, iova: u64, buf: &mut [u8]) -> Result<(), IommuFault>;
    /// Device writes host memory at `iova` (card-to-host, writebacks); a fault writes nothing.
    fn write(&self, iova: u64, data: &[u8]) -> Result<(), IommuFault>;
}

impl DmaMemory for SimIommu {
    fn read(&self, iova: u64, buf: &mut [u8]) -> Result<(), IommuFault> {
        SimIommu::read(self, iova, buf)
    }
    fn write(&self, iova: u64, data: &[u8]) -> Result<(), IommuFault> {
        SimIommu::write(self, iova, data)
    }
}

/// What a device model holds to do DMA: its view of host memory through an IOMMU.
#[derive(Clone)]
pub struct DmaPort {
    iommu: Arc<dyn DmaMemory>,
}

impl DmaPort {
    pub fn new(iommu: Arc<SimIommu>) -> Self {
        Self { iommu }
    }
    /// A port onto any host-memory backend (e.g. a vfio-user client's DMA mappings).
    pub fn from_memory(memory: Arc<dyn DmaMemory>) -> Self {
        Self { iommu: memory }
    }
    pub fn read(&self, iova: u64, buf: &mut [u8]) -> Result<(), IommuFault> {
        self.iommu.read(iova, buf)
    }
    pub fn write(&self, iova: u64, data: &[u8]) -> Result<(), IommuFault> {
        self.iommu.write(iova, data)
    }
    pub fn read_u32(&self, iova: u64) -> Result<u32, IommuFault> {
        let mut b = [0u8; 4];
        self.iommu.read(iova, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    pub fn write_u32(&self, iova: u64, value: u32) -> Result<(), IommuFault> {
        self.iommu.write(iova, &value.to_le_bytes())
    }
    pub fn read_u64(&self, iova: u64) -> Result<u64, IommuFault> {
        let mut b = [0u8; 8];
        self.iommu.read(iova, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_rules_match_the_kernel() {
        let iommu = SimIommu::new();
        let mut a = vec![0u8; 0x2000];
        let mut b = vec![0u8; 0x1000];
        iommu
            .map(a.as_mut_ptr(), 0x10000, 0x2000, DmaAccess::READ_WRITE)
            .unwrap();
        // Overlaps at the start, in the middle and covering: EEXIST.
        assert_eq!(
            iommu.map(b.as_mut_ptr(), 0x10000, 0x1000, DmaAccess::READ),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            iommu.map(b.as_mut_ptr(), 0x11000, 0x1000, DmaAccess::READ),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            iommu.map(b.as_mut_ptr(), 0xf000, 0x2000, DmaAccess::READ),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            iommu.map(b.as_mut_ptr(), 0x0, 0, DmaAccess::READ),
            Err(Errno::EINVAL)
        );
        // Adjacent is fine.
        iommu
            .map(b.as_mut_ptr(), 0x12000, 0x1000, DmaAccess::READ)
            .unwrap();
        // A transfer spanning both mappings works.
        iommu.write(0x11ff0, &[0xaa; 0x10]).unwrap();
        assert_eq!(&a[0x1ff0..0x2000], &[0xaa; 0x10]);
        // Writing into the read-only mapping faults and writes nothing.
        let err = iommu.write(0x11ff8, &[0x55; 0x10]).unwrap_err();
        assert!(matches!(err, IommuFault::Permission { .. }), "{err}");
        assert_eq!(a[0x1ff8], 0xaa);
        let mut buf = [0u8; 4];
        assert!(matches!(
            iommu.read(0x20000, &mut buf),
            Err(IommuFault::NotMapped { .. })
        ));
        assert_eq!(iommu.fault_count(), 2);
        // Unmap needs the exact original range.
        assert_eq!(iommu.unmap(0x10000, 0x1000), 0);
        assert_eq!(iommu.unmap(0x10000, 0x2000), 0x2000);
        assert_eq!(iommu.unmap_range(0, u64::MAX), 0x1000);
        assert_eq!(iommu.mapping_count(), 0);
        b[0] = 1;
    }
}
