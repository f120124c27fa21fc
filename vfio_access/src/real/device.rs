//! A VFIO device fd: device/region/IRQ info, region read/write (config space), BAR
//! mmap, reset and the dma-buf export probe.

use std::collections::HashMap;
use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::Mutex;

use nix::errno::Errno;
use nix::sys::mman::{self, MapFlags, ProtFlags};
use nix::sys::uio::{pread, pwrite};

use super::uapi::{self, ArgBuf};
use crate::error::{Result, VfioError};
use crate::messages::Messages;
use crate::mmio::{AccessWidth, RegisterSpace};
use std::mem::{offset_of, size_of};

/// `VFIO_DEVICE_GET_INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceInfo {
    pub flags: u32,
    pub num_regions: u32,
    pub num_irqs: u32,
}

impl DeviceInfo {
    pub fn supports_reset(&self) -> bool {
        self.flags & uapi::VFIO_DEVICE_FLAGS_RESET != 0
    }
    pub fn is_pci(&self) -> bool {
        self.flags & uapi::VFIO_DEVICE_FLAGS_PCI != 0
    }
}

/// A region capability from `VFIO_DEVICE_GET_REGION_INFO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionCap {
    SparseMmap {
        version: u16,
        areas: Vec<(u64, u64)>,
    },
    Type {
        version: u16,
        kind: u32,
        subtype: u32,
    },
    MsixMappable {
        version: u16,
    },
    Other {
        id: u16,
        version: u16,
    },
}

/// `VFIO_DEVICE_GET_REGION_INFO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub index: u32,
    pub flags: u32,
    pub size: u64,
    pub offset: u64,
    pub caps: Vec<RegionCap>,
}

impl RegionInfo {
    pub fn mappable(&self) -> bool {
        self.flags & uapi::VFIO_REGION_INFO_FLAG_MMAP != 0
    }
}

/// `VFIO_DEVICE_GET_IRQ_INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IrqInfo {
    pub index: u32,
    pub flags: u32,
    pub count: u32,
}

/// Whether the kernel can export a BAR as a dma-buf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmaBufSupport {
    Supported,
    /// ENOTTY / EINVAL / EOPNOTSUPP: this kernel (or device) lacks the feature.
    NotSupported,
    Error(Errno),
}

pub const CONFIG_REGION: u32 = uapi::VFIO_PCI_CONFIG_REGION_INDEX;

pub struct RealDevice {
    fd: OwnedFd,
    pub info: DeviceInfo,
    regions: Mutex<HashMap<u32, RegionInfo>>,
}

