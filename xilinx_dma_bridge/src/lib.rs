//! User-space driver for the Xilinx DMA/Bridge Subsystem for PCI Express (XDMA, PG195),
//! polling only, through `vfio_access` (fact sheet sections 2-5).
//!
//! - [`registers`]: register map and Status decoding; [`descriptor`]: in-memory layouts.
//! - [`discovery`]: identity checks and channel discovery.
//! - [`mapping`]: sub-allocation of rings/writebacks from a DMA mapping.
//! - [`ring`]: the credit-gated ring driver; [`failure`]: first-failure recording.
//! - [`single_transfer`]: the 2023 linear-chain driver used by the older tools.
//! - [`pattern`]: the LCG test pattern; [`options`]: C `%i` style numeric options.
//! - [`designs`]: the identified designs that have a DMA bridge.
//! - [`legacy_test`]: the 2023 memory test of `test_ddr` and `time_dma_blkram`.
//! - [`progress`]: the progress observer of the long memory tests.
//! - [`programs`]: the logic of the DMA test programs (their binaries only parse options).

pub mod descriptor;
pub mod designs;
pub mod discovery;
pub mod failure;
pub mod legacy_test;
pub mod mapping;
pub mod options;
pub mod pattern;
pub mod programs;
pub mod progress;
pub mod registers;
pub mod ring;
pub mod single_transfer;

pub use discovery::{discover_channels, Channels, Direction};
pub use failure::{FailureRecord, OverallSuccess};
pub use mapping::SubAllocator;
pub use pattern::TestPattern;
pub use ring::{ChannelConfig, Completion, DmaChannel};
