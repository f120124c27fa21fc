//! SPI NOR flash model: byte-slot command decoder, status / flag-status / security
//! registers, write-enable latch, erase and page program committed at chip-select rising,
//! busy for a number of status polls afterwards, and fault hooks (xilinx_quad_spi.md 20.2, 21).

use super::params::{jedec_answer, part_info, sfdp, PartInfo};
use super::storage::FlashStorage;
use super::{FlashFault, FlashPart, FlashStats};

/// Status polls a page program stays busy for.
const PROGRAM_BUSY_POLLS: u32 = 2;
/// Status polls a 4 KiB erase stays busy for.
const SUBSECTOR_ERASE_BUSY_POLLS: u32 = 4;
/// Status polls a 64 KiB erase stays busy for.
const SECTOR_ERASE_BUSY_POLLS: u32 = 8;

/// Overrides of the identification answers, to provoke identification failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentOverrides {
    /// Replaces the answer to 0x9F (JEDEC ID; ID-CFI space on Spansion).
    pub jedec: Option<Vec<u8>>,
    /// Replaces the SFDP space (0x5A).
    pub sfdp: Option<Vec<u8>>,
    /// Spansion configuration register 1 (0x35); 0x02 (QUAD, latency code 00) if unset.
    pub spansion_cr1: Option<u8>,
}

pub(crate) struct SpiNorFlash {
    part: FlashPart,
    info: PartInfo,
    jedec: Vec<u8>,
    sfdp: Vec<u8>,
    cr1: u8,
    pub(crate) storage: FlashStorage,
    // Command decoder, for the transaction in progress.
    selected: bool,
    slot: usize,
    opcode: u8,
    address: usize,
    address_bytes: usize,
    page: Vec<u8>,
    page_bytes: usize,
    ignored: bool,
    /// Spansion continuous (XIP) read: the next transaction starts with the address.
    continuous: bool,
    // Registers.
    wel: bool,
    busy_polls: u32,
    stuck_busy: bool,
    program_error: bool,
    erase_error: bool,
    four_byte_mode: bool,
    /// The first opcode after power-up is lost (first SPI clocks not output).
    first_clocks_lost: bool,
    /// Power was lost: the device no longer drives its output.
    dead: bool,
    pub(crate) fault: Option<FlashFault>,
    pub(crate) stats: FlashStats,
}

impl SpiNorFlash {
    pub(crate) fn new(
        part: FlashPart,
        storage: FlashStorage,
        overrides: &IdentOverrides,
        first_clocks_lost: bool,
        fault: Option<FlashFault>,
    ) -> Self {
        Self {
            part,
            info: part_info(part),
            jedec: overrides
                .jedec
                .clone()
                .unwrap_or_else(|| jedec_answer(part)),
            sfdp: overrides
                .sfdp
                .clone()
                .or_else(|| sfdp(part))
                .unwrap_or_default(),
            cr1: overrides.spansion_cr1.unwrap_or(0x02),
            storage,
            selected: false,
            slot: 0,
            opcode: 0,
            address: 0,
            address_bytes: 0,
            page: Vec::new(),
            page_bytes: 0,
            ignored: false,
            continuous: false,
            wel: false,
            busy_polls: 0,
            stuck_busy: false,
            program_error: false,
            erase_error: false,
            four_byte_mode: false,
            first_clocks_lost,
            dead: false,
            fault,
            stats: FlashStats::default(),
        }
    }

