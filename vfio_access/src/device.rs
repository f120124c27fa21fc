//! An opened PCI function, real or simulated, behind one API: BARs (mapped lazily, as
//! [`Mmio`] windows), config space, reset, and DMA buffers in its IOMMU domain.

use std::sync::{Arc, Mutex};

use crate::config_space::{self, ConfigRead};
use crate::dma::{BufferAllocation, DmaAccess, DmaBuffer};
use crate::domain::IommuDomain;
use crate::error::{Result, VfioError};
use crate::filter::{DmaCapability, PciIdentity};
use crate::location::PciLocation;
use crate::messages::Messages;
use crate::mmio::Mmio;
use crate::real::{DmaBufSupport, Group, RealDevice, CONFIG_REGION};
use crate::session::OpenOptions;
use crate::sim::{SimBar, SimConfigSpace, SimDevice};
use crate::sysfs::Resource;

/// Size and flags of one BAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarInfo {
    pub size: u64,
    pub prefetchable: bool,
    pub is_64bit: bool,
    /// Memory BAR the kernel lets us mmap (I/O BARs are not).
    pub mappable: bool,
}

pub(crate) enum Backend {
    Real {
        device: RealDevice,
        /// Kept so the group stays open as long as a device of it is (None: opened through
        /// a manager, which holds the group).
        group: Option<Arc<Group>>,
        /// sysfs resource lines, for the prefetchable/64-bit flags VFIO does not report.
        resources: Vec<Resource>,
    },
    Sim {
        device: Arc<dyn SimDevice>,
        config: Box<SimConfigSpace>,
    },
}

#[derive(Clone)]
enum BarSlot {
    Unknown,
    Absent,
    Mapped(Mmio),
}

pub struct Device {
    location: PciLocation,
    identity: PciIdentity,
    iommu_group: u32,
    dma: DmaCapability,
    buffer_allocation: BufferAllocation,
    domain: Arc<IommuDomain>,
    /// The session's message sink (bus mastering enabled, cleanup failures).
    messages: Messages,
    backend: Backend,
    bars: Mutex<[BarSlot; 6]>,
    /// Opened through a manager: tells it when this device is closed. Last field, so it is
    /// dropped after the BAR mappings and the device fd.
    lease: Option<crate::manager::DeviceLease>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Device({} {:04x}:{:04x})",
            self.location, self.identity.vendor_id, self.identity.device_id
        )
    }
}

impl Device {
    pub(crate) fn new(
        location: PciLocation,
        identity: PciIdentity,
        iommu_group: u32,
        dma: DmaCapability,
        domain: Arc<IommuDomain>,
        options: &OpenOptions,
        backend: Backend,
    ) -> Self {
        Self {
            location,
            identity,
            iommu_group,
            dma,
            buffer_allocation: options.buffer_allocation,
            domain,
            messages: options.messages.clone(),
            backend,
            bars: Mutex::new(std::array::from_fn(|_| BarSlot::Unknown)),
            lease: None,
        }
    }

    /// Marks a device opened through a manager: dropping it sends the close request.
    pub(crate) fn with_lease(mut self, lease: crate::manager::DeviceLease) -> Self {
        self.lease = Some(lease);
        self
    }

    pub fn location(&self) -> PciLocation {
        self.location
    }
    pub fn identity(&self) -> PciIdentity {
        self.identity
    }
    pub fn iommu_group(&self) -> u32 {
        self.iommu_group
    }
    pub fn dma_capability(&self) -> DmaCapability {
        self.dma
    }
    pub fn is_simulated(&self) -> bool {
        matches!(self.backend, Backend::Sim { .. })
    }
    pub fn domain(&self) -> &Arc<IommuDomain> {
        &self.domain
    }

    /// `<dev> (<vid>:<did>)`, the way progress and error lines name a device.
    pub fn description(&self) -> String {
        format!(
            "{} ({:04x}:{:04x})",
            self.location, self.identity.vendor_id, self.identity.device_id
        )
    }

    /// The simulated model behind this device, if simulated.
    pub fn sim_device(&self) -> Option<&Arc<dyn SimDevice>> {
        match &self.backend {
            Backend::Sim { device, .. } => Some(device),
            Backend::Real { .. } => None,
        }
    }

