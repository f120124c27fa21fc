//! TEF1001 board CPLD fan controller at 0x74 (spec 5.1).

use crate::reads::RawRead;
use std::fmt::Write;

pub const FAN_CPLD_ADDR: u8 = 0x74;
/// FAN control register (read/write).
pub const FAN_CONTROL_REG: u8 = 0;
/// FAN1 revolutions-per-second counter when read (PWM register when written).
pub const FAN1_RPS_REG: u8 = 1;

/// Result of one CPLD register read (pointer write with STOP, then a separate read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterRead {
    /// The pointer write was not fully ACKed: nothing is printed for the register.
    PointerNack,
    /// The pointer was written but the read failed.
    ReadFailed,
    Value(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanCpldReadings {
    pub control: RegisterRead,
    pub rps: RegisterRead,
}

/// Reads in order: control register, then RPS register. The CPLD cannot take a repeated
/// START after the pointer write, hence `repeated_start: false`.
pub fn reads() -> Vec<RawRead> {
    [FAN_CONTROL_REG, FAN1_RPS_REG]
        .into_iter()
        .map(|reg| RawRead::Register {
            addr: FAN_CPLD_ADDR,
            reg,
            len: 1,
            repeated_start: false,
        })
        .collect()
}

/// Fan enabled per the CPLD documentation (control bit 7). The CPLD logic actually gates
/// the PWM with bit 0; with the observed 0xff both agree.
pub fn fan_enabled(control: u8) -> bool {
    control & 0x80 != 0
}

/// RPS counter to RPM: 60 s per minute / 2 tach pulses per revolution.
pub fn rpm(rps: u8) -> u32 {
    u32::from(rps) * 30
}

/// The fan section text.
pub fn render(r: &FanCpldReadings) -> String {
    let mut out = String::from("\nTEF1001 CPLD fan information:\n");
    match r.control {
        RegisterRead::PointerNack => {}
        RegisterRead::ReadFailed => out.push_str("Failed to read FAN Control register\n"),
        RegisterRead::Value(v) => {
            let state = if fan_enabled(v) {
                "Enabled"
            } else {
                "Disabled"
            };
            let _ = writeln!(out, "  FAN Control register = {v:#04x} (fan {state})");
        }
    }
    match r.rps {
        RegisterRead::PointerNack => {}
        RegisterRead::ReadFailed => {
            out.push_str("Failed to read FAN1 Revolutions per second register\n")
        }
        RegisterRead::Value(v) => {
            let _ = writeln!(out, "  FAN1 RPM = {}", rpm(v));
        }
    }
    out
}
