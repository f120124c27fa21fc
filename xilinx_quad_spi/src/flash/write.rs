//! Sector erase, page program and completion polling (fact sheet section 21; not in the
//! original). Every operation: write enable, check the write enable latch, the command,
//! then poll until done within a generous bound, checking the device's error bits:
//!
//! | Device | Completion | Error bits | Clear |
//! |---|---|---|---|
//! | Micron N25Q256A | flag status 0x70 bit 7 | bit 5 erase, bit 4 program, bit 1 protection | 0x50 |
//! | Spansion S25FL-S | status 0x05 WIP | SR1 bit 5 E_ERR, bit 6 P_ERR (WIP stays set) | 0x30 |
//! | Macronix MX25L12835F | status 0x05 WIP | security 0x2B bit 5 P_FAIL, bit 6 E_FAIL | next operation |
//!
//! Page program opcodes: Micron 0x02 inside enter/exit 4-byte address mode (0xB7/0xE9,
//! each after a write enable) when 4 address bytes are used; Spansion 4PP 0x12 (4-byte)
//! or 0x02; Macronix 0x02. Erase opcodes come from identification (4-byte forms above
//! 16 MiB).

use std::fmt;
use std::time::Duration;

use crate::controller::poll_until;

use super::{FlashDevice, FlashError, SpiFlash};

/// What was being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    PageProgram,
    Erase { sector_size: u64 },
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::PageProgram => write!(f, "page program"),
            Operation::Erase { sector_size } => {
                write!(f, "{} KiB sector erase", sector_size / 1024)
            }
        }
    }
}

/// Erase / program failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(
        "{operation} at 0x{address:x}: write enable not accepted (status register 0x{status:02x})"
    )]
    WriteEnable {
        operation: Operation,
        address: u64,
        status: u8,
    },
    #[error("{operation} at 0x{address:x} failed: {detail} (register 0x{status:02x})")]
    Failed {
        operation: Operation,
        address: u64,
        detail: &'static str,
        status: u8,
    },
    #[error("{operation} at 0x{address:x} did not complete within {timeout:?}: device still busy (register 0x{status:02x})")]
    Timeout {
        operation: Operation,
        address: u64,
        timeout: Duration,
        status: u8,
    },
    #[error(
        "page program at 0x{address:x} of {len} bytes does not fit in one {page_size}-byte page"
    )]
    BadPage {
        address: u64,
        len: usize,
        page_size: u32,
    },
    #[error("0x{address:x} is not the start of an erase sector")]
    NotSectorStart { address: u64 },
    #[error("address 0x{address:x} is beyond the end of the flash device")]
    OutOfRange { address: u64 },
}

const WRITE_ENABLE: u8 = 0x06;
const WRITE_DISABLE: u8 = 0x04;
const READ_STATUS: u8 = 0x05;
const READ_FLAG_STATUS: u8 = 0x70;
const CLEAR_FLAG_STATUS: u8 = 0x50;
const CLEAR_STATUS: u8 = 0x30;
const READ_SECURITY: u8 = 0x2B;
const ENTER_4BYTE: u8 = 0xB7;
const EXIT_4BYTE: u8 = 0xE9;

impl SpiFlash {
    fn command(&mut self, opcode: u8) -> Result<(), FlashError> {
        self.ctrl.transfer(&[opcode], &mut [])?;
        Ok(())
    }

    fn read_register(&mut self, opcode: u8) -> Result<u8, FlashError> {
        let mut v = [0u8; 1];
        self.ctrl.transfer(&[opcode], &mut v)?;
        Ok(v[0])
    }

    fn address_header(&self, opcode: u8, address: u64) -> Vec<u8> {
        let mut h = vec![opcode];
        h.extend(self.address_bytes(address, self.info.address_bytes));
        h
    }

    /// Write enable, then check WEL set and not busy.
    fn write_enable(&mut self, operation: Operation, address: u64) -> Result<(), FlashError> {
        self.command(WRITE_ENABLE)?;
        let status = self.read_register(READ_STATUS)?;
        if status & 0x03 != 0x02 {
            return Err(WriteError::WriteEnable {
                operation,
                address,
                status,
            }
            .into());
        }
        Ok(())
    }

    /// Erases the sector starting at `address` (a sector start of the erase regions).
    pub fn erase_sector(&mut self, address: u64) -> Result<(), FlashError> {
        let (start, size, opcode) = self
            .info
            .sector_at(address)
            .ok_or(WriteError::OutOfRange { address })?;
        if start != address {
            return Err(WriteError::NotSectorStart { address }.into());
        }
        let operation = Operation::Erase { sector_size: size };
        self.write_enable(operation, address)?;
        let header = self.address_header(opcode, address);
        self.ctrl.transfer(&header, &mut [])?;
        let timeout = if size <= 4096 {
            self.timeouts.subsector_erase
        } else {
            self.timeouts.sector_erase
        };
        self.wait_complete(operation, address, timeout)
    }

