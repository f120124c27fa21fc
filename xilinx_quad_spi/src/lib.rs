//! xilinx_quad_spi
pub mod bitstream;
