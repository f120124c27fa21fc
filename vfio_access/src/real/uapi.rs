//! Raw VFIO ioctls. All VFIO requests are `_IO(';', 100 + n)`: type 0x3B, no size bits.

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

pub use vfio_bindings::bindings::vfio::*;

const fn vfio_io(nr: u32) -> libc::c_ulong {
    ((VFIO_TYPE as u32) << 8 | (VFIO_BASE + nr)) as libc::c_ulong
}

pub const GET_API_VERSION: libc::c_ulong = vfio_io(0);
pub const CHECK_EXTENSION: libc::c_ulong = vfio_io(1);
pub const SET_IOMMU: libc::c_ulong = vfio_io(2);
pub const GROUP_GET_STATUS: libc::c_ulong = vfio_io(3);
pub const GROUP_SET_CONTAINER: libc::c_ulong = vfio_io(4);
pub const GROUP_UNSET_CONTAINER: libc::c_ulong = vfio_io(5);
pub const GROUP_GET_DEVICE_FD: libc::c_ulong = vfio_io(6);
pub const DEVICE_GET_INFO: libc::c_ulong = vfio_io(7);
pub const DEVICE_GET_REGION_INFO: libc::c_ulong = vfio_io(8);
pub const DEVICE_GET_IRQ_INFO: libc::c_ulong = vfio_io(9);
pub const DEVICE_RESET: libc::c_ulong = vfio_io(11);
pub const IOMMU_GET_INFO: libc::c_ulong = vfio_io(12);
pub const IOMMU_MAP_DMA: libc::c_ulong = vfio_io(13);
pub const IOMMU_UNMAP_DMA: libc::c_ulong = vfio_io(14);
pub const DEVICE_FEATURE: libc::c_ulong = vfio_io(17);

/// An ioctl whose argument is passed by value (or absent).
pub fn ioctl_val(
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
/// `arg` must point to memory of the size and layout the request expects (including any
/// trailing buffer announced by an `argsz` field), valid for the kernel to read and write.
pub unsafe fn ioctl_ptr<T>(
    fd: BorrowedFd<'_>,
    request: libc::c_ulong,
    arg: *mut T,
) -> Result<i32, Errno> {
    // SAFETY: forwarded from the caller's contract.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    Errno::result(r)
}

/// An 8-byte aligned argument buffer for ioctls whose struct starts with `argsz` and may be
/// followed by variable-size output (capability chains).
pub struct ArgBuf {
    words: Vec<u64>,
}

impl ArgBuf {
    pub fn new(bytes: usize) -> Self {
        Self {
            words: vec![0; bytes.div_ceil(8).max(1)],
        }
    }
    pub fn len_bytes(&self) -> usize {
        self.words.len() * 8
    }
    fn byte(&self, off: usize) -> Option<u8> {
        self.words.get(off / 8).map(|w| w.to_le_bytes()[off % 8])
    }
    pub fn get_u16(&self, off: usize) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte(off)?, self.byte(off + 1)?]))
    }
    pub fn get_u32(&self, off: usize) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte(off)?,
            self.byte(off + 1)?,
            self.byte(off + 2)?,
            self.byte(off + 3)?,
        ]))
    }
    pub fn get_u64(&self, off: usize) -> Option<u64> {
        Some(u64::from(self.get_u32(off)?) | (u64::from(self.get_u32(off + 4)?) << 32))
    }
    pub fn put_u32(&mut self, off: usize, v: u32) {
        for (i, b) in v.to_le_bytes().iter().enumerate() {
            let at = off + i;
            if let Some(w) = self.words.get_mut(at / 8) {
                let mut bytes = w.to_le_bytes();
                bytes[at % 8] = *b;
                *w = u64::from_le_bytes(bytes);
            }
        }
    }
    pub fn put_u64(&mut self, off: usize, v: u64) {
        self.put_u32(off, v as u32);
        self.put_u32(off + 4, (v >> 32) as u32);
    }

    /// The capability chain that starts at byte offset `first`: (offset, id, version) of each
    /// header, stopping at the end marker, at `argsz`, and on loops.
    pub fn capabilities(&self, first: usize) -> Vec<(usize, u16, u16)> {
        let limit = (self.get_u32(0).unwrap_or(0) as usize).min(self.len_bytes());
        let mut caps = Vec::new();
        let mut off = first;
        while off != 0 && off + 8 <= limit && caps.len() < 64 {
            caps.push((
                off,
                self.get_u16(off).unwrap_or(0),
                self.get_u16(off + 2).unwrap_or(0),
            ));
            let next = self.get_u32(off + 4).unwrap_or(0) as usize;
            if next <= off {
                break;
            }
            off = next;
        }
        caps
    }

    /// Issues `request` with this buffer as argument; `argsz` is set to the buffer length so
    /// the kernel never writes beyond it.
    pub fn ioctl(&mut self, fd: BorrowedFd<'_>, request: libc::c_ulong) -> Result<i32, Errno> {
        let len = self.len_bytes() as u32;
        self.ioctl_argsz(fd, request, len)
    }

    /// As [`ioctl`](Self::ioctl) with a smaller `argsz` (clamped to the buffer length), for
    /// the first call of a two-call size negotiation.
    pub fn ioctl_argsz(
        &mut self,
        fd: BorrowedFd<'_>,
        request: libc::c_ulong,
        argsz: u32,
    ) -> Result<i32, Errno> {
        let argsz = argsz.min(self.len_bytes() as u32);
        self.put_u32(0, argsz);
        // SAFETY: the buffer is 8-byte aligned, writable and at least `argsz` bytes long; the
        // kernel reads and writes at most `argsz` bytes of it.
        unsafe { ioctl_ptr(fd, request, self.words.as_mut_ptr()) }
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
        assert_eq!(b.capabilities(24), vec![(24, 1, 1), (40, 3, 2)]);
        // argsz smaller than the chain: the second header is outside.
        b.put_u32(0, 44);
        assert_eq!(b.capabilities(24), vec![(24, 1, 1)]);
        assert!(b.capabilities(0).is_empty());
    }
}
