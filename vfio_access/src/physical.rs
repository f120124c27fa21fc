//! DMA without an IOMMU (vfio noiommu mode, issue #14): the device is given physical
//! addresses, so a buffer is the list of physically contiguous pieces its pages happen to
//! form. Physical addresses come from `/proc/self/pagemap`; memory is pinned huge pages
//! (2 MiB, or 1 GiB where reserved) or locked pages. Replaces the original's out-of-tree
//! contiguous-memory driver (vfio_access.md §5.5).

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::dma::DmaSegment;
use crate::error::{Result, VfioError};
use crate::filter::DmaCapability;

/// Where pagemap is read.
pub const PAGEMAP_PATH: &str = "/proc/self/pagemap";

/// Bytes per pagemap entry; one entry per base page (the kernel's pagemap format).
const ENTRY_BYTES: u64 = 8;

/// One 64-bit `/proc/<pid>/pagemap` entry (the kernel's admin-guide/mm/pagemap):
/// bit 63 present, bit 62 swapped, bits 0-54 the page frame number. Without
/// CAP_SYS_ADMIN the kernel reports PFN 0 for every page (since Linux 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagemapEntry(pub u64);

impl PagemapEntry {
    const PRESENT: u64 = 1 << 63;
    const SWAPPED: u64 = 1 << 62;
    const PFN_MASK: u64 = (1 << 55) - 1;

    pub fn present(self) -> bool {
        self.0 & Self::PRESENT != 0
    }
    pub fn swapped(self) -> bool {
        self.0 & Self::SWAPPED != 0
    }
    pub fn pfn(self) -> u64 {
        self.0 & Self::PFN_MASK
    }
}

/// Why the physical addresses of a buffer are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagemapError {
    #[error("page at buffer offset 0x{offset:x} is not resident")]
    NotPresent { offset: usize },
    #[error("/proc/self/pagemap shows no physical addresses (page frame number 0)")]
    NoPhysicalAddress,
}

/// The physically contiguous segments of a buffer of `len` bytes whose base pages (of
/// `page_size` bytes, the size pagemap counts in) have `entries`, in order.
pub fn segments_from_entries(
    entries: &[PagemapEntry],
    page_size: usize,
    len: usize,
) -> Result<Vec<DmaSegment>, PagemapError> {
    let mut segments: Vec<DmaSegment> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let offset = i * page_size;
        if offset >= len {
            break;
        }
        if !e.present() || e.swapped() {
            return Err(PagemapError::NotPresent { offset });
        }
        if e.pfn() == 0 {
            return Err(PagemapError::NoPhysicalAddress);
        }
        let address = e.pfn() * page_size as u64;
        let piece = page_size.min(len - offset);
        match segments.last_mut() {
            Some(s) if s.device_address + s.len as u64 == address => s.len += piece,
            _ => segments.push(DmaSegment {
                device_address: address,
                offset,
                len: piece,
            }),
        }
    }
    Ok(segments)
}

/// The hint every pagemap failure ends with: the capability a tool needs.
fn capability_hint() -> String {
    let exe = std::fs::read_link("/proc/self/exe")
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "<executable>".into());
    format!(
        "DMA without an IOMMU needs CAP_SYS_ADMIN to read physical addresses: \
         run as root or `sudo setcap cap_ipc_lock,cap_sys_admin,cap_sys_rawio=ep {exe}` \
         (scripts/set_exe_vfio_capabilities.sh does it for every tool)"
    )
}

/// Reads the pagemap entries of `len` bytes at `start` (page aligned) and returns the
/// buffer's physically contiguous segments.
pub(crate) fn read_segments(
    start: *const u8,
    len: usize,
    page_size: usize,
) -> Result<Vec<DmaSegment>> {
    let file = File::open(PAGEMAP_PATH).map_err(|e| {
        VfioError::Other(format!(
            "{PAGEMAP_PATH} is unreadable ({e}): {}",
            capability_hint()
        ))
    })?;
    let pages = len.div_ceil(page_size);
    let mut raw = vec![0u8; pages * ENTRY_BYTES as usize];
    let first = (start as u64) / page_size as u64;
    file.read_exact_at(&mut raw, first * ENTRY_BYTES)
        .map_err(|e| {
            VfioError::Other(format!(
                "{PAGEMAP_PATH} is unreadable ({e}): {}",
                capability_hint()
            ))
        })?;
    let entries: Vec<PagemapEntry> = raw
        .chunks_exact(ENTRY_BYTES as usize)
        .map(|c| PagemapEntry(u64::from_le_bytes(c.try_into().unwrap_or_default())))
        .collect();
    segments_from_entries(&entries, page_size, len).map_err(|e| match e {
        PagemapError::NoPhysicalAddress => VfioError::Other(format!(
            "{PAGEMAP_PATH} shows no physical addresses: {}",
            capability_hint()
        )),
        e @ PagemapError::NotPresent { .. } => VfioError::Other(format!(
            "DMA buffer without an IOMMU: {e} although it is locked"
        )),
    })
}

