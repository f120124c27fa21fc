//! fpga_sim
