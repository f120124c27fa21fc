//! A peripheral: one register frame of an AXI slave, as seen through a BAR.

use std::sync::Arc;

use vfio_access::mmio::{AccessWidth, Mmio, RegisterSpace};
use vfio_access::sim::DmaPort;

/// An IP block model answering accesses inside its frame (offsets are frame-relative,
/// naturally aligned and inside the frame).
pub trait Peripheral: Send + Sync {
    fn read(&self, offset: u64, width: AccessWidth) -> u64;
    fn write(&self, offset: u64, width: AccessWidth, value: u64);
    /// The board was opened: the model's only path to host memory (DMA engines).
    fn attach_dma(&self, _port: DmaPort) {}
    /// PCI function reset.
    fn reset(&self) {}
    /// Bus mastering switched on or off.
    fn set_bus_master(&self, _enabled: bool) {}
}

/// A peripheral seen as a register space of `size` bytes, so a driver can be tested
/// against a model without a board: `Mmio::new(PeripheralSpace::new(model, 0x1000))`.
pub struct PeripheralSpace {
    peripheral: Arc<dyn Peripheral>,
    size: u64,
}

impl PeripheralSpace {
    pub fn new(peripheral: Arc<dyn Peripheral>, size: u64) -> Arc<Self> {
        Arc::new(Self { peripheral, size })
    }

    /// Shorthand for an [`Mmio`] over the model.
    pub fn mmio(peripheral: Arc<dyn Peripheral>, size: u64) -> Mmio {
        Mmio::new(Self::new(peripheral, size))
    }
}

impl RegisterSpace for PeripheralSpace {
    fn size(&self) -> u64 {
        self.size
    }
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        self.peripheral.read(offset, width)
    }
    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        self.peripheral.write(offset, width, value)
    }
}

/// Plain read/write storage, the behaviour of a simple register bank or block RAM.
pub struct RegisterFile {
    words: std::sync::Mutex<Vec<u8>>,
}

impl RegisterFile {
    pub fn new(size: usize) -> Self {
        Self {
            words: std::sync::Mutex::new(vec![0; size]),
        }
    }
}

impl Peripheral for RegisterFile {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        let b = self.words.lock().unwrap_or_else(|p| p.into_inner());
        let o = offset as usize;
        let n = width.bytes() as usize;
        let mut v = [0u8; 8];
        if let Some(src) = b.get(o..o + n) {
            v[..n].copy_from_slice(src);
        }
        u64::from_le_bytes(v)
    }
    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        let mut b = self.words.lock().unwrap_or_else(|p| p.into_inner());
        let o = offset as usize;
        let n = width.bytes() as usize;
        if let Some(dst) = b.get_mut(o..o + n) {
            dst.copy_from_slice(&value.to_le_bytes()[..n]);
        }
    }
}
