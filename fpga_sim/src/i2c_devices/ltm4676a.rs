//! LTM4676A PMBus slave (i2c_probe.md 10.5): two pages, byte / word / block reads,
//! PAGE_PLUS_READ, PEC appended on reads when the master keeps clocking after the last
//! data byte, PEC checked on writes when present.

use super::pec::SMBUS_PEC;
use super::{I2cTarget, TargetFault};
use std::collections::BTreeMap;

const PAGE: u8 = 0x00;
const CLEAR_FAULTS: u8 = 0x03;
const PAGE_PLUS_READ: u8 = 0x06;
const WRITE_PROTECT: u8 = 0x10;
const CAPABILITY: u8 = 0x19;
const VOUT_MODE: u8 = 0x20;
const PMBUS_REVISION: u8 = 0x98;
const MFR_ID: u8 = 0x99;
const MFR_MODEL: u8 = 0x9a;
const MFR_COMMON: u8 = 0xef;

/// Paged values of one output.
#[derive(Debug, Clone, Default)]
pub struct Ltm4676aPage {
    pub vout_mode: u8,
    /// Word commands of this page.
    pub words: BTreeMap<u8, u16>,
}

#[derive(Debug, Clone)]
pub struct Ltm4676a {
    address: u8,
    pub capability: u8,
    pub revision: u8,
    pub mfr_id: Vec<u8>,
    pub mfr_model: Vec<u8>,
    pub write_protect: u8,
    pub mfr_common: u8,
    /// Non-paged word commands.
    pub words: BTreeMap<u8, u16>,
    pub pages: [Ltm4676aPage; 2],
    page: u8,
    corrupt_pec: bool,
    pec_errors: u32,
    // State of the current message (from START to STOP).
    in_message: bool,
    covered: Vec<u8>,
    written: Vec<u8>,
    reading: bool,
    response: Vec<u8>,
    sent: usize,
    pec_sent: bool,
}

impl Ltm4676a {
    /// A device with the TEF1001 constants (CAPABILITY 0xb0, revision 0x22, "LTC",
    /// "LTM4676A", WRITE_PROTECT 0, MFR_COMMON 0xfc, VOUT_MODE 0x14) and the given words.
    pub fn new(address: u8, words: BTreeMap<u8, u16>, pages: [BTreeMap<u8, u16>; 2]) -> Self {
        let [p0, p1] = pages;
        let page = |words| Ltm4676aPage {
            vout_mode: 0x14,
            words,
        };
        Self {
            address,
            capability: 0xb0,
            revision: 0x22,
            mfr_id: b"LTC".to_vec(),
            mfr_model: b"LTM4676A".to_vec(),
            write_protect: 0x00,
            mfr_common: 0xfc,
            words,
            pages: [page(p0), page(p1)],
            page: 0,
            corrupt_pec: false,
            pec_errors: 0,
            in_message: false,
            covered: Vec::new(),
            written: Vec::new(),
            reading: false,
            response: Vec::new(),
            sent: 0,
            pec_sent: false,
        }
    }

    /// Current PAGE register.
    pub fn page(&self) -> u8 {
        self.page
    }

    /// Writes discarded because of a wrong PEC byte.
    pub fn pec_errors(&self) -> u32 {
        self.pec_errors
    }

    fn is_known(&self, cmd: u8) -> bool {
        matches!(
            cmd,
            PAGE | CLEAR_FAULTS
                | PAGE_PLUS_READ
                | WRITE_PROTECT
                | CAPABILITY
                | VOUT_MODE
                | PMBUS_REVISION
                | MFR_ID
                | MFR_MODEL
                | MFR_COMMON
        ) || self.words.contains_key(&cmd)
            || self.pages.iter().any(|p| p.words.contains_key(&cmd))
    }

