//! What `vfio_multi_process_manager` serves: every VFIO group (with its vfio-bound devices)
//! that the device options select, attached to a container (one shared, or one per group
//! with `--isolate-iommu-groups`). Device fds are opened when a first client asks, every
//! BAR is then mapped once (no first-mmap race between clients), and closed when the last
//! client is done; a container none of whose devices is open is torn down (its IOMMU
//! domain, and so every mapping left in it, goes) and set up again on the next open.

use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use super::protocol::Status;
use super::server::{DeviceGrant, ManagedDevices};
use crate::device::{Backend, Device};
use crate::domain::{DomainKind, IommuDomain};
use crate::error::VfioError;
use crate::filter::DmaCapability;
use crate::iova::IovaAllocator;
use crate::location::PciLocation;
use crate::messages::Messages;
use crate::real::{uapi, Container, Group, RealDevice};
use crate::session::OpenOptions;
use crate::sysfs::{self, PciDeviceInfo};

/// Why the manager could not start serving.
#[derive(Debug, thiserror::Error)]
pub enum ManagerStartError {
    #[error("No available IOMMU groups to manage")]
    NoGroups,
    #[error("Only opened {groups_opened} out of {groups} IOMMU groups, and {devices_opened} out of {devices} expected VFIO devices")]
    Incomplete {
        groups_opened: usize,
        groups: usize,
        devices_opened: usize,
        devices: usize,
    },
    #[error(transparent)]
    Vfio(#[from] VfioError),
}

struct ManagedContainer {
    domain: Arc<IommuDomain>,
    container: Arc<Container>,
    enabled: bool,
    noiommu: bool,
}

struct ManagedGroup {
    group: Arc<Group>,
    container: usize,
    attached: bool,
}

struct ManagedDevice {
    info: PciDeviceInfo,
    group: u32,
    /// Capability merged over the clients (A32 wins over wider; none is upgraded).
    dma: DmaCapability,
    open: Option<Device>,
}

pub struct VfioDevices {
    options: OpenOptions,
    containers: Vec<ManagedContainer>,
    groups: BTreeMap<u32, ManagedGroup>,
    devices: BTreeMap<PciLocation, ManagedDevice>,
}

fn group_file_exists(number: u32) -> bool {
    std::path::Path::new(&format!("/dev/vfio/{number}")).exists()
        || std::path::Path::new(&format!("/dev/vfio/noiommu-{number}")).exists()
}

/// The narrower of two capabilities (a device reachable by every client's buffers).
fn merge(current: DmaCapability, requested: DmaCapability) -> DmaCapability {
    match (current.max_iova(), requested.max_iova()) {
        (None, _) => requested,
        (_, None) => current,
        (Some(a), Some(b)) if b < a => requested,
        _ => current,
    }
}

impl VfioDevices {
    /// Opens every group holding a vfio-bound device that `options.locations` selects and
    /// attaches each to a container. Every group must open.
    pub fn open_all(options: &OpenOptions) -> Result<Self, ManagerStartError> {
        let messages = &options.messages;
        let mut by_group: BTreeMap<u32, Vec<PciDeviceInfo>> = BTreeMap::new();
        for info in sysfs::enumerate(&options.sysfs_root)? {
            let vfio_bound = info
                .driver
                .as_deref()
                .is_some_and(|d| d.starts_with("vfio"));
            if !vfio_bound || !options.locations.matches(info.location) {
                continue;
            }
            if let Some(g) = info.iommu_group.filter(|g| group_file_exists(*g)) {
                by_group.entry(g).or_default().push(info);
            }
        }
        if by_group.is_empty() {
            return Err(ManagerStartError::NoGroups);
        }
        let mut me = VfioDevices {
            options: options.clone(),
            containers: Vec::new(),
            groups: BTreeMap::new(),
            devices: BTreeMap::new(),
        };
        let total_devices: usize = by_group.values().map(Vec::len).sum();
        for (number, infos) in &by_group {
            let first = &infos[0];
            messages.progress(&format!(
                "Opening device {} ({:04x}:{:04x}) with IOMMU group {number}",
                first.location, first.identity.vendor_id, first.identity.device_id
            ));
            match me.attach_new_group(*number) {
                Ok(()) => {
                    for info in infos {
                        me.devices.insert(
                            info.location,
                            ManagedDevice {
                                info: info.clone(),
                                group: *number,
                                dma: DmaCapability::None,
                                open: None,
                            },
                        );
                    }
                }
                Err(e @ (VfioError::NoVfio | VfioError::NoVfioPermission)) => return Err(e.into()),
                Err(e) => messages.error(&e.to_string()),
            }
        }
        if me.groups.len() != by_group.len() {
            return Err(ManagerStartError::Incomplete {
                groups_opened: me.groups.len(),
                groups: by_group.len(),
                devices_opened: me.devices.len(),
                devices: total_devices,
            });
        }
        Ok(me)
    }

