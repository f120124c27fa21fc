//! The XDMA (Xilinx DMA/Bridge Subsystem for PCI Express, PG195) knowledge shared by the
//! driver (`xilinx_dma_bridge`) and design identification (`identify_design`), in one
//! place (xilinx_dma_bridge.md §2-§4.4):
//!
//! - [`register_map`]: block targets, register offsets, Control/Status/Identifier/
//!   Alignments bit fields, the SGDMA common per-channel bits, Status decoding.
//! - [`descriptor`]: the 32-byte descriptor (one [`Descriptor`] writer/reader), the
//!   completed-count and C2H stream writebacks.
//! - [`discovery`]: [`DmaDirection`], identity checks of one channel's blocks and channel
//!   discovery, the channel table the display tools print.
//!
//! It does no DMA and keeps no state; the model in `fpga_sim` shares none of it.

pub mod descriptor;
pub mod discovery;
pub mod register_map;

pub use descriptor::{Descriptor, DescriptorFlags};
pub use discovery::{
    discover_channels, map_dma_window, ChannelBlocks, Channels, DmaDirection, DmaWindowError,
    IdentityError,
};
