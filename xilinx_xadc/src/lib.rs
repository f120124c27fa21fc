//! xilinx_xadc
