//! User-space driver for the Xilinx DMA/Bridge Subsystem for PCI Express (XDMA, PG195),
//! polling only, through `vfio_access` (xilinx_dma_bridge.md §2-§5), and the logic of the
//! DMA test programs. The register map, descriptor layout and channel discovery are in
//! `xdma_registers`, shared with `identify_design`.
//!
//! - [`ring`]: the credit-gated ring driver; [`channel_error`]: its typed errors and
//!   first-failure record.
//! - [`mapping`]: sub-allocation of rings/writebacks from a DMA mapping.
//! - [`single_transfer`]: the 2023 linear-chain driver used by the older tools.
//! - [`crc64`]: the CRC64 stream designs' result and 64-bit test sequence.
//! - [`pattern`]: the LCG test pattern; [`options`]: C `%i` style numeric options and
//!   checked durations.
//! - [`designs`]: the identified designs that have a DMA bridge; [`stream_routing`]: the
//!   stream pairs from the AXI4-Stream Switch routing.
//! - [`legacy_test`]: the 2023 memory test of `test_ddr` and `time_dma_blkram`.
//! - [`progress`]: the progress observer of the long memory tests; [`poll_watchdog`]: the
//!   bound on every polling loop.
//! - [`programs`]: the logic of the DMA test programs (their binaries only parse options);
//!   they write to a writer the binary gives them. Nothing else here prints.

pub mod channel_error;
pub mod crc64;
pub mod designs;
pub mod legacy_test;
pub mod mapping;
pub mod options;
pub mod pattern;
pub mod poll_watchdog;
pub mod programs;
pub mod progress;
pub mod ring;
pub mod single_transfer;
pub mod stream_routing;

pub use channel_error::{ChannelError, ChannelFailure};
pub use mapping::SubAllocator;
pub use pattern::TestPattern;
pub use ring::{BufferLayout, ChannelConfig, ChannelInterface, Completion, DmaChannel};
pub use xdma_registers::DmaDirection;
