//! The board-information dump of `i2c_dump_info` (i2c_probe.md 5.1-5.5): executes each
//! decoder's [`RawRead`] list on an SMBus master over any bus and renders the sections.
//!
//! The report text (stdout) is exactly the original's. In addition every failed bus
//! operation is recorded as a diagnostic line naming the device address and the
//! operation (the tool prints them on stderr and exits with failure status).

use std::fmt::Display;

use crate::decode::fan_cpld::{self, FanCpldReadings, RegisterRead};
use crate::decode::jc42::{self, Jc42Readings};
use crate::decode::ltm4676a::{
    self, check_vout_mode, Ltm4676aReadings, Telemetry, LTM4676A_ADDRS, PAGES, SENSORS,
};
use crate::decode::si5338::{self, Si5338Failure, Si5338Readings};
use crate::decode::spd_common::CrcPolicy;
use crate::decode::spd_ddr3;
use crate::pmbus::commands::CAPABILITY_PEC;
use crate::pmbus::failure::PmbusFailure;
use crate::reads::RawRead;
use crate::smbus::transfer::{SmbusFailure, SmbusI2c, SmbusMaster};
use embedded_hal::i2c::Operation;

/// Report text and the diagnostics of what failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpReport {
    /// The sections, exactly as printed by the original.
    pub text: String,
    /// One line per failure: `I2C device 0x<addr>: <operation> failed: <reason>`.
    pub errors: Vec<String>,
}

impl DumpReport {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Human description of one raw read, for diagnostics.
pub fn describe(read: &RawRead) -> (u8, String) {
    match read {
        RawRead::Register {
            addr,
            reg,
            len,
            repeated_start,
        } => (
            *addr,
            format!(
                "register read of 0x{reg:02x} ({len} byte{}{})",
                if *len == 1 { "" } else { "s" },
                if *repeated_start {
                    ""
                } else {
                    ", pointer write with STOP"
                }
            ),
        ),
        RawRead::Write { addr, bytes } => {
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            (*addr, format!("write of [{}]", hex.join(" ")))
        }
        RawRead::SmbusRead {
            addr, command, len, ..
        } => (
            *addr,
            format!(
                "SMBus read of command 0x{command:02x} ({len} byte{})",
                if *len == 1 { "" } else { "s" }
            ),
        ),
        RawRead::SmbusBlockRead { addr, command, .. } => (
            *addr,
            format!("SMBus block read of command 0x{command:02x}"),
        ),
        RawRead::PagedRead {
            addr,
            page,
            command,
            ..
        } => (
            *addr,
            format!("PMBus PAGE_PLUS_READ of command 0x{command:02x} page {page}"),
        ),
    }
}

/// Runs the dump on one bus.
pub struct Dumper<'a, I> {
    smbus: &'a mut SmbusMaster<I>,
    errors: Vec<String>,
}

