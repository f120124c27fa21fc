//! xilinx_quad_spi: the AXI Quad SPI driver and SPI NOR flash access ([`controller`],
//! [`flash`], [`programming`]), the 7-series bitstream parser ([`bitstream`]), and the
//! tool logic of `quad_spi_flasher` ([`flasher`]); [`output_file`] writes user files
//! atomically.
pub mod bitstream;
pub mod controller;
pub mod flash;
pub mod flasher;
pub mod output_file;
pub mod programming;
