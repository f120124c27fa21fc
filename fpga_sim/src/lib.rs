//! Virtual hardware: register-level models of the Xilinx IP blocks found in the
//! supported FPGA designs, and of the boards that carry them.
//!
//! Written from the IP product guides and the project's fact sheets; it shares no
//! code with the drivers. It is the hardware.

pub mod axi_dma;
pub mod axi_stream_switch;
pub mod bitstream_writer;
pub mod board;
pub mod crc64_stream;
pub mod gpio;
pub mod i2c_bus;
pub mod i2c_devices;
pub mod pcie_link;
pub mod peripheral;
pub mod persist;
pub mod quad_spi;
pub mod xadc;
pub mod xdma;
