//! xilinx_quad_spi
pub mod bitstream;
pub mod controller;
pub mod flash;
pub mod programming;