    /// The VFIO device behind this device, if real.
    pub fn real_device(&self) -> Option<&RealDevice> {
        match &self.backend {
            Backend::Real { device, .. } => Some(device),
            Backend::Sim { .. } => None,
        }
    }

    /// The group a real device was opened through (kept open as long as the device is).
    pub(crate) fn real_group(&self) -> Option<&Arc<Group>> {
        match &self.backend {
            Backend::Real { group, .. } => group.as_ref(),
            Backend::Sim { .. } => None,
        }
    }

    /// Size and flags of BAR `index`, None when absent.
    pub fn bar_info(&self, index: u8) -> Option<BarInfo> {
        if index >= 6 {
            return None;
        }
        match &self.backend {
            Backend::Sim { device, .. } => device.bar(index).map(|b| BarInfo {
                size: b.size,
                prefetchable: b.prefetchable,
                is_64bit: b.is_64bit,
                mappable: true,
            }),
            Backend::Real {
                device, resources, ..
            } => {
                let r = device.region_info(index.into()).ok()?;
                if r.size == 0 {
                    return None;
                }
                let res = resources.get(index as usize);
                let from_config = self.config_u32(0x10 + 4 * u64::from(index)).unwrap_or(0);
                Some(BarInfo {
                    size: r.size,
                    prefetchable: res.map_or(from_config & 0x8 != 0, |r| r.is_prefetchable()),
                    is_64bit: res.map_or(from_config & 0x6 == 0x4, |r| r.is_64bit()),
                    mappable: r.mappable(),
                })
            }
        }
    }

    /// BAR `index` as a register window, mapped on first use and cached (also when absent).
    pub fn bar(&self, index: u8) -> Result<Mmio> {
        let unavailable = || VfioError::BarUnavailable {
            location: self.location,
            bar: index,
        };
        if index >= 6 {
            return Err(unavailable());
        }
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        match &bars[index as usize] {
            BarSlot::Mapped(m) => return Ok(m.clone()),
            BarSlot::Absent => return Err(unavailable()),
            BarSlot::Unknown => {}
        }
        let mapped = match &self.backend {
            Backend::Sim { device, .. } => device.bar(index).map(|b| {
                Mmio::new(Arc::new(SimBar {
                    device: Arc::clone(device),
                    bar: index,
                    size: b.size,
                }))
            }),
            Backend::Real { device, .. } => device
                .map_bar(index.into(), self.messages.clone())
                .map_err(|e| VfioError::Other(format!("{}: {e}", self.location)))?
                .map(|m| Mmio::new(Arc::new(m))),
        };
        match mapped {
            Some(m) => {
                bars[index as usize] = BarSlot::Mapped(m.clone());
                Ok(m)
            }
            None => {
                bars[index as usize] = BarSlot::Absent;
                Err(unavailable())
            }
        }
    }

    /// A register frame "BAR `bar` from `offset`, `len` bytes": None when the BAR is absent
    /// or too small to hold it (the peripheral is then absent, not an error).
    pub fn frame(&self, bar: u8, offset: u64, len: u64) -> Option<Mmio> {
        self.bar(bar).ok()?.window(offset, len)
    }

    fn config_read(&self, offset: u64, len: usize) -> Result<u32> {
        match &self.backend {
            Backend::Sim { config, .. } => config.read(offset, len).ok_or_else(|| {
                VfioError::Other(format!(
                    "{}: config read of {len} bytes at 0x{offset:x} out of range",
                    self.location
                ))
            }),
            Backend::Real { device, .. } => {
                let mut b = [0u8; 4];
                device
                    .read_region(CONFIG_REGION, offset, &mut b[..len])
                    .map_err(|e| VfioError::Other(format!("{}: {e}", self.location)))?;
                Ok(u32::from_le_bytes(b))
            }
        }
    }

    fn config_write(&self, offset: u64, len: usize, value: u32) -> Result<()> {
        match &self.backend {
            Backend::Sim { config, device } => {
                config.write(offset, len, value).ok_or_else(|| {
                    VfioError::Other(format!(
                        "{}: config write of {len} bytes at 0x{offset:x} out of range",
                        self.location
                    ))
                })?;
                if offset <= config_space::COMMAND && config_space::COMMAND < offset + len as u64 {
                    let cmd = config.read(config_space::COMMAND, 2).unwrap_or(0) as u16;
                    device.set_bus_master(cmd & config_space::CMD_BUS_MASTER != 0);
                }
                Ok(())
            }
            Backend::Real { device, .. } => device
                .write_region(CONFIG_REGION, offset, &value.to_le_bytes()[..len])
                .map_err(|e| VfioError::Other(format!("{}: {e}", self.location))),
        }
    }

