//! SPI NOR configuration flash behind an AXI Quad SPI core: identification (fact sheet
//! sections 3, 5, 6), read (7), and erase / page program / status polling (21).
//!
//! ```no_run
//! # fn demo(mmio: vfio_access::Mmio) -> Result<(), xilinx_quad_spi::flash::FlashError> {
//! use xilinx_quad_spi::flash::SpiFlash;
//! let mut flash = SpiFlash::open(mmio, &mut |line| println!("{line}"))?;
//! print!("{}", flash.info().identification_lines());
//! let mut first = vec![0u8; 4096];
//! flash.read(0, &mut first)?;
//! # Ok(()) }
//! ```

mod identify;
pub mod params;
mod write;

use std::fmt::Write as _;
use std::time::Duration;

use vfio_access::Mmio;

use crate::controller::{ControllerError, ControllerTimeouts, QuadSpiController};

pub use identify::{map_opcode, FlashDevice};
pub use params::{ParameterKind, RawParameters};
pub use write::WriteError;

/// JEDEC manufacturer IDs.
pub const MANUFACTURER_SPANSION: u8 = 0x01;
pub const MANUFACTURER_MICRON: u8 = 0x20;
pub const MANUFACTURER_MACRONIX: u8 = 0xC2;

/// Flash sizes above this need 4 address bytes.
pub const THREE_BYTE_LIMIT: u64 = 0x100_0000;

/// One erase block region (increasing address order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EraseRegion {
    pub sectors: u32,
    pub sector_size: u32,
    /// Erase opcode, already mapped to the address size.
    pub opcode: u8,
}

/// What identification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashInfo {
    pub fifo_depth: u32,
    pub manufacturer_id: u8,
    pub memory_interface_type: u8,
    pub density: u8,
    pub device: FlashDevice,
    pub size_bytes: u64,
    pub page_size: u32,
    pub address_bytes: u8,
    pub read_opcode: u8,
    pub read_dummy_bytes: u8,
    /// Spansion: a one-byte 0xFF mode bit reset follows every read.
    pub mode_bit_reset: bool,
    pub erase_regions: Vec<EraseRegion>,
    pub raw: RawParameters,
    /// SFDP basic table revision (SFDP devices).
    pub sfdp_revision: Option<(u8, u8)>,
    /// Micron volatile / non-volatile configuration registers (stored only).
    pub micron_vcr: Option<u8>,
    pub micron_nvcr: Option<u16>,
    /// Spansion configuration register 1.
    pub spansion_cr1: Option<u8>,
}

impl FlashInfo {
    /// The device name as printed, e.g. `Micron N25Q256A`.
    pub fn name(&self) -> &'static str {
        self.device.name()
    }

    /// The identification lines printed after a successful initialisation.
    pub fn identification_lines(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "FIFO depth={}", self.fifo_depth);
        let _ = writeln!(s, "Flash device : {}", self.name());
        let _ = writeln!(
            s,
            "Manufacturer ID=0x{:02x}  Memory Interface Type=0x{:02x}  Density=0x{:02x}",
            self.manufacturer_id, self.memory_interface_type, self.density
        );
        let _ = writeln!(
            s,
            "Flash Size Bytes={}  Page Size Bytes={}  Num Address Bytes={}",
            self.size_bytes, self.page_size, self.address_bytes
        );
        s
    }

    /// The erase sector containing `address`: (start, size, opcode).
    pub fn sector_at(&self, address: u64) -> Option<(u64, u64, u8)> {
        let mut start = 0u64;
        for r in &self.erase_regions {
            let size = u64::from(r.sector_size);
            let end = start + u64::from(r.sectors) * size;
            if address < end {
                let s = start + (address - start) / size * size;
                return Some((s, size, r.opcode));
            }
            start = end;
        }
        None
    }
}

