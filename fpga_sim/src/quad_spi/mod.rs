//! Model of the AXI Quad SPI core (PG153) with an attached SPI NOR flash.
//!
//! Placeholder: register storage only until the flash work replaces it with the
//! controller and flash models.

use std::path::PathBuf;
use std::sync::Arc;

use vfio_access::mmio::AccessWidth;

use crate::peripheral::{Peripheral, RegisterFile};

/// The SPI NOR parts fitted on the supported boards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlashPart {
    /// Micron N25Q256A, 32 MiB (TEF1001).
    #[default]
    MicronN25q256a,
    /// Spansion S25FL256S, 32 MiB (NiteFury-II).
    SpansionS25fl256s,
    /// Macronix MX25L12835F, 16 MiB (TOSING 160T).
    MacronixMx25l12835f,
}

/// How a board's Quad SPI core and flash are configured.
#[derive(Debug, Clone, Default)]
pub struct QuadSpiConfig {
    pub flash: FlashPart,
    /// Transmit/receive FIFO depth of the core: 16 or 256.
    pub fifo_depth: u32,
    /// IDCODE of the board's FPGA, for the initial bitstream in the flash.
    pub fpga_idcode: u32,
    /// Name of the design, written into the initial bitstream's header.
    pub design_name: String,
    /// File that keeps the flash contents between processes (None: in memory only).
    pub storage: Option<PathBuf>,
}

pub struct QuadSpiModel {
    config: QuadSpiConfig,
    registers: RegisterFile,
}

impl QuadSpiModel {
    pub fn new(config: QuadSpiConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            registers: RegisterFile::new(0x1000),
        })
    }

    pub fn config(&self) -> &QuadSpiConfig {
        &self.config
    }
}

impl Peripheral for QuadSpiModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        self.registers.read(offset, width)
    }
    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        self.registers.write(offset, width, value)
    }
}
