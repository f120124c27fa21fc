//! SMBus messages (i2c_probe.md 2.6) over any [`embedded_hal::i2c::I2c`] bus: byte / word /
//! block reads and writes, block-write/block-read process call, PEC generated and
//! checked per address, PMBus PAGE_PLUS_READ; and the executor of the decoders'
//! [`RawRead`] lists.
//!
//! The PEC is computed here from the bytes of the message (both address bytes, command,
//! counts, data), so the bus only has to move bytes. A block read needs the count byte
//! before it knows how many bytes follow, which one embedded-hal transaction cannot
//! express: buses implement [`SmbusI2c::write_read_counted`]; the default implementation
//! reads `max` bytes (plus PEC) and keeps what the count says, which works with devices
//! that tolerate over-reads. Both masters of this crate override it with the exact wire
//! sequence.

use embedded_hal::i2c::{Error as _, ErrorKind, I2c, NoAcknowledgeSource, Operation};

use super::pec::{address_byte, PecAccumulator};
use super::status::SmbusStatus;
use crate::pmbus::commands::PAGE_PLUS_READ;
use crate::reads::RawRead;

/// Count byte and the bytes that followed it (data plus `extra` PEC bytes). No bytes
/// follow an invalid count (0 or above the maximum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedRead {
    pub count: u8,
    pub data: Vec<u8>,
}

/// A bus that can do a block read whose length comes from the device.
pub trait SmbusI2c: I2c {
    /// `S a+W write.. Sr a+R count(A) d0.. d(count+extra-1)(N) P`; with count 0 or above
    /// `max` no data bytes are clocked and the STOP follows at once.
    fn write_read_counted(
        &mut self,
        address: u8,
        write: &[u8],
        max: u8,
        extra: usize,
    ) -> Result<CountedRead, Self::Error> {
        let mut buf = vec![0u8; 1 + usize::from(max) + extra];
        self.transaction(
            address,
            &mut [Operation::Write(write), Operation::Read(&mut buf)],
        )?;
        let count = buf[0];
        if count == 0 || count > max {
            return Ok(CountedRead {
                count,
                data: Vec::new(),
            });
        }
        let n = usize::from(count) + extra;
        Ok(CountedRead {
            count,
            data: buf[1..=n].to_vec(),
        })
    }

    /// Whether an address NACK was on the R address after the repeated START (embedded-hal
    /// only says "address"). Default: no (reported as a write address NACK).
    fn is_read_address_nack(_error: &Self::Error) -> bool {
        false
    }
}

/// Any embedded-hal bus used with the over-reading block read.
#[derive(Debug)]
pub struct OverReadBlocks<I>(pub I);

impl<I: embedded_hal::i2c::ErrorType> embedded_hal::i2c::ErrorType for OverReadBlocks<I> {
    type Error = I::Error;
}

impl<I: I2c> I2c for OverReadBlocks<I> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.0.transaction(address, operations)
    }
}

impl<I: I2c> SmbusI2c for OverReadBlocks<I> {}

/// A failed SMBus message: its status, and the bus error behind it (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmbusFailure<E> {
    pub status: SmbusStatus,
    /// The bus error when the status comes from one (NACK, stuck bus, timeout).
    pub bus_error: Option<E>,
}

impl<E: embedded_hal::i2c::Error + std::fmt::Display> std::fmt::Display for SmbusFailure<E> {
    /// The status description, plus the bus error when it is not a plain NACK.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bus_error {
            Some(e) if !matches!(e.kind(), ErrorKind::NoAcknowledge(_)) => {
                write!(f, "{} ({e})", self.status)
            }
            _ => write!(f, "{}", self.status),
        }
    }
}

/// Result of an SMBus message.
pub type SmbusResult<T, E> = Result<T, SmbusFailure<E>>;

/// Diagnostics kept after each message (i2c_probe.md 2.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Diagnostics {
    pub last_command: u8,
    pub last_block_count: u8,
    pub actual_pec: u8,
    pub expected_pec: u8,
}