impl<'a, I> Dumper<'a, I>
where
    I: SmbusI2c,
    I::Error: Display,
{
    /// `smbus` is the design's controller context: its PEC enables are shared by both
    /// LTM4676A sections.
    pub fn new(smbus: &'a mut SmbusMaster<I>) -> Self {
        Self {
            smbus,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, read: &RawRead, reason: impl Display) {
        let (addr, op) = describe(read);
        self.errors
            .push(format!("I2C device 0x{addr:02x}: {op} failed: {reason}"));
    }

    fn run(&mut self, read: &RawRead) -> Result<Vec<u8>, SmbusFailure<I::Error>> {
        let r = self.smbus.execute(read);
        if let Err(e) = &r {
            self.error(read, e);
        }
        r
    }

    /// Every section of i2c_probe.md 5.1-5.5, in order.
    pub fn dump_all(mut self) -> DumpReport {
        let mut text = String::new();
        text += &self.fan();
        text += &self.jc42();
        text += &self.spd();
        for addr in LTM4676A_ADDRS {
            text += &self.ltm4676a(addr);
        }
        text += &self.si5338();
        DumpReport {
            text,
            errors: self.errors,
        }
    }

    /// 5.1: pointer write + STOP, then a read in a new message, per register.
    pub fn fan(&mut self) -> String {
        let mut values = Vec::new();
        for read in fan_cpld::reads() {
            let RawRead::Register { addr, reg, len, .. } = read else {
                continue;
            };
            let bus = self.smbus.bus();
            let value = match bus.transaction(addr, &mut [Operation::Write(&[reg])]) {
                Err(e) => {
                    self.error(
                        &RawRead::Write {
                            addr,
                            bytes: vec![reg],
                        },
                        e,
                    );
                    RegisterRead::PointerNack
                }
                Ok(()) => {
                    let mut buf = vec![0u8; len];
                    match bus.transaction(addr, &mut [Operation::Read(&mut buf)]) {
                        Ok(()) => RegisterRead::Value(buf[0]),
                        Err(e) => {
                            self.error(&read, e);
                            RegisterRead::ReadFailed
                        }
                    }
                }
            };
            values.push(value);
        }
        let get = |i: usize| values.get(i).copied().unwrap_or(RegisterRead::ReadFailed);
        fan_cpld::render(&FanCpldReadings {
            control: get(0),
            rps: get(1),
        })
    }

    /// 5.2: seven 16-bit registers, MSB first.
    pub fn jc42(&mut self) -> String {
        let words: Vec<Option<u16>> = jc42::reads()
            .iter()
            .map(|read| {
                self.run(read)
                    .ok()
                    .and_then(|b| Some(jc42::word([*b.first()?, *b.get(1)?])))
            })
            .collect();
        let w = |i: usize| words.get(i).copied().flatten();
        jc42::render(&Jc42Readings {
            capabilities: w(0),
            configuration: w(1),
            high_limit: w(2),
            low_limit: w(3),
            critical_limit: w(4),
            ambient: w(5),
            manufacturer_id: w(6),
        })
    }

    /// 5.3: one 256-byte register read from pointer 0; a CRC mismatch is also a failure.
    pub fn spd(&mut self) -> String {
        let mut spd: Option<Vec<u8>> = None;
        for read in spd_ddr3::reads() {
            spd = self.run(&read).ok();
        }
        match spd {
            None => spd_ddr3::render_dump_section(None),
            Some(bytes) => {
                let report = spd_ddr3::decode(&bytes, CrcPolicy::Stop);
                if !report.crc_passed() {
                    let detail = report
                        .crc
                        .first()
                        .map(|c| c.text())
                        .unwrap_or_else(|| "CRC not checked".into());
                    self.errors.push(format!(
                        "I2C device 0x{:02x}: SPD contents invalid: {detail}",
                        spd_ddr3::SPD_ADDR
                    ));
                }
                report.text
            }
        }
    }

    fn pmbus_failure(&mut self, read: &RawRead, e: SmbusFailure<I::Error>) -> PmbusFailure {
        let _ = read;
        PmbusFailure::new(self.smbus.diagnostics().last_command, e.status)
    }

    /// 5.4: one LTM4676A (identity, write protection, telemetry).
    pub fn ltm4676a(&mut self, addr: u8) -> String {
        let r = self.ltm_readings(addr);
        ltm4676a::render(&r)
    }

    fn ltm_readings(&mut self, addr: u8) -> Ltm4676aReadings {
        let mut r = Ltm4676aReadings::new(addr);
        let ids = ltm4676a::identity_reads(addr);
        let mut values: Vec<Vec<u8>> = Vec::new();
        for (i, read) in ids.iter().enumerate() {
            match self.run(read) {
                Ok(v) => {
                    if i == 0 && v.first().is_some_and(|c| c & CAPABILITY_PEC != 0) {
                        self.smbus.set_pec(addr, true);
                    }
                    values.push(v);
                }
                // Step 5 (WRITE_PROTECT / MFR_COMMON): failures are silently ignored.
                Err(_) if i >= 4 => values.push(Vec::new()),
                Err(e) => {
                    r.failure = Some(self.pmbus_failure(read, e));
                    break;
                }
            }
            match i {
                1 => {
                    r.capability = values[0].first().copied();
                    r.revision = values[1].first().copied();
                }
                3 => {
                    r.mfr_id = Some(values[2].clone());
                    r.mfr_model = Some(values[3].clone());
                }
                5 => {
                    if let (Some(&wp), Some(&common)) = (values[4].first(), values[5].first()) {
                        r.write_protect = Some((wp, common));
                    }
                }
                _ => {}
            }
        }
        if r.failure.is_some() {
            return r;
        }
        let reads = ltm4676a::telemetry_reads(addr);
        let mut results = Vec::with_capacity(reads.len());
        for (i, read) in reads.iter().enumerate() {
            match self.run(read) {
                Ok(v) => {
                    if i < PAGES {
                        let mode = v.first().copied().unwrap_or(0);
                        if let Err(f) = check_vout_mode(mode) {
                            r.unsupported_vout_mode = Some(mode);
                            r.failure = Some(f);
                            let (a, op) = describe(read);
                            self.errors.push(format!(
                                "I2C device 0x{a:02x}: {op}: unsupported vout_mode byte 0x{mode:02x}"
                            ));
                            return r;
                        }
                    }
                    results.push(v);
                }
                Err(e) => {
                    r.failure = Some(self.pmbus_failure(read, e));
                    return r;
                }
            }
        }
        let byte = |v: &Vec<u8>| v.first().copied().unwrap_or(0);
        let word = |v: &Vec<u8>| {
            u16::from_le_bytes([
                v.first().copied().unwrap_or(0),
                v.get(1).copied().unwrap_or(0),
            ])
        };
        let mut t = Telemetry {
            vout_mode: [0; PAGES],
            words: [[0; PAGES]; SENSORS.len()],
        };
        let mut it = results.iter();
        for page in 0..PAGES {
            t.vout_mode[page] = it.next().map(byte).unwrap_or(0);
        }
        for (i, sensor) in SENSORS.iter().enumerate() {
            let pages = if sensor.paged { PAGES } else { 1 };
            for page in 0..pages {
                t.words[i][page] = it.next().map(word).unwrap_or(0);
            }
        }
        r.telemetry = Some(t);
        r
    }

    /// 5.5: page 1 registers, then page 0; PAGE_SEL checked after each selection.
    pub fn si5338(&mut self) -> String {
        let registers = self.si5338_registers();
        si5338::render(&Si5338Readings { registers })
    }

    fn si5338_registers(&mut self) -> Result<Vec<u8>, Si5338Failure> {
        let reads = si5338::reads();
        let mut pages: Vec<Vec<u8>> = Vec::new();
        for chunk in reads.chunks(3) {
            let [select, readback, block] = chunk else {
                return Err(Si5338Failure::RegisterReadFailed);
            };
            let wrote = match select {
                RawRead::Write { bytes, .. } => bytes.get(1).copied().unwrap_or(0),
                _ => 0,
            };
            if self.run(select).is_err() {
                return Err(Si5338Failure::PageSelectFailed);
            }
            match self.run(readback) {
                Err(_) => return Err(Si5338Failure::PageSelectFailed),
                Ok(v) => {
                    let value = v.first().copied().unwrap_or(0);
                    if value != wrote {
                        let (a, _) = describe(select);
                        self.errors.push(format!(
                            "I2C device 0x{a:02x}: PAGE_SEL readback {value} after writing {wrote}"
                        ));
                        return Err(Si5338Failure::PageSelectMismatch {
                            wrote,
                            readback: value,
                        });
                    }
                }
            }
            pages.push(
                self.run(block)
                    .map_err(|_| Si5338Failure::RegisterReadFailed)?,
            );
        }
        // Read order: page 1 (registers 256..350), then page 0 (0..255).
        let mut regs = pages.pop().unwrap_or_default();
        regs.extend(pages.pop().unwrap_or_default());
        Ok(regs)
    }
}