    /// Programs `data` (at most one page, not crossing a page boundary) at `address`.
    /// Bits only go from 1 to 0: the range must have been erased for the result to equal
    /// `data`.
    pub fn program_page(&mut self, address: u64, data: &[u8]) -> Result<(), FlashError> {
        let page = u64::from(self.info.page_size);
        let len = data.len() as u64;
        if data.is_empty() || address % page + len > page {
            return Err(WriteError::BadPage {
                address,
                len: data.len(),
                page_size: self.info.page_size,
            }
            .into());
        }
        if address + len > self.info.size_bytes {
            return Err(WriteError::OutOfRange { address }.into());
        }
        let operation = Operation::PageProgram;
        let four = self.info.address_bytes == 4;
        let opcode = match self.info.device {
            FlashDevice::SpansionS25flA if four => 0x12,
            _ => 0x02,
        };
        let micron_4byte = four && self.info.device == FlashDevice::MicronN25q256a;
        if micron_4byte {
            self.command(WRITE_ENABLE)?;
            self.command(ENTER_4BYTE)?;
        }
        let result = (|| {
            self.write_enable(operation, address)?;
            let header = self.address_header(opcode, address);
            self.ctrl.transfer_parts(&header, data, &mut [])?;
            self.wait_complete(operation, address, self.timeouts.page_program)
        })();
        if micron_4byte {
            // Leave 3-byte mode even after a failure, if the device still listens.
            let exit = self
                .command(WRITE_ENABLE)
                .and_then(|()| self.command(EXIT_4BYTE));
            result?;
            exit?;
            return Ok(());
        }
        result
    }

    /// Polls until the operation completes; checks the error bits.
    fn wait_complete(
        &mut self,
        operation: Operation,
        address: u64,
        timeout: Duration,
    ) -> Result<(), FlashError> {
        let device = self.info.device;
        let mut last = 0u8;
        let mut failure: Option<FlashError> = None;
        let done = poll_until(timeout, || {
            let (register, busy) = match device {
                FlashDevice::MicronN25q256a => match self.read_register(READ_FLAG_STATUS) {
                    Ok(v) => (v, v & 0x80 == 0),
                    Err(e) => {
                        failure = Some(e);
                        return Some(());
                    }
                },
                FlashDevice::SpansionS25flA | FlashDevice::MacronixMx25l128 => {
                    match self.read_register(READ_STATUS) {
                        Ok(v) => {
                            // Spansion keeps WIP set after an error: check errors first.
                            let spansion_error =
                                device == FlashDevice::SpansionS25flA && v & 0x60 != 0;
                            (v, v & 0x01 != 0 && !spansion_error)
                        }
                        Err(e) => {
                            failure = Some(e);
                            return Some(());
                        }
                    }
                }
            };
            last = register;
            (!busy).then_some(())
        });
        if let Some(e) = failure {
            return Err(e);
        }
        if done.is_none() {
            return Err(WriteError::Timeout {
                operation,
                address,
                timeout,
                status: last,
            }
            .into());
        }
        let erase = matches!(operation, Operation::Erase { .. });
        let (detail, status) = match device {
            // All bits set: nothing drives the data line.
            _ if last == 0xFF => (Some("device not responding"), last),
            FlashDevice::MicronN25q256a => {
                let detail = if last & 0x20 != 0 && erase {
                    Some("erase error (flag status bit 5)")
                } else if last & 0x10 != 0 && !erase {
                    Some("program error (flag status bit 4)")
                } else if last & 0x30 != 0 {
                    Some("program/erase error (flag status bits 5:4)")
                } else if last & 0x02 != 0 {
                    Some("protection error (flag status bit 1)")
                } else {
                    None
                };
                if detail.is_some() {
                    self.command(CLEAR_FLAG_STATUS)?;
                }
                (detail, last)
            }
            FlashDevice::SpansionS25flA => {
                let detail = if last & 0x20 != 0 {
                    Some("erase error (status register E_ERR)")
                } else if last & 0x40 != 0 {
                    Some("program error (status register P_ERR)")
                } else {
                    None
                };
                if detail.is_some() {
                    self.command(CLEAR_STATUS)?;
                }
                (detail, last)
            }
            FlashDevice::MacronixMx25l128 => {
                let security = self.read_register(READ_SECURITY)?;
                let detail = if security & 0x40 != 0 {
                    Some("erase failed (security register E_FAIL)")
                } else if security & 0x20 != 0 {
                    Some("program failed (security register P_FAIL)")
                } else {
                    None
                };
                (detail, security)
            }
        };
        match detail {
            Some(detail) => {
                self.command(WRITE_DISABLE)?;
                Err(WriteError::Failed {
                    operation,
                    address,
                    detail,
                    status,
                }
                .into())
            }
            None => Ok(()),
        }
    }
}
