//! The simulated-device seam: what a device model (in `fpga_sim`) implements so that it
//! can be opened through the same API as a real VFIO device.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::filter::PciIdentity;
use crate::location::PciLocation;
use crate::mmio::{AccessWidth, RegisterSpace};
use crate::sim::iommu::DmaPort;

/// Size and flags of one simulated BAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimBarInfo {
    pub size: u64,
    pub prefetchable: bool,
    pub is_64bit: bool,
}

/// A register-level device model.
///
/// Methods take `&self`: models keep their state behind their own locks, so that engines
/// running on their own threads (DMA) and register accesses can proceed concurrently.
pub trait SimDevice: Send + Sync {
    /// Vendor, device and subsystem ids.
    fn identity(&self) -> PciIdentity;
    /// 24-bit class code.
    fn class_code(&self) -> u32 {
        0x05_80_00
    }
    fn revision(&self) -> u8 {
        0
    }
    /// BAR `index` (0..=5), None when absent (including the upper half of a 64-bit BAR).
    fn bar(&self, index: u8) -> Option<SimBarInfo>;
    /// A register read; `offset + width` is inside the BAR and naturally aligned.
    fn read(&self, bar: u8, offset: u64, width: AccessWidth) -> u64;
    fn write(&self, bar: u8, offset: u64, width: AccessWidth, value: u64);
    /// Called once when the device is opened: the model's only way to reach host memory.
    fn attach_dma(&self, _port: DmaPort) {}
    /// Function reset (`VFIO_DEVICE_RESET`).
    fn reset(&self) {}
    /// PCIe link: what the device is capable of and how it trained.
    fn link(&self) -> SimLink {
        SimLink::GEN2_X4
    }
    /// The device's own configuration space after a reset, when the model has one (the
    /// simulated boards: the same bytes their vfio-user server serves). The BAR registers
    /// hold only their type bits: the seam assigns addresses, as a host would. None: the
    /// seam builds a minimal one from the identity, BARs and [`SimDevice::link`].
    fn config_space(&self) -> Option<Box<[u8; 4096]>> {
        None
    }
    /// Bus mastering was switched on or off in the command register.
    fn set_bus_master(&self, _enabled: bool) {}
    /// The directory the model keeps its persistent state in, where its peripheral lock
    /// files go too (crate::peripheral_lock). None: the model keeps no state.
    fn state_dir(&self) -> Option<PathBuf> {
        None
    }
    /// This process now holds the lock on `peripheral` (crate::peripheral_lock): state
    /// another process may have changed (a simulated flash's file) is reloaded.
    fn peripheral_locked(&self, _peripheral: &str) {}
    /// The lock on `peripheral` is about to be released: state is written back. An error
    /// says the simulated storage failed (the operation done under the lock did not
    /// persist).
    fn peripheral_unlocking(&self, _peripheral: &str) -> Result<(), String> {
        Ok(())
    }
}

/// A PCIe link: generations 1..=6 (2.5 to 64 GT/s) and lane counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimLink {
    pub max_generation: u8,
    pub max_width: u8,
    pub generation: u8,
    pub width: u8,
}

impl SimLink {
    /// Gen2 x4, trained at Gen2 x4.
    pub const GEN2_X4: Self = Self {
        max_generation: 2,
        max_width: 4,
        generation: 2,
        width: 4,
    };
}

/// A simulated device placed at a PCI location in an IOMMU group.
#[derive(Clone)]
pub struct SimBoard {
    pub location: PciLocation,
    pub iommu_group: u32,
    pub device: Arc<dyn SimDevice>,
}

/// BAR `bar` of a model as a register space.
pub(crate) struct SimBar {
    pub device: Arc<dyn SimDevice>,
    pub bar: u8,
    pub size: u64,
}

impl RegisterSpace for SimBar {
    fn size(&self) -> u64 {
        self.size
    }
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        self.device.read(self.bar, offset, width)
    }
    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        self.device.write(self.bar, offset, width, value)
    }
}

/// Config space of a simulated device: the model's own ([`SimDevice::config_space`]) or,
/// for models without one, built from its identity and BARs: a type 0 header, then Power
/// Management (0x40), MSI (0x48) and PCI Express (0x60) capabilities, the same chain as
/// the XDMA endpoints. BAR addresses are assigned here. Only the command register is
/// writable.
pub(crate) struct SimConfigSpace {
    bytes: Mutex<[u8; 4096]>,
}