/// Refuses a buffer a device with address limit `dma` cannot reach in full.
pub fn check_address_limit(segments: &[DmaSegment], dma: DmaCapability, len: usize) -> Result<()> {
    let Some(limit) = dma.max_iova() else {
        return Ok(());
    };
    match segments
        .iter()
        .find(|s| s.device_address.saturating_add(s.len as u64 - 1) > limit)
    {
        None => Ok(()),
        Some(s) => Err(VfioError::DmaAboveLimit {
            size: len as u64,
            address: s.device_address,
            limit,
        }),
    }
}

/// Where vfio's noiommu switch is.
pub const NOIOMMU_PARAMETER: &str = "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode";

/// Why a device has no IOMMU group, with what to do, given whether the machine has any
/// IOMMU group at all and the noiommu switch's contents (None: vfio not loaded).
pub fn no_iommu_group_reason(machine_has_iommu: bool, noiommu_parameter: Option<&str>) -> String {
    if machine_has_iommu {
        return "no IOMMU group".into();
    }
    match noiommu_parameter.map(str::trim) {
        Some("Y") | Some("1") => "no IOMMU group: no IOMMU and vfio's noiommu mode is on, \
             bind the device to vfio-pci (scripts/bind_device_to_vfio.sh)"
            .into(),
        _ => format!(
            "no IOMMU group: no IOMMU and vfio's noiommu mode is off: \
             `echo Y | sudo tee {NOIOMMU_PARAMETER}` (taints the kernel; or load vfio with \
             enable_unsafe_noiommu_mode=1), then bind the device to vfio-pci again"
        ),
    }
}

/// [`no_iommu_group_reason`] for this machine.
pub fn no_iommu_group_reason_here() -> String {
    let has_iommu = std::fs::read_dir("/sys/kernel/iommu_groups")
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    let parameter = std::fs::read_to_string(NOIOMMU_PARAMETER).ok();
    no_iommu_group_reason(has_iommu, parameter.as_deref())
}

/// Huge pages of one size as /sys/kernel/mm/hugepages reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HugePagePool {
    pub page_size: usize,
    pub total: u64,
    pub free: u64,
}