    /// The devices served, with their IOMMU groups.
    pub fn managed(&self) -> Vec<(PciLocation, u32)> {
        self.devices
            .values()
            .map(|d| (d.info.location, d.group))
            .collect()
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    pub fn container_count(&self) -> usize {
        self.containers.len()
    }

    fn attach_new_group(&mut self, number: u32) -> Result<(), VfioError> {
        let group = Arc::new(Group::open(number)?);
        let status = group.status()?;
        if !status.viable {
            return Err(VfioError::GroupNotViable {
                path: group.path.display().to_string(),
            });
        }
        let shared = !self.options.isolate_iommu_groups && !self.containers.is_empty();
        let index = if shared {
            0
        } else {
            let container = Arc::new(Container::open()?);
            let domain = IommuDomain::new(
                DomainKind::Real(Arc::clone(&container)),
                IovaAllocator::new(&[], 4096),
            );
            self.containers.push(ManagedContainer {
                domain,
                container,
                enabled: false,
                noiommu: group.is_noiommu(),
            });
            self.containers.len() - 1
        };
        self.groups.insert(
            number,
            ManagedGroup {
                group,
                container: index,
                attached: false,
            },
        );
        self.ensure_attached(number)
    }

    /// The group is set to its container, and the container's IOMMU is set up (again,
    /// after a disable: the IOVA ranges are read afresh).
    fn ensure_attached(&mut self, number: u32) -> Result<(), VfioError> {
        let Some(g) = self.groups.get_mut(&number) else {
            return Err(VfioError::Other(format!(
                "IOMMU group {number} is not managed"
            )));
        };
        let c = &mut self.containers[g.container];
        if !g.attached {
            if !g.group.status()?.container_set {
                g.group.set_container(&c.container)?;
            }
            g.attached = true;
        }
        if !c.enabled {
            let (ranges, page) = if c.noiommu {
                c.container.set_iommu(uapi::VFIO_NOIOMMU_IOMMU)?;
                (Vec::new(), 4096)
            } else {
                c.container.set_iommu(c.container.preferred_type1())?;
                let info = c.container.iommu_info()?;
                (info.iova_ranges.clone(), info.min_page_size())
            };
            c.domain.with_space(|s| s.reclaim(&ranges, page));
            c.enabled = true;
        }
        Ok(())
    }

    fn grant(&self, location: PciLocation) -> Option<DeviceGrant> {
        let d = self.devices.get(&location)?;
        let device = d.open.as_ref()?;
        let g = self.groups.get(&d.group)?;
        let c = &self.containers[g.container];
        Some(DeviceGrant {
            device_fd: device.real_device()?.fd().as_raw_fd(),
            container_fd: c.container.fd().as_raw_fd(),
            container_id: g.container as u32,
            iommu_type: c.container.iommu_type(),
            group: d.group,
            page_size: c.domain.iova_page_size(),
        })
    }

    fn open_device_fd(&mut self, location: PciLocation) -> Result<(), VfioError> {
        let Some(d) = self.devices.get(&location) else {
            return Err(VfioError::Other(format!("{location} is not managed")));
        };
        let number = d.group;
        self.ensure_attached(number)?;
        let g = &self.groups[&number];
        let d = &self.devices[&location];
        let real = RealDevice::from_fd(g.group.device_fd(&location.to_string())?)?;
        if !real.info.is_pci() {
            return Err(VfioError::NotPci { location });
        }
        let device = Device::new(
            location,
            d.info.identity,
            number,
            d.dma,
            Arc::clone(&self.containers[g.container].domain),
            &self.options,
            Backend::Real {
                device: real,
                group: Some(Arc::clone(&g.group)),
                resources: d.info.resources.clone(),
            },
        );
        device.enable()?;
        // Every BAR mapped here, before any client has the fd (see the module docs).
        for bar in 0..6u8 {
            match device.bar(bar) {
                Ok(_) | Err(VfioError::BarUnavailable { .. }) => {}
                Err(e) => self.options.messages.warning(&e.to_string()),
            }
        }
        if let Some(d) = self.devices.get_mut(&location) {
            d.open = Some(device);
        }
        Ok(())
    }
}

impl ManagedDevices for VfioDevices {
    fn open(
        &mut self,
        location: PciLocation,
        dma: DmaCapability,
        _messages: &Messages,
    ) -> Result<DeviceGrant, (Status, String)> {
        let Some(d) = self.devices.get_mut(&location) else {
            return Err((
                Status::NotManaged,
                format!("Client requested device {location} which isn't being managed"),
            ));
        };
        d.dma = merge(d.dma, dma);
        let describe = |d: &ManagedDevice, e: &dyn std::fmt::Display| {
            format!(
                "Manager failed to open device device {} ({:04x}:{:04x}) in IOMMU group {}: {e}",
                location, d.info.identity.vendor_id, d.info.identity.device_id, d.group
            )
        };
        match &d.open {
            Some(device) => {
                if let Err(e) = device.enable_for(dma) {
                    return Err((Status::Failed, describe(d, &e)));
                }
            }
            None => {
                if let Err(e) = self.open_device_fd(location) {
                    let d = &self.devices[&location];
                    return Err((Status::Failed, describe(d, &e)));
                }
            }
        }
        self.grant(location).ok_or_else(|| {
            (
                Status::Failed,
                format!("Manager failed to open device {location}"),
            )
        })
    }

