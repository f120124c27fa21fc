//! The vfio-user client's memory as the board's DMA engines see it: the client's DMA
//! mappings (IOVA ranges with the memory file descriptor behind each) are the board's
//! IOMMU. Anything outside them, or against a mapping's permissions, is an
//! [`IommuFault`], exactly as under `--sim` (vfio_access.md: the simulated IOMMU).
//!
//! Every file the client passes is mapped once, whole (QEMU passes its guest RAM memfd with
//! one DMA map per IOMMU page or range); the mappings refer to offsets in it. Copies hold
//! the table's read lock, so once an unmap has returned no device access reaches that
//! memory any more.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use vfio_access::sim::{DmaMemory, IommuFault};
use vm_memory::{FileOffset, MmapRegion, VolatileMemory};

/// What the client allowed the device to do with a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaPermissions {
    pub read: bool,
    pub write: bool,
}

/// Why a DMA map request was refused.
#[derive(Debug, thiserror::Error)]
pub enum DmaMapError {
    #[error("DMA map of 0x{size:x} bytes at IOVA 0x{iova:x}: empty or wrapping range")]
    BadRange { iova: u64, size: u64 },
    #[error("DMA map of 0x{size:x} bytes at IOVA 0x{iova:x} overlaps an existing mapping")]
    Overlap { iova: u64, size: u64 },
    #[error("DMA map at IOVA 0x{iova:x}: file range 0x{offset:x}+0x{size:x} is past the end of the client's memory file (0x{file_size:x} bytes)")]
    PastEndOfFile {
        iova: u64,
        offset: u64,
        size: u64,
        file_size: u64,
    },
    #[error("DMA map at IOVA 0x{iova:x}: cannot inspect the client's memory file: {source}")]
    Stat {
        iova: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("DMA map at IOVA 0x{iova:x}: cannot mmap the client's memory file: {message}")]
    Mmap { iova: u64, message: String },
}

/// Which file a descriptor refers to (each DMA map brings a new descriptor).
type FileKey = (u64, u64);

#[derive(Clone)]
struct Mapping {
    size: u64,
    permissions: DmaPermissions,
    /// None: the client gave no file descriptor (its memory is not shareable); every
    /// access faults, since this server cannot ask the client to copy for it.
    memory: Option<(Arc<MmapRegion>, u64)>,
}

/// One entry of [`ClientMemory::mappings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingInfo {
    pub iova: u64,
    pub size: u64,
    pub permissions: DmaPermissions,
    pub has_memory: bool,
}

/// The client's DMA mappings.
#[derive(Default)]
pub struct ClientMemory {
    mappings: RwLock<BTreeMap<u64, Mapping>>,
    files: RwLock<BTreeMap<FileKey, Weak<MmapRegion>>>,
    faults: AtomicU64,
    last_fault: RwLock<Option<IommuFault>>,
}

impl ClientMemory {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Maps `size` bytes of the client's memory at `offset` of `file` (None: no
    /// descriptor) at `iova`. Overlapping an existing mapping is refused, as the kernel's
    /// type1 IOMMU does.
    pub fn map(
        &self,
        iova: u64,
        size: u64,
        permissions: DmaPermissions,
        file: Option<(File, u64)>,
    ) -> Result<(), DmaMapError> {
        let end = iova
            .checked_add(size)
            .filter(|_| size > 0)
            .ok_or(DmaMapError::BadRange { iova, size })?;
        let memory = match file {
            Some((file, offset)) => Some((self.file_region(iova, file, offset, size)?, offset)),
            None => None,
        };
        let mut maps = self.mappings.write().unwrap_or_else(|p| p.into_inner());
        if maps
            .range(..end)
            .next_back()
            .is_some_and(|(&s, m)| s + m.size > iova)
        {
            return Err(DmaMapError::Overlap { iova, size });
        }
        maps.insert(
            iova,
            Mapping {
                size,
                permissions,
                memory,
            },
        );
        Ok(())
    }

