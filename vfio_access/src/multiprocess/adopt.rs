//! The secondary side: taking over the container, group and device fds a primary handed
//! down, once per process. A secondary never opens a group file and never sets up a
//! container; it only queries the container's IOVA ranges and keeps to its own window.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::domain::{DmaAddressing, DomainKind, IommuDomain};
use crate::error::{Result, VfioError};
use crate::iova::{IovaAllocator, IovaRange};
use crate::location::PciLocation;
use crate::real::{uapi, Container, Group, CONTAINER_PATH};

use super::handover::{Handover, SECONDARY_ENV};
use super::secondary_manager::MANAGER_FD_ENV;
use crate::manager::ManagerLink;

/// One device handed over by the primary, as adopted.
pub(crate) struct AdoptedDevice {
    pub location: PciLocation,
    pub group_number: u32,
    pub group: Arc<Group>,
    /// Kept for the life of the process; each session uses a duplicate.
    pub device_fd: OwnedFd,
    pub domain: Arc<IommuDomain>,
}

/// What this secondary process was given.
pub(crate) struct Adopted {
    pub simulated: bool,
    pub window: Option<IovaRange>,
    pub devices: Vec<AdoptedDevice>,
}

fn bad(reason: String) -> VfioError {
    VfioError::Environment {
        variable: SECONDARY_ENV,
        reason,
    }
}

/// Checks that `fd` is open in this process and refers to `expected` (a path, or the
/// anonymous inode of a VFIO device).
fn check_fd(fd: RawFd, expected: &[PathBuf]) -> Result<()> {
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map_err(|e| bad(format!("fd {fd} is not open in this process ({e})")))?;
    if expected.contains(&target) {
        Ok(())
    } else {
        Err(bad(format!(
            "fd {fd} is {}, expected {}",
            target.display(),
            expected[0].display()
        )))
    }
}

