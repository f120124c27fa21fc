//! Model of the AXI Quad SPI core (PG153, AXI4-Lite, standard register map) with an
//! attached SPI NOR flash (fact sheet sections 2 and 20).
//!
//! - Registers: SRR, SPICR, SPISR (computed), DTR/DRR FIFOs of 16 or 256 entries, SPISSR,
//!   FIFO occupancy, DGIER/IPISR/IPIER. Bytes shift while the core is enabled, master,
//!   not inhibited and slave 0 is selected; the first byte of each transaction must be in
//!   the vendor mode's command table, else SPISR bit 10 (command error) latches.
//! - The flash ([`FlashPart`]): JEDEC ID, SFDP or ID-CFI, status / flag-status /
//!   security registers, write enable, 4 KiB / 64 KiB erase (sets 0xFF), page program
//!   (ANDs bits, wraps in the page), busy for a few status polls, 4-byte opcodes and the
//!   Micron 4-byte address mode.
//! - Contents persist in [`QuadSpiConfig::storage`] (created on first use with the
//!   initial image: a bitstream for the board's FPGA from [`crate::bitstream_writer`]).
//! - Fault hooks ([`FlashFault`], also from the environment variable [`FAULT_ENV`]) and
//!   MMIO access counters ([`QuadSpiModel::counters`]).

mod flash;
mod params;
mod storage;

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use vfio_access::mmio::AccessWidth;

use crate::bitstream_writer::{generate, BitstreamSpec};
use crate::peripheral::Peripheral;

pub use flash::IdentOverrides;
use flash::SpiNorFlash;
pub use storage::StorageError;
use storage::{FlashStorage, InitialImage};

/// Environment variable holding a fault to inject into every simulated flash, e.g.
/// `program-error@3`, `erase-error`, `stuck-busy@10`, `power-loss@5` (see [`FlashFault`]).
pub const FAULT_ENV: &str = "FPGA_SIO_SIM_FLASH_FAULT";

/// Default USR_ACCESS (AXSS) build timestamp of the initial bitstream:
/// 24/02/2024 16:41:27.
pub const DEFAULT_BUILD_TIMESTAMP: u32 = 0xC131_0A5B;

/// Register offsets (PG153).
pub mod regs {
    pub const DGIER: u64 = 0x1C;
    pub const IPISR: u64 = 0x20;
    pub const IPIER: u64 = 0x28;
    pub const SRR: u64 = 0x40;
    pub const SPICR: u64 = 0x60;
    pub const SPISR: u64 = 0x64;
    pub const DTR: u64 = 0x68;
    pub const DRR: u64 = 0x6C;
    pub const SPISSR: u64 = 0x70;
    pub const TX_OCCUPANCY: u64 = 0x74;
    pub const RX_OCCUPANCY: u64 = 0x78;
}

/// Size of the core's register frame.
pub const QUAD_SPI_FRAME_SIZE: u64 = 0x1000;

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

impl FlashPart {
    /// Array size in bytes.
    pub fn size_bytes(self) -> u64 {
        params::part_info(self).size as u64
    }
}

/// A fault the flash shows from some point on (counted in this model's lifetime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashFault {
    /// Page programs after the first `after_pages` fail with the program error bit
    /// (Micron flag status bit 4, Spansion SR1 P_ERR, Macronix security P_FAIL).
    ProgramError { after_pages: u64 },
    /// Erases after the first `after_erases` fail with the erase error bit.
    EraseError { after_erases: u64 },
    /// The page program after the first `after_pages` never finishes (WIP stuck).
    StuckBusy { after_pages: u64 },
    /// Power is lost during the page program after the first `after_pages`: half of that
    /// page is written, and the device stops answering for the rest of the process.
    PowerLoss { after_pages: u64 },
}

/// Error parsing a [`FlashFault`] description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid flash fault '{0}': expected program-error[@N], erase-error[@N], stuck-busy[@N] or power-loss[@N]")]
pub struct FaultParseError(String);

impl FromStr for FlashFault {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FaultParseError(s.to_string());
        let (name, n) = match s.trim().split_once('@') {
            Some((name, n)) => (name, n.trim().parse::<u64>().map_err(|_| err())?),
            None => (s.trim(), 0),
        };
        match name.trim() {
            "program-error" => Ok(FlashFault::ProgramError { after_pages: n }),
            "erase-error" => Ok(FlashFault::EraseError { after_erases: n }),
            "stuck-busy" => Ok(FlashFault::StuckBusy { after_pages: n }),
            "power-loss" => Ok(FlashFault::PowerLoss { after_pages: n }),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for FlashFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlashFault::ProgramError { after_pages } => write!(f, "program-error@{after_pages}"),
            FlashFault::EraseError { after_erases } => write!(f, "erase-error@{after_erases}"),
            FlashFault::StuckBusy { after_pages } => write!(f, "stuck-busy@{after_pages}"),
            FlashFault::PowerLoss { after_pages } => write!(f, "power-loss@{after_pages}"),
        }
    }
}