    /// Removes every mapped byte in `iova..iova+size` (mappings only partly inside are
    /// trimmed); returns the bytes removed.
    pub fn unmap(&self, iova: u64, size: u64) -> u64 {
        let end = iova.saturating_add(size);
        let mut maps = self.mappings.write().unwrap_or_else(|p| p.into_inner());
        let touched: Vec<u64> = maps
            .range(..end)
            .filter(|(&s, m)| s + m.size > iova)
            .map(|(&s, _)| s)
            .collect();
        let mut removed = 0;
        for start in touched {
            let Some(m) = maps.remove(&start) else {
                continue;
            };
            let m_end = start + m.size;
            if start < iova {
                maps.insert(
                    start,
                    Mapping {
                        size: iova - start,
                        ..m.clone()
                    },
                );
            }
            if m_end > end {
                let mut tail = m.clone();
                tail.size = m_end - end;
                if let Some((_, off)) = &mut tail.memory {
                    *off += end - start;
                }
                maps.insert(end, tail);
            }
            removed += m_end.min(end) - start.max(iova);
        }
        drop(maps);
        self.files
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, w| w.strong_count() > 0);
        removed
    }

    /// Removes every mapping (device reset does not do this; a new client connection does).
    pub fn clear(&self) {
        self.unmap(0, u64::MAX);
    }

    /// The mappings, in IOVA order.
    pub fn mappings(&self) -> Vec<MappingInfo> {
        let maps = self.mappings.read().unwrap_or_else(|p| p.into_inner());
        maps.iter()
            .map(|(&iova, m)| MappingInfo {
                iova,
                size: m.size,
                permissions: m.permissions,
                has_memory: m.memory.is_some(),
            })
            .collect()
    }

    /// Number of files of the client mapped into this process.
    pub fn mapped_file_count(&self) -> usize {
        self.files
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|w| w.strong_count() > 0)
            .count()
    }

    /// DMA accesses refused so far.
    pub fn fault_count(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// The most recent refused access.
    pub fn last_fault(&self) -> Option<IommuFault> {
        *self.last_fault.read().unwrap_or_else(|p| p.into_inner())
    }

    fn file_region(
        &self,
        iova: u64,
        file: File,
        offset: u64,
        size: u64,
    ) -> Result<Arc<MmapRegion>, DmaMapError> {
        let meta = file
            .metadata()
            .map_err(|source| DmaMapError::Stat { iova, source })?;
        let file_size = meta.len();
        if offset.checked_add(size).is_none_or(|e| e > file_size) {
            return Err(DmaMapError::PastEndOfFile {
                iova,
                offset,
                size,
                file_size,
            });
        }
        let key = (meta.dev(), meta.ino());
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        if let Some(region) = files.get(&key).and_then(Weak::upgrade) {
            return Ok(region);
        }
        let len = usize::try_from(file_size).map_err(|_| DmaMapError::Mmap {
            iova,
            message: format!("file of 0x{file_size:x} bytes is too large"),
        })?;
        let flags = libc::MAP_SHARED | libc::MAP_NORESERVE;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let cloned = file.try_clone().map_err(|e| DmaMapError::Mmap {
            iova,
            message: e.to_string(),
        })?;
        // A read-only descriptor cannot be mapped writable: map it for reading only.
        let region = MmapRegion::build(Some(FileOffset::new(file, 0)), len, rw, flags)
            .or_else(|_| {
                MmapRegion::build(
                    Some(FileOffset::new(cloned, 0)),
                    len,
                    libc::PROT_READ,
                    flags,
                )
            })
            .map_err(|e| DmaMapError::Mmap {
                iova,
                message: e.to_string(),
            })?;
        let region = Arc::new(region);
        files.insert(key, Arc::downgrade(&region));
        Ok(region)
    }

    fn fault(&self, e: IommuFault) -> IommuFault {
        self.faults.fetch_add(1, Ordering::Relaxed);
        *self.last_fault.write().unwrap_or_else(|p| p.into_inner()) = Some(e);
        e
    }

    /// Walks the mappings covering `iova..iova+len` (checked whole first, so a faulting
    /// transfer touches nothing) and calls `f(region, offset in region, offset in request,
    /// length)` for each piece, under the read lock.
    fn walk(
        &self,
        iova: u64,
        len: usize,
        write: bool,
        mut f: impl FnMut(&MmapRegion, usize, usize, usize) -> bool,
    ) -> Result<(), IommuFault> {
        let len64 = len as u64;
        let not_mapped = IommuFault::NotMapped { iova, len: len64 };
        let maps = self.mappings.read().unwrap_or_else(|p| p.into_inner());
        let end = iova
            .checked_add(len64)
            .ok_or_else(|| self.fault(not_mapped))?;
        let mut pieces = Vec::new();
        let mut at = iova;
        while at < end {
            let Some((&start, m)) = maps.range(..=at).next_back() else {
                return Err(self.fault(not_mapped));
            };
            if at >= start + m.size {
                return Err(self.fault(not_mapped));
            }
            let allowed = if write {
                m.permissions.write
            } else {
                m.permissions.read
            };
            if !allowed {
                return Err(self.fault(IommuFault::Permission {
                    iova,
                    len: len64,
                    direction: if write { "write" } else { "read" },
                }));
            }
            let Some((region, file_offset)) = &m.memory else {
                return Err(self.fault(not_mapped));
            };
            let chunk = (start + m.size - at).min(end - at);
            pieces.push((
                Arc::clone(region),
                (file_offset + (at - start)) as usize,
                (at - iova) as usize,
                chunk as usize,
            ));
            at += chunk;
        }
        for (region, region_offset, request_offset, n) in pieces {
            if !f(&region, region_offset, request_offset, n) {
                return Err(self.fault(not_mapped));
            }
        }
        Ok(())
    }
}

