//! AXI Quad SPI core driver (PG153, AXI4-Lite register map; fact sheet sections 2-4).
//!
//! Initialisation: software reset (waiting for Tx_Full to clear), SPICR = 0x106, FIFO
//! depth discovery with transactions inhibited (16 or 256 accepted), and a second reset.
//!
//! Transactions keep the bytes in flight (written to DTR, not yet read from DRR) within
//! the FIFO depth, so the receive FIFO can never overrun. To keep register reads close to
//! one per received byte, each drain reads the receive FIFO occupancy once and then that
//! many DRR entries, instead of re-reading SPISR after every byte; SPISR (and its error
//! bits) is read when the occupancy shows at most one byte, and at completion.

use std::time::{Duration, Instant};

use vfio_access::Mmio;

/// Register offsets (PG153).
pub mod regs {
    pub const SRR: u64 = 0x40;
    pub const SPICR: u64 = 0x60;
    pub const SPISR: u64 = 0x64;
    pub const DTR: u64 = 0x68;
    pub const DRR: u64 = 0x6C;
    pub const SPISSR: u64 = 0x70;
    pub const TX_OCCUPANCY: u64 = 0x74;
    pub const RX_OCCUPANCY: u64 = 0x78;
}

/// SRR value that resets the core.
pub const SOFTWARE_RESET: u32 = 0x0000_000A;
/// SPICR after reset: master transaction inhibit, master, SPI enable, mode 0, MSB first.
pub const SPICR_INIT: u32 = 0x106;
/// SPICR master transaction inhibit.
pub const SPICR_INHIBIT: u32 = 1 << 8;
/// SPISR error bits: command, loopback, MSB, slave mode, CPOL_CPHA errors and MODF.
pub const SPISR_ERROR_MASK: u32 = 0x7D0;
pub const SPISR_RX_EMPTY: u32 = 1 << 0;
pub const SPISR_TX_EMPTY: u32 = 1 << 2;
pub const SPISR_TX_FULL: u32 = 1 << 3;
/// SPISSR selecting slave 0 / deselecting all.
pub const SELECT_SLAVE0: u32 = 0xFFFF_FFFE;
pub const DESELECT_ALL: u32 = 0xFFFF_FFFF;
/// Largest count tried by the FIFO depth probe (the loop runs while count <= 512).
const PROBE_LIMIT: u32 = 512;

/// Controller failures. The transaction message is the original's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControllerError {
    #[error("Invalid Quad SPI core fifo_depth of {0}")]
    InvalidFifoDepth(u32),
    #[error(
        "Quad SPI transaction failed for opcode 0x{opcode:x}: core status_register=0x{status:x}"
    )]
    TransactionFailed { opcode: u8, status: u32 },
    #[error(
        "Quad SPI transaction timed out for opcode 0x{opcode:x}: core status_register=0x{status:x}"
    )]
    TransactionTimeout { opcode: u8, status: u32 },
    #[error("Quad SPI core software reset did not complete: status_register=0x{status:x}")]
    ResetTimeout { status: u32 },
}

/// Bounds on polling (generous: hardware finishes in microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControllerTimeouts {
    /// Waiting for Tx_Full to clear after a software reset.
    pub reset: Duration,
    /// A transaction making no progress for this long fails.
    pub stall: Duration,
}

impl Default for ControllerTimeouts {
    fn default() -> Self {
        Self {
            reset: Duration::from_millis(100),
            stall: Duration::from_secs(1),
        }
    }
}

/// Polls `f` until it returns `Some`, giving up when `limit` has passed (after at least a
/// few polls, so a descheduled process does not time out spuriously).
pub(crate) fn poll_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    let mut polls = 0u32;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        polls = polls.saturating_add(1);
        if polls > 16 && start.elapsed() > limit {
            return None;
        }
    }
}

/// An initialised AXI Quad SPI core.
///
/// A transaction sends `tx` and then clocks `rx.len()` further bytes (transmitting 0xFF),
/// storing what is received for those into `rx`; bytes received while `tx` is sent are
/// discarded. After a failed transaction, re-initialise before retrying.
#[derive(Debug)]
pub struct QuadSpiController {
    mmio: Mmio,
    fifo_depth: u32,
    timeouts: ControllerTimeouts,
}

impl QuadSpiController {
    /// Initialises the core (fact sheet section 3, steps 1-4, with the later reset wait).
    pub fn init(mmio: Mmio) -> Result<Self, ControllerError> {
        Self::init_with_timeouts(mmio, ControllerTimeouts::default())
    }

    pub fn init_with_timeouts(
        mmio: Mmio,
        timeouts: ControllerTimeouts,
    ) -> Result<Self, ControllerError> {
        let mut c = Self {
            mmio,
            fifo_depth: 0,
            timeouts,
        };
        c.reset()?;
        let depth = c.probe_fifo_depth();
        if depth != 16 && depth != 256 {
            return Err(ControllerError::InvalidFifoDepth(depth));
        }
        c.fifo_depth = depth;
        c.reset()?;
        Ok(c)
    }

