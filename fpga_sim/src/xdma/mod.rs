//! Model of the Xilinx DMA/Bridge Subsystem for PCI Express (XDMA, PG195): the 64 KiB
//! DMA control BAR.
//!
//! This first version answers the identifier and alignment registers only; the DMA
//! engine (descriptor fetch, transfers, writebacks) comes with the XDMA work.

mod identifiers;

use std::sync::Arc;

use vfio_access::mmio::AccessWidth;

use crate::peripheral::Peripheral;

/// How the XDMA IP of a design is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdmaConfig {
    pub h2c_channels: u8,
    pub c2h_channels: u8,
    /// AXI4-Stream user interface (loopback designs) rather than AXI4 memory mapped.
    pub stream: bool,
    /// Bytes of card memory at AXI address 0 (memory-mapped designs; 0 for stream).
    pub card_memory_bytes: u64,
}

/// Size of the DMA control BAR.
pub const XDMA_BAR_SIZE: u64 = 0x10000;

pub struct XdmaModel {
    config: XdmaConfig,
}

impl XdmaModel {
    pub fn new(config: XdmaConfig) -> Arc<Self> {
        Arc::new(Self { config })
    }

    pub fn config(&self) -> XdmaConfig {
        self.config
    }
}

impl Peripheral for XdmaModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            // The IP only supports 32-bit register accesses; wider reads return all-ones.
            return width.mask();
        }
        identifiers::read(&self.config, offset).unwrap_or(0).into()
    }

    fn write(&self, _offset: u64, _width: AccessWidth, _value: u64) {}
}
