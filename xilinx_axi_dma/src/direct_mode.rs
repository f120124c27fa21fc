//! The AXI DMA's two channels in Direct Register mode (designs_after_seed.md §4.7): no
//! scatter-gather; a transfer is started by setting RS, writing the 64-bit address (low
//! word first) and then LENGTH, and is over when DMASR shows Idle (complete) or Halted.

use std::time::{Duration, Instant};

use vfio_access::Mmio;

use crate::registers::{
    ADDRESS_HI, ADDRESS_LO, DMACR, DMACR_RESET, DMACR_RS, DMASR, DMASR_HALTED, LENGTH, MM2S_BLOCK,
    S2MM_BLOCK,
};

/// One channel of the AXI DMA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Memory (DDR) to stream.
    Mm2s,
    /// Stream to memory (DDR).
    S2mm,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Mm2s, Direction::S2mm];

    /// `MM2S` or `S2MM`, as the report prints it.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::Mm2s => "MM2S",
            Direction::S2mm => "S2MM",
        }
    }

    const fn block(self) -> u64 {
        match self {
            Direction::Mm2s => MM2S_BLOCK,
            Direction::S2mm => S2MM_BLOCK,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AxiDmaError {
    /// The soft reset did not end (DMACR Reset still set, or the channel not halted).
    #[error(
        "AXI DMA {direction} reset did not complete within {timeout:?} (DMACR=0x{dmacr:08x} DMASR=0x{dmasr:08x})",
        direction = .direction.name()
    )]
    ResetTimeout {
        direction: Direction,
        timeout: Duration,
        dmacr: u32,
        dmasr: u32,
    },
}

/// The register frame of an AXI DMA in Direct Register mode.
#[derive(Debug, Clone)]
pub struct AxiDmaDirect {
    regs: Mmio,
}

impl AxiDmaDirect {
    /// The driver over `regs`, the frame holding the MM2S and S2MM blocks.
    pub fn new(regs: Mmio) -> Self {
        Self { regs }
    }

    fn read(&self, d: Direction, reg: u64) -> u32 {
        self.regs.read32(d.block() + reg)
    }

    fn write(&self, d: Direction, reg: u64, value: u32) {
        self.regs.write32(d.block() + reg, value);
    }

    /// DMASR of `d`.
    pub fn status(&self, d: Direction) -> u32 {
        self.read(d, DMASR)
    }

    /// Soft-resets the whole AXI DMA through `d`'s DMACR (read-modify-write) and waits,
    /// up to `timeout`, for the Reset bit to clear and `d` to be halted.
    pub fn reset(&self, d: Direction, timeout: Duration) -> Result<(), AxiDmaError> {
        let dmacr = self.read(d, DMACR);
        self.write(d, DMACR, dmacr | DMACR_RESET);
        let deadline = Instant::now() + timeout;
        loop {
            let (dmacr, dmasr) = (self.read(d, DMACR), self.status(d));
            if dmacr & DMACR_RESET == 0 && dmasr & DMASR_HALTED != 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(AxiDmaError::ResetTimeout {
                    direction: d,
                    timeout,
                    dmacr,
                    dmasr,
                });
            }
            std::thread::yield_now();
        }
    }

    /// Starts a transfer of `length` bytes (non-zero, at most 26 bits) at DDR `address`:
    /// sets RS (read-modify-write), writes the address low word then high word, then
    /// LENGTH, which starts it.
    pub fn start(&self, d: Direction, address: u64, length: u32) {
        let dmacr = self.read(d, DMACR);
        self.write(d, DMACR, dmacr | DMACR_RS);
        self.write(d, ADDRESS_LO, address as u32);
        self.write(d, ADDRESS_HI, (address >> 32) as u32);
        self.write(d, LENGTH, length);
    }
}
