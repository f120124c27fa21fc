//! The logic of the DMA test programs; each `src/bin/*.rs` only parses its options and
//! calls one of these with the writer its report goes to.
//!
//! - [`dma_bridge`]: `test_dma_bridge`, the ring-driver tests over channel combinations.
//! - [`crc64_stream_latency`]: `crc64_stream_latency`, round trips through the CRC64
//!   engine.
//! - [`parallel_streams`]: `test_dma_bridge_parallel_streams`, every stream pair at once.
//! - [`descriptor_credits`]: `test_dma_descriptor_credits`, raw credit-gated rings.
//! - [`ddr3_reset`]: `ddr3_reset_control`, the DDR3 designs' MIG reset.
//! - [`independent_streams`]: `test_dma_bridge_independent_streams`, every H2C and C2H
//!   stream at once, each on its own.
//! - [`legacy_memory`]: the design walk of `test_ddr` and `time_dma_blkram`.
//! - [`memory_addressing`]: `test_dma_bridge_memory_addressing`, card address aliasing.
//! - [`memory_overrides`]: the card memory base/size overrides of the memory tests.
//! - [`run_stop`]: when a continuous stream run ends (`--duration`, Ctrl-C).
//! - [`opening`]: opening and identifying the devices; [`verdict`]: PASS, FAIL, nothing
//!   tested, and their exit status; [`channel_locks`]: one user per DMA channel;
//!   [`json_summary`]: `--json-summary <file>`.

pub mod channel_locks;
pub mod crc64_stream_latency;
pub mod ddr3_reset;
pub mod descriptor_credits;
pub mod dma_bridge;
pub mod independent_streams;
pub mod json_summary;
pub mod legacy_memory;
pub mod memory_addressing;
pub mod memory_overrides;
pub mod opening;
pub mod parallel_streams;
pub mod run_stop;
pub mod verdict;

use self::opening::OpenDevicesError;

/// Why a DMA tool could not reach a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(transparent)]
    Open(#[from] OpenDevicesError),
    /// A DMA channel is in use by another process (or its lock file cannot be used).
    #[error(transparent)]
    ChannelLock(#[from] vfio_access::peripheral_lock::PeripheralLockError),
    #[error("writing the report")]
    Output(#[from] std::io::Error),
    /// A `--device_routing` value is malformed (designs_after_seed.md §2.6).
    #[error(transparent)]
    DeviceRouting(#[from] xilinx_axi_stream_switch::DeviceRoutingError),
    /// The AXI4-Stream Switch could not be configured.
    #[error(transparent)]
    Routing(crate::stream_routing::StreamRoutingError),
    #[error("worker thread panicked")]
    WorkerPanicked,
}
