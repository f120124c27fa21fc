//! Xilinx AXI IIC (PG090) master, standard mode, polled (i2c_probe.md 3.2 and the write of
//! section 12), plus the probe tool's direct single-byte sequences (3.3).
//!
//! Only 32-bit register accesses. Every polling loop is bounded by a number of status
//! reads ([`AxiIic::with_max_polls`]); an expired wait gives [`I2cError::Timeout`] and
//! the transfer is abandoned by disabling the core (which releases the bus).
//! Differences from the original: waits are bounded; the wait for SR.BB after START
//! also ends on a transmit error (the address-NACK race of 3.2 cannot hang);
//! `bus_claimed` is reset when the bus is released (the later fix).

use embedded_hal::i2c::{ErrorType, I2c, Operation, SevenBitAddress};
use vfio_access::Mmio;

use super::I2cError;
use crate::smbus::transfer::{CountedRead, SmbusI2c};

pub const ISR: u64 = 0x020;
pub const SOFTR: u64 = 0x040;
pub const CR: u64 = 0x100;
pub const SR: u64 = 0x104;
pub const TX_FIFO: u64 = 0x108;
pub const RX_FIFO: u64 = 0x10c;
pub const RX_FIFO_PIRQ: u64 = 0x120;

pub const ISR_ARB_LOST: u32 = 1 << 0;
pub const ISR_TX_ERROR: u32 = 1 << 1;
pub const ISR_TX_EMPTY: u32 = 1 << 2;
pub const ISR_RX_FULL: u32 = 1 << 3;
pub const ISR_NOT_BUSY: u32 = 1 << 4;

pub const CR_EN: u32 = 1 << 0;
pub const CR_TX_FIFO_RESET: u32 = 1 << 1;
pub const CR_MSMS: u32 = 1 << 2;
pub const CR_TX: u32 = 1 << 3;
pub const CR_TXAK: u32 = 1 << 4;
pub const CR_RSTA: u32 = 1 << 5;

pub const SR_BB: u32 = 1 << 2;
pub const SR_RX_EMPTY: u32 = 1 << 6;
pub const SR_TX_EMPTY: u32 = 1 << 7;

pub const SOFTR_KEY: u32 = 0xa;
pub const TX_DYNAMIC_START: u32 = 1 << 8;
pub const TX_DYNAMIC_STOP: u32 = 1 << 9;

/// Default bound of one wait, in status reads (~0.1 s of PCIe reads on hardware, far
/// more than a byte at 100 kHz).
pub const DEFAULT_MAX_POLLS: u32 = 100_000;

/// How a transfer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    Stop,
    /// Keep the bus for the next transfer (repeated START).
    RepeatedStart,
}

/// The AXI IIC controller context.
#[derive(Debug)]
pub struct AxiIic {
    regs: Mmio,
    bus_claimed: bool,
    max_polls: u32,
}

impl AxiIic {
    /// Library initialise: fails with [`I2cError::BusBusy`] when SR.BB is set.
    pub fn new(regs: Mmio) -> Result<Self, I2cError> {
        let iic = Self::new_unchecked(regs);
        if iic.sr() & SR_BB != 0 {
            return Err(I2cError::BusBusy);
        }
        Ok(iic)
    }

    /// A context without the bus-busy check (the probe sequences do their own).
    pub fn new_unchecked(regs: Mmio) -> Self {
        Self {
            regs,
            bus_claimed: false,
            max_polls: DEFAULT_MAX_POLLS,
        }
    }

    /// Bound every wait to `polls` status reads.
    pub fn with_max_polls(mut self, polls: u32) -> Self {
        self.max_polls = polls.max(1);
        self
    }

    pub fn sr(&self) -> u32 {
        self.regs.read32(SR)
    }

    fn isr(&self) -> u32 {
        self.regs.read32(ISR)
    }

    fn cr(&self) -> u32 {
        self.regs.read32(CR)
    }

    fn set_cr(&self, v: u32) {
        self.regs.write32(CR, v);
    }

    /// Clear ISR bits (toggle on write: write back the set bits among `mask`).
    fn clear_isr(&self, mask: u32) {
        let v = self.isr() & mask;
        if v != 0 {
            self.regs.write32(ISR, v);
        }
    }

