//! DMA memory: host buffers (heap, POSIX shared memory or huge pages) mapped into an IOMMU
//! domain at an allocated IOVA. Drivers see raw pointer + length + IOVA and volatile
//! accessors, never a Rust reference to memory the device can write behind their back.

use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::os::fd::AsFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use nix::fcntl::OFlag;
use nix::sys::mman::{self, MapFlags, MmapAdvise, ProtFlags};
use nix::sys::stat::Mode;

use crate::domain::IommuDomain;
use crate::error::{Result, VfioError};
use crate::iova::IovaRange;
use crate::messages::Messages;

/// Access a device is given to a buffer, from the device's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DmaAccess(u8);

impl DmaAccess {
    /// The device may read the buffer (host-to-card).
    pub const READ: DmaAccess = DmaAccess(1);
    /// The device may write the buffer (card-to-host).
    pub const WRITE: DmaAccess = DmaAccess(2);
    pub const READ_WRITE: DmaAccess = DmaAccess(3);

    pub fn contains(self, other: DmaAccess) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn bits(self) -> u32 {
        self.0.into()
    }
}

/// How DMA buffers are allocated (`--buffer-allocation`, parsed by the `command_line` crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufferAllocation {
    /// Page-aligned anonymous memory.
    #[default]
    Heap,
    /// POSIX shared memory (`/dev/shm/vfio_buffer_*`).
    SharedMemory,
    /// Anonymous huge pages (size rounded up to the huge page size).
    HugePages,
}

pub(crate) fn page_size() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map(|p| p as usize)
        .unwrap_or(4096)
}

/// Default huge page size from /proc/meminfo (2 MiB when unknown).
pub(crate) fn huge_page_size() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Hugepagesize:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        })
        .map(|kib| kib * 1024)
        .unwrap_or(2 << 20)
}

static SHM_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Host memory for one DMA buffer. Zero-filled; released on drop.
pub(crate) struct HostMemory {
    ptr: NonNull<c_void>,
    len: usize,
    shm_name: Option<String>,
}

// SAFETY: HostMemory owns its mapping exclusively; the pointer is only used for raw
// (volatile or memcpy) accesses whose synchronisation is the caller's protocol with the
// device, exactly as for memory shared with hardware.
unsafe impl Send for HostMemory {}
// SAFETY: see Send; no interior references are ever handed out.
unsafe impl Sync for HostMemory {}

impl HostMemory {
    pub(crate) fn allocate(size: usize, mode: BufferAllocation) -> Result<Self> {
        let huge = match mode {
            BufferAllocation::HugePages => Some(huge_page_size()),
            _ => None,
        };
        Self::allocate_with(size, mode, huge)
    }

    /// Memory for DMA without an IOMMU (physical.rs): huge pages when `mode` asks for them
    /// (refused, with how many to reserve, when too few are free) or when the default
    /// allocation finds enough free; locked base pages otherwise. 1 GiB pages are used
    /// for buffers of 1 GiB or more where enough are reserved. Returns the memory and the
    /// size of its physically contiguous pages.
    pub(crate) fn allocate_pinned(size: usize, mode: BufferAllocation) -> Result<(Self, usize)> {
        use crate::physical::HugePagePool;
        const GIB: usize = 1 << 30;
        let gigantic = HugePagePool::read(GIB).filter(|p| size >= GIB && p.check(size).is_ok());
        let default = HugePagePool::read(huge_page_size()).unwrap_or(HugePagePool {
            page_size: huge_page_size(),
            total: 0,
            free: 0,
        });
        let huge = match (mode, gigantic) {
            (BufferAllocation::SharedMemory, _) => None,
            (_, Some(g)) => Some(g.page_size),
            (BufferAllocation::HugePages, None) => {
                default.check(size)?;
                Some(default.page_size)
            }
            (BufferAllocation::Heap, None) => {
                default.check(size).is_ok().then_some(default.page_size)
            }
        };
        let memory = Self::allocate_with(size, mode, huge)?;
        if huge.is_none() {
            // Locked pages stay resident, so the physical addresses read next stay valid
            // while the buffer lives.
            // SAFETY: locks exactly the mapping just created.
            unsafe { mman::mlock(memory.ptr, memory.len) }
                .map_err(|e| VfioError::sys(format!("mlock({})", memory.len), e))?;
        }
        Ok((memory, huge.unwrap_or_else(page_size)))
    }