impl FlashFault {
    /// The fault named by [`FAULT_ENV`]: None when unset or empty.
    pub fn from_env() -> Result<Option<Self>, FaultParseError> {
        match std::env::var(FAULT_ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse().map(Some),
            _ => Ok(None),
        }
    }
}

/// How a board's Quad SPI core and flash are configured.
#[derive(Debug, Clone, Default)]
pub struct QuadSpiConfig {
    pub flash: FlashPart,
    /// Transmit/receive FIFO depth of the core: 16 or 256 (0 means 256).
    pub fifo_depth: u32,
    /// IDCODE of the board's FPGA, for the initial bitstream in the flash (0: the flash
    /// starts erased unless `initial_image` is set).
    pub fpga_idcode: u32,
    /// Name of the design (informational).
    pub design_name: String,
    /// File that keeps the flash contents between processes (None: in memory only).
    pub storage: Option<PathBuf>,
    /// Initial flash contents at address 0, instead of the generated bitstream.
    pub initial_image: Option<Vec<u8>>,
    /// AXSS value of the generated bitstream; [`DEFAULT_BUILD_TIMESTAMP`] if None.
    pub build_timestamp: Option<u32>,
    /// The first opcode after power-up is lost (STARTUPE2 clock switch-over).
    pub first_clocks_lost: bool,
    /// Slow ext_spi_clk: Tx_Full stays set for a few SPISR reads after a reset.
    pub slow_ext_clock: bool,
    /// Bytes shifted per register access (0: as many as possible, i.e. instantly).
    pub shift_bytes_per_access: u32,
    /// Fault to inject; if None, [`FAULT_ENV`] is consulted.
    pub fault: Option<FlashFault>,
    /// Altered identification answers (negative tests).
    pub ident_overrides: IdentOverrides,
}

/// Register accesses seen by the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MmioCounters {
    /// All register reads.
    pub reads: u64,
    /// All register writes.
    pub writes: u64,
    /// Reads of the receive FIFO (DRR).
    pub drr_reads: u64,
    /// Writes to the transmit FIFO (DTR).
    pub dtr_writes: u64,
    /// Reads of SPISR.
    pub status_reads: u64,
}

/// What the flash has done in this model's lifetime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlashStats {
    /// Page programs committed to the array.
    pub pages_programmed: u64,
    /// Sector/subsector erases committed.
    pub sectors_erased: u64,
}

const SPICR_RESET: u32 = 0x180;
const SPICR_LOOP: u32 = 1 << 0;
const SPICR_SPE: u32 = 1 << 1;
const SPICR_MASTER: u32 = 1 << 2;
const SPICR_CPOL: u32 = 1 << 3;
const SPICR_CPHA: u32 = 1 << 4;
const SPICR_TX_RESET: u32 = 1 << 5;
const SPICR_RX_RESET: u32 = 1 << 6;
const SPICR_LSB_FIRST: u32 = 1 << 9;
const SPICR_INHIBIT: u32 = 1 << 8;
/// SPISR reads that still show Tx_Full after a reset with a slow ext_spi_clk.
const SLOW_RESET_READS: u32 = 4;

struct Core {
    depth: usize,
    spicr: u32,
    spissr: u32,
    dgier: u32,
    ipisr: u32,
    ipier: u32,
    tx: VecDeque<u8>,
    rx: VecDeque<u8>,
    command_error: bool,
    /// A transfer to the flash has started and chip select is low.
    active: bool,
    slow_reset_reads: u32,
    slow_clock: bool,
    shift_per_access: usize,
    flash: SpiNorFlash,
}

impl Core {
    fn reset(&mut self) {
        self.tx.clear();
        self.rx.clear();
        self.spicr = SPICR_RESET;
        self.spissr = 0xFFFF_FFFF;
        self.ipisr = 0;
        self.dgier = 0;
        self.ipier = 0;
        self.command_error = false;
        self.end_transfer();
        if self.slow_clock {
            self.slow_reset_reads = SLOW_RESET_READS;
        }
    }

    fn end_transfer(&mut self) {
        if self.active {
            self.active = false;
            self.flash.deselect();
        }
    }

    fn can_shift(&self) -> bool {
        self.spicr & (SPICR_SPE | SPICR_MASTER | SPICR_INHIBIT) == SPICR_SPE | SPICR_MASTER
            && self.spissr & 1 == 0
            && !self.command_error
    }

