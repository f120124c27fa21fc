//! Opening devices: the real VFIO sequence (container, groups, device fds) and the
//! simulated one (simulated boards behind a simulated IOMMU), one result type for both.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use nix::errno::Errno;
use nix::unistd::{access, AccessFlags};

use crate::device::{Backend, Device};
use crate::dma::BufferAllocation;
use crate::domain::{DmaAddressing, DomainKind, IommuDomain};
use crate::error::{Result, VfioError};
use crate::filter::{first_match, IdentityFilter};
use crate::iova::IovaAllocator;
use crate::location::LocationFilters;
use crate::manager::{self, DeviceLease, ManagerLink};
use crate::messages::Messages;
use crate::multiprocess::{self, Adopted};
use crate::real::{uapi, Container, Group, RealDevice};
use crate::sim::{DmaPort, SimBoard, SimConfigSpace, SimIommu, SIM_IOVA_PGSIZES, SIM_IOVA_RANGES};
use crate::sysfs;

/// How to open devices: the parts of the shared command-line options that matter here.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub locations: LocationFilters,
    pub buffer_allocation: BufferAllocation,
    /// Each IOMMU group gets its own container (isolated IOVA spaces).
    pub isolate_iommu_groups: bool,
    pub sysfs_root: PathBuf,
    /// Where opening reports progress (`Opening device ...`), skipped devices and
    /// problems; the devices keep it for later messages. Discarded by default.
    pub messages: Messages,
    /// Simulated boards only: their noiommu mode, "physical" DMA addresses and every
    /// buffer fragmented (`--sim-noiommu`, [`SIM_NOIOMMU_ENV`](crate::sim::SIM_NOIOMMU_ENV)).
    pub sim_noiommu: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            locations: LocationFilters::default(),
            buffer_allocation: BufferAllocation::default(),
            isolate_iommu_groups: false,
            sysfs_root: PathBuf::from(sysfs::SYSFS_ROOT),
            messages: Messages::default(),
            sim_noiommu: false,
        }
    }
}

/// The devices a process opened, with their IOMMU domains.
pub struct Session {
    devices: Vec<Device>,
    domains: Vec<Arc<IommuDomain>>,
    /// Lines explaining why matching devices were left out (also sent as messages when
    /// opening).
    skipped: Vec<String>,
}

impl Session {
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    pub fn domains(&self) -> &[Arc<IommuDomain>] {
        &self.domains
    }

    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    pub fn is_simulated(&self) -> bool {
        self.devices.first().is_some_and(|d| d.is_simulated())
    }

    pub(crate) fn from_parts(devices: Vec<Device>, domains: Vec<Arc<IommuDomain>>) -> Self {
        Self {
            devices,
            domains,
            skipped: Vec::new(),
        }
    }