/// The SMBus layer: a bus plus the per-address PEC enables.
pub struct SmbusMaster<I> {
    bus: I,
    pec: [bool; 128],
    diagnostics: Diagnostics,
}

impl<I> std::fmt::Debug for SmbusMaster<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmbusMaster")
            .field("diagnostics", &self.diagnostics)
            .finish()
    }
}

impl<I: SmbusI2c> SmbusMaster<I> {
    /// PEC disabled for every address.
    pub fn new(bus: I) -> Self {
        Self {
            bus,
            pec: [false; 128],
            diagnostics: Diagnostics::default(),
        }
    }

    pub fn bus(&mut self) -> &mut I {
        &mut self.bus
    }

    pub fn into_inner(self) -> I {
        self.bus
    }

    pub fn diagnostics(&self) -> Diagnostics {
        self.diagnostics
    }

    /// Switch PEC on or off for an address (PMBus: once CAPABILITY says it is supported).
    pub fn set_pec(&mut self, addr: u8, enabled: bool) {
        if let Some(e) = self.pec.get_mut(usize::from(addr)) {
            *e = enabled;
        }
    }

    pub fn pec_enabled(&self, addr: u8) -> bool {
        self.pec.get(usize::from(addr)).copied().unwrap_or(false)
    }

    fn fail(status: SmbusStatus, e: Option<I::Error>) -> SmbusFailure<I::Error> {
        SmbusFailure {
            status,
            bus_error: e,
        }
    }