    /// Poll `check` until it returns Some; bounded.
    fn wait<T>(
        &self,
        what: &'static str,
        mut check: impl FnMut(&Self) -> Option<Result<T, I2cError>>,
    ) -> Result<T, I2cError> {
        for _ in 0..self.max_polls {
            if let Some(r) = check(self) {
                return r;
            }
        }
        Err(I2cError::Timeout(what))
    }

    /// Soft reset (SOFTR := 0xA): registers and FIFOs.
    pub fn soft_reset(&mut self) {
        self.regs.write32(SOFTR, SOFTR_KEY);
        self.bus_claimed = false;
    }

    /// Abandon a transfer: disabling the core releases the bus.
    fn abort(&mut self) {
        self.set_cr(0);
        self.bus_claimed = false;
        for _ in 0..32 {
            if self.sr() & SR_RX_EMPTY != 0 {
                break;
            }
            self.regs.pop_u32(RX_FIFO);
        }
        self.clear_isr(ISR_ARB_LOST | ISR_TX_ERROR);
    }

    fn pre_check(&self) -> Result<(), I2cError> {
        let busy = self.sr() & SR_BB != 0;
        match (self.bus_claimed, busy) {
            (true, false) => Err(I2cError::BusIdle),
            (false, true) => Err(I2cError::BusBusy),
            _ => Ok(()),
        }
    }

    /// Read `buf.len()` bytes (last NACKed).
    pub fn read(&mut self, addr: u8, buf: &mut [u8], option: Termination) -> Result<(), I2cError> {
        let n = buf.len();
        let data = self.read_with(addr, option, |_| Some(n))?;
        buf.copy_from_slice(&data[..n]);
        Ok(())
    }