/// Takes ownership of a handed-over fd and makes it close-on-exec again.
///
/// Only called after `check_fd` proved the fd open, for fds the handover names once
/// (checked by `Handover::decode`), and only once per process (`adopted` runs once).
fn own(fd: RawFd) -> OwnedFd {
    // SAFETY: the fd is open (checked), refers to the VFIO file the handover says, and no
    // other owner exists in this process: the handover names each fd once and adoption
    // happens once per process (OnceLock in `adopted`).
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let _ = nix::fcntl::fcntl(
        owned.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    owned
}

impl Adopted {
    /// Validates and adopts everything `handover` names.
    fn take(handover: &Handover) -> Result<Self> {
        let mut adopted = Adopted {
            simulated: handover.simulated,
            window: handover.window,
            devices: Vec::new(),
        };
        if handover.simulated {
            return Ok(adopted);
        }
        // Check every fd before owning any, so a bad handover leaves nothing half-owned.
        for c in &handover.containers {
            check_fd(c.fd, &[PathBuf::from(CONTAINER_PATH)])?;
        }
        for d in &handover.devices {
            check_fd(
                d.group_fd,
                &[
                    PathBuf::from(format!("/dev/vfio/{}", d.group)),
                    PathBuf::from(format!("/dev/vfio/noiommu-{}", d.group)),
                ],
            )?;
            check_fd(d.device_fd, &[PathBuf::from("anon_inode:[vfio-device]")])?;
        }
        // The primary's in-process manager, when it runs one: it allocates every IOVA.
        let manager = match std::env::var(MANAGER_FD_ENV) {
            Ok(text) => {
                let fd: RawFd = text
                    .parse()
                    .ok()
                    .filter(|fd| *fd >= 0)
                    .ok_or_else(|| bad(format!("{MANAGER_FD_ENV}={text} is not an fd")))?;
                let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))
                    .map_err(|e| bad(format!("fd {fd} is not open in this process ({e})")))?;
                if !target.to_string_lossy().starts_with("socket:[") {
                    return Err(bad(format!(
                        "fd {fd} is {}, expected a socket",
                        target.display()
                    )));
                }
                if handover.fds().contains(&fd) {
                    return Err(bad(format!("fd {fd} named twice")));
                }
                Some(Arc::new(ManagerLink::from_fd(own(fd))))
            }
            Err(_) => None,
        };
        let mut domains = Vec::with_capacity(handover.containers.len());
        for (index, c) in handover.containers.iter().enumerate() {
            let container = Container::from_fd(own(c.fd), c.iommu_type);
            let addressing = if c.iommu_type == uapi::VFIO_NOIOMMU_IOMMU {
                DmaAddressing::Physical
            } else {
                DmaAddressing::Iommu
            };
            if let Some(link) = &manager {
                let page = if c.iommu_type == uapi::VFIO_NOIOMMU_IOMMU {
                    4096
                } else {
                    container.iommu_info()?.min_page_size()
                };
                domains.push(IommuDomain::managed(
                    DomainKind::Real(Arc::new(container)),
                    Arc::clone(link),
                    index as u32,
                    page,
                    addressing,
                ));
                continue;
            }
            let allocator = if c.iommu_type == uapi::VFIO_NOIOMMU_IOMMU {
                IovaAllocator::new(&[], 4096)
            } else {
                // A query only: the primary did VFIO_SET_IOMMU.
                let info = container.iommu_info()?;
                let mut a = IovaAllocator::new(&info.iova_ranges, info.min_page_size());
                if let Some(w) = handover.window {
                    a.restrict(w);
                }
                a
            };
            domains.push(IommuDomain::with_addressing(
                DomainKind::Real(Arc::new(container)),
                allocator,
                addressing,
            ));
        }
        let mut groups: Vec<(RawFd, Arc<Group>)> = Vec::new();
        for d in &handover.devices {
            let group = match groups.iter().find(|(fd, _)| *fd == d.group_fd) {
                Some((_, g)) => Arc::clone(g),
                None => {
                    let path = std::fs::read_link(format!("/proc/self/fd/{}", d.group_fd))
                        .unwrap_or_else(|_| Group::path_for(d.group));
                    let g = Arc::new(Group::from_fd(own(d.group_fd), d.group, path));
                    groups.push((d.group_fd, Arc::clone(&g)));
                    g
                }
            };
            adopted.devices.push(AdoptedDevice {
                location: d.location,
                group_number: d.group,
                group,
                device_fd: own(d.device_fd),
                domain: Arc::clone(&domains[d.container]),
            });
        }
        Ok(adopted)
    }

    pub fn device(&self, location: PciLocation) -> Option<&AdoptedDevice> {
        self.devices.iter().find(|d| d.location == location)
    }
}

static ADOPTED: OnceLock<std::result::Result<Option<Adopted>, String>> = OnceLock::new();

/// The handover of this process, adopted on first call: None when this process is not a
/// secondary (no [`SECONDARY_ENV`]).
pub(crate) fn adopted() -> Result<Option<&'static Adopted>> {
    let state = ADOPTED.get_or_init(|| match Handover::from_env() {
        Ok(None) => Ok(None),
        Ok(Some(h)) => Adopted::take(&h).map(Some).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    });
    match state {
        Ok(a) => Ok(a.as_ref()),
        Err(e) => Err(VfioError::Other(e.clone())),
    }
}

