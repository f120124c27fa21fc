//! xilinx_dma_bridge