    /// `huge`: the huge page size to map with (MAP_HUGETLB), None for base pages.
    fn allocate_with(size: usize, mode: BufferAllocation, huge: Option<usize>) -> Result<Self> {
        let granule = huge.unwrap_or_else(page_size);
        let len = size
            .max(1)
            .checked_next_multiple_of(granule)
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| {
                VfioError::Other(format!(
                    "Failed to allocate {size} bytes for VFIO DMA mapping"
                ))
            })?;
        let prot = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        let (ptr, shm_name) = match mode {
            BufferAllocation::Heap | BufferAllocation::HugePages => {
                let mut flags = MapFlags::MAP_PRIVATE | MapFlags::MAP_ANONYMOUS;
                if let Some(h) = huge {
                    flags |= MapFlags::MAP_HUGETLB;
                    if h == 1 << 30 {
                        flags |= MapFlags::MAP_HUGE_1GB;
                    } else if h == 2 << 20 {
                        flags |= MapFlags::MAP_HUGE_2MB;
                    }
                }
                // SAFETY: a fresh anonymous mapping; no existing memory is affected.
                let ptr = unsafe { mman::mmap_anonymous(None, len, prot, flags) }
                    .map_err(|e| VfioError::sys(format!("mmap({len})"), e))?;
                (ptr, None)
            }
            BufferAllocation::SharedMemory => {
                let name = format!(
                    "/vfio_buffer_pid-{}_{}",
                    std::process::id(),
                    SHM_COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let fd = mman::shm_open(
                    name.as_str(),
                    OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_RDWR,
                    Mode::from_bits_truncate(0o600),
                )
                .map_err(|e| VfioError::sys(format!("shm_open({name},O_CREAT)"), e))?;
                let unlink = |e: VfioError| {
                    let _ = mman::shm_unlink(name.as_str());
                    e
                };
                nix::unistd::ftruncate(fd.as_fd(), len.get() as i64)
                    .map_err(|e| unlink(VfioError::sys(format!("ftruncate({name})"), e)))?;
                // SAFETY: maps the shared memory object just created with this length.
                let ptr =
                    unsafe { mman::mmap(None, len, prot, MapFlags::MAP_SHARED, fd.as_fd(), 0) }
                        .map_err(|e| unlink(VfioError::sys(format!("mmap({name})"), e)))?;
                (ptr, Some(name))
            }
        };
        // Fault every page in writable now. An untouched private anonymous page is the
        // shared zero page until first written: pinning it for a device-reads-only mapping
        // (VFIO_IOMMU_MAP_DMA without the write flag) would pin the zero page, and the data
        // the program writes later would land in a fresh copy the device never sees (the
        // device then reads zeros). The original zero-filled every buffer before mapping.
        let page = page_size();
        for off in (0..len.get()).step_by(page) {
            // SAFETY: `off < len`, inside the mapping just created, writable.
            unsafe { ptr.as_ptr().cast::<u8>().add(off).write_volatile(0) };
        }
        // Children forked later must not share (copy-on-write) pages the device writes.
        // SAFETY: advises on the mapping just created, of exactly that length.
        let _ = unsafe { mman::madvise(ptr, len.get(), MmapAdvise::MADV_DONTFORK) };
        Ok(Self {
            ptr,
            len: len.get(),
            shm_name,
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr().cast()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `allocate`; nothing refers to it any
        // more (the IOMMU mapping was removed first by DmaBuffer::drop).
        let _ = unsafe { mman::munmap(self.ptr, self.len) };
        if let Some(name) = &self.shm_name {
            let _ = mman::shm_unlink(name.as_str());
        }
    }
}

/// One physically (or, behind an IOMMU, IOVA-) contiguous piece of a [`DmaBuffer`]: bytes
/// `offset..offset+len` of the buffer are at device addresses
/// `device_address..device_address+len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaSegment {
    pub device_address: u64,
    pub offset: usize,
    pub len: usize,
}

/// A buffer a device can reach by DMA: the list of contiguous [`segments`](Self::segments)
/// it has. Behind an IOMMU that is one segment at its IOVA; without one (vfio noiommu mode,
/// or the simulated boards' noiommu mode) the pages' physical addresses, in as many pieces
/// as they form. Drivers build descriptors per segment ([`device_runs`](Self::device_runs))
/// and never assume a buffer is contiguous.
///
/// Unmapped and freed on drop; when an unmap fails the memory is leaked instead of freed,
/// so that a device still able to reach it never writes into memory the process reuses.
pub struct DmaBuffer {
    memory: std::mem::ManuallyDrop<HostMemory>,
    segments: Vec<DmaSegment>,
    /// Indices into `segments` in device-address order, for [`offset_of`](Self::offset_of).
    by_address: Vec<usize>,
    /// The IOMMU mappings to remove on drop (none without an IOMMU).
    iova_ranges: Vec<IovaRange>,
    domain: Arc<IommuDomain>,
    /// Where a failed unmap on drop is reported.
    messages: Messages,
}

impl std::fmt::Debug for DmaBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DmaBuffer {{ iova: 0x{:x}, len: 0x{:x}, segments: {} }}",
            self.iova(),
            self.memory.len,
            self.segments.len()
        )
    }
}