/// Flash failures. Identification and read messages are the original's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlashError {
    #[error(transparent)]
    Controller(#[from] ControllerError),
    #[error("Unsupported flash manufacturer_id 0x{manufacturer_id:02x} (memory_interface_type 0x{memory_interface_type:02x} density 0x{density:02x})")]
    Unsupported {
        manufacturer_id: u8,
        memory_interface_type: u8,
        density: u8,
        /// The vendor-specific check that failed, printed before this message.
        reason: Option<String>,
    },
    #[error("Flash size inconsistency : total_erase_block_bytes={total}  flash_size_bytes={size}")]
    SizeInconsistency { total: u64, size: u64 },
    #[error("Invalid read length of zero")]
    ZeroLengthRead,
    #[error("Attempt to read off the end of the flash device")]
    ReadPastEnd,
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Bounds on waiting for the flash (generous multiples of the datasheet maxima: page
/// program <= 5 ms, 4 KiB erase <= 0.8 s, 64 KiB erase <= 3 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashTimeouts {
    pub page_program: Duration,
    pub subsector_erase: Duration,
    pub sector_erase: Duration,
    pub controller: ControllerTimeouts,
}

impl Default for FlashTimeouts {
    fn default() -> Self {
        Self {
            page_program: Duration::from_secs(1),
            subsector_erase: Duration::from_secs(10),
            sector_erase: Duration::from_secs(30),
            controller: ControllerTimeouts::default(),
        }
    }
}

/// An identified flash device.
#[derive(Debug)]
pub struct SpiFlash {
    ctrl: QuadSpiController,
    info: FlashInfo,
    timeouts: FlashTimeouts,
}

impl SpiFlash {
    /// Initialises the controller and identifies the flash. Diagnostic lines of the
    /// original (e.g. `Initial device identification incorrect - ...`, or the reason an
    /// identification check failed) go to `log` as they occur.
    pub fn open(mmio: Mmio, log: &mut dyn FnMut(String)) -> Result<Self, FlashError> {
        Self::open_with_timeouts(mmio, FlashTimeouts::default(), log)
    }

    pub fn open_with_timeouts(
        mmio: Mmio,
        timeouts: FlashTimeouts,
        log: &mut dyn FnMut(String),
    ) -> Result<Self, FlashError> {
        let mut ctrl = QuadSpiController::init_with_timeouts(mmio, timeouts.controller)?;
        let info = identify::identify(&mut ctrl, log)?;
        Ok(Self {
            ctrl,
            info,
            timeouts,
        })
    }

    pub fn info(&self) -> &FlashInfo {
        &self.info
    }

    pub fn controller(&mut self) -> &mut QuadSpiController {
        &mut self.ctrl
    }

    pub fn timeouts(&self) -> FlashTimeouts {
        self.timeouts
    }

    pub fn set_timeouts(&mut self, timeouts: FlashTimeouts) {
        self.timeouts = timeouts;
    }

    /// Re-initialises the controller (needed after a failed transaction).
    pub fn reinit(&mut self) -> Result<(), FlashError> {
        let mmio = self.ctrl.mmio().clone();
        self.ctrl = QuadSpiController::init_with_timeouts(mmio, self.timeouts.controller)?;
        Ok(())
    }

    fn address_bytes(&self, address: u64, n: u8) -> impl Iterator<Item = u8> {
        (0..n)
            .rev()
            .map(move |i| (address >> (8 * u32::from(i))) as u8)
    }

    /// Reads `buf.len()` bytes from `address` in one transaction (xilinx_quad_spi.md 7).
    pub fn read(&mut self, address: u64, buf: &mut [u8]) -> Result<(), FlashError> {
        if buf.is_empty() {
            return Err(FlashError::ZeroLengthRead);
        }
        if address
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.info.size_bytes)
        {
            return Err(FlashError::ReadPastEnd);
        }
        let mut header = Vec::with_capacity(16);
        header.push(self.info.read_opcode);
        header.extend(self.address_bytes(address, self.info.address_bytes));
        header.extend(std::iter::repeat_n(
            0xFF,
            usize::from(self.info.read_dummy_bytes),
        ));
        self.ctrl.transfer(&header, buf)?;
        if self.info.mode_bit_reset {
            self.ctrl.transfer(&[0xFF], &mut [])?;
        }
        Ok(())
    }
}
