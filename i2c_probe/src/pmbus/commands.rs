//! PMBus command codes used by the tools (PMBus 1.2 plus LTM4676A manufacturer codes).

pub const PAGE: u8 = 0x00;
pub const PAGE_PLUS_WRITE: u8 = 0x05;
pub const PAGE_PLUS_READ: u8 = 0x06;
pub const CLEAR_FAULTS: u8 = 0x03;
pub const WRITE_PROTECT: u8 = 0x10;
pub const CAPABILITY: u8 = 0x19;
pub const VOUT_MODE: u8 = 0x20;
pub const PMBUS_REVISION: u8 = 0x98;
pub const MFR_ID: u8 = 0x99;
pub const MFR_MODEL: u8 = 0x9a;
/// LTM4676A specific status byte.
pub const MFR_COMMON: u8 = 0xef;

/// CAPABILITY bit: PEC supported.
pub const CAPABILITY_PEC: u8 = 0x80;
/// CAPABILITY bits 6..5: maximum bus speed.
pub const CAPABILITY_SPEED_MASK: u8 = 0x60;
/// CAPABILITY bit: SMBALERT# supported.
pub const CAPABILITY_SMBALERT: u8 = 0x10;