    /// Time passes: shift bytes between the FIFOs and the flash.
    fn shift(&mut self) {
        let mut budget = if self.shift_per_access == 0 {
            usize::MAX
        } else {
            self.shift_per_access
        };
        while budget > 0 && self.can_shift() {
            let Some(&byte) = self.tx.front() else { break };
            if !self.active {
                if !self.flash.core_commands().contains(&byte) {
                    self.command_error = true;
                    // Command error (IPISR bit 13).
                    self.ipisr |= 1 << 13;
                    break;
                }
                self.active = true;
            }
            self.tx.pop_front();
            let miso = self.flash.exchange(byte);
            if self.rx.len() >= self.depth {
                self.ipisr |= 1 << 5; // DRR overrun
            } else {
                self.rx.push_back(miso);
            }
            if self.tx.is_empty() {
                self.ipisr |= 1 << 2; // DTR empty
            }
            budget -= 1;
        }
    }

    fn spisr(&mut self) -> u32 {
        let mut s = 1 << 5;
        if self.rx.is_empty() {
            s |= 1;
        }
        if self.rx.len() >= self.depth {
            s |= 1 << 1;
        }
        if self.tx.is_empty() {
            s |= 1 << 2;
        }
        if self.tx.len() >= self.depth {
            s |= 1 << 3;
        }
        if self.slow_reset_reads > 0 {
            self.slow_reset_reads -= 1;
            s = (s | 1 << 3) & !(1 << 2);
        }
        if (self.spicr & SPICR_CPOL != 0) != (self.spicr & SPICR_CPHA != 0) {
            s |= 1 << 6;
        }
        if self.spicr & SPICR_MASTER == 0 {
            s |= 1 << 7;
        }
        if self.spicr & SPICR_LSB_FIRST != 0 {
            s |= 1 << 8;
        }
        if self.spicr & SPICR_LOOP != 0 {
            s |= 1 << 9;
        }
        if self.command_error {
            s |= 1 << 10;
        }
        s
    }

    fn occupancy(fifo: &VecDeque<u8>) -> u32 {
        fifo.len().saturating_sub(1) as u32
    }

    fn read(&mut self, offset: u64) -> u32 {
        self.shift();
        let v = match offset {
            regs::DGIER => self.dgier,
            regs::IPISR => self.ipisr,
            regs::IPIER => self.ipier,
            regs::SPICR => self.spicr,
            regs::SPISR => self.spisr(),
            regs::DRR => self.rx.pop_front().map(u32::from).unwrap_or(0),
            regs::SPISSR => self.spissr,
            regs::TX_OCCUPANCY => Self::occupancy(&self.tx),
            regs::RX_OCCUPANCY => Self::occupancy(&self.rx),
            _ => 0,
        };
        self.shift();
        v
    }

    fn write(&mut self, offset: u64, value: u32) {
        self.shift();
        match offset {
            regs::DGIER => self.dgier = value & 0x8000_0000,
            regs::IPISR => self.ipisr &= !value, // toggle-on-write of set bits clears them
            regs::IPIER => self.ipier = value & 0x3FFF,
            // Other SRR values are ignored.
            regs::SRR if value == 0x0A => self.reset(),
            regs::SPICR => {
                if value & SPICR_TX_RESET != 0 {
                    self.tx.clear();
                }
                if value & SPICR_RX_RESET != 0 {
                    self.rx.clear();
                }
                self.spicr = value & 0x39F;
                if self.spicr & SPICR_INHIBIT != 0 {
                    self.end_transfer();
                }
            }
            regs::DTR => {
                if self.tx.len() < self.depth {
                    self.tx.push_back(value as u8);
                } else {
                    self.ipisr |= 1 << 3; // DTR underrun/overrun indication
                }
            }
            regs::SPISSR => {
                self.spissr = value;
                if value & 1 != 0 {
                    self.end_transfer();
                }
            }
            _ => {}
        }
        self.shift();
    }
}

/// The AXI Quad SPI core with its flash.
pub struct QuadSpiModel {
    config: QuadSpiConfig,
    /// [`FAULT_ENV`] held no valid fault (reported by [`QuadSpiModel::storage_status`]).
    fault_error: Option<FaultParseError>,
    core: Mutex<Core>,
    reads: AtomicU64,
    writes: AtomicU64,
    drr_reads: AtomicU64,
    dtr_writes: AtomicU64,
    status_reads: AtomicU64,
}