    /// Opens, through the kernel's VFIO, every PCI function that matches an identity
    /// filter and the location filters. A device that cannot be opened is left out with a
    /// reason (in [`skipped`](Self::skipped) and sent to `options.messages`); errors that
    /// stop everything (no usable container) are returned.
    ///
    /// When a `vfio_multi_process_manager` runs (found by itself, see [`manager`]), every
    /// device is opened through it and its IOVAs come from it.
    ///
    /// In a secondary process (the environment variable
    /// [`SECONDARY_ENV`](crate::multiprocess::SECONDARY_ENV) is set by a primary) nothing is
    /// opened: the handed-over container, group and device fds are adopted instead and DMA
    /// buffers are placed inside the secondary's IOVA window.
    pub fn open(options: &OpenOptions, filters: &[IdentityFilter]) -> Result<Session> {
        if let Some(adopted) = multiprocess::adopted()? {
            return Self::open_adopted(adopted, options, filters);
        }
        if let Some(link) = manager::running_manager()? {
            return Self::open_managed(&link, options, filters);
        }
        let mut session = Session::from_parts(Vec::new(), Vec::new());
        let mut shared: Option<Arc<IommuDomain>> = None;
        let mut groups: HashMap<u32, (Arc<Group>, Arc<IommuDomain>)> = HashMap::new();
        let messages = &options.messages;
        for (info, dma, name) in candidates(options, filters)? {
            let mut skip = |why: String| {
                messages.warning(&format!("Skipping device {name} as {why}"));
                session.skipped.push(format!("{name}: {why}"));
            };
            let Some(group_no) = info.iommu_group else {
                skip(crate::physical::no_iommu_group_reason_here());
                continue;
            };
            let path = Group::path_for(group_no);
            match access(&path, AccessFlags::R_OK | AccessFlags::W_OK) {
                Ok(()) => {}
                Err(Errno::ENOENT) => {
                    skip(format!(
                        "{} doesn't exist implying vfio-pci driver not bound to the device",
                        path.display()
                    ));
                    continue;
                }
                Err(Errno::EACCES) | Err(Errno::EPERM) => {
                    skip(format!(
                        "{} doesn't have read/write permission",
                        path.display()
                    ));
                    continue;
                }
                Err(e) => {
                    skip(format!("{} : {}", path.display(), e.desc()));
                    continue;
                }
            }
            messages.progress(&format!(
                "Opening device {name} with IOMMU group {group_no}"
            ));
            let (group, domain) = match groups.get(&group_no) {
                Some((g, d)) => (Arc::clone(g), Arc::clone(d)),
                None => {
                    let opened =
                        Self::attach_group(group_no, options.isolate_iommu_groups, &mut shared);
                    match opened {
                        Ok((g, d)) => {
                            if !session.domains.iter().any(|x| Arc::ptr_eq(x, &d)) {
                                session.domains.push(Arc::clone(&d));
                            }
                            groups.insert(group_no, (Arc::clone(&g), Arc::clone(&d)));
                            (g, d)
                        }
                        Err(
                            e @ (VfioError::NoVfio
                            | VfioError::NoVfioPermission
                            | VfioError::ApiVersion(_)),
                        ) => return Err(e),
                        Err(e) => {
                            messages.warning(&e.to_string());
                            session.skipped.push(format!("{name}: {e}"));
                            continue;
                        }
                    }
                }
            };
            let real = group
                .device_fd(&info.location.to_string())
                .and_then(RealDevice::from_fd);
            let real = match real {
                Ok(r) if r.info.is_pci() => r,
                Ok(_) => {
                    let e = VfioError::NotPci {
                        location: info.location,
                    };
                    messages.warning(&e.to_string());
                    session.skipped.push(e.to_string());
                    continue;
                }
                Err(e) => {
                    messages.error(&e.to_string());
                    session.skipped.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let device = Device::new(
                info.location,
                info.identity,
                group_no,
                dma,
                domain,
                options,
                Backend::Real {
                    device: real,
                    group: Some(group),
                    resources: info.resources.clone(),
                },
            );
            if let Err(e) = device.enable() {
                messages.warning(&e.to_string());
            }
            if let Some(w) = device.link_warning() {
                messages.warning(&w);
            }
            session.devices.push(device);
        }
        Ok(session)
    }

    /// The indirect open (vfio_access.md §3.2, §7.3): the manager opens each device and
    /// passes its fd (and each container's fd once); this process never opens a group.
    fn open_managed(
        link: &Arc<ManagerLink>,
        options: &OpenOptions,
        filters: &[IdentityFilter],
    ) -> Result<Session> {
        let mut session = Session::from_parts(Vec::new(), Vec::new());
        let messages = &options.messages;
        let mut containers: HashMap<u32, Arc<IommuDomain>> = HashMap::new();
        let mut group_container: HashMap<u32, u32> = HashMap::new();
        for (info, dma, name) in candidates(options, filters)? {
            let mut skip = |why: String| {
                messages.warning(&format!("Skipping device {name} as {why}"));
                session.skipped.push(format!("{name}: {why}"));
            };
            let Some(group_no) = info.iommu_group else {
                skip(crate::physical::no_iommu_group_reason_here());
                continue;
            };
            let want_container = !group_container.contains_key(&group_no);
            let opened = match link.open_device(info.location, dma, want_container)? {
                Ok(o) => o,
                Err(manager::protocol::Status::NotManaged) => {
                    skip(format!(
                        "the VFIO multi-process manager (PID {}) does not manage it",
                        link.manager_pid().unwrap_or(0)
                    ));
                    continue;
                }
                Err(_) => {
                    let why = format!(
                        "Manager failed to open device device {name} in IOMMU group {group_no}"
                    );
                    messages.error(&why);
                    session.skipped.push(why);
                    continue;
                }
            };
            // From here the manager counts this device as ours: the lease gives it back
            // whatever happens next.
            let lease = DeviceLease {
                link: Arc::clone(link),
                location: info.location,
                messages: messages.clone(),
            };
            let reply = opened.reply;
            let domain = match (containers.get(&reply.container_id), opened.container_fd) {
                (Some(d), _) => Arc::clone(d),
                (None, Some(fd)) => {
                    let container = Container::from_fd(fd, reply.iommu_type);
                    let d = IommuDomain::managed(
                        DomainKind::Real(Arc::new(container)),
                        Arc::clone(link),
                        reply.container_id,
                        reply.page_size,
                        if reply.iommu_type == uapi::VFIO_NOIOMMU_IOMMU {
                            DmaAddressing::Physical
                        } else {
                            DmaAddressing::Iommu
                        },
                    );
                    containers.insert(reply.container_id, Arc::clone(&d));
                    session.domains.push(Arc::clone(&d));
                    d
                }
                (None, None) => {
                    return Err(VfioError::Manager(format!(
                        "VFIO multi-process manager did not pass container {} of {}",
                        reply.container_id, info.location
                    )))
                }
            };
            group_container.insert(group_no, reply.container_id);
            let real = match RealDevice::from_fd(opened.device_fd) {
                Ok(r) => r,
                Err(e) => {
                    messages.error(&format!("{name}: {e}"));
                    session.skipped.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let device = Device::new(
                info.location,
                info.identity,
                group_no,
                dma,
                domain,
                options,
                Backend::Real {
                    device: real,
                    group: None,
                    resources: info.resources.clone(),
                },
            )
            .with_lease(lease);
            if let Some(w) = device.link_warning() {
                messages.warning(&w);
            }
            session.devices.push(device);
        }
        Ok(session)
    }

    /// Opens a group, attaches it to a container (shared, or its own when isolating) and
    /// sets up the container's IOMMU the first time.
    fn attach_group(
        number: u32,
        isolate: bool,
        shared: &mut Option<Arc<IommuDomain>>,
    ) -> Result<(Arc<Group>, Arc<IommuDomain>)> {
        let group = Group::open(number)?;
        let status = group.status()?;
        if !status.viable {
            return Err(VfioError::GroupNotViable {
                path: group.path.display().to_string(),
            });
        }
        let reuse = if isolate { None } else { shared.clone() };
        let domain = match reuse {
            Some(d) => {
                let DomainKind::Real(c) = &d.kind else {
                    return Err(VfioError::Other(
                        "simulated domain in a real session".into(),
                    ));
                };
                if !status.container_set {
                    group.set_container(c)?;
                }
                d
            }
            None => {
                let container = Container::open()?;
                if !status.container_set {
                    group.set_container(&container)?;
                }
                let (allocator, addressing) = if group.is_noiommu() {
                    // No IOMMU: no DMA mapping ioctls, so no IOVA space to hand out; the
                    // device is given physical addresses (physical.rs).
                    container.set_iommu(uapi::VFIO_NOIOMMU_IOMMU)?;
                    (IovaAllocator::new(&[], 4096), DmaAddressing::Physical)
                } else {
                    container.set_iommu(container.preferred_type1())?;
                    let info = container.iommu_info()?;
                    (
                        IovaAllocator::new(&info.iova_ranges, info.min_page_size()),
                        DmaAddressing::Iommu,
                    )
                };
                let d = IommuDomain::with_addressing(
                    DomainKind::Real(Arc::new(container)),
                    allocator,
                    addressing,
                );
                if !isolate {
                    *shared = Some(Arc::clone(&d));
                }
                d
            }
        };
        Ok((Arc::new(group), domain))
    }

    /// Opens simulated boards through the same filters and messages as real devices.
    pub fn open_sim(
        boards: Vec<SimBoard>,
        options: &OpenOptions,
        filters: &[IdentityFilter],
    ) -> Result<Session> {
        let window = multiprocess::secondary_window()?;
        let mut session = Session::from_parts(Vec::new(), Vec::new());
        let mut boards = boards;
        boards.sort_by_key(|b| b.location);
        let mut by_group: HashMap<u32, Arc<IommuDomain>> = HashMap::new();
        let mut shared: Option<Arc<IommuDomain>> = None;
        for board in boards {
            if !options.locations.matches(board.location) {
                continue;
            }
            let identity = board.device.identity();
            let Some(dma) = first_match(filters, &identity) else {
                continue;
            };
            options.messages.progress(&format!(
                "Opening device {} ({:04x}:{:04x}) with IOMMU group {}",
                board.location, identity.vendor_id, identity.device_id, board.iommu_group
            ));
            let domain = if let Some(d) = by_group.get(&board.iommu_group) {
                Arc::clone(d)
            } else {
                let d = match (&shared, options.isolate_iommu_groups) {
                    (Some(d), false) => Arc::clone(d),
                    _ => {
                        let page = 1 << SIM_IOVA_PGSIZES.trailing_zeros();
                        let mut allocator = IovaAllocator::new(&SIM_IOVA_RANGES, page);
                        // A secondary keeps to the window its primary gave it.
                        if let Some(w) = window {
                            allocator.restrict(w);
                        }
                        let addressing = if options.sim_noiommu {
                            DmaAddressing::SimulatedPhysical
                        } else {
                            DmaAddressing::Iommu
                        };
                        let d = IommuDomain::with_addressing(
                            DomainKind::Sim(SimIommu::new()),
                            allocator,
                            addressing,
                        );
                        session.domains.push(Arc::clone(&d));
                        if !options.isolate_iommu_groups {
                            shared = Some(Arc::clone(&d));
                        }
                        d
                    }
                };
                by_group.insert(board.iommu_group, Arc::clone(&d));
                d
            };
            if let Some(iommu) = domain.sim_iommu() {
                board.device.attach_dma(DmaPort::new(Arc::clone(iommu)));
            }
            let config = Box::new(SimConfigSpace::new(board.device.as_ref(), board.location));
            let device = Device::new(
                board.location,
                identity,
                board.iommu_group,
                dma,
                domain,
                options,
                Backend::Sim {
                    device: board.device,
                    config,
                },
            );
            device.enable()?;
            // A simulated board trained below its capability warns as a real one does.
            if let Some(w) = device.link_warning() {
                options.messages.warning(&w);
            }
            session.devices.push(device);
        }
        Ok(session)
    }

    /// The secondary's open: devices come only from the primary's handover. A matching
    /// device the primary did not hand over is skipped (opening its group here would
    /// either fail with EBUSY or set up a second container). Never calls `Group::open`.
    pub(crate) fn open_adopted(
        adopted: &Adopted,
        options: &OpenOptions,
        filters: &[IdentityFilter],
    ) -> Result<Session> {
        if adopted.simulated {
            return Err(VfioError::Other(format!(
                "this process was started by a simulated primary ({}): open simulated devices (--sim)",
                multiprocess::SECONDARY_ENV
            )));
        }
        let mut session = Session::from_parts(Vec::new(), Vec::new());
        let messages = &options.messages;
        for (info, dma, name) in candidates(options, filters)? {
            let Some(handed) = adopted.device(info.location) else {
                let why = "it was not handed over by the primary process".to_string();
                messages.warning(&format!("Skipping device {name} as {why}"));
                session.skipped.push(format!("{name}: {why}"));
                continue;
            };
            messages.progress(&format!(
                "Opening device {name} with IOMMU group {}",
                handed.group_number
            ));
            let real = handed
                .device_fd
                .try_clone()
                .map_err(|e| {
                    VfioError::Other(format!("dup of the device fd of {}: {e}", info.location))
                })
                .and_then(RealDevice::from_fd);
            let real = match real {
                Ok(r) => r,
                Err(e) => {
                    messages.error(&format!("{}: {e}", info.location));
                    session.skipped.push(format!("{name}: {e}"));
                    continue;
                }
            };
            if !session
                .domains
                .iter()
                .any(|d| Arc::ptr_eq(d, &handed.domain))
            {
                session.domains.push(Arc::clone(&handed.domain));
            }
            let device = Device::new(
                info.location,
                info.identity,
                handed.group_number,
                dma,
                Arc::clone(&handed.domain),
                options,
                Backend::Real {
                    device: real,
                    group: Some(Arc::clone(&handed.group)),
                    resources: info.resources.clone(),
                },
            );
            if let Err(e) = device.enable() {
                messages.warning(&e.to_string());
            }
            session.devices.push(device);
        }
        Ok(session)
    }
}

/// The PCI functions that pass the location and identity filters, in location order, with
/// the DMA capability of the matching filter and their `<dev> (<vid>:<did>)` name.
fn candidates(
    options: &OpenOptions,
    filters: &[IdentityFilter],
) -> Result<Vec<(sysfs::PciDeviceInfo, crate::filter::DmaCapability, String)>> {
    Ok(sysfs::enumerate(&options.sysfs_root)?
        .into_iter()
        .filter(|info| options.locations.matches(info.location))
        .filter_map(|info| {
            let dma = first_match(filters, &info.identity)?;
            let name = format!(
                "{} ({:04x}:{:04x})",
                info.location, info.identity.vendor_id, info.identity.device_id
            );
            Some((info, dma, name))
        })
        .collect())
}