impl RealDevice {
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        let raw = uapi::device_get_info(fd.as_fd())
            .map_err(|e| VfioError::sys("VFIO_DEVICE_GET_INFO", e))?;
        let info = DeviceInfo {
            flags: raw.flags,
            num_regions: raw.num_regions,
            num_irqs: raw.num_irqs,
        };
        Ok(Self {
            fd,
            info,
            regions: Mutex::new(HashMap::new()),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Region info, cached per index.
    pub fn region_info(&self, index: u32) -> Result<RegionInfo> {
        let mut cache = self.regions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = cache.get(&index) {
            return Ok(r.clone());
        }
        let buf = uapi::device_get_region_info(self.fd(), index)
            .map_err(|e| VfioError::sys("VFIO_DEVICE_GET_REGION_INFO", e))?;
        let info = parse_region_info(&buf, index);
        cache.insert(index, info.clone());
        Ok(info)
    }

    pub fn irq_info(&self, index: u32) -> Result<IrqInfo, Errno> {
        let raw = uapi::device_get_irq_info(self.fd(), index)?;
        Ok(IrqInfo {
            index,
            flags: raw.flags,
            count: raw.count,
        })
    }

    /// Reads `buf.len()` bytes of region `index` at `offset` (positional read).
    pub fn read_region(&self, index: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.region_info(index)?;
        let n = pread(self.fd(), buf, (r.offset + offset) as i64).map_err(|e| {
            VfioError::sys(
                format!(
                    "  PCI region {index} read of {} bytes from offset {offset}",
                    buf.len()
                ),
                e,
            )
        })?;
        if n != buf.len() {
            return Err(VfioError::Other(format!(
                "  PCI region {index} read of {} bytes from offset {offset} only read {n} bytes",
                buf.len()
            )));
        }
        Ok(())
    }

    pub fn write_region(&self, index: u32, offset: u64, data: &[u8]) -> Result<()> {
        let r = self.region_info(index)?;
        let n = pwrite(self.fd(), data, (r.offset + offset) as i64).map_err(|e| {
            VfioError::sys(
                format!(
                    "  PCI region {index} write of {} bytes to offset {offset}",
                    data.len()
                ),
                e,
            )
        })?;
        if n != data.len() {
            return Err(VfioError::Other(format!(
                "  PCI region {index} write of {} bytes to offset {offset} only wrote {n} bytes",
                data.len()
            )));
        }
        Ok(())
    }

    /// Maps the whole of BAR `index`; None when the BAR is absent or not mappable (I/O).
    /// A failed unmap on drop is reported to `messages`.
    pub(crate) fn map_bar(&self, index: u32, messages: Messages) -> Result<Option<MappedBar>> {
        let r = self.region_info(index)?;
        if r.size == 0 || !r.mappable() {
            return Ok(None);
        }
        let len = NonZeroUsize::new(r.size as usize).ok_or(VfioError::Other("empty BAR".into()))?;
        // SAFETY: maps the region at the offset the kernel reported for it, with its size;
        // the mapping is owned by the returned MappedBar and only accessed volatilely.
        let ptr = unsafe {
            mman::mmap(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                self.fd(),
                r.offset as i64,
            )
        }
        .map_err(|e| VfioError::sys("mmap()", e))?;
        Ok(Some(MappedBar {
            ptr,
            len: len.get(),
            messages,
        }))
    }

    pub fn reset(&self) -> Result<(), Errno> {
        uapi::device_reset(self.fd())
    }

    /// Probes `VFIO_DEVICE_FEATURE_DMA_BUF` for a BAR without creating a dma-buf.
    pub fn probe_dma_buf(&self, bar: u32) -> DmaBufSupport {
        match uapi::device_feature_probe_dma_buf(self.fd(), bar) {
            Ok(_) => DmaBufSupport::Supported,
            Err(Errno::ENOTTY) | Err(Errno::EINVAL) | Err(Errno::EOPNOTSUPP) => {
                DmaBufSupport::NotSupported
            }
            Err(e) => DmaBufSupport::Error(e),
        }
    }
}

fn parse_region_info(buf: &ArgBuf, index: u32) -> RegionInfo {
    let fixed = buf.read::<uapi::vfio_region_info>(0).unwrap_or_default();
    let mut info = RegionInfo {
        index,
        flags: fixed.flags,
        size: fixed.size,
        offset: fixed.offset,
        caps: Vec::new(),
    };
    if fixed.flags & uapi::VFIO_REGION_INFO_FLAG_CAPS == 0 {
        return info;
    }
    for (off, header) in buf.capabilities(fixed.cap_offset as usize) {
        let version = header.version;
        info.caps.push(match u32::from(header.id) {
            uapi::VFIO_REGION_INFO_CAP_SPARSE_MMAP => {
                let n = buf
                    .get_u32(off + offset_of!(uapi::vfio_region_info_cap_sparse_mmap, nr_areas))
                    .unwrap_or(0) as usize;
                let first = off + size_of::<uapi::vfio_region_info_cap_sparse_mmap>();
                let areas = (0..n.min(256))
                    .filter_map(|i| {
                        let at = first + size_of::<uapi::vfio_region_sparse_mmap_area>() * i;
                        let a = buf.read::<uapi::vfio_region_sparse_mmap_area>(at)?;
                        Some((a.offset, a.size))
                    })
                    .collect();
                RegionCap::SparseMmap { version, areas }
            }
            uapi::VFIO_REGION_INFO_CAP_TYPE => {
                let t = buf
                    .read::<uapi::vfio_region_info_cap_type>(off)
                    .unwrap_or_default();
                RegionCap::Type {
                    version,
                    kind: t.type_,
                    subtype: t.subtype,
                }
            }
            uapi::VFIO_REGION_INFO_CAP_MSIX_MAPPABLE => RegionCap::MsixMappable { version },
            _ => RegionCap::Other {
                id: header.id,
                version,
            },
        });
    }
    info
}

/// A BAR mapped into this process. Accessed only through raw pointers with volatile
/// reads and writes; unmapped on drop. Crate-private, and every access is checked against
/// the mapping here too (not only by [`Mmio`](crate::Mmio)): the unsafe access must not
/// depend on a caller's promise.
pub(crate) struct MappedBar {
    ptr: NonNull<c_void>,
    len: usize,
    messages: Messages,
}

impl MappedBar {
    /// Whether an access of `width` at `offset` lies inside the mapping, naturally aligned.
    fn inside(&self, offset: u64, width: AccessWidth) -> bool {
        let n = width.bytes();
        offset % n == 0 && offset.checked_add(n).is_some_and(|e| e <= self.len as u64)
    }
}

// SAFETY: the mapping is device memory reached only by volatile accesses through raw
// pointers; no Rust reference to it exists, so sharing between threads is sound (ordering
// between accesses is the driver protocol's business, as on any MMIO).
unsafe impl Send for MappedBar {}
// SAFETY: see Send.
unsafe impl Sync for MappedBar {}

impl RegisterSpace for MappedBar {
    fn size(&self) -> u64 {
        self.len as u64
    }

    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if !self.inside(offset, width) {
            // What a PCI read nobody answers returns (Mmio never lets this happen).
            return width.mask();
        }
        let p = self.ptr.as_ptr().cast::<u8>();
        // SAFETY: `offset + width <= len` and natural alignment were checked just above; the
        // mapping is alive for &self; volatile so every access reaches the device exactly
        // once; no reference to the device memory is formed.
        unsafe {
            let at = p.add(offset as usize);
            match width {
                AccessWidth::U8 => at.read_volatile().into(),
                AccessWidth::U16 => at.cast::<u16>().read_volatile().into(),
                AccessWidth::U32 => at.cast::<u32>().read_volatile().into(),
                AccessWidth::U64 => at.cast::<u64>().read_volatile(),
            }
        }
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if !self.inside(offset, width) {
            return;
        }
        let p = self.ptr.as_ptr().cast::<u8>();
        // SAFETY: as in `read` (bounds and alignment checked just above).
        unsafe {
            let at = p.add(offset as usize);
            match width {
                AccessWidth::U8 => at.write_volatile(value as u8),
                AccessWidth::U16 => at.cast::<u16>().write_volatile(value as u16),
                AccessWidth::U32 => at.cast::<u32>().write_volatile(value as u32),
                AccessWidth::U64 => at.cast::<u64>().write_volatile(value),
            }
        }
    }
}

impl Drop for MappedBar {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made by map_bar; no Mmio refers to it any more
        // (they hold an Arc to this MappedBar).
        if let Err(e) = unsafe { mman::munmap(self.ptr, self.len) } {
            self.messages
                .error(&format!("munmap() failed : {}", e.desc()));
        }
    }
}
