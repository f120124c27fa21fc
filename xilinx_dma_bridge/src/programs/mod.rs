//! The logic of the DMA test programs; each `src/bin/*.rs` only parses its options and
//! calls one of these.
//!
//! - [`dma_bridge`]: `test_dma_bridge`, the ring-driver tests over channel combinations.
//! - [`parallel_streams`]: `test_dma_bridge_parallel_streams`, every stream pair at once.
//! - [`descriptor_credits`]: `test_dma_descriptor_credits`, raw credit-gated rings.
//! - [`legacy_memory`]: the design walk of `test_ddr` and `time_dma_blkram`.
//! - [`opening`]: opening and identifying the devices; [`verdict`]: pass/fail exit status.

pub mod descriptor_credits;
pub mod dma_bridge;
pub mod legacy_memory;
pub mod opening;
pub mod parallel_streams;
pub mod verdict;
