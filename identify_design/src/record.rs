//! What identification records about one device: which design, and where its blocks are
//! as (BAR, offset) pairs that the IP tools turn into register windows.

use vfio_access::{Device, Mmio, PciLocation};

use crate::designs::DesignId;

/// Every peripheral frame is 4 KiB.
pub const FRAME_SIZE: u64 = 0x1000;
/// The XDMA control registers need a BAR of at least 64 KiB.
pub const DMA_BAR_MIN_SIZE: u64 = 0x1_0000;

/// A peripheral frame: BAR and byte offset of its 4 KiB register block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub bar: u8,
    pub offset: u64,
}

impl Frame {
    /// The frame's registers, None if it does not fit in the device's BAR.
    pub fn mmio(&self, device: &Device) -> Option<Mmio> {
        device.frame(self.bar, self.offset, FRAME_SIZE)
    }
}

/// The XDMA bridge of a design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaBridge {
    pub bar: u8,
    /// Bytes of card memory at AXI address 0; 0 means the channels are AXI4-Stream.
    pub memory_size: u64,
}

impl DmaBridge {
    pub fn is_stream(&self) -> bool {
        self.memory_size == 0
    }

    /// The DMA control registers, None if the BAR is absent or smaller than 64 KiB.
    pub fn mmio(&self, device: &Device) -> Option<Mmio> {
        device.frame(self.bar, 0, DMA_BAR_MIN_SIZE)
    }
}

/// One identified design in one PCI device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifiedDesign {
    pub design: DesignId,
    pub location: PciLocation,
    pub iommu_group: u32,
    /// Index of the device in the session that opened it.
    pub device_index: usize,
    pub dma: Option<DmaBridge>,
    pub quad_spi: Option<Frame>,
    pub xadc: Option<Frame>,
    pub iic: Option<Frame>,
    pub bit_banged_i2c_gpio: Option<Frame>,
    pub user_access: Option<Frame>,
    /// Fury Project-0 only.
    pub board_version: Option<u32>,
}

impl IdentifiedDesign {
    pub fn name(&self) -> &'static str {
        self.design.name()
    }

    /// `Design <name>` plus ` version 0x<v>` for the Fury Project-0 designs.
    pub fn title(&self) -> String {
        match self.board_version {
            Some(v) => format!("{} version 0x{v:x}", self.name()),
            None => self.name().to_string(),
        }
    }
}
