//! The `--json` documents of `display_identified_pcie_fpga_designs` and
//! `display_possible_fpga_designs` (schema: docs/json_schema.md). They hold what the text
//! reports (display.rs), as numbers where the text prints numbers; PCI locations are the
//! `dddd:bb:dd.f` text the `-d` option takes.

use serde::{Deserialize, Serialize};
use vfio_access::PciLocation;
use xdma_registers::discovery::discover_channels;

use crate::designs::DESIGNS;
use crate::display::ScannedDevice;
use crate::open::OpenedDesigns;
use crate::record::Frame;
use crate::timestamp::BuildTimestamp;

/// Version of both documents of this module; raised when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// `display_identified_pcie_fpga_designs --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifiedDesignsReport {
    pub schema_version: u32,
    pub simulated: bool,
    pub designs: Vec<IdentifiedDesignEntry>,
}

/// One identified design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifiedDesignEntry {
    /// The design's name as in the text's `Design` line (without the version).
    pub name: String,
    /// Fury Project-0 designs: the board version register.
    pub board_version: Option<u32>,
    pub pci_location: String,
    pub pci_revision: u8,
    pub iommu_group: u32,
    pub physical_slot: Option<String>,
    pub dma_bridge: Option<DmaBridgeEntry>,
    pub user_access_build_timestamp: Option<BuildTimestampEntry>,
    /// Quad SPI, XADC, IIC, bit-banged I2C GPIO frames, in that order when present.
    pub peripherals: Vec<PeripheralFrameEntry>,
    /// Revision-1 loopback designs: every master port of the AXI4-Stream Switch.
    pub axi_stream_switch_routes: Option<Vec<SwitchRouteEntry>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmaBridgeEntry {
    pub bar: u8,
    /// True for AXI4-Stream channels (no card memory).
    pub stream: bool,
    pub memory_base_address: u64,
    pub memory_size_bytes: u64,
    pub channels: Vec<DmaChannelEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmaChannelEntry {
    /// `H2C` or `C2H`.
    pub direction: String,
    pub channel_id: u8,
    pub addr_alignment_bytes: u32,
    pub len_granularity_bytes: u32,
    pub num_address_bits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildTimestampEntry {
    /// The USR_ACCESSE2 register.
    pub register_value: u32,
    /// `DD/MM/YYYY hh:mm:ss`, as the text prints it.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeripheralFrameEntry {
    /// `Quad SPI`, `XADC`, `IIC` or `bit-banged I2C GPIO`.
    pub name: String,
    pub bar: u8,
    pub offset_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchRouteEntry {
    pub master_port: u8,
    pub slave_port: u8,
    pub enabled: bool,
}

/// The document for the opened designs; `physical_slot` as for the text.
pub fn identified_designs_report(
    opened: &OpenedDesigns,
    physical_slot: impl Fn(PciLocation) -> Option<String>,
) -> IdentifiedDesignsReport {
    let designs = opened
        .iter()
        .map(|(design, device)| {
            let dma_bridge = design.dma.map(|dma| DmaBridgeEntry {
                bar: dma.bar,
                stream: dma.is_stream(),
                memory_base_address: dma.memory_base_address,
                memory_size_bytes: dma.memory_size,
                channels: dma
                    .mmio(device)
                    .map(|regs| {
                        discover_channels(&regs, dma.is_stream())
                            .iter()
                            .map(|c| DmaChannelEntry {
                                direction: c.direction.to_string(),
                                channel_id: c.channel_id,
                                addr_alignment_bytes: c.alignments.addr_alignment,
                                len_granularity_bytes: c.alignments.len_granularity,
                                num_address_bits: c.alignments.num_address_bits,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
            let user_access_build_timestamp =
                design.user_access.and_then(|f| f.mmio(device)).map(|regs| {
                    let value = regs.read32(0);
                    BuildTimestampEntry {
                        register_value: value,
                        text: BuildTimestamp(value).to_string(),
                    }
                });
            let frames: [(&str, Option<Frame>); 4] = [
                ("Quad SPI", design.quad_spi),
                ("XADC", design.xadc),
                ("IIC", design.iic),
                ("bit-banged I2C GPIO", design.bit_banged_i2c_gpio),
            ];
            let peripherals = frames
                .into_iter()
                .filter_map(|(name, frame)| {
                    frame.map(|f| PeripheralFrameEntry {
                        name: name.to_string(),
                        bar: f.bar,
                        offset_bytes: f.offset,
                    })
                })
                .collect();
            let axi_stream_switch_routes = design
                .axi_stream_switch
                .and_then(|s| s.driver(device))
                .map(|switch| {
                    switch
                        .read_routes()
                        .iter()
                        .map(|r| SwitchRouteEntry {
                            master_port: r.master_port,
                            slave_port: r.slave_port,
                            enabled: r.enabled,
                        })
                        .collect()
                });
            IdentifiedDesignEntry {
                name: design.name().to_string(),
                board_version: design.board_version,
                pci_location: design.location.to_string(),
                pci_revision: design.revision,
                iommu_group: design.iommu_group,
                physical_slot: physical_slot(design.location),
                dma_bridge,
                user_access_build_timestamp,
                peripherals,
                axi_stream_switch_routes,
            }
        })
        .collect();
    IdentifiedDesignsReport {
        schema_version: SCHEMA_VERSION,
        simulated: opened.devices.is_simulated(),
        designs,
    }
}

/// `display_possible_fpga_designs --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleDesignsReport {
    pub schema_version: u32,
    /// How many identity filters the scan used (the text's `Scanning bus for <n> ...`).
    pub design_filter_count: usize,
    pub devices: Vec<PossibleDesignEntry>,
}

/// A device that matches at least one design's identity filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleDesignEntry {
    pub pci_location: String,
    pub physical_slot: Option<String>,
    /// Every design whose filter matches (the text joins them with ` or `).
    pub design_names: Vec<String>,
    /// None: no IOMMU group, the device cannot be opened through VFIO.
    pub iommu_group: Option<u32>,
}

/// The document for the scanned devices (the same selection as the text).
pub fn possible_designs_report(devices: &[ScannedDevice]) -> PossibleDesignsReport {
    PossibleDesignsReport {
        schema_version: SCHEMA_VERSION,
        design_filter_count: DESIGNS.len(),
        devices: devices
            .iter()
            .filter_map(|d| {
                let design_names: Vec<String> = DESIGNS
                    .iter()
                    .filter(|info| info.filter.matches(&d.identity))
                    .map(|info| info.name.to_string())
                    .collect();
                (!design_names.is_empty()).then(|| PossibleDesignEntry {
                    pci_location: d.location.to_string(),
                    physical_slot: d.physical_slot.clone(),
                    design_names,
                    iommu_group: d.iommu_group,
                })
            })
            .collect(),
    }
}