impl DmaMemory for ClientMemory {
    fn read(&self, iova: u64, buf: &mut [u8]) -> Result<(), IommuFault> {
        let len = buf.len();
        self.walk(iova, len, false, |region, at, off, n| {
            region
                .get_slice(at, n)
                .map(|s| s.copy_to(&mut buf[off..off + n]) == n)
                .unwrap_or(false)
        })
    }

    fn write(&self, iova: u64, data: &[u8]) -> Result<(), IommuFault> {
        self.walk(iova, data.len(), true, |region, at, off, n| {
            region
                .get_slice(at, n)
                .map(|s| {
                    s.copy_from(&data[off..off + n]);
                    true
                })
                .unwrap_or(false)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom, Write};

    const RW: DmaPermissions = DmaPermissions {
        read: true,
        write: true,
    };

    fn memory_file(size: usize) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&vec![0u8; size]).unwrap();
        f
    }

    fn file_bytes(f: &mut File, at: u64, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        f.seek(SeekFrom::Start(at)).unwrap();
        f.read_exact(&mut b).unwrap();
        b
    }

    #[test]
    fn device_accesses_reach_the_client_file_at_the_mapped_offsets() {
        let mem = ClientMemory::new();
        let mut f = memory_file(0x4000);
        // Two IOVA pages backed by non-adjacent file pages, adjacent in IOVA space.
        mem.map(
            0x10_0000,
            0x1000,
            RW,
            Some((f.try_clone().unwrap(), 0x3000)),
        )
        .unwrap();
        mem.map(
            0x10_1000,
            0x1000,
            RW,
            Some((f.try_clone().unwrap(), 0x1000)),
        )
        .unwrap();
        assert_eq!(mem.mapped_file_count(), 1);
        mem.write(0x10_0ff8, &[0xab; 16]).unwrap();
        assert_eq!(file_bytes(&mut f, 0x3ff8, 8), [0xab; 8]);
        assert_eq!(file_bytes(&mut f, 0x1000, 8), [0xab; 8]);
        f.seek(SeekFrom::Start(0x1008)).unwrap();
        f.write_all(&[1, 2, 3, 4]).unwrap();
        let mut b = [0u8; 4];
        mem.read(0x10_1008, &mut b).unwrap();
        assert_eq!(b, [1, 2, 3, 4]);
        assert_eq!(mem.fault_count(), 0);
    }

