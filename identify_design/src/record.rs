//! What identification records about one device: which design, and where its blocks are
//! as (BAR, offset) pairs that the IP tools turn into register windows.

use vfio_access::{Device, Mmio, PciLocation};
use xilinx_axi_stream_switch::{AxiStreamSwitch, RoutedDesign};

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
    /// Bytes of card memory at AXI address `memory_base_address`; 0 means the channels
    /// are AXI4-Stream.
    pub memory_size: u64,
    /// AXI address of the card memory (0 for every design of these boards).
    pub memory_base_address: u64,
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

/// The AXI4-Stream Switch of a design (designs_after_seed.md §1.2, §2.1): its frame and
/// port counts (not readable from its registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSwitch {
    pub frame: Frame,
    pub master_ports: u8,
    pub slave_ports: u8,
    /// The lowest PCI revision of the design that contains the switch.
    pub min_revision: u8,
}

impl StreamSwitch {
    /// The driver over the switch's frame; None if the frame does not fit in its BAR.
    pub fn driver(&self, device: &Device) -> Option<AxiStreamSwitch> {
        let regs = self.frame.mmio(device)?;
        AxiStreamSwitch::new(regs, self.master_ports, self.slave_ports).ok()
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
    /// PCI Revision ID (configuration byte 0x08) read when identified.
    pub revision: u8,
    /// Recorded only when the revision has the switch and its frame fits.
    pub axi_stream_switch: Option<StreamSwitch>,
    /// CRC64 designs: the stream width in bytes; 0 for every other design.
    pub crc64_stream_width_bytes: u32,
}

impl IdentifiedDesign {
    pub fn name(&self) -> &'static str {
        self.design.name()
    }

    /// What the routing selection needs (designs_after_seed.md §2.5): location, name, the
    /// switch driver (None without a switch) and the default routing table.
    pub fn routed_design(&self, device: &Device) -> RoutedDesign<'static> {
        RoutedDesign {
            location: self.location,
            name: self.name(),
            switch: self.axi_stream_switch.and_then(|s| s.driver(device)),
            default_routes: self.design.info().default_routes,
        }
    }

    /// `Design <name>` plus ` version 0x<v>` for the Fury Project-0 designs.
    pub fn title(&self) -> String {
        match self.board_version {
            Some(v) => format!("{} version 0x{v:x}", self.name()),
            None => self.name().to_string(),
        }
    }
}