impl DmaBuffer {
    /// `segments` cover the memory in order from offset 0; `iova_ranges` are unmapped from
    /// `domain` on drop.
    pub(crate) fn new(
        memory: HostMemory,
        segments: Vec<DmaSegment>,
        iova_ranges: Vec<IovaRange>,
        domain: Arc<IommuDomain>,
        messages: Messages,
    ) -> Self {
        debug_assert_eq!(segments.iter().map(|s| s.len).sum::<usize>(), memory.len());
        let mut by_address: Vec<usize> = (0..segments.len()).collect();
        by_address.sort_by_key(|&k| segments[k].device_address);
        Self {
            memory: std::mem::ManuallyDrop::new(memory),
            segments,
            by_address,
            iova_ranges,
            domain,
            messages,
        }
    }

    /// Device address of the first byte. The rest of the buffer follows it only when the
    /// buffer [`is_contiguous`](Self::is_contiguous); otherwise use
    /// [`device_address`](Self::device_address) or [`device_runs`](Self::device_runs).
    pub fn iova(&self) -> u64 {
        self.segments.first().map_or(0, |s| s.device_address)
    }

    /// The contiguous pieces, in buffer order.
    pub fn segments(&self) -> &[DmaSegment] {
        &self.segments
    }

    /// One segment: device addresses follow buffer offsets throughout.
    pub fn is_contiguous(&self) -> bool {
        self.segments.len() <= 1
    }

    fn segment_index(&self, offset: usize) -> usize {
        self.segments
            .partition_point(|s| s.offset + s.len <= offset)
            .min(self.segments.len().saturating_sub(1))
    }

    /// Device address of the byte at `offset` (which must be inside the buffer).
    pub fn device_address(&self, offset: usize) -> u64 {
        assert!(
            offset < self.len(),
            "DMA buffer offset 0x{offset:x} outside buffer of 0x{:x} bytes",
            self.len()
        );
        let s = &self.segments[self.segment_index(offset)];
        s.device_address + (offset - s.offset) as u64
    }

    /// Device address of `offset..offset+len` when those bytes lie in one segment.
    pub fn contiguous_address(&self, offset: usize, len: usize) -> Option<u64> {
        let end = offset.checked_add(len).filter(|&e| e <= self.len())?;
        let s = self.segments.get(self.segment_index(offset))?;
        (offset >= s.offset && end <= s.offset + s.len)
            .then(|| s.device_address + (offset - s.offset) as u64)
    }

    /// The buffer offset of device address `address`, None when no segment holds it.
    pub fn offset_of(&self, address: u64) -> Option<usize> {
        let i = self
            .by_address
            .partition_point(|&k| self.segments[k].device_address <= address)
            .checked_sub(1)?;
        let s = &self.segments[self.by_address[i]];
        let into = address - s.device_address;
        (into < s.len as u64).then(|| s.offset + into as usize)
    }

    /// `offset..offset+len` as (device address, length) runs, each inside one segment and
    /// at most `max_run` bytes: what a driver writes one descriptor for.
    pub fn device_runs(&self, offset: usize, len: usize, max_run: u64) -> Vec<(u64, u64)> {
        assert!(
            offset.checked_add(len).is_some_and(|e| e <= self.len()),
            "DMA buffer range of {len} bytes at offset 0x{offset:x} outside buffer of 0x{:x} bytes",
            self.len()
        );
        segment_runs(&self.segments, offset, len, max_run)
    }

    /// Length in bytes (the request rounded up to the page size).
    pub fn len(&self) -> usize {
        self.memory.len()
    }

    pub fn is_empty(&self) -> bool {
        self.memory.len() == 0
    }

    /// Raw pointer to the first byte, for drivers that need it. Never turn it into a
    /// reference while the device may write the buffer.
    pub fn as_ptr(&self) -> *mut u8 {
        self.memory.as_ptr()
    }

    fn at(&self, offset: usize, n: usize) -> *mut u8 {
        assert!(
            offset.checked_add(n).is_some_and(|e| e <= self.len()),
            "DMA buffer access of {n} bytes at offset 0x{offset:x} outside buffer of 0x{:x} bytes",
            self.len()
        );
        // SAFETY: offset + n <= len, checked above.
        unsafe { self.memory.as_ptr().add(offset) }
    }

