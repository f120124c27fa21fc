//! The VFIO ioctls, one function each, with the typed `vfio-bindings` structs as arguments
//! (as rust-vmm's vfio-ioctls does). All VFIO requests are `_IO(';', 100 + n)`: type 0x3B,
//! no size bits. Only the two requests whose answer carries a capability chain of unknown
//! length (IOMMU info, region info) use the byte buffer [`ArgBuf`].
//!
//! Everything here is crate-private: a wrong request/argument pairing would let the kernel
//! write through a pointer to memory of the wrong size.

use std::ffi::CStr;
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

pub(crate) use vfio_bindings::bindings::vfio::*;

const fn vfio_io(nr: u32) -> libc::c_ulong {
    ((VFIO_TYPE as u32) << 8 | (VFIO_BASE + nr)) as libc::c_ulong
}

const GET_API_VERSION: libc::c_ulong = vfio_io(0);
const CHECK_EXTENSION: libc::c_ulong = vfio_io(1);
const SET_IOMMU: libc::c_ulong = vfio_io(2);
const GROUP_GET_STATUS: libc::c_ulong = vfio_io(3);
const GROUP_SET_CONTAINER: libc::c_ulong = vfio_io(4);
const GROUP_UNSET_CONTAINER: libc::c_ulong = vfio_io(5);
const GROUP_GET_DEVICE_FD: libc::c_ulong = vfio_io(6);
const DEVICE_GET_INFO: libc::c_ulong = vfio_io(7);
const DEVICE_GET_REGION_INFO: libc::c_ulong = vfio_io(8);
const DEVICE_GET_IRQ_INFO: libc::c_ulong = vfio_io(9);
const DEVICE_RESET: libc::c_ulong = vfio_io(11);
const IOMMU_GET_INFO: libc::c_ulong = vfio_io(12);
const IOMMU_MAP_DMA: libc::c_ulong = vfio_io(13);
const IOMMU_UNMAP_DMA: libc::c_ulong = vfio_io(14);
const DEVICE_FEATURE: libc::c_ulong = vfio_io(17);

/// Largest capability-chain answer accepted (the kernel's are a few hundred bytes).
const MAX_CHAIN_BYTES: usize = 1 << 20;

/// The `argsz` of a struct: its size, which always fits in u32.
fn argsz_of<T>() -> u32 {
    size_of::<T>() as u32
}

/// An ioctl whose argument is an integer passed by value (or absent, as 0).
///
/// Private: only called with requests that take no pointer.
fn ioctl_value(
    fd: BorrowedFd<'_>,
    request: libc::c_ulong,
    arg: libc::c_ulong,
) -> Result<i32, Errno> {
    // SAFETY: the requests used with this helper take an integer argument (or none), so the
    // kernel dereferences no user memory.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    Errno::result(r)
}

/// An ioctl whose argument points at `arg`.
///
/// # Safety
/// `request` must be one whose argument is a `T` (the kernel reads and writes at most
/// `size_of::<T>()` bytes, or the `argsz` the struct announces when that is smaller).
unsafe fn ioctl_with<T>(
    fd: BorrowedFd<'_>,
    request: libc::c_ulong,
    arg: *mut T,
) -> Result<i32, Errno> {
    // SAFETY: forwarded from the caller's contract.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    Errno::result(r)
}

/// `VFIO_GET_API_VERSION`.
pub(crate) fn get_api_version(container: BorrowedFd<'_>) -> Result<i32, Errno> {
    ioctl_value(container, GET_API_VERSION, 0)
}

/// `VFIO_CHECK_EXTENSION`: > 0 when supported.
pub(crate) fn check_extension(container: BorrowedFd<'_>, extension: u32) -> Result<i32, Errno> {
    ioctl_value(container, CHECK_EXTENSION, extension.into())
}

/// `VFIO_SET_IOMMU`.
pub(crate) fn set_iommu(container: BorrowedFd<'_>, iommu_type: u32) -> Result<(), Errno> {
    ioctl_value(container, SET_IOMMU, iommu_type.into()).map(drop)
}

/// `VFIO_GROUP_GET_STATUS`.
pub(crate) fn group_get_status(group: BorrowedFd<'_>) -> Result<vfio_group_status, Errno> {
    let mut status = vfio_group_status {
        argsz: argsz_of::<vfio_group_status>(),
        flags: 0,
    };
    // SAFETY: VFIO_GROUP_GET_STATUS takes a vfio_group_status.
    unsafe { ioctl_with(group, GROUP_GET_STATUS, &mut status) }?;
    Ok(status)
}

