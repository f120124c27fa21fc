//! xilinx_quad_spi