    pub(crate) fn core_commands(&self) -> &'static [u8] {
        self.info.core_commands
    }

    pub(crate) fn size(&self) -> usize {
        self.info.size
    }

    /// Power cycle: volatile state back to reset, a dead device alive again.
    pub(crate) fn power_cycle(&mut self) {
        self.deselect();
        self.wel = false;
        self.busy_polls = 0;
        self.stuck_busy = false;
        self.program_error = false;
        self.erase_error = false;
        self.four_byte_mode = false;
        self.continuous = false;
        self.dead = false;
    }

    fn busy(&self) -> bool {
        self.stuck_busy || self.busy_polls > 0 || self.spansion_error_hold()
    }

    /// Spansion keeps WIP set after a program/erase error until Clear Status Register.
    fn spansion_error_hold(&self) -> bool {
        self.part == FlashPart::SpansionS25fl256s && (self.program_error || self.erase_error)
    }

    fn poll(&mut self) {
        if !self.stuck_busy {
            self.busy_polls = self.busy_polls.saturating_sub(1);
        }
    }

    fn status(&self) -> u8 {
        let mut s = u8::from(self.busy()) | (u8::from(self.wel) << 1);
        if self.part == FlashPart::SpansionS25fl256s {
            s |= (u8::from(self.erase_error) << 5) | (u8::from(self.program_error) << 6);
        }
        s
    }

    fn flag_status(&self) -> u8 {
        (u8::from(!self.busy()) << 7)
            | (u8::from(self.erase_error) << 5)
            | (u8::from(self.program_error) << 4)
            | u8::from(self.four_byte_mode)
    }

    fn security(&self) -> u8 {
        (u8::from(self.program_error) << 5) | (u8::from(self.erase_error) << 6)
    }

    fn addr_len(&self, opcode: u8) -> usize {
        match opcode {
            0x13 | 0x0C | 0x12 | 0x21 | 0xDC | 0xEC | 0xBC => 4,
            _ if self.four_byte_mode => 4,
            _ => 3,
        }
    }

    /// Dummy bytes between address and data for a read opcode.
    fn dummy_len(&self, opcode: u8) -> usize {
        match opcode {
            0x03 | 0x13 => 0,
            0x0B | 0x0C => 1,
            0xEB | 0xEC => self.info.quad_io_dummy,
            0xBB | 0xBC => self.info.dual_io_dummy,
            _ => 0,
        }
    }

    fn is_read(opcode: u8) -> bool {
        matches!(
            opcode,
            0x03 | 0x13 | 0x0B | 0x0C | 0xEB | 0xEC | 0xBB | 0xBC
        )
    }

    /// Starts a command with `opcode` as slot 0.
    fn begin(&mut self, opcode: u8) {
        self.opcode = opcode;
        self.address = 0;
        self.address_bytes = 0;
        self.page.clear();
        self.page_bytes = 0;
        // While busy only the status registers answer.
        self.ignored = self.busy() && !matches!(opcode, 0x05 | 0x70 | 0x2B | 0x30 | 0x50);
    }

    /// One byte exchanged while chip select is low: returns the byte driven on MISO.
    pub(crate) fn exchange(&mut self, mosi: u8) -> u8 {
        let out = self.exchange_inner(mosi);
        if self.dead {
            0xFF
        } else {
            out
        }
    }

    fn exchange_inner(&mut self, mosi: u8) -> u8 {
        if !self.selected {
            self.selected = true;
            self.slot = 0;
            if self.first_clocks_lost {
                // The first three clocks never reached the flash: the opcode is garbage.
                self.first_clocks_lost = false;
                self.begin(0x00);
                self.ignored = true;
                self.slot = 1;
                return 0xFF;
            }
            if self.continuous {
                if mosi == 0xFF {
                    // Mode bit reset.
                    self.continuous = false;
                    self.begin(0xFF);
                    self.slot = 1;
                    return 0xFF;
                }
                // Continuous read: the opcode is implied, this byte is the address MSB.
                let opcode = self.opcode;
                self.begin(opcode);
                self.slot = 1;
                let out = self.command_byte(mosi);
                self.slot = 2;
                return out;
            }
            self.begin(mosi);
            self.slot = 1;
            return 0xFF;
        }
        let out = if self.ignored {
            0xFF
        } else {
            self.command_byte(mosi)
        };
        self.slot += 1;
        out
    }

    /// Byte `self.slot` (1-based after the opcode) of the current command.
    fn command_byte(&mut self, mosi: u8) -> u8 {
        let k = self.slot - 1;
        let op = self.opcode;
        match op {
            0x9F => self.jedec.get(k).copied().unwrap_or(0xFF),
            0x05 => {
                let s = self.status();
                self.poll();
                s
            }
            0x70 if self.part == FlashPart::MicronN25q256a => {
                let s = self.flag_status();
                self.poll();
                s
            }
            0x2B if self.part == FlashPart::MacronixMx25l12835f => self.security(),
            0x35 if self.part == FlashPart::SpansionS25fl256s => self.cr1,
            0x85 if self.part == FlashPart::MicronN25q256a => 0xFB,
            0xB5 if self.part == FlashPart::MicronN25q256a => 0xFF,
            0x5A if !self.sfdp.is_empty() => {
                if k < 3 {
                    self.address = (self.address << 8) | mosi as usize;
                    0xFF
                } else if k == 3 {
                    0xFF
                } else {
                    self.sfdp.get(self.address + k - 4).copied().unwrap_or(0xFF)
                }
            }
            _ if Self::is_read(op) => {
                let alen = self.addr_len(op);
                if k < alen {
                    self.address = (self.address << 8) | mosi as usize;
                    return 0xFF;
                }
                let dummy = self.dummy_len(op);
                if k < alen + dummy {
                    if k == alen
                        && self.part == FlashPart::SpansionS25fl256s
                        && matches!(op, 0xEB | 0xEC | 0xBB | 0xBC)
                    {
                        // Mode byte: Axh keeps the device in continuous read.
                        self.continuous = mosi & 0xF0 == 0xA0;
                    }
                    return 0xFF;
                }
                let at = (self.address + (k - alen - dummy)) % self.info.size;
                self.storage.read_byte(at)
            }
            0x02 | 0x12 => {
                if op == 0x12 && self.part == FlashPart::MicronN25q256a {
                    // Extended quad input fast program on N25Q: not modelled.
                    return 0xFF;
                }
                let alen = self.addr_len(op);
                if k < alen {
                    self.address = (self.address << 8) | mosi as usize;
                } else {
                    if self.page.is_empty() {
                        self.page = vec![0xFF; self.info.page];
                    }
                    let page = self.info.page;
                    let offset = (self.address + (k - alen)) % page;
                    self.page[offset] = mosi;
                    self.page_bytes += 1;
                }
                0xFF
            }
            0x20 | 0x21 | 0xD8 | 0xDC => {
                if k < self.addr_len(op) {
                    self.address = (self.address << 8) | mosi as usize;
                    self.address_bytes += 1;
                }
                0xFF
            }
            _ => 0xFF,
        }
    }

    /// Chip select rising: commit the command.
    pub(crate) fn deselect(&mut self) {
        if !self.selected {
            return;
        }
        self.selected = false;
        if self.ignored || self.dead {
            return;
        }
        let op = self.opcode;
        match op {
            0x06 if self.slot == 1 => self.wel = true,
            0x04 if self.slot == 1 => self.wel = false,
            0x50 if self.part == FlashPart::MicronN25q256a => {
                self.program_error = false;
                self.erase_error = false;
            }
            0x30 if self.part == FlashPart::SpansionS25fl256s => {
                self.program_error = false;
                self.erase_error = false;
                self.wel = false;
                self.busy_polls = 0;
            }
            0xB7 | 0xE9 if self.part == FlashPart::MicronN25q256a && self.wel => {
                self.four_byte_mode = op == 0xB7;
                self.wel = false;
            }
            0x02 | 0x12 if self.wel && self.page_bytes > 0 => self.commit_program(),
            0x20 | 0x21 | 0xD8 | 0xDC if self.wel && self.address_bytes == self.addr_len(op) => {
                self.commit_erase()
            }
            _ => {}
        }
    }

    /// Busy time of a failing operation: Spansion holds WIP through the error bit instead.
    fn error_busy_polls(&self, polls: u32) -> u32 {
        if self.part == FlashPart::SpansionS25fl256s {
            0
        } else {
            polls
        }
    }

    fn clear_errors_on_start(&mut self) {
        if self.part == FlashPart::MacronixMx25l12835f {
            // Macronix P_FAIL/E_FAIL are updated by each program/erase.
            self.program_error = false;
            self.erase_error = false;
        }
    }

    fn commit_program(&mut self) {
        self.wel = false;
        self.clear_errors_on_start();
        let page = self.info.page;
        let base = (self.address % self.info.size) & !(page - 1);
        let done = self.stats.pages_programmed;
        match self.fault {
            Some(FlashFault::ProgramError { after_pages }) if done >= after_pages => {
                self.program_error = true;
                self.busy_polls = self.error_busy_polls(PROGRAM_BUSY_POLLS);
                return;
            }
            Some(FlashFault::StuckBusy { after_pages }) if done >= after_pages => {
                self.stuck_busy = true;
                return;
            }
            Some(FlashFault::PowerLoss { after_pages }) if done >= after_pages => {
                // Half the page made it into the array, then the supply went.
                let half = page / 2;
                let data = std::mem::take(&mut self.page);
                self.storage.and_range(base, &data[..half]);
                self.dead = true;
                return;
            }
            _ => {}
        }
        let data = std::mem::take(&mut self.page);
        self.storage.and_range(base, &data);
        self.busy_polls = PROGRAM_BUSY_POLLS;
        if self.storage.error().is_some() {
            // What was programmed did not persist: the simulated part reports a failure
            // at once (the tool then names the storage, see storage.rs).
            self.program_error = true;
            self.busy_polls = self.error_busy_polls(PROGRAM_BUSY_POLLS);
            return;
        }
        self.stats.pages_programmed += 1;
    }

    fn commit_erase(&mut self) {
        self.wel = false;
        self.clear_errors_on_start();
        let size = match self.opcode {
            0x20 | 0x21 => 4096,
            _ => 65536,
        };
        if let Some(FlashFault::EraseError { after_erases }) = self.fault {
            if self.stats.sectors_erased >= after_erases {
                self.erase_error = true;
                self.busy_polls = self.error_busy_polls(SUBSECTOR_ERASE_BUSY_POLLS);
                return;
            }
        }
        let base = (self.address % self.info.size) & !(size - 1);
        self.storage.erase_range(base, size);
        let polls = if size == 4096 {
            SUBSECTOR_ERASE_BUSY_POLLS
        } else {
            SECTOR_ERASE_BUSY_POLLS
        };
        if self.storage.error().is_some() {
            self.erase_error = true;
            self.busy_polls = self.error_busy_polls(polls);
            return;
        }
        self.stats.sectors_erased += 1;
        self.busy_polls = polls;
    }
}