    /// Bytes returned for a read of `cmd` on `page` (block reads include the count).
    fn response_for(&self, cmd: u8, page: u8) -> Option<Vec<u8>> {
        let p = self.pages.get(usize::from(page))?;
        let block = |b: &[u8]| {
            let mut v = vec![u8::try_from(b.len()).unwrap_or(u8::MAX)];
            v.extend_from_slice(b);
            v
        };
        Some(match cmd {
            PAGE => vec![self.page],
            CAPABILITY => vec![self.capability],
            PMBUS_REVISION => vec![self.revision],
            WRITE_PROTECT => vec![self.write_protect],
            MFR_COMMON => vec![self.mfr_common],
            VOUT_MODE => vec![p.vout_mode],
            MFR_ID => block(&self.mfr_id),
            MFR_MODEL => block(&self.mfr_model),
            _ => {
                let w = self.words.get(&cmd).or_else(|| p.words.get(&cmd))?;
                w.to_le_bytes().to_vec()
            }
        })
    }

    /// Response to a read after the written command bytes.
    fn response(&self) -> Option<Vec<u8>> {
        match self.written.as_slice() {
            [PAGE_PLUS_READ, 2, page, cmd] => {
                if matches!(*cmd, MFR_ID | MFR_MODEL | PAGE_PLUS_READ) {
                    return None;
                }
                let inner = self.response_for(*cmd, *page)?;
                let mut v = vec![inner.len() as u8];
                v.extend(inner);
                Some(v)
            }
            [cmd] => self.response_for(*cmd, self.page),
            _ => None,
        }
    }

    /// Execute a write message at STOP. `data` excludes the command; an extra trailing
    /// byte is a PEC and must match.
    fn execute_write(&mut self) {
        let Some((&cmd, data)) = self.written.split_first() else {
            return;
        };
        let expected_len = match cmd {
            PAGE | WRITE_PROTECT => 1,
            CLEAR_FAULTS => 0,
            _ => return,
        };
        let data = if data.len() == expected_len + 1 {
            let (payload, pec) = data.split_at(expected_len);
            let covered = &self.covered[..self.covered.len() - 1];
            if SMBUS_PEC.checksum(covered) != pec[0] {
                self.pec_errors += 1;
                return;
            }
            payload.to_vec()
        } else if data.len() == expected_len {
            data.to_vec()
        } else {
            return;
        };
        match (cmd, data.as_slice()) {
            (PAGE, [p]) if usize::from(*p) < self.pages.len() => self.page = *p,
            (WRITE_PROTECT, [v]) => self.write_protect = *v,
            _ => {}
        }
    }
}

impl I2cTarget for Ltm4676a {
    fn address(&self) -> u8 {
        self.address
    }

    fn start(&mut self, read: bool) -> bool {
        if !self.in_message {
            self.in_message = true;
            self.covered.clear();
            self.written.clear();
        }
        self.covered.push((self.address << 1) | u8::from(read));
        self.reading = read;
        self.sent = 0;
        self.pec_sent = false;
        if read {
            if self.written.is_empty() {
                // Plain read without a command (address probe): released bus bytes.
                self.response.clear();
                self.pec_sent = true;
                return true;
            }
            match self.response() {
                Some(r) => self.response = r,
                None => return false,
            }
        } else {
            self.written.clear();
        }
        true
    }

    fn write_byte(&mut self, b: u8) -> bool {
        if self.written.is_empty() && !self.is_known(b) {
            return false;
        }
        self.covered.push(b);
        self.written.push(b);
        true
    }

    fn read_byte(&mut self) -> u8 {
        if let Some(&b) = self.response.get(self.sent) {
            self.sent += 1;
            self.covered.push(b);
            return b;
        }
        if !self.pec_sent {
            self.pec_sent = true;
            let pec = SMBUS_PEC.checksum(&self.covered);
            return if self.corrupt_pec { pec ^ 0x01 } else { pec };
        }
        0xff
    }

    fn stop(&mut self) {
        if self.in_message && !self.reading {
            self.execute_write();
        }
        self.in_message = false;
        self.reading = false;
        self.covered.clear();
        self.written.clear();
    }

    fn inject_fault(&mut self, fault: TargetFault) -> bool {
        match fault {
            TargetFault::CorruptPec(on) => {
                self.corrupt_pec = on;
                true
            }
            TargetFault::CorruptByte { .. } => false,
        }
    }
}