    fn close(&mut self, location: PciLocation, _messages: &Messages) {
        if let Some(d) = self.devices.get_mut(&location) {
            // Closing the fd (the last one) lets the kernel disable and reset the device.
            d.open = None;
            d.dma = DmaCapability::None;
        }
    }

    fn domain(&self, container_id: u32) -> Option<Arc<IommuDomain>> {
        self.containers
            .get(container_id as usize)
            .map(|c| Arc::clone(&c.domain))
    }

    fn domains(&self) -> Vec<Arc<IommuDomain>> {
        self.containers
            .iter()
            .map(|c| Arc::clone(&c.domain))
            .collect()
    }

    fn disable_unused(&mut self, messages: &Messages) {
        for (number, g) in self.groups.iter_mut() {
            let busy = self
                .devices
                .values()
                .any(|d| d.group == *number && d.open.is_some());
            if g.attached && !busy {
                match g.group.unset_container() {
                    Ok(()) => g.attached = false,
                    Err(e) => messages.warning(&format!("IOMMU group {number}: {e}")),
                }
            }
        }
        for (index, c) in self.containers.iter_mut().enumerate() {
            let attached = self
                .groups
                .values()
                .any(|g| g.container == index && g.attached);
            if c.enabled && !attached {
                // The last group left: the kernel dropped the IOMMU domain and with it every
                // mapping, so whatever is still recorded is free again.
                let reclaim = c.domain.with_space(|s| s.reclaim(&[], 4096));
                if let Some(r) = reclaim.filter(|r| r.regions > 0) {
                    messages.warning(&format!(
                        "Disabling container is freeing {} IOVA regions of {} bytes",
                        r.regions, r.bytes
                    ));
                }
                c.enabled = false;
            }
        }
    }
}