    pub fn read_u32(&self, offset: usize) -> u32 {
        assert!(
            offset % 4 == 0,
            "misaligned u32 DMA buffer access at 0x{offset:x}"
        );
        let p = self.at(offset, 4) as *const u32;
        // SAFETY: in bounds and aligned (mapping is page aligned, offset multiple of 4);
        // volatile because the device may write it at any time.
        unsafe { p.read_volatile() }
    }

    pub fn write_u32(&self, offset: usize, value: u32) {
        assert!(
            offset % 4 == 0,
            "misaligned u32 DMA buffer access at 0x{offset:x}"
        );
        let p = self.at(offset, 4) as *mut u32;
        // SAFETY: in bounds and aligned, see read_u32.
        unsafe { p.write_volatile(value) }
    }

    pub fn read_u64(&self, offset: usize) -> u64 {
        assert!(
            offset % 8 == 0,
            "misaligned u64 DMA buffer access at 0x{offset:x}"
        );
        let p = self.at(offset, 8) as *const u64;
        // SAFETY: in bounds and aligned, see read_u32.
        unsafe { p.read_volatile() }
    }

    pub fn write_u64(&self, offset: usize, value: u64) {
        assert!(
            offset % 8 == 0,
            "misaligned u64 DMA buffer access at 0x{offset:x}"
        );
        let p = self.at(offset, 8) as *mut u64;
        // SAFETY: in bounds and aligned, see read_u32.
        unsafe { p.write_volatile(value) }
    }

    /// Copies buffer bytes out into `dst`.
    pub fn read_bytes(&self, offset: usize, dst: &mut [u8]) {
        let p = self.at(offset, dst.len());
        // SAFETY: source in bounds (checked); destination is a distinct caller slice.
        unsafe { std::ptr::copy_nonoverlapping(p, dst.as_mut_ptr(), dst.len()) }
    }

    /// Copies `src` into the buffer.
    pub fn write_bytes(&self, offset: usize, src: &[u8]) {
        let p = self.at(offset, src.len());
        // SAFETY: destination in bounds (checked); source is a distinct caller slice.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), p, src.len()) }
    }

    /// Sets `len` bytes from `offset` to `byte`.
    pub fn fill(&self, offset: usize, len: usize, byte: u8) {
        let p = self.at(offset, len);
        // SAFETY: in bounds (checked).
        unsafe { std::ptr::write_bytes(p, byte, len) }
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        // Unmap before the memory is released; any failure leaks the memory.
        let mut unmapped = true;
        if self.iova_ranges.is_empty() {
            self.domain.release_unmapped(self.memory.len() as u64);
        }
        for range in &self.iova_ranges {
            if let Err(e) = self.domain.unmap(*range) {
                self.messages.error(&e.to_string());
                unmapped = false;
            }
        }
        if unmapped {
            // SAFETY: `memory` is dropped exactly once, here, and never used afterwards.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.memory) }
        }
    }
}

/// `offset..offset+len` of a buffer with `segments` as (device address, length) runs, each
/// inside one segment and at most `max_run` bytes (a multiple of nothing in particular:
/// callers pass a descriptor length limit). Pure, so that descriptor lists for buffers of
/// any size can be checked without allocating them.
pub fn segment_runs(
    segments: &[DmaSegment],
    offset: usize,
    len: usize,
    max_run: u64,
) -> Vec<(u64, u64)> {
    let max_run = max_run.max(1);
    let mut runs = Vec::new();
    let end = offset + len;
    let first = segments.partition_point(|s| s.offset + s.len <= offset);
    let mut at = offset;
    for s in &segments[first..] {
        if at >= end {
            break;
        }
        let stop = end.min(s.offset + s.len);
        let mut address = s.device_address + (at - s.offset) as u64;
        let mut left = (stop - at) as u64;
        while left > 0 {
            let n = left.min(max_run);
            runs.push((address, n));
            address += n;
            left -= n;
        }
        at = stop;
    }
    runs
}

/// Reads RLIMIT_MEMLOCK and refuses early, with a hint, when `needed` more pinned bytes
/// cannot fit. Root and CAP_IPC_LOCK holders are not limited.
pub(crate) fn check_memlock(needed: u64, already_pinned: u64) -> Result<()> {
    use nix::sys::resource::{getrlimit, Resource};
    if nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let (soft, _) = getrlimit(Resource::RLIMIT_MEMLOCK)
        .map_err(|e| VfioError::sys("getrlimit(RLIMIT_MEMLOCK)", e))?;
    if soft == nix::sys::resource::RLIM_INFINITY {
        return Ok(());
    }
    if needed.saturating_add(already_pinned) > soft {
        return Err(VfioError::MemlockLimit {
            needed,
            limit: soft,
        });
    }
    Ok(())
}
