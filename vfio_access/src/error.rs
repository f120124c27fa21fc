//! Typed errors of the VFIO access layer. Every message names what failed, on which
//! device or file, and the real errno text (never the text of a -1 return value).

use std::fmt;
use std::io;
use std::path::Path;

use nix::errno::Errno;

use crate::location::PciLocation;

/// An errno shown as its C library `strerror()` text, e.g. `Device or resource busy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsError(pub Errno);

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.desc())
    }
}

impl From<Errno> for OsError {
    fn from(e: Errno) -> Self {
        OsError(e)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VfioError {
    #[error("Invalid PCI device location filter {0}")]
    InvalidLocation(String),

    #[error("{path}: {source}")]
    Sysfs { path: String, source: io::Error },

    /// A system call failed: `<what> failed : <errno text>`.
    #[error("{what} failed : {errno}")]
    Sys { what: String, errno: OsError },

    #[error("/dev/vfio/vfio doesn't exist, implying no VFIO support")]
    NoVfio,

    #[error("No permission on /dev/vfio/vfio, implying no vfio-pci driver loaded")]
    NoVfioPermission,

    #[error("Got VFIO_API_VERSION {0}, expected 0")]
    ApiVersion(i32),

    #[error("{path}: group is not viable (ie, not all devices bound for vfio)")]
    GroupNotViable { path: String },

    #[error("Unable to open {path} as is already open by {holder}")]
    GroupBusy { path: String, holder: String },

    /// Opening a noiommu group needs CAP_SYS_RAWIO: the original's two-line hint
    /// (vfio_access.md §3.1 step 6, transcript_fidelity.md §3.5).
    #[error("  No permission to open {path}. Try:\nsudo setcap cap_sys_rawio=ep {executable}")]
    NoiommuPermission { path: String, executable: String },

    #[error("{location}: VFIO_DEVICE_GET_INFO flags don't report a PCI device")]
    NotPci { location: PciLocation },

    #[error("{location}: BAR {bar} is not present or cannot be memory-mapped")]
    BarUnavailable { location: PciLocation, bar: u8 },

    #[error("{location}: BAR {bar} window 0x{offset:x}+0x{len:x} exceeds the BAR size 0x{size:x}")]
    WindowOutOfRange {
        location: PciLocation,
        bar: u8,
        offset: u64,
        len: u64,
        size: u64,
    },

    #[error("No free IOVA to allocate {size} bytes for {bits} bit IOVA capable device")]
    NoFreeIova { size: u64, bits: u32 },

    #[error(
        "DMA buffer of {needed} bytes exceeds the locked-memory limit (RLIMIT_MEMLOCK) of {limit} bytes: \
         raise it (e.g. `ulimit -l unlimited`, or memlock in /etc/security/limits.conf) or grant CAP_IPC_LOCK"
    )]
    MemlockLimit { needed: u64, limit: u64 },

    /// No IOMMU: the physical memory a buffer got is beyond the device's reach (an A32
    /// design: 4 GiB).
    #[error(
        "DMA buffer of {size} bytes got physical memory at 0x{address:x}, beyond the device's DMA address limit 0x{limit:x}: \
         reserve huge pages early (kernel command line `hugepages=<n>`) so that they lie low, or use an IOMMU"
    )]
    DmaAboveLimit { size: u64, address: u64, limit: u64 },

    /// No IOMMU: not enough huge pages reserved for a buffer.
    #[error(
        "DMA without an IOMMU needs {needed} free huge pages of {page_kib} kB for a buffer of {size} bytes, \
         {free} free: reserve them with `echo {reserve_total} | sudo tee /sys/kernel/mm/hugepages/hugepages-{page_kib}kB/nr_hugepages`"
    )]
    NoHugePages {
        size: u64,
        needed: u64,
        free: u64,
        page_kib: usize,
        reserve_total: u64,
    },

    #[error("{location}: device is not DMA capable (opened with DMA capability none)")]
    NoDmaCapability { location: PciLocation },

    #[error("VFIO_IOMMU_MAP_DMA of size {size} at IOVA 0x{iova:x} failed : {errno}")]
    MapDma {
        size: u64,
        iova: u64,
        errno: OsError,
    },

    #[error("VFIO_IOMMU_UNMAP_DMA of size {size} failed, unmapped {unmapped} bytes with status {status}")]
    UnmapDma {
        size: u64,
        unmapped: u64,
        status: String,
    },

    /// Talking to the VFIO multi-process manager failed.
    #[error("{0}")]
    Manager(String),

    #[error("VFIO multi-process manager PID {manager_pid} refused this process: it serves only uid {manager_uid} and root, this process runs as uid {client_uid}")]
    ManagerRefused {
        manager_pid: u32,
        manager_uid: u32,
        client_uid: u32,
    },

    #[error("invalid {variable} environment: {reason}")]
    Environment {
        variable: &'static str,
        reason: String,
    },

    #[error("{0}")]
    Other(String),
}

impl VfioError {
    pub fn sysfs(path: &Path, source: io::Error) -> Self {
        VfioError::Sysfs {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn sys(what: impl Into<String>, errno: Errno) -> Self {
        VfioError::Sys {
            what: what.into(),
            errno: OsError(errno),
        }
    }

    /// The errno behind the error, when there is one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            VfioError::Sys { errno, .. } | VfioError::MapDma { errno, .. } => Some(errno.0),
            VfioError::Sysfs { source, .. } => source.raw_os_error().map(Errno::from_raw),
            _ => None,
        }
    }
}

pub type Result<T, E = VfioError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_text_is_strerror() {
        let e = VfioError::sys("open (/dev/vfio/86)", Errno::EBUSY);
        assert_eq!(
            e.to_string(),
            "open (/dev/vfio/86) failed : Device or resource busy"
        );
        assert_eq!(e.errno(), Some(Errno::EBUSY));
    }

    #[test]
    fn noiommu_permission_is_the_originals_two_lines() {
        let e = VfioError::NoiommuPermission {
            path: "/dev/vfio/noiommu-1".into(),
            executable: "/usr/local/bin/test_ddr".into(),
        };
        assert_eq!(
            e.to_string(),
            "  No permission to open /dev/vfio/noiommu-1. Try:\nsudo setcap cap_sys_rawio=ep /usr/local/bin/test_ddr"
        );
    }
}