impl fmt::Debug for QuadSpiModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuadSpiModel")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl QuadSpiModel {
    pub fn new(config: QuadSpiConfig) -> Arc<Self> {
        let part = config.flash;
        let size = params::part_info(part).size;
        let image = config.initial_image.clone();
        let idcode = config.fpga_idcode;
        let stamp = config.build_timestamp.unwrap_or(DEFAULT_BUILD_TIMESTAMP);
        let initial: InitialImage = Arc::new(move || {
            if let Some(image) = &image {
                return image.clone();
            }
            if idcode == 0 {
                return Vec::new();
            }
            generate(&BitstreamSpec::new(idcode).with_usr_access(stamp))
                .map(|g| g.payload().to_vec())
                .unwrap_or_default()
        });
        let storage = FlashStorage::new(size, config.storage.clone(), initial);
        let (fault, fault_error) = match config.fault {
            Some(f) => (Some(f), None),
            None => match FlashFault::from_env() {
                Ok(f) => (f, None),
                Err(e) => (None, Some(e)),
            },
        };
        let flash = SpiNorFlash::new(
            part,
            storage,
            &config.ident_overrides,
            config.first_clocks_lost,
            fault,
        );
        let depth = match config.fifo_depth {
            0 => 256,
            d => d as usize,
        };
        let mut core = Core {
            depth,
            spicr: SPICR_RESET,
            spissr: 0xFFFF_FFFF,
            dgier: 0,
            ipisr: 0,
            ipier: 0,
            tx: VecDeque::new(),
            rx: VecDeque::new(),
            command_error: false,
            active: false,
            slow_reset_reads: 0,
            slow_clock: config.slow_ext_clock,
            shift_per_access: config.shift_bytes_per_access as usize,
            flash,
        };
        core.reset();
        Arc::new(Self {
            config,
            fault_error,
            core: Mutex::new(core),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            drr_reads: AtomicU64::new(0),
            dtr_writes: AtomicU64::new(0),
            status_reads: AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &QuadSpiConfig {
        &self.config
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register accesses so far.
    pub fn counters(&self) -> MmioCounters {
        MmioCounters {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            drr_reads: self.drr_reads.load(Ordering::Relaxed),
            dtr_writes: self.dtr_writes.load(Ordering::Relaxed),
            status_reads: self.status_reads.load(Ordering::Relaxed),
        }
    }

    pub fn reset_counters(&self) {
        for c in [
            &self.reads,
            &self.writes,
            &self.drr_reads,
            &self.dtr_writes,
            &self.status_reads,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// Program / erase operations committed so far.
    pub fn flash_stats(&self) -> FlashStats {
        self.core().flash.stats
    }

    /// Arms (or clears) a fault; counts are from the model's creation.
    pub fn set_fault(&self, fault: Option<FlashFault>) {
        self.core().flash.fault = fault;
    }

    /// Flash array size in bytes.
    pub fn flash_size(&self) -> u64 {
        self.core().flash.size() as u64
    }

    /// Back door: the flash array contents (clipped to the array).
    pub fn flash_contents(&self, address: u64, len: usize) -> Vec<u8> {
        let mut core = self.core();
        let size = core.flash.size();
        let start = (address as usize).min(size);
        let mut out = vec![0u8; len.min(size - start)];
        core.flash.storage.read_into(start, &mut out);
        out
    }

    /// Back door: replaces flash contents (as if programmed by an external tool).
    pub fn load_flash(&self, address: u64, data: &[u8]) {
        self.core()
            .flash
            .storage
            .write_range(address as usize, data);
    }

    /// Power cycle of the flash (a dead device after power loss answers again).
    pub fn power_cycle(&self) {
        let mut core = self.core();
        core.reset();
        core.flash.power_cycle();
    }

    /// Drops the contents cached in this process, so the next access reads the storage
    /// file (another process may have programmed it), and clears a latched storage error.
    /// Called when this process takes the flash lock.
    pub fn reload_storage(&self) {
        self.core().flash.storage.reload();
    }

    /// Whether everything programmed or erased since the last reload reached the storage
    /// file (and the simulation is configured correctly).
    pub fn storage_status(&self) -> Result<(), String> {
        if let Some(e) = &self.fault_error {
            return Err(e.to_string());
        }
        match self.core().flash.storage.error() {
            Some(e) => Err(e.to_string()),
            None => Ok(()),
        }
    }

    /// Storage size hint, for callers that check the file.
    pub fn storage_size(&self) -> u64 {
        self.core().flash.storage.size() as u64
    }
}

impl Peripheral for QuadSpiModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        self.reads.fetch_add(1, Ordering::Relaxed);
        if width != AccessWidth::U32 {
            return 0;
        }
        match offset {
            regs::DRR => self.drr_reads.fetch_add(1, Ordering::Relaxed),
            regs::SPISR => self.status_reads.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        u64::from(self.core().read(offset))
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        if width != AccessWidth::U32 {
            return;
        }
        if offset == regs::DTR {
            self.dtr_writes.fetch_add(1, Ordering::Relaxed);
        }
        self.core().write(offset, value as u32);
    }

    fn reset(&self) {
        self.core().reset();
    }
}
