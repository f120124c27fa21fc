//! User-space driver for the Xilinx AXI DMA (PG021 v7.1) in Direct Register ("simple")
//! mode, as in TEF1001_ddr3_throughput (designs_after_seed.md §4.7), and the logic of
//! `measure_ddr_throughput`.
//!
//! - [`registers`]: the register offsets and status bits used.
//! - [`direct_mode`]: reset, start and status of the MM2S and S2MM channels.
//! - [`throughput`]: the three measurements of `measure_ddr_throughput` and their report.
//!
//! Nothing here prints: the report goes to a writer the binary owns.

pub mod direct_mode;
pub mod registers;
pub mod throughput;

pub use direct_mode::{AxiDmaDirect, AxiDmaError, Direction};
