//! Which FPGA design is loaded in each PCIe device, and where its IP blocks sit.
//!
//! - [`designs`]: the design table (ids, names, identity filters, frame offsets), the one
//!   place that knows the designs.
//! - [`identify`]: identification of opened devices (fact sheet section 3).
//! - [`record`]: the per-design record: (BAR, offset) frames the IP tools map.
//! - [`axi_gpio`]: the AXI GPIO register offsets the identification and LED tools use.
//! - [`open`]: opening real devices or, under `--sim`, simulated boards.
//! - [`timestamp`], [`display`]: what the tools print (the DMA channel table comes from
//!   `xdma_registers`).
//! - [`json`]: the `--json` documents of the two display tools (docs/json_schema.md).
//! - [`ip_probe`]: what `probe_xilinx_ip` does (BAR scan for Xilinx IP).
//! - [`switch_routing`]: what `xilinx_axi_stream_switch_set_routing` does (the switch
//!   driver and the routing selection are in `xilinx_axi_stream_switch`).
//!
//! Differences from the original: no limit of four devices; location filters parse the
//! domain as hex (it was parsed as decimal).

pub mod axi_gpio;
pub mod designs;
pub mod display;
pub mod identify;
pub mod ip_probe;
pub mod json;
pub mod open;
pub mod record;
pub mod switch_routing;
pub mod timestamp;

pub use designs::{design_filters, DesignId, DesignInfo, DESIGNS};
pub use identify::{identify_device, identify_devices};
pub use open::{
    open_designs, open_devices, open_devices_with_default, open_sim_boards, OpenError,
    OpenedDesigns, OpenedDevices,
};
pub use record::{DmaBridge, Frame, IdentifiedDesign, StreamSwitch, FRAME_SIZE};
pub use timestamp::BuildTimestamp;