impl HugePagePool {
    /// The pool of `page_size`-byte huge pages, None when the kernel has none of that size.
    pub fn read(page_size: usize) -> Option<Self> {
        let dir = format!("/sys/kernel/mm/hugepages/hugepages-{}kB", page_size / 1024);
        let read = |f: &str| -> Option<u64> {
            std::fs::read_to_string(format!("{dir}/{f}"))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        Some(Self {
            page_size,
            total: read("nr_hugepages")?,
            free: read("free_hugepages")?,
        })
    }

    /// Pages a buffer of `size` bytes takes.
    pub fn pages_for(&self, size: usize) -> u64 {
        size.div_ceil(self.page_size) as u64
    }

    /// Refuses, saying how many to reserve and how, when `size` bytes do not fit.
    pub fn check(&self, size: usize) -> Result<()> {
        let needed = self.pages_for(size);
        if needed <= self.free {
            return Ok(());
        }
        Err(VfioError::NoHugePages {
            size: size as u64,
            needed,
            free: self.free,
            page_kib: self.page_size / 1024,
            reserve_total: self.total + (needed - self.free),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESENT: u64 = 1 << 63;

    fn page(pfn: u64) -> PagemapEntry {
        PagemapEntry(PRESENT | pfn)
    }

    #[test]
    fn entry_fields() {
        let e = PagemapEntry(0x8600_0000_0012_3456);
        assert!(e.present());
        assert!(!e.swapped());
        // Bits 55..61 (soft-dirty, exclusive, file-page flags) are not part of the PFN.
        assert_eq!(e.pfn(), 0x12_3456);
        let s = PagemapEntry(0x4000_0000_0000_0001);
        assert!(!s.present());
        assert!(s.swapped());
    }

    #[test]
    fn contiguous_pages_merge_into_segments() {
        let entries = [
            page(0x100),
            page(0x101),
            page(0x102),
            page(0x50),
            page(0x51),
            page(0x200),
        ];
        let segments = segments_from_entries(&entries, 4096, 6 * 4096 - 100).unwrap();
        assert_eq!(
            segments,
            vec![
                DmaSegment {
                    device_address: 0x100_000,
                    offset: 0,
                    len: 3 * 4096
                },
                DmaSegment {
                    device_address: 0x50_000,
                    offset: 3 * 4096,
                    len: 2 * 4096
                },
                DmaSegment {
                    device_address: 0x200_000,
                    offset: 5 * 4096,
                    len: 4096 - 100
                },
            ]
        );
    }

    #[test]
    fn missing_physical_addresses_are_refused() {
        let no_pfn = [page(0x100), PagemapEntry(PRESENT)];
        assert_eq!(
            segments_from_entries(&no_pfn, 4096, 8192),
            Err(PagemapError::NoPhysicalAddress)
        );
        let absent = [page(0x100), PagemapEntry(0x101)];
        assert_eq!(
            segments_from_entries(&absent, 4096, 8192),
            Err(PagemapError::NotPresent { offset: 4096 })
        );
    }

    #[test]
    fn no_group_reasons_say_what_to_do() {
        assert_eq!(no_iommu_group_reason(true, None), "no IOMMU group");
        let off = no_iommu_group_reason(false, Some("N\n"));
        assert!(off.contains("noiommu mode is off"), "{off}");
        assert!(
            off.contains(
                "echo Y | sudo tee /sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
            ),
            "{off}"
        );
        assert_eq!(no_iommu_group_reason(false, None), off);
        let on = no_iommu_group_reason(false, Some("Y\n"));
        assert!(on.contains("bind the device to vfio-pci"), "{on}");
    }

    #[test]
    fn a32_limit() {
        let low = [DmaSegment {
            device_address: 0xffff_f000,
            offset: 0,
            len: 0x1000,
        }];
        assert!(check_address_limit(&low, DmaCapability::A32, 0x1000).is_ok());
        let high = [
            low[0],
            DmaSegment {
                device_address: 0x1_0000_0000,
                offset: 0x1000,
                len: 0x1000,
            },
        ];
        let e = check_address_limit(&high, DmaCapability::A32, 0x2000).unwrap_err();
        assert!(
            e.to_string()
                .contains("at 0x100000000, beyond the device's DMA address limit 0xffffffff"),
            "{e}"
        );
        let e = check_address_limit(&low, DmaCapability::Bits(28), 0x1000).unwrap_err();
        assert!(e.to_string().contains("limit 0xfffffff"), "{e}");
        assert!(check_address_limit(&high, DmaCapability::A64, 0x2000).is_ok());
    }

    /// The real pagemap: with CAP_SYS_ADMIN a locked buffer's segments cover it exactly
    /// and carry non-zero page-aligned addresses; without it the error names the
    /// capability (the two outcomes the kernel can give).
    #[test]
    fn pagemap_of_a_locked_buffer() {
        let size = 16 * 4096;
        let (memory, _) = match crate::dma::HostMemory::allocate_pinned(
            size,
            crate::BufferAllocation::SharedMemory,
        ) {
            Ok(m) => m,
            // mlock beyond RLIMIT_MEMLOCK: nothing to read.
            Err(VfioError::Sys { what, .. }) if what.starts_with("mlock") => return,
            Err(e) => panic!("{e}"),
        };
        match read_segments(memory.as_ptr(), memory.len(), 4096) {
            Ok(segments) => {
                assert_eq!(segments.iter().map(|s| s.len).sum::<usize>(), memory.len());
                let mut offset = 0;
                for s in &segments {
                    assert_eq!(s.offset, offset);
                    assert!(
                        s.device_address != 0 && s.device_address % 4096 == 0,
                        "{s:?}"
                    );
                    offset += s.len;
                }
            }
            Err(e) => assert!(e.to_string().contains("CAP_SYS_ADMIN"), "{e}"),
        }
    }

    #[test]
    fn huge_page_shortfall_says_how_many_to_reserve() {
        let pool = HugePagePool {
            page_size: 2 << 20,
            total: 4,
            free: 1,
        };
        assert!(pool.check(2 << 20).is_ok());
        let e = pool.check(5 << 20).unwrap_err().to_string();
        assert_eq!(
            e,
            "DMA without an IOMMU needs 3 free huge pages of 2048 kB for a buffer of 5242880 bytes, \
             1 free: reserve them with `echo 6 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages`"
        );
    }
}
