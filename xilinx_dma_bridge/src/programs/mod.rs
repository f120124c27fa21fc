//! The logic of the DMA test programs; each `src/bin/*.rs` only parses its options and
//! calls one of these with the writer its report goes to.
//!
//! - [`dma_bridge`]: `test_dma_bridge`, the ring-driver tests over channel combinations.
//! - [`parallel_streams`]: `test_dma_bridge_parallel_streams`, every stream pair at once.
//! - [`descriptor_credits`]: `test_dma_descriptor_credits`, raw credit-gated rings.
//! - [`legacy_memory`]: the design walk of `test_ddr` and `time_dma_blkram`.
//! - [`opening`]: opening and identifying the devices; [`verdict`]: PASS, FAIL, nothing
//!   tested, and their exit status; [`channel_locks`]: one user per DMA channel;
//!   [`json_summary`]: `--json-summary <file>`.

pub mod channel_locks;
pub mod descriptor_credits;
pub mod dma_bridge;
pub mod json_summary;
pub mod legacy_memory;
pub mod opening;
pub mod parallel_streams;
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
    #[error("worker thread panicked")]
    WorkerPanicked,
}