    pub fn config_read8(&self, offset: u64) -> Result<u8> {
        self.config_read(offset, 1).map(|v| v as u8)
    }
    pub fn config_read16(&self, offset: u64) -> Result<u16> {
        self.config_read(offset, 2).map(|v| v as u16)
    }
    pub fn config_read32(&self, offset: u64) -> Result<u32> {
        self.config_read(offset, 4)
    }
    pub fn config_write8(&self, offset: u64, value: u8) -> Result<()> {
        self.config_write(offset, 1, value.into())
    }
    pub fn config_write16(&self, offset: u64, value: u16) -> Result<()> {
        self.config_write(offset, 2, value.into())
    }
    pub fn config_write32(&self, offset: u64, value: u32) -> Result<()> {
        self.config_write(offset, 4, value)
    }

    /// `    control: I/O- Mem+ BusMaster+` for this device.
    pub fn command_text(&self) -> Result<String> {
        Ok(format!(
            "    {}",
            config_space::command_text(self.config_read16(config_space::COMMAND)?)
        ))
    }

    /// Turns on memory decoding always (a device may come up with `Mem-`) and bus
    /// mastering when the device does DMA, with the original's bus-master line as a
    /// message.
    pub(crate) fn enable(&self) -> Result<()> {
        self.enable_for(self.dma)
    }

    /// [`enable`](Self::enable) for a user with capability `dma` (a manager serving
    /// several clients enables bus mastering once any of them does DMA).
    pub(crate) fn enable_for(&self, dma: DmaCapability) -> Result<()> {
        let cmd = self.config_read16(config_space::COMMAND)?;
        let mut new = cmd | config_space::CMD_MEMORY;
        if dma.does_dma() && cmd & config_space::CMD_BUS_MASTER == 0 {
            self.messages
                .progress(&format!("Enabling bus master for {}", self.location));
            new |= config_space::CMD_BUS_MASTER;
        }
        if new != cmd {
            self.config_write16(config_space::COMMAND, new)?;
        }
        Ok(())
    }

    /// Function reset when the device supports it. Ok(false) when it does not.
    pub fn reset(&self) -> Result<bool> {
        match &self.backend {
            Backend::Sim { device, .. } => {
                device.reset();
                Ok(true)
            }
            Backend::Real { device, .. } => {
                if !device.info.supports_reset() {
                    return Ok(false);
                }
                device
                    .reset()
                    .map(|_| true)
                    .map_err(|e| VfioError::sys(format!("VFIO_DEVICE_RESET {}", self.location), e))
            }
        }
    }

    /// Whether the kernel can export BAR `bar` as a dma-buf (always "not supported" for a
    /// simulated device).
    pub fn dma_buf_support(&self, bar: u8) -> DmaBufSupport {
        match &self.backend {
            Backend::Real { device, .. } => device.probe_dma_buf(bar.into()),
            Backend::Sim { .. } => DmaBufSupport::NotSupported,
        }
    }

    /// A zero-filled DMA buffer of at least `size` bytes mapped for this device, placed
    /// below the device's address limit.
    pub fn alloc_dma(&self, size: usize, access: DmaAccess) -> Result<DmaBuffer> {
        if !self.dma.does_dma() {
            return Err(VfioError::NoDmaCapability {
                location: self.location,
            });
        }
        self.domain.allocate(
            size,
            self.dma,
            access,
            self.buffer_allocation,
            self.messages.clone(),
        )
    }

    /// The reduced-bandwidth warning, when the negotiated link is below capability.
    pub fn link_warning(&self) -> Option<String> {
        config_space::reduced_bandwidth_warning(self, &format!("device {}", self.description()))
    }
}

impl ConfigRead for Device {
    fn config_u8(&self, offset: u64) -> Option<u8> {
        self.config_read8(offset).ok()
    }
    fn config_u16(&self, offset: u64) -> Option<u16> {
        self.config_read16(offset).ok()
    }
    fn config_u32(&self, offset: u64) -> Option<u32> {
        self.config_read32(offset).ok()
    }
}
