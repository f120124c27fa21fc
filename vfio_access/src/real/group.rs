//! VFIO groups (`/dev/vfio/<n>`, `/dev/vfio/noiommu-<n>`): open, status, container
//! attachment and device fds.

use std::fs;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

use super::container::{c_name, Container};
use super::uapi;
use crate::error::{Result, VfioError};

/// How many times [`Group::open`] ran (unit tests prove the secondary path never opens a
/// group).
#[cfg(test)]
pub(crate) static OPEN_CALLS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

pub struct Group {
    fd: OwnedFd,
    pub number: u32,
    pub path: PathBuf,
}

/// `VFIO_GROUP_GET_STATUS` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStatus {
    pub viable: bool,
    pub container_set: bool,
}

impl Group {
    /// The group file for `number`: `/dev/vfio/<n>`, or `/dev/vfio/noiommu-<n>` when only
    /// that exists (decided per group, not per machine).
    pub fn path_for(number: u32) -> PathBuf {
        let plain = PathBuf::from(format!("/dev/vfio/{number}"));
        let noiommu = PathBuf::from(format!("/dev/vfio/noiommu-{number}"));
        if !plain.exists() && noiommu.exists() {
            noiommu
        } else {
            plain
        }
    }

    pub fn is_noiommu(&self) -> bool {
        self.path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("noiommu-"))
    }

    /// Opens the group file close-on-exec. EBUSY names the process holding it.
    pub fn open(number: u32) -> Result<Self> {
        #[cfg(test)]
        OPEN_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = Self::path_for(number);
        match open(&path, OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty()) {
            // SAFETY: `open` just returned this descriptor and nothing else owns it.
            Ok(fd) => Ok(Self::from_fd(
                unsafe { OwnedFd::from_raw_fd(fd) },
                number,
                path,
            )),
            Err(Errno::EPERM) if path.to_string_lossy().contains("/noiommu-") => {
                Err(VfioError::NoiommuPermission {
                    path: path.display().to_string(),
                    executable: std::fs::read_link("/proc/self/exe")
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| "<executable>".into()),
                })
            }
            Err(Errno::EBUSY) => Err(VfioError::GroupBusy {
                holder: holder_of(&path),
                path: path.display().to_string(),
            }),
            Err(e) => Err(VfioError::sys(format!("open ({})", path.display()), e)),
        }
    }

    /// Adopts a group fd handed over by a primary process.
    pub fn from_fd(fd: OwnedFd, number: u32, path: PathBuf) -> Self {
        Self { fd, number, path }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn status(&self) -> Result<GroupStatus> {
        let flags = uapi::group_get_status(self.fd())
            .map_err(|e| {
                VfioError::sys(
                    format!("VFIO_GROUP_GET_STATUS ({})", self.path.display()),
                    e,
                )
            })?
            .flags;
        Ok(GroupStatus {
            viable: flags & uapi::VFIO_GROUP_FLAGS_VIABLE != 0,
            container_set: flags & uapi::VFIO_GROUP_FLAGS_CONTAINER_SET != 0,
        })
    }

    pub fn set_container(&self, container: &Container) -> Result<()> {
        uapi::group_set_container(self.fd(), container.fd())
            .map_err(|e| VfioError::sys("VFIO_GROUP_SET_CONTAINER", e))
    }

    pub fn unset_container(&self) -> Result<()> {
        uapi::group_unset_container(self.fd())
            .map_err(|e| VfioError::sys("VFIO_GROUP_UNSET_CONTAINER", e))
    }

    /// `VFIO_GROUP_GET_DEVICE_FD` for the device named `dddd:bb:dd.f`.
    pub fn device_fd(&self, name: &str) -> Result<OwnedFd> {
        let cname = c_name(name)?;
        uapi::group_get_device_fd(self.fd(), &cname)
            .map_err(|e| VfioError::sys(format!("VFIO_GROUP_GET_DEVICE_FD ({name})"), e))
    }
}

/// Finds which process holds `path` open: `<exe> PID <pid>`, or `PID <pid>`.
pub fn holder_of(path: &Path) -> String {
    let me = std::process::id();
    let Ok(procs) = fs::read_dir("/proc") else {
        return "another process".into();
    };
    for p in procs.flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|t| t == path))
        {
            return match fs::read_link(p.path().join("exe")) {
                Ok(exe) => format!("{} PID {pid}", exe.display()),
                Err(_) => format!("PID {pid}"),
            };
        }
    }
    "another process".into()
}
