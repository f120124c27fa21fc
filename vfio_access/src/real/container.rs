//! The VFIO container (`/dev/vfio/vfio`): API and extension checks, IOMMU type, IOMMU
//! info (page sizes, valid IOVA ranges), DMA map and unmap.

use std::ffi::CString;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{access, AccessFlags};

use super::uapi::{self, ArgBuf};
use crate::error::{Result, VfioError};
use crate::iova::IovaRange;
use std::mem::{offset_of, size_of};

pub const CONTAINER_PATH: &str = "/dev/vfio/vfio";

/// IOMMU information of a container with its IOMMU set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IommuInfo {
    pub flags: u32,
    pub iova_pgsizes: u64,
    pub iova_ranges: Vec<IovaRange>,
    /// `VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL`: how many more mappings may be created.
    pub dma_avail: Option<u32>,
    /// `VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION`: (flags, pgsize bitmap, max dirty bitmap size).
    pub migration: Option<(u32, u64, u64)>,
    /// Capabilities with ids this code does not decode: (id, version).
    pub unknown_caps: Vec<(u16, u16)>,
    pub iova_range_version: Option<u16>,
}

impl IommuInfo {
    /// Smallest supported IOMMU page size (4 KiB when unreported).
    pub fn min_page_size(&self) -> u64 {
        if self.iova_pgsizes == 0 {
            4096
        } else {
            1 << self.iova_pgsizes.trailing_zeros()
        }
    }
}

pub struct Container {
    fd: OwnedFd,
    /// The IOMMU type set on it (0 until set).
    iommu_type: std::sync::atomic::AtomicU32,
}

impl Container {
    /// Opens `/dev/vfio/vfio` close-on-exec (a multi-process launcher passes it on
    /// explicitly) and checks the API version.
    pub fn open() -> Result<Self> {
        let path = Path::new(CONTAINER_PATH);
        match access(path, AccessFlags::R_OK | AccessFlags::W_OK) {
            Ok(()) => {}
            Err(Errno::ENOENT) => return Err(VfioError::NoVfio),
            Err(Errno::EACCES) | Err(Errno::EPERM) => return Err(VfioError::NoVfioPermission),
            Err(e) => return Err(VfioError::sys(format!("faccessat ({CONTAINER_PATH})"), e)),
        }
        let fd = open(path, OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(|e| VfioError::sys(format!("open ({CONTAINER_PATH})"), e))?;
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let c = Self::from_fd(fd, 0);
        let version = uapi::get_api_version(c.fd.as_fd())
            .map_err(|e| VfioError::sys("VFIO_GET_API_VERSION", e))?;
        if version != uapi::VFIO_API_VERSION as i32 {
            return Err(VfioError::ApiVersion(version));
        }
        Ok(c)
    }

    /// Adopts an already set-up container fd (handed over by a primary process).
    pub fn from_fd(fd: OwnedFd, iommu_type: u32) -> Self {
        Self {
            fd,
            iommu_type: std::sync::atomic::AtomicU32::new(iommu_type),
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn iommu_type(&self) -> u32 {
        self.iommu_type.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `VFIO_CHECK_EXTENSION`: > 0 when supported.
    pub fn check_extension(&self, extension: u32) -> Result<i32, Errno> {
        uapi::check_extension(self.fd(), extension)
    }

    /// The best type1 IOMMU type the kernel offers (v2, else v1).
    pub fn preferred_type1(&self) -> u32 {
        if self.check_extension(uapi::VFIO_TYPE1v2_IOMMU).unwrap_or(0) > 0 {
            uapi::VFIO_TYPE1v2_IOMMU
        } else {
            uapi::VFIO_TYPE1_IOMMU
        }
    }

    pub fn set_iommu(&self, iommu_type: u32) -> Result<()> {
        uapi::set_iommu(self.fd(), iommu_type)
            .map_err(|e| VfioError::sys("  VFIO_SET_IOMMU", e))?;
        self.iommu_type
            .store(iommu_type, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// `VFIO_IOMMU_GET_INFO` with the capability chain (two calls: size, then data).
    pub fn iommu_info(&self) -> Result<IommuInfo> {
        let buf = uapi::iommu_get_info(self.fd())
            .map_err(|e| VfioError::sys("VFIO_IOMMU_GET_INFO", e))?;
        Ok(parse_iommu_info(&buf))
    }

    pub fn map_dma(
        &self,
        vaddr: u64,
        iova: u64,
        size: u64,
        access: crate::dma::DmaAccess,
    ) -> Result<(), Errno> {
        uapi::iommu_map_dma(self.fd(), vaddr, iova, size, access.bits())
    }

    /// Returns the number of bytes the kernel actually unmapped.
    pub fn unmap_dma(&self, iova: u64, size: u64) -> Result<u64, Errno> {
        uapi::iommu_unmap_dma(self.fd(), iova, size)
    }
}

/// Decodes a `vfio_iommu_type1_info` and its capability chain.
pub(crate) fn parse_iommu_info(buf: &ArgBuf) -> IommuInfo {
    let Some(fixed) = buf.read::<uapi::vfio_iommu_type1_info>(0) else {
        return IommuInfo::default();
    };
    let mut info = IommuInfo {
        flags: fixed.flags,
        iova_pgsizes: fixed.iova_pgsizes,
        ..Default::default()
    };
    if info.flags & uapi::VFIO_IOMMU_INFO_CAPS == 0 {
        return info;
    }
    for (off, header) in buf.capabilities(fixed.cap_offset as usize) {
        match u32::from(header.id) {
            uapi::VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE => {
                info.iova_range_version = Some(header.version);
                let n = buf
                    .get_u32(off + offset_of!(uapi::vfio_iommu_type1_info_cap_iova_range, nr_iovas))
                    .unwrap_or(0) as usize;
                let first = off + size_of::<uapi::vfio_iommu_type1_info_cap_iova_range>();
                for i in 0..n.min(4096) {
                    let at = first + size_of::<uapi::vfio_iova_range>() * i;
                    if let Some(r) = buf.read::<uapi::vfio_iova_range>(at) {
                        info.iova_ranges.push(IovaRange::new(r.start, r.end));
                    }
                }
            }
            uapi::VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION => {
                if let Some(m) = buf.read::<uapi::vfio_iommu_type1_info_cap_migration>(off) {
                    info.migration = Some((m.flags, m.pgsize_bitmap, m.max_dirty_bitmap_size));
                }
            }
            uapi::VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL => {
                info.dma_avail = buf
                    .read::<uapi::vfio_iommu_type1_info_dma_avail>(off)
                    .map(|a| a.avail);
            }
            _ => info.unknown_caps.push((header.id, header.version)),
        }
    }
    info
}

/// A NUL-terminated device name for `VFIO_GROUP_GET_DEVICE_FD`.
pub(crate) fn c_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| VfioError::Other(format!("bad device name {name:?}")))
}