/// `VFIO_GROUP_SET_CONTAINER`.
pub(crate) fn group_set_container(
    group: BorrowedFd<'_>,
    container: BorrowedFd<'_>,
) -> Result<(), Errno> {
    let mut fd: i32 = container.as_raw_fd();
    // SAFETY: VFIO_GROUP_SET_CONTAINER reads one i32 (the container fd).
    unsafe { ioctl_with(group, GROUP_SET_CONTAINER, &mut fd) }.map(drop)
}

/// `VFIO_GROUP_UNSET_CONTAINER`.
pub(crate) fn group_unset_container(group: BorrowedFd<'_>) -> Result<(), Errno> {
    ioctl_value(group, GROUP_UNSET_CONTAINER, 0).map(drop)
}

/// `VFIO_GROUP_GET_DEVICE_FD` for the device named `name` (`dddd:bb:dd.f`).
pub(crate) fn group_get_device_fd(group: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: VFIO_GROUP_GET_DEVICE_FD only reads a NUL-terminated string.
    let fd = unsafe { ioctl_with(group, GROUP_GET_DEVICE_FD, name.as_ptr().cast_mut()) }?;
    // SAFETY: on success the kernel returned a new descriptor that only we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `VFIO_DEVICE_GET_INFO` (the fixed part; no capability is used).
pub(crate) fn device_get_info(device: BorrowedFd<'_>) -> Result<vfio_device_info, Errno> {
    let mut info = vfio_device_info {
        argsz: argsz_of::<vfio_device_info>(),
        ..Default::default()
    };
    // SAFETY: VFIO_DEVICE_GET_INFO takes a vfio_device_info; argsz is its size.
    unsafe { ioctl_with(device, DEVICE_GET_INFO, &mut info) }?;
    Ok(info)
}

/// `VFIO_DEVICE_GET_REGION_INFO` of region `index` with its capability chain: the fixed
/// struct first, then again with the size the kernel asked for.
pub(crate) fn device_get_region_info(device: BorrowedFd<'_>, index: u32) -> Result<ArgBuf, Errno> {
    let mut info = vfio_region_info {
        argsz: argsz_of::<vfio_region_info>(),
        index,
        ..Default::default()
    };
    // SAFETY: VFIO_DEVICE_GET_REGION_INFO takes a vfio_region_info; argsz is its size.
    unsafe { ioctl_with(device, DEVICE_GET_REGION_INFO, &mut info) }?;
    // Asked again even without a chain, so that one type carries both answers (the result
    // is cached per region by the caller).
    let needed = (info.argsz as usize).clamp(size_of::<vfio_region_info>(), MAX_CHAIN_BYTES);
    let mut buf = ArgBuf::new(needed);
    buf.put_u32(offset_of!(vfio_region_info, index), index);
    buf.call(device, DEVICE_GET_REGION_INFO)?;
    Ok(buf)
}

/// `VFIO_DEVICE_GET_IRQ_INFO` of IRQ block `index`.
pub(crate) fn device_get_irq_info(
    device: BorrowedFd<'_>,
    index: u32,
) -> Result<vfio_irq_info, Errno> {
    let mut info = vfio_irq_info {
        argsz: argsz_of::<vfio_irq_info>(),
        index,
        ..Default::default()
    };
    // SAFETY: VFIO_DEVICE_GET_IRQ_INFO takes a vfio_irq_info; argsz is its size.
    unsafe { ioctl_with(device, DEVICE_GET_IRQ_INFO, &mut info) }?;
    Ok(info)
}

/// `VFIO_DEVICE_RESET`.
pub(crate) fn device_reset(device: BorrowedFd<'_>) -> Result<(), Errno> {
    ioctl_value(device, DEVICE_RESET, 0).map(drop)
}

/// The argument of a dma-buf feature request with one range
/// (`vfio_device_feature` + `vfio_device_feature_dma_buf` + one `vfio_region_dma_range`).
#[repr(C)]
#[derive(Default)]
struct DmaBufFeature {
    feature: vfio_device_feature,
    dma_buf: vfio_device_feature_dma_buf,
    range: vfio_region_dma_range,
}

/// `VFIO_DEVICE_FEATURE` probing `VFIO_DEVICE_FEATURE_DMA_BUF` for BAR `region` (whether a
/// dma-buf could be exported), without creating one.
pub(crate) fn device_feature_probe_dma_buf(
    device: BorrowedFd<'_>,
    region: u32,
) -> Result<(), Errno> {
    let mut arg = DmaBufFeature::default();
    arg.feature.argsz = argsz_of::<DmaBufFeature>();
    arg.feature.flags =
        VFIO_DEVICE_FEATURE_DMA_BUF | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE;
    arg.dma_buf.region_index = region;
    arg.dma_buf.open_flags = (libc::O_RDWR | libc::O_CLOEXEC) as u32;
    arg.dma_buf.nr_ranges = 1;
    // SAFETY: VFIO_DEVICE_FEATURE takes a vfio_device_feature followed by the feature's
    // payload; argsz covers exactly the struct, and a probe writes nothing.
    unsafe { ioctl_with(device, DEVICE_FEATURE, &mut arg) }.map(drop)
}

/// `VFIO_IOMMU_GET_INFO` with its capability chain: the fixed struct first, then again with
/// the size the kernel asked for.
pub(crate) fn iommu_get_info(container: BorrowedFd<'_>) -> Result<ArgBuf, Errno> {
    let mut info = vfio_iommu_type1_info {
        argsz: argsz_of::<vfio_iommu_type1_info>(),
        ..Default::default()
    };
    // SAFETY: VFIO_IOMMU_GET_INFO takes a vfio_iommu_type1_info; argsz is its size.
    unsafe { ioctl_with(container, IOMMU_GET_INFO, &mut info) }?;
    let needed = (info.argsz as usize).clamp(size_of::<vfio_iommu_type1_info>(), MAX_CHAIN_BYTES);
    let mut buf = ArgBuf::new(needed);
    buf.call(container, IOMMU_GET_INFO)?;
    Ok(buf)
}

/// `VFIO_IOMMU_MAP_DMA`.
pub(crate) fn iommu_map_dma(
    container: BorrowedFd<'_>,
    vaddr: u64,
    iova: u64,
    size: u64,
    flags: u32,
) -> Result<(), Errno> {
    let mut map = vfio_iommu_type1_dma_map {
        argsz: argsz_of::<vfio_iommu_type1_dma_map>(),
        flags,
        vaddr,
        iova,
        size,
    };
    // SAFETY: VFIO_IOMMU_MAP_DMA takes a vfio_iommu_type1_dma_map (the kernel only reads it;
    // the memory at `vaddr` is pinned, not dereferenced by this call's contract with us).
    unsafe { ioctl_with(container, IOMMU_MAP_DMA, &mut map) }.map(drop)
}

/// `VFIO_IOMMU_UNMAP_DMA`: returns the number of bytes the kernel actually unmapped.
pub(crate) fn iommu_unmap_dma(
    container: BorrowedFd<'_>,
    iova: u64,
    size: u64,
) -> Result<u64, Errno> {
    let mut unmap = vfio_iommu_type1_dma_unmap {
        argsz: argsz_of::<vfio_iommu_type1_dma_unmap>(),
        iova,
        size,
        ..Default::default()
    };
    // SAFETY: VFIO_IOMMU_UNMAP_DMA takes a vfio_iommu_type1_dma_unmap; without the bitmap
    // flag the kernel reads and writes only the fixed part (argsz).
    unsafe { ioctl_with(container, IOMMU_UNMAP_DMA, &mut unmap) }?;
    Ok(unmap.size)
}

/// Binding structs made only of integers: any bit pattern is a valid value, so they may be
/// read from the bytes of a kernel answer.
///
/// # Safety
/// Implement only for `Copy` structs whose fields are all integers (or such structs).
pub(crate) unsafe trait Plain: Copy {}

// SAFETY: (for each impl below) `#[repr(C)]` binding structs whose fields are all integers.
unsafe impl Plain for vfio_info_cap_header {}
// SAFETY: see above.
unsafe impl Plain for vfio_iommu_type1_info {}
// SAFETY: see above.
unsafe impl Plain for vfio_region_info {}
// SAFETY: see above.
unsafe impl Plain for vfio_iova_range {}
// SAFETY: see above.
unsafe impl Plain for vfio_iommu_type1_info_cap_migration {}
// SAFETY: see above.
unsafe impl Plain for vfio_iommu_type1_info_dma_avail {}
// SAFETY: see above.
unsafe impl Plain for vfio_region_sparse_mmap_area {}
// SAFETY: see above.
unsafe impl Plain for vfio_region_info_cap_type {}

/// An 8-byte aligned argument buffer for the ioctls whose struct starts with `argsz` and is
/// followed by a capability chain of variable size.
pub(crate) struct ArgBuf {
    words: Vec<u64>,
}

impl ArgBuf {
    pub(crate) fn new(bytes: usize) -> Self {
        Self {
            words: vec![0; bytes.div_ceil(8).max(1)],
        }
    }

    pub(crate) fn len_bytes(&self) -> usize {
        self.words.len() * 8
    }

    fn byte(&self, off: usize) -> Option<u8> {
        self.words.get(off / 8).map(|w| w.to_le_bytes()[off % 8])
    }

    pub(crate) fn get_u32(&self, off: usize) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte(off)?,
            self.byte(off + 1)?,
            self.byte(off + 2)?,
            self.byte(off + 3)?,
        ]))
    }

    pub(crate) fn put_u32(&mut self, off: usize, v: u32) {
        for (i, b) in v.to_le_bytes().iter().enumerate() {
            let at = off + i;
            if let Some(w) = self.words.get_mut(at / 8) {
                let mut bytes = w.to_le_bytes();
                bytes[at % 8] = *b;
                *w = u64::from_le_bytes(bytes);
            }
        }
    }

    /// The `T` stored at byte offset `off`, None when it does not fit in the buffer.
    pub(crate) fn read<T: Plain>(&self, off: usize) -> Option<T> {
        let end = off.checked_add(size_of::<T>())?;
        if end > self.len_bytes() {
            return None;
        }
        // SAFETY: `off + size_of::<T>()` is inside the buffer (checked); `T: Plain` accepts
        // any bytes; `read_unaligned` because a chain entry need not be aligned for T.
        Some(unsafe {
            self.words
                .as_ptr()
                .cast::<u8>()
                .add(off)
                .cast::<T>()
                .read_unaligned()
        })
    }

    /// The capability chain that starts at byte offset `first`: (offset, header) of each
    /// capability, stopping at the end marker, at `argsz`, and on loops.
    pub(crate) fn capabilities(&self, first: usize) -> Vec<(usize, vfio_info_cap_header)> {
        let limit = (self.get_u32(0).unwrap_or(0) as usize).min(self.len_bytes());
        let mut caps = Vec::new();
        let mut off = first;
        while off != 0 && off + size_of::<vfio_info_cap_header>() <= limit && caps.len() < 64 {
            let Some(header) = self.read::<vfio_info_cap_header>(off) else {
                break;
            };
            caps.push((off, header));
            let next = header.next as usize;
            if next <= off {
                break;
            }
            off = next;
        }
        caps
    }

    /// Issues `request` with this buffer as argument; `argsz` is set to the buffer length
    /// so the kernel never writes beyond it. Private: only the two chain requests above.
    fn call(&mut self, fd: BorrowedFd<'_>, request: libc::c_ulong) -> Result<i32, Errno> {
        let argsz = self.len_bytes() as u32;
        self.put_u32(0, argsz);
        // SAFETY: the buffer is 8-byte aligned, writable and `argsz` bytes long; the
        // requests used here (IOMMU and region info) write at most `argsz` bytes.
        unsafe { ioctl_with(fd, request, self.words.as_mut_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_chain_walk_stops_at_end_limit_and_loops() {
        let mut b = ArgBuf::new(64);
        b.put_u32(0, 64);
        // Header at 24 -> 40 -> back to 24 (a loop).
        b.put_u32(24, 0x0001_0001);
        b.put_u32(28, 40);
        b.put_u32(40, 0x0002_0003);
        b.put_u32(44, 24);
        let walk = |b: &ArgBuf| -> Vec<(usize, u16, u16)> {
            b.capabilities(24)
                .into_iter()
                .map(|(o, h)| (o, h.id, h.version))
                .collect()
        };
        assert_eq!(walk(&b), vec![(24, 1, 1), (40, 3, 2)]);
        // argsz smaller than the chain: the second header is outside.
        b.put_u32(0, 44);
        assert_eq!(walk(&b), vec![(24, 1, 1)]);
        assert!(b.capabilities(0).is_empty());
    }

    #[test]
    fn typed_reads_are_bounds_checked() {
        let mut b = ArgBuf::new(24);
        b.put_u32(16, 7);
        b.put_u32(20, 9);
        let h = b.read::<vfio_info_cap_header>(16).unwrap();
        assert_eq!((h.id, h.version, h.next), (7, 0, 9));
        assert!(b.read::<vfio_info_cap_header>(17).is_none());
        assert!(b.read::<vfio_iova_range>(usize::MAX).is_none());
    }
}