    /// Software reset, wait for Tx_Full to clear, SPICR = 0x106.
    pub fn reset(&mut self) -> Result<(), ControllerError> {
        self.mmio.write32(regs::SRR, SOFTWARE_RESET);
        let mmio = &self.mmio;
        let mut status = 0;
        let ok = poll_until(self.timeouts.reset, || {
            status = mmio.read32(regs::SPISR);
            (status & SPISR_TX_FULL == 0).then_some(())
        });
        if ok.is_none() {
            return Err(ControllerError::ResetTimeout { status });
        }
        self.mmio.write32(regs::SPICR, SPICR_INIT);
        Ok(())
    }

    fn probe_fifo_depth(&self) -> u32 {
        let mut count = 0;
        while count <= PROBE_LIMIT {
            self.mmio.write32(regs::DTR, 0x05);
            count += 1;
            if self.mmio.read32(regs::SPISR) & SPISR_TX_FULL != 0 {
                break;
            }
        }
        count
    }

    pub fn fifo_depth(&self) -> u32 {
        self.fifo_depth
    }

    pub fn mmio(&self) -> &Mmio {
        &self.mmio
    }

    /// Runs one transaction: transmits `tx`, then receives `rx.len()` bytes (transmitting
    /// 0xFF for them). The first byte of `tx` is the opcode.
    pub fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), ControllerError> {
        self.transfer_parts(tx, &[], rx)
    }

    /// As [`transfer`](Self::transfer) with the transmitted bytes in two parts (command
    /// header, then data), so page data need not be copied.
    pub fn transfer_parts(
        &mut self,
        header: &[u8],
        data: &[u8],
        rx: &mut [u8],
    ) -> Result<(), ControllerError> {
        let opcode = header.first().or(data.first()).copied().unwrap_or(0xFF);
        let result = self.run(header, data, rx);
        // End: inhibit, then deselect (the flash sees chip select rise).
        let spicr = self.mmio.read32(regs::SPICR);
        self.mmio.write32(regs::SPICR, spicr | SPICR_INHIBIT);
        self.mmio.write32(regs::SPISSR, DESELECT_ALL);
        result.map_err(|(status, timeout)| {
            if timeout {
                ControllerError::TransactionTimeout { opcode, status }
            } else {
                ControllerError::TransactionFailed { opcode, status }
            }
        })
    }

    /// The transfer loop; errors are (last SPISR, timed out).
    fn run(&mut self, header: &[u8], data: &[u8], rx: &mut [u8]) -> Result<(), (u32, bool)> {
        let mmio = &self.mmio;
        let depth = self.fifo_depth.max(1) as usize;
        let tx_len = header.len() + data.len();
        let total = tx_len + rx.len();
        let mut written = 0usize;
        let mut read = 0usize;
        let mut started = false;
        let mut last_progress = Instant::now();
        let mut idle_polls = 0u32;
        loop {
            // Fill, keeping in-flight bytes within the FIFO depth.
            let room = depth - (written - read);
            let end = total.min(written + room);
            let filled = end > written;
            while written < end {
                let byte = if written < header.len() {
                    header[written]
                } else if written < tx_len {
                    data[written - header.len()]
                } else {
                    0xFF
                };
                mmio.write32(regs::DTR, u32::from(byte));
                written += 1;
            }
            if !started {
                mmio.write32(regs::SPISSR, SELECT_SLAVE0);
                let spicr = mmio.read32(regs::SPICR);
                mmio.write32(regs::SPICR, spicr & !SPICR_INHIBIT);
                started = true;
            }
            // Drain what has arrived. The occupancy register (count - 1; 0 when empty)
            // says how many bytes can be read without looking at SPISR; only when it
            // reads 0 (empty, or one byte) is SPISR needed. Errors stop the shifting,
            // so they show up there, and the final completion check reads it too.
            let mut available = 0usize;
            let mut status = None;
            if read < written {
                available = mmio.read32(regs::RX_OCCUPANCY) as usize;
                if available > 0 {
                    available += 1;
                }
            }
            if available == 0 {
                let sr = mmio.read32(regs::SPISR);
                if sr & SPISR_ERROR_MASK != 0 {
                    return Err((sr, false));
                }
                if sr & SPISR_RX_EMPTY == 0 {
                    available = 1;
                } else if read == total
                    && sr & (SPISR_TX_EMPTY | SPISR_RX_EMPTY) == SPISR_TX_EMPTY | SPISR_RX_EMPTY
                {
                    return Ok(());
                }
                status = Some(sr);
            }
            let n = available.min(written - read);
            for _ in 0..n {
                let byte = mmio.pop_u32(regs::DRR) as u8;
                if read >= tx_len {
                    rx[read - tx_len] = byte;
                }
                read += 1;
            }
            let drained = n > 0;
            if drained || filled {
                idle_polls = 0;
                last_progress = Instant::now();
            } else {
                idle_polls += 1;
                if idle_polls > 16 && last_progress.elapsed() > self.timeouts.stall {
                    let sr = status.unwrap_or_else(|| mmio.read32(regs::SPISR));
                    return Err((sr, true));
                }
            }
        }
    }
}