    /// Bus error -> SMBus status. A NACK of the R address after the repeated START is a
    /// read address NACK; a NACK of the first (W) address a write address NACK.
    fn bus_failure(e: I::Error, read_address_nack: bool) -> SmbusFailure<I::Error> {
        let status = match e.kind() {
            ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data) => SmbusStatus::WriteDataNack,
            ErrorKind::NoAcknowledge(_) if read_address_nack => SmbusStatus::ReadAddressNack,
            _ => SmbusStatus::WriteAddressNack,
        };
        Self::fail(status, Some(e))
    }

    fn begin(&mut self, addr: u8, command: u8) -> bool {
        self.diagnostics.last_command = command;
        self.pec_enabled(addr)
    }

    fn check_pec(&mut self, acc: &PecAccumulator, actual: u8) -> Result<(), SmbusStatus> {
        let expected = acc.value();
        self.diagnostics.actual_pec = actual;
        self.diagnostics.expected_pec = expected;
        if actual == expected {
            Ok(())
        } else {
            Err(SmbusStatus::ReadIncorrectPec { actual, expected })
        }
    }

    fn is_read_address_nack(e: &I::Error) -> bool {
        I::is_read_address_nack(e)
    }

    /// Read `n` data bytes after `command`: `S a+W cmd Sr a+R d.. [PEC] P`.
    /// With PEC all data bytes are ACKed and the PEC byte NACKed.
    pub fn read(&mut self, addr: u8, command: u8, n: usize) -> SmbusResult<Vec<u8>, I::Error> {
        let pec = self.begin(addr, command);
        let mut buf = vec![0u8; n + usize::from(pec)];
        if let Err(e) = self.bus.transaction(
            addr,
            &mut [Operation::Write(&[command]), Operation::Read(&mut buf)],
        ) {
            let read_nack = Self::is_read_address_nack(&e);
            return Err(Self::bus_failure(e, read_nack));
        }
        if pec {
            let mut acc = PecAccumulator::new();
            for b in [address_byte(addr, false), command, address_byte(addr, true)] {
                acc.update(b);
            }
            for &b in &buf[..n] {
                acc.update(b);
            }
            self.check_pec(&acc, buf[n])
                .map_err(|s| Self::fail(s, None))?;
            buf.truncate(n);
        }
        Ok(buf)
    }

    pub fn read_byte(&mut self, addr: u8, command: u8) -> SmbusResult<u8, I::Error> {
        Ok(self.read(addr, command, 1)?[0])
    }

    /// Word read, low byte first.
    pub fn read_word(&mut self, addr: u8, command: u8) -> SmbusResult<u16, I::Error> {
        let b = self.read(addr, command, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Write `command` and `data` (+PEC): `S a+W cmd d.. [PEC] P`.
    pub fn write(&mut self, addr: u8, command: u8, data: &[u8]) -> SmbusResult<(), I::Error> {
        let pec = self.begin(addr, command);
        let mut bytes = vec![command];
        bytes.extend_from_slice(data);
        if pec {
            let mut acc = PecAccumulator::new();
            acc.update(address_byte(addr, false));
            for &b in &bytes {
                acc.update(b);
            }
            bytes.push(acc.value());
        }
        self.bus
            .transaction(addr, &mut [Operation::Write(&bytes)])
            .map_err(|e| Self::bus_failure(e, false))
    }

    pub fn write_byte(&mut self, addr: u8, command: u8, value: u8) -> SmbusResult<(), I::Error> {
        self.write(addr, command, &[value])
    }

    pub fn write_word(&mut self, addr: u8, command: u8, value: u16) -> SmbusResult<(), I::Error> {
        self.write(addr, command, &value.to_le_bytes())
    }

    /// Block write: `S a+W cmd count d.. [PEC] P`.
    pub fn block_write(&mut self, addr: u8, command: u8, data: &[u8]) -> SmbusResult<(), I::Error> {
        let count = u8::try_from(data.len())
            .map_err(|_| Self::fail(SmbusStatus::InvalidBlockByteCount { count: 0 }, None))?;
        let mut bytes = vec![count];
        bytes.extend_from_slice(data);
        self.write(addr, command, &bytes)
    }

    /// Process call: word written, word read back in one message.
    pub fn process_call(
        &mut self,
        addr: u8,
        command: u8,
        value: u16,
    ) -> SmbusResult<u16, I::Error> {
        let pec = self.begin(addr, command);
        let w = value.to_le_bytes();
        let mut buf = vec![0u8; 2 + usize::from(pec)];
        if let Err(e) = self.bus.transaction(
            addr,
            &mut [
                Operation::Write(&[command, w[0], w[1]]),
                Operation::Read(&mut buf),
            ],
        ) {
            let read_nack = Self::is_read_address_nack(&e);
            return Err(Self::bus_failure(e, read_nack));
        }
        if pec {
            let mut acc = PecAccumulator::new();
            for b in [
                address_byte(addr, false),
                command,
                w[0],
                w[1],
                address_byte(addr, true),
            ] {
                acc.update(b);
            }
            acc.update(buf[0]);
            acc.update(buf[1]);
            self.check_pec(&acc, buf[2])
                .map_err(|s| Self::fail(s, None))?;
        }
        Ok(u16::from_le_bytes([buf[0], buf[1]]))
    }

    /// Block read: `S a+W cmd Sr a+R count d.. [PEC] P`, count must be 1..=max.
    pub fn block_read(&mut self, addr: u8, command: u8, max: u8) -> SmbusResult<Vec<u8>, I::Error> {
        self.counted(addr, command, &[command], max)
    }

    /// Block-write/block-read process call: `S a+W cmd wcount w.. Sr a+R rcount r.. [PEC] P`
    /// (no PEC on the write part).
    pub fn block_process_call(
        &mut self,
        addr: u8,
        command: u8,
        write: &[u8],
        max: u8,
    ) -> SmbusResult<Vec<u8>, I::Error> {
        let wcount =
            u8::try_from(write.len()).map_err(|_| Self::fail(SmbusStatus::WriteDataNack, None))?;
        let mut bytes = vec![command, wcount];
        bytes.extend_from_slice(write);
        self.counted(addr, command, &bytes, max)
    }

    fn counted(
        &mut self,
        addr: u8,
        command: u8,
        written: &[u8],
        max: u8,
    ) -> SmbusResult<Vec<u8>, I::Error> {
        let pec = self.begin(addr, command);
        let r = match self
            .bus
            .write_read_counted(addr, written, max, usize::from(pec))
        {
            Ok(r) => r,
            Err(e) => {
                let read_nack = Self::is_read_address_nack(&e);
                return Err(Self::bus_failure(e, read_nack));
            }
        };
        self.diagnostics.last_block_count = r.count;
        if r.count == 0 || r.count > max {
            return Err(Self::fail(
                SmbusStatus::InvalidBlockByteCount { count: r.count },
                None,
            ));
        }
        let n = usize::from(r.count);
        let mut data = r.data;
        if pec {
            let mut acc = PecAccumulator::new();
            acc.update(address_byte(addr, false));
            for &b in written {
                acc.update(b);
            }
            acc.update(address_byte(addr, true));
            acc.update(r.count);
            for &b in &data[..n] {
                acc.update(b);
            }
            self.check_pec(&acc, data[n])
                .map_err(|s| Self::fail(s, None))?;
            data.truncate(n);
        }
        Ok(data)
    }

    /// PMBus PAGE_PLUS_READ: `command` of `page` without touching PAGE; the returned
    /// count must be `len`.
    pub fn page_plus_read(
        &mut self,
        addr: u8,
        page: u8,
        command: u8,
        len: u8,
    ) -> SmbusResult<Vec<u8>, I::Error> {
        let data = self.block_process_call(addr, PAGE_PLUS_READ, &[page, command], len)?;
        if data.len() != usize::from(len) {
            return Err(Self::fail(
                SmbusStatus::InvalidBlockByteCount {
                    count: data.len() as u8,
                },
                None,
            ));
        }
        Ok(data)
    }

    /// PMBus PAGE write.
    pub fn set_page(&mut self, addr: u8, page: u8) -> SmbusResult<(), I::Error> {
        self.write_byte(addr, crate::pmbus::commands::PAGE, page)
    }

    // ---- plain I2C operations used by the decoders' read lists -------------------

    /// Executes one [`RawRead`]; returns the bytes read (empty for a write).
    /// `pec: false` in an SMBus read forces PEC off for that message.
    pub fn execute(&mut self, read: &RawRead) -> SmbusResult<Vec<u8>, I::Error> {
        match *read {
            RawRead::Register {
                addr,
                reg,
                len,
                repeated_start,
            } => {
                self.diagnostics.last_command = reg;
                let mut buf = vec![0u8; len];
                let r = if repeated_start {
                    self.bus.transaction(
                        addr,
                        &mut [Operation::Write(&[reg]), Operation::Read(&mut buf)],
                    )
                } else {
                    self.bus
                        .transaction(addr, &mut [Operation::Write(&[reg])])
                        .and_then(|()| self.bus.transaction(addr, &mut [Operation::Read(&mut buf)]))
                };
                r.map(|()| buf).map_err(|e| {
                    let read_nack = Self::is_read_address_nack(&e);
                    Self::bus_failure(e, read_nack)
                })
            }
            RawRead::Write { addr, ref bytes } => {
                self.diagnostics.last_command = bytes.first().copied().unwrap_or(0);
                self.bus
                    .transaction(addr, &mut [Operation::Write(bytes)])
                    .map(|()| Vec::new())
                    .map_err(|e| Self::bus_failure(e, false))
            }
            RawRead::SmbusRead {
                addr,
                command,
                len,
                pec,
            } => self.with_pec(addr, pec, |m| m.read(addr, command, len)),
            RawRead::SmbusBlockRead {
                addr,
                command,
                max,
                pec,
            } => self.with_pec(addr, pec, |m| m.block_read(addr, command, max)),
            RawRead::PagedRead {
                addr,
                page,
                command,
                len,
                pec,
            } => self.with_pec(addr, pec, |m| m.page_plus_read(addr, page, command, len)),
        }
    }

    fn with_pec<T>(
        &mut self,
        addr: u8,
        pec: bool,
        f: impl FnOnce(&mut Self) -> SmbusResult<T, I::Error>,
    ) -> SmbusResult<T, I::Error> {
        let saved = self.pec_enabled(addr);
        if !pec {
            self.set_pec(addr, false);
        }
        let r = f(self);
        self.set_pec(addr, saved);
        r
    }
}
