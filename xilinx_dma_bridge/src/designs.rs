//! The identified designs that have a DMA bridge, as the DMA tools walk them. Their stream
//! pairs come from the routing (`stream_routing`).

use identify_design::{DmaBridge, IdentifiedDesign, OpenedDesigns};
use vfio_access::Device;
use xdma_registers::{discover_channels, map_dma_window, Channels};

use crate::ring::ChannelInterface;

/// One design with a DMA bridge, in the device it was found in.
#[derive(Clone, Copy)]
pub struct DmaDesign<'a> {
    pub design: &'a IdentifiedDesign,
    pub device: &'a Device,
    pub bridge: DmaBridge,
}

impl DmaDesign<'_> {
    pub fn name(&self) -> &'static str {
        self.design.name()
    }

    /// The channels' interface (the design table's memory size 0 means AXI4-Stream).
    pub fn interface(&self) -> ChannelInterface {
        if self.bridge.is_stream() {
            ChannelInterface::Stream
        } else {
            self.memory_interface(self.bridge.memory_size)
        }
    }

    /// Memory mapped over `card_memory_size` bytes from the design's (possibly
    /// overridden) card memory base address: card offsets stay relative to the base.
    pub fn memory_interface(&self, card_memory_size: u64) -> ChannelInterface {
        ChannelInterface::MemoryMapped {
            card_memory_size,
            card_memory_base: self.bridge.memory_base_address,
        }
    }

    /// The DMA channels of the design (none if the DMA BAR is too small).
    pub fn channels(&self) -> Channels {
        map_dma_window(self.device, self.bridge.bar)
            .map(|bar| discover_channels(&bar, self.bridge.is_stream()))
            .unwrap_or_default()
    }

    /// `<name> design[ version 0x<v>]`.
    pub fn name_and_version(&self) -> String {
        match self.design.board_version {
            Some(v) => format!("{} design version 0x{v:x}", self.name()),
            None => format!("{} design", self.name()),
        }
    }

    /// `PCI device <bdf> IOMMU group <g>`.
    pub fn pci_text(&self) -> String {
        format!(
            "PCI device {} IOMMU group {}",
            self.design.location, self.design.iommu_group
        )
    }

    /// `Testing <name> design[ version 0x<v>] with AXI stream|memory base address
    /// 0x<base> size 0x<size>` (designs_after_seed.md §4.1).
    pub fn testing_header(&self) -> String {
        if self.bridge.is_stream() {
            format!("Testing {} with AXI stream", self.name_and_version())
        } else {
            format!(
                "Testing {} with memory base address 0x{:x} size 0x{:x}",
                self.name_and_version(),
                self.bridge.memory_base_address,
                self.bridge.memory_size
            )
        }
    }
}

/// Designs with a DMA bridge, in identification order.
pub fn dma_designs(opened: &OpenedDesigns) -> Vec<DmaDesign<'_>> {
    opened
        .iter()
        .filter_map(|(design, device)| {
            design.dma.map(|bridge| DmaDesign {
                design,
                device,
                bridge,
            })
        })
        .collect()
}