fn put16(c: &mut [u8; 4096], o: usize, v: u16) {
    c[o..o + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(c: &mut [u8; 4096], o: usize, v: u32) {
    c[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// The minimal space of a model without its own.
fn minimal_config_space(device: &dyn SimDevice) -> Box<[u8; 4096]> {
    let mut c = Box::new([0u8; 4096]);
    let id = device.identity();
    put16(&mut c, 0x00, id.vendor_id);
    put16(&mut c, 0x02, id.device_id);
    put16(&mut c, 0x06, 0x0010); // capability list present
    c[0x08] = device.revision();
    let class = device.class_code();
    c[0x09] = class as u8;
    c[0x0a] = (class >> 8) as u8;
    c[0x0b] = (class >> 16) as u8;
    put16(&mut c, 0x2c, id.subsystem_vendor_id);
    put16(&mut c, 0x2e, id.subsystem_device_id);
    c[0x34] = 0x40;
    c[0x3d] = 1; // INTA
                 // Power management.
    c[0x40] = 0x01;
    c[0x41] = 0x48;
    put16(&mut c, 0x42, 0x0003);
    // MSI, 64-bit capable.
    c[0x48] = 0x05;
    c[0x49] = 0x60;
    put16(&mut c, 0x4a, 0x0080);
    // PCI Express v2 endpoint with the model's link.
    let link = device.link();
    let (max_speed, max_width) = (u32::from(link.max_generation), u32::from(link.max_width));
    c[0x60] = 0x10;
    c[0x61] = 0x00;
    put16(&mut c, 0x62, 0x0002);
    put32(&mut c, 0x6c, max_speed | (max_width << 4));
    put16(
        &mut c,
        0x72,
        u16::from(link.generation) | (u16::from(link.width) << 4),
    );
    put32(&mut c, 0x8c, ((1u32 << max_speed) - 1) << 1);
    c
}

impl SimConfigSpace {
    pub fn new(device: &dyn SimDevice, location: PciLocation) -> Self {
        let mut c = device
            .config_space()
            .unwrap_or_else(|| minimal_config_space(device));
        // vfio-pci enables the device on open: memory decoding on, bus master off.
        put16(&mut c, 0x04, crate::config_space::CMD_MEMORY);
        // Plausible, distinct BAR addresses per location: 64-bit BARs above 4 GiB, 32-bit
        // ones in an 8 MiB window per bus below 4 GiB.
        let mut base64: u64 = 0x3800_0000_0000 | ((location.bus as u64) << 32);
        let mut base32: u64 = 0x8000_0000 + ((location.bus as u64) << 23);
        let mut i = 0u8;
        while i < 6 {
            if let Some(b) = device.bar(i) {
                let base = if b.is_64bit { &mut base64 } else { &mut base32 };
                let size = b.size.max(16).next_power_of_two();
                *base = (*base + size - 1) & !(size - 1);
                let flags =
                    (if b.prefetchable { 0x8 } else { 0 }) | (if b.is_64bit { 0x4 } else { 0 });
                put32(&mut c, 0x10 + 4 * i as usize, (*base as u32 & !0xf) | flags);
                if b.is_64bit && i < 5 {
                    put32(&mut c, 0x14 + 4 * i as usize, (*base >> 32) as u32);
                    i += 1;
                }
                *base += size;
            }
            i += 1;
        }
        Self {
            bytes: Mutex::new(*c),
        }
    }

    /// The whole space as it is now.
    pub fn snapshot(&self) -> Vec<u8> {
        self.bytes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .to_vec()
    }

    pub fn read(&self, offset: u64, len: usize) -> Option<u32> {
        let c = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let o = usize::try_from(offset).ok()?;
        let bytes = c.get(o..o.checked_add(len)?)?;
        let mut v = [0u8; 4];
        v[..len].copy_from_slice(bytes);
        Some(u32::from_le_bytes(v))
    }

    /// Writes that touch the command register change it; every other byte is read-only.
    pub fn write(&self, offset: u64, len: usize, value: u32) -> Option<()> {
        let mut c = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let o = usize::try_from(offset).ok()?;
        if o.checked_add(len)? > c.len() {
            return None;
        }
        for (i, b) in value.to_le_bytes()[..len].iter().enumerate() {
            if o + i == 0x04 || o + i == 0x05 {
                c[o + i] = *b & if o + i == 0x04 { 0x47 } else { 0x05 };
            }
        }
        Some(())
    }
}