    /// Receive loop of i2c_probe.md 3.2; `total(bytes so far)` gives the transfer length
    /// once it is known (a block read knows it after the count byte).
    fn read_with(
        &mut self,
        addr: u8,
        option: Termination,
        total: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<Vec<u8>, I2cError> {
        let r = self.read_inner(addr, option, total);
        if r.is_err() {
            self.abort();
        }
        r
    }

    fn read_inner(
        &mut self,
        addr: u8,
        option: Termination,
        total: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<Vec<u8>, I2cError> {
        self.pre_check()?;
        self.clear_isr(ISR_RX_FULL | ISR_TX_ERROR | ISR_ARB_LOST);
        self.regs.write32(RX_FIFO_PIRQ, 0);
        let mut out: Vec<u8> = Vec::new();
        if total(&out) == Some(0) {
            return Err(I2cError::Timeout("a read of zero bytes"));
        }
        let single = total(&out) == Some(1);
        let txak = if single { CR_TXAK } else { 0 };
        let address = u32::from(addr) << 1 | 1;
        if self.cr() & CR_RSTA == 0 {
            self.regs.write32(TX_FIFO, address);
            self.set_cr(CR_MSMS | CR_EN | txak);
            self.wait("bus busy after START", |s| {
                let isr = s.isr();
                if isr & ISR_ARB_LOST != 0 {
                    Some(Err(I2cError::ArbitrationLost))
                } else if s.sr() & SR_BB != 0 || isr & ISR_TX_ERROR != 0 {
                    Some(Ok(()))
                } else {
                    None
                }
            })?;
        } else {
            self.set_cr((self.cr() & !CR_TX) | txak);
            self.regs.write32(TX_FIFO, address);
        }
        let mut txak_set = single;
        loop {
            let before = total(&out);
            let last = before == Some(out.len() + 1);
            let mut mask = ISR_ARB_LOST | ISR_NOT_BUSY;
            if !last {
                mask |= ISR_TX_ERROR;
            }
            let first = out.is_empty();
            self.wait("received byte", |s| {
                let isr = s.isr();
                if isr & ISR_RX_FULL != 0 {
                    Some(Ok(()))
                } else if isr & ISR_ARB_LOST != 0 {
                    Some(Err(I2cError::ArbitrationLost))
                } else if isr & mask != 0 {
                    Some(Err(if first {
                        I2cError::AddressNack { read: true }
                    } else {
                        I2cError::BusIdle
                    }))
                } else {
                    None
                }
            })?;
            if let Some(n) = before {
                self.prepare_next(n - out.len() - 1, option, &mut txak_set);
            }
            out.push(self.regs.pop_u32(RX_FIFO) as u8);
            let after = total(&out);
            if before.is_none() {
                match after {
                    Some(n) if n <= out.len() => {
                        // Nothing more wanted after an ACKed byte: the core clocks one more
                        // byte (NACKed) and then STOPs.
                        self.set_cr(CR_EN);
                        self.wait("bus not busy", |s| {
                            (s.isr() & ISR_NOT_BUSY != 0).then_some(Ok(()))
                        })?;
                        self.abort();
                        return Ok(out);
                    }
                    Some(n) => self.prepare_next(n - out.len(), option, &mut txak_set),
                    None => {}
                }
            }
            self.clear_isr(ISR_RX_FULL | ISR_TX_ERROR | ISR_ARB_LOST);
            if after == Some(out.len()) {
                break;
            }
        }
        match option {
            Termination::Stop => {
                self.wait("bus not busy after STOP", |s| {
                    (s.isr() & ISR_NOT_BUSY != 0).then_some(Ok(()))
                })?;
                self.set_cr(0);
                self.bus_claimed = false;
            }
            Termination::RepeatedStart => {
                self.set_cr(CR_EN | CR_MSMS | CR_RSTA);
                self.bus_claimed = true;
            }
        }
        Ok(out)
    }

    /// Before the byte after next (`remaining` still wanted after the one being read):
    /// NACK the final byte, clear MSMS for the STOP.
    fn prepare_next(&self, remaining: usize, option: Termination, txak_set: &mut bool) {
        if remaining == 1 && !*txak_set {
            self.set_cr(self.cr() | CR_TXAK);
            *txak_set = true;
        }
        if remaining == 0 && option == Termination::Stop {
            self.set_cr(CR_EN);
        }
    }

    /// Write `bytes` (the section-12 write, bounded). Address NACK and data NACK are told
    /// apart when the core reports them in time.
    pub fn write(&mut self, addr: u8, bytes: &[u8], option: Termination) -> Result<(), I2cError> {
        let r = self.write_inner(addr, bytes, option);
        if r.is_err() {
            self.abort();
        }
        r
    }

    fn wait_tx_done(&self, nack: I2cError) -> Result<(), I2cError> {
        self.wait("transmit FIFO empty", |s| {
            // SR first: the ISR read after it also shows an error that ended the transfer
            // in between.
            let sr = s.sr();
            let isr = s.isr();
            if isr & ISR_ARB_LOST != 0 {
                Some(Err(I2cError::ArbitrationLost))
            } else if isr & ISR_TX_ERROR != 0 {
                Some(Err(nack))
            } else if sr & SR_TX_EMPTY != 0 && sr & SR_BB != 0 {
                Some(Ok(()))
            } else if sr & SR_BB == 0 && sr & SR_TX_EMPTY != 0 {
                Some(Err(I2cError::BusIdle))
            } else {
                None
            }
        })
    }

    fn write_inner(&mut self, addr: u8, bytes: &[u8], option: Termination) -> Result<(), I2cError> {
        self.pre_check()?;
        self.clear_isr(ISR_TX_ERROR | ISR_ARB_LOST | ISR_TX_EMPTY);
        let address = u32::from(addr) << 1;
        if self.cr() & CR_RSTA == 0 {
            self.regs.write32(TX_FIFO, address);
            self.set_cr(CR_MSMS | CR_TX | CR_EN);
        } else {
            self.set_cr(self.cr() | CR_TX);
            self.regs.write32(TX_FIFO, address);
        }
        self.wait_tx_done(I2cError::AddressNack { read: false })?;
        for &b in bytes {
            self.regs.write32(TX_FIFO, u32::from(b));
            self.wait_tx_done(I2cError::DataNack)?;
        }
        match option {
            Termination::Stop => {
                self.set_cr(CR_EN | CR_TX);
                self.wait("bus not busy after STOP", |s| {
                    (s.isr() & ISR_NOT_BUSY != 0).then_some(Ok(()))
                })?;
                let nacked = self.isr() & ISR_TX_ERROR != 0;
                self.set_cr(0);
                self.bus_claimed = false;
                if nacked {
                    return Err(I2cError::DataNack);
                }
            }
            Termination::RepeatedStart => {
                self.set_cr(CR_RSTA | CR_EN | CR_TX | CR_MSMS);
                self.bus_claimed = true;
            }
        }
        Ok(())
    }

    /// Bus-busy handling before the probe sequences (i2c_probe.md 3.3): Ok(true) when a
    /// soft reset was needed and cleared it, Err(BusBusy) when the bus stays busy.
    pub fn clear_busy_by_soft_reset(&mut self) -> Result<bool, I2cError> {
        if self.sr() & SR_BB == 0 {
            return Ok(false);
        }
        self.soft_reset();
        if self.sr() & SR_BB == 0 {
            Ok(true)
        } else {
            Err(I2cError::BusBusy)
        }
    }

    /// Single-byte probe read (i2c_probe.md 3.3), standard or dynamic mode: Some(byte) when
    /// the device answered.
    pub fn probe_read(&mut self, addr: u8, dynamic: bool) -> Result<Option<u8>, I2cError> {
        if self.isr() & ISR_TX_ERROR != 0 {
            self.regs.write32(ISR, ISR_TX_ERROR);
        }
        for _ in 0..32 {
            if self.sr() & SR_RX_EMPTY != 0 {
                break;
            }
            self.regs.pop_u32(RX_FIFO);
        }
        self.regs
            .write32(RX_FIFO_PIRQ, if dynamic { 0xf } else { 0 });
        self.set_cr(CR_TX_FIFO_RESET);
        self.set_cr(CR_EN);
        let address = u32::from(addr) << 1 | 1;
        if dynamic {
            self.regs.write32(TX_FIFO, TX_DYNAMIC_START | address);
            self.regs.write32(TX_FIFO, TX_DYNAMIC_STOP | 1);
        } else {
            self.regs.write32(TX_FIFO, address);
            self.set_cr(CR_EN | CR_TXAK | CR_MSMS);
        }
        let r = self.wait("transfer complete", |s| {
            let isr = s.isr();
            if isr & ISR_TX_ERROR != 0 {
                Some(Ok(()))
            } else if isr & ISR_ARB_LOST != 0 {
                Some(Err(I2cError::ArbitrationLost))
            } else {
                None
            }
        });
        if let Err(e) = r {
            self.abort();
            return Err(e);
        }
        Ok((self.sr() & SR_RX_EMPTY == 0).then(|| self.regs.pop_u32(RX_FIFO) as u8))
    }

    /// End the ownership left by [`AxiIic::probe_read`] (the probe loop does it with the
    /// next iteration's FIFO reset).
    pub fn release(&mut self) {
        self.set_cr(CR_TX_FIFO_RESET);
        self.set_cr(0);
        self.bus_claimed = false;
    }
}

impl ErrorType for AxiIic {
    type Error = I2cError;
}

impl I2c<SevenBitAddress> for AxiIic {
    fn transaction(
        &mut self,
        address: SevenBitAddress,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        // Merge adjacent operations of the same direction (no repeated START between).
        let mut i = 0;
        while i < operations.len() {
            let read = matches!(operations[i], Operation::Read(_));
            let mut j = i;
            while j < operations.len() && matches!(operations[j], Operation::Read(_)) == read {
                j += 1;
            }
            let option = if j == operations.len() {
                Termination::Stop
            } else {
                Termination::RepeatedStart
            };
            if read {
                let n: usize = operations[i..j]
                    .iter()
                    .map(|o| match o {
                        Operation::Read(b) => b.len(),
                        Operation::Write(_) => 0,
                    })
                    .sum();
                let data = if n == 0 {
                    Vec::new()
                } else {
                    self.read_with(address, option, |_| Some(n))?
                };
                let mut off = 0;
                for op in &mut operations[i..j] {
                    if let Operation::Read(b) = op {
                        let len = b.len();
                        b.copy_from_slice(&data[off..off + len]);
                        off += len;
                    }
                }
            } else {
                let bytes: Vec<u8> = operations[i..j]
                    .iter()
                    .flat_map(|o| match o {
                        Operation::Write(b) => b.to_vec(),
                        Operation::Read(_) => Vec::new(),
                    })
                    .collect();
                self.write(address, &bytes, option)?;
            }
            i = j;
        }
        Ok(())
    }
}

impl SmbusI2c for AxiIic {
    fn is_read_address_nack(error: &I2cError) -> bool {
        error.is_read_address_nack()
    }

    fn write_read_counted(
        &mut self,
        address: u8,
        write: &[u8],
        max: u8,
        extra: usize,
    ) -> Result<CountedRead, I2cError> {
        self.write(address, write, Termination::RepeatedStart)?;
        let data = self.read_with(address, Termination::Stop, |got| {
            got.first().map(|&count| {
                if count == 0 || count > max {
                    1
                } else {
                    1 + usize::from(count) + extra
                }
            })
        })?;
        let count = data[0];
        Ok(CountedRead {
            count,
            data: data[1..].to_vec(),
        })
    }
}