/// The IOVA window this process must keep to, when it is a secondary with windows.
pub(crate) fn secondary_window() -> Result<Option<IovaRange>> {
    Ok(adopted()?.and_then(|a| a.window))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::fd::OwnedFd;
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::filter::IdentityFilter;
    use crate::real::GROUP_OPEN_CALLS;
    use crate::session::{OpenOptions, Session};
    use crate::DmaCapability;

    fn dev_null() -> OwnedFd {
        fs::File::open("/dev/null").unwrap().into()
    }

    /// A sysfs tree with two edu functions, 00:03.0 and 00:04.0, in groups 3 and 4.
    fn fake_sysfs() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for (name, group) in [("0000:00:03.0", 3), ("0000:00:04.0", 4)] {
            let dir = root.path().join("devices").join(name);
            fs::create_dir_all(&dir).unwrap();
            for (file, text) in [
                ("vendor", "0x1234\n"),
                ("device", "0x11e8\n"),
                ("subsystem_vendor", "0x1af4\n"),
                ("subsystem_device", "0x1100\n"),
                ("class", "0x00ff00\n"),
            ] {
                fs::write(dir.join(file), text).unwrap();
            }
            let gdir = root.path().join(format!("kernel/iommu_groups/{group}"));
            fs::create_dir_all(&gdir).unwrap();
            std::os::unix::fs::symlink(&gdir, dir.join("iommu_group")).unwrap();
            let links = root.path().join("bus/pci/devices");
            fs::create_dir_all(&links).unwrap();
            std::os::unix::fs::symlink(&dir, links.join(name)).unwrap();
        }
        root
    }

    #[test]
    fn adopt_path_never_opens_a_group() {
        let root = fake_sysfs();
        let domain = IommuDomain::new(
            DomainKind::Real(Arc::new(Container::from_fd(dev_null(), 3))),
            IovaAllocator::new(&[IovaRange::new(0, 0xffff_ffff)], 4096),
        );
        // Only 00:04.0 is handed over, and its "device fd" is not a VFIO device.
        let adopted = Adopted {
            simulated: false,
            window: Some(IovaRange::new(0x10_0000, 0x1f_ffff)),
            devices: vec![AdoptedDevice {
                location: PciLocation::new(0, 0, 4, 0),
                group_number: 4,
                group: Arc::new(Group::from_fd(dev_null(), 4, "/dev/vfio/4".into())),
                device_fd: dev_null(),
                domain,
            }],
        };
        let options = OpenOptions {
            sysfs_root: root.path().to_path_buf(),
            ..OpenOptions::default()
        };
        let filter = IdentityFilter::vendor_device(0x1234, 0x11e8, DmaCapability::Bits(28));
        let before = GROUP_OPEN_CALLS.load(Ordering::SeqCst);
        let session = Session::open_adopted(&adopted, &options, &[filter]).unwrap();
        assert_eq!(GROUP_OPEN_CALLS.load(Ordering::SeqCst), before);
        assert!(session.devices().is_empty());
        let skipped = session.skipped().join("\n");
        assert!(
            skipped.contains(
                "0000:00:03.0 (1234:11e8): it was not handed over by the primary process"
            ),
            "{skipped}"
        );
        assert!(
            skipped.contains("0000:00:04.0 (1234:11e8): VFIO_DEVICE_GET_INFO failed"),
            "{skipped}"
        );
        // A simulated handover refuses the real open outright.
        let sim = Adopted {
            simulated: true,
            window: None,
            devices: Vec::new(),
        };
        let e = Session::open_adopted(&sim, &options, &[filter])
            .err()
            .unwrap();
        assert!(e.to_string().contains("simulated primary"), "{e}");
        assert_eq!(GROUP_OPEN_CALLS.load(Ordering::SeqCst), before);
    }

    #[test]
    fn handed_fds_must_be_what_the_handover_says() {
        let null = dev_null();
        let fd = null.as_raw_fd();
        let h =
            Handover::decode(&format!("v=1 sim=0 window=none containers={fd}:3 devices=")).unwrap();
        let e = Adopted::take(&h).err().unwrap().to_string();
        assert!(
            e.contains(&format!("fd {fd} is /dev/null, expected /dev/vfio/vfio")),
            "{e}"
        );
        // A closed fd is refused too (and nothing was taken over: `null` still owns it).
        let h = Handover::decode("v=1 sim=0 window=none containers=999:3 devices=").unwrap();
        let e = Adopted::take(&h).err().unwrap().to_string();
        assert!(e.contains("fd 999 is not open in this process"), "{e}");
        drop(null);
    }
}