    #[test]
    fn accesses_outside_mappings_or_permissions_fault_and_touch_nothing() {
        let mem = ClientMemory::new();
        let mut f = memory_file(0x2000);
        let read_only = DmaPermissions {
            read: true,
            write: false,
        };
        mem.map(0x2000, 0x1000, RW, Some((f.try_clone().unwrap(), 0)))
            .unwrap();
        mem.map(
            0x3000,
            0x1000,
            read_only,
            Some((f.try_clone().unwrap(), 0x1000)),
        )
        .unwrap();
        // Runs off the end of the mappings: nothing written.
        let e = mem.write(0x2ff0, &[0x55; 0x20]).unwrap_err();
        assert!(matches!(e, IommuFault::Permission { .. }), "{e}");
        assert_eq!(file_bytes(&mut f, 0xff0, 16), [0; 16]);
        let mut b = [0u8; 8];
        let e = mem.read(0x1ffc, &mut b).unwrap_err();
        assert_eq!(
            e,
            IommuFault::NotMapped {
                iova: 0x1ffc,
                len: 8
            }
        );
        assert!(mem.read(0x3ffc, &mut b).is_err());
        assert!(mem.read(0x3ff8, &mut b).is_ok());
        assert_eq!(mem.fault_count(), 3);
        assert_eq!(
            mem.last_fault(),
            Some(IommuFault::NotMapped {
                iova: 0x3ffc,
                len: 8
            })
        );
    }

    #[test]
    fn overlapping_maps_are_refused_and_unmap_trims() {
        let mem = ClientMemory::new();
        let f = memory_file(0x10000);
        let map = |iova, size, off| mem.map(iova, size, RW, Some((f.try_clone().unwrap(), off)));
        map(0x10000, 0x4000, 0).unwrap();
        assert!(matches!(
            map(0x13000, 0x1000, 0),
            Err(DmaMapError::Overlap { .. })
        ));
        assert!(matches!(
            map(0xf000, 0x2000, 0),
            Err(DmaMapError::Overlap { .. })
        ));
        assert!(matches!(map(0x0, 0, 0), Err(DmaMapError::BadRange { .. })));
        assert!(matches!(
            map(0x40000, 0x2000, 0xf000),
            Err(DmaMapError::PastEndOfFile { .. })
        ));
        // Cut a hole in the middle: the two ends keep their file offsets.
        assert_eq!(mem.unmap(0x11000, 0x2000), 0x2000);
        let m = mem.mappings();
        assert_eq!(
            m.iter().map(|m| (m.iova, m.size)).collect::<Vec<_>>(),
            [(0x10000, 0x1000), (0x13000, 0x1000)]
        );
        mem.write(0x13000, &[7]).unwrap();
        let mut b = [0u8; 1];
        f.try_clone()
            .and_then(|mut g| {
                g.seek(SeekFrom::Start(0x3000))?;
                g.read_exact(&mut b)
            })
            .unwrap();
        assert_eq!(b, [7]);
        assert!(mem.write(0x11000, &[7]).is_err());
        mem.clear();
        assert!(mem.mappings().is_empty());
        assert_eq!(mem.mapped_file_count(), 0);
    }

    #[test]
    fn a_mapping_without_a_file_faults_on_access() {
        let mem = ClientMemory::new();
        mem.map(0x1000, 0x1000, RW, None).unwrap();
        assert!(!mem.mappings()[0].has_memory);
        assert!(mem.write(0x1000, &[1]).is_err());
        assert_eq!(mem.fault_count(), 1);
    }
}
