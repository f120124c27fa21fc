//! Which FPGA design is loaded in each PCIe device, and where its IP blocks sit.
//!
//! - [`designs`]: the design table (ids, names, identity filters, frame offsets), the one
//!   place that knows the designs.
//! - [`identify`]: identification of opened devices (fact sheet section 3).
//! - [`record`]: the per-design record: (BAR, offset) frames the IP tools map.
//! - [`open`]: opening real devices or, under `--sim`, simulated boards.
//! - [`timestamp`], [`display`]: what the tools print (the DMA channel table comes from
//!   `xdma_registers`).
//!
//! Differences from the original: no limit of four devices; location filters parse the
//! domain as hex (it was parsed as decimal).

pub mod designs;
pub mod display;
pub mod identify;
pub mod open;
pub mod record;
pub mod timestamp;

pub use designs::{design_filters, DesignId, DesignInfo, DESIGNS};
pub use identify::{identify_device, identify_devices};
pub use open::{
    open_designs, open_devices, open_devices_with_default, open_sim_boards, OpenError,
    OpenedDesigns, OpenedDevices,
};
pub use record::{DmaBridge, Frame, IdentifiedDesign, FRAME_SIZE};
pub use timestamp::BuildTimestamp;
