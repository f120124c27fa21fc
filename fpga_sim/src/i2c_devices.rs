//! I2C target device models (byte-level) found on the boards.
//!
//! A bus model (GPIO open-drain decoder, AXI IIC model) turns bus conditions into calls on
//! [`I2cBusDevices`]: `start(address byte)` for S / Sr, `write_byte` / `read_byte` for
//! data, `read_ack` for the master's ACK bit after a read byte, and `stop` for P. The
//! collection routes them to the device model at the address; an absent address NACKs.
//!
//! Written from the TEF1001 fact sheet (devices of section 10.4/10.5); shares no code with
//! the drivers.

mod bus;
mod fan_cpld;
mod fixed;
mod jc42;
mod ltm4676a;
mod pec;
mod si5338;
mod spd_eeprom;
mod tef1001;

pub use bus::{I2cBusDevices, TargetFault};
pub use fan_cpld::FanCpld;
pub use fixed::FixedResponder;
pub use jc42::Jc42Sensor;
pub use ltm4676a::{Ltm4676a, Ltm4676aPage};
pub use si5338::Si5338;
pub use spd_eeprom::SpdEeprom;
pub use tef1001::{tef1001_devices, tef1001_spd_bytes, Tef1001Options};

/// One I2C target as seen by the bus: byte-level protocol events.
pub trait I2cTarget: Send {
    /// 7-bit address the device answers.
    fn address(&self) -> u8;
    /// START or repeated START addressed to this device; returns the address ACK.
    fn start(&mut self, read: bool) -> bool;
    /// A byte written by the master; returns ACK.
    fn write_byte(&mut self, b: u8) -> bool;
    /// The next byte the device transmits.
    fn read_byte(&mut self) -> u8;
    /// The master's acknowledge after a byte read from the device (true = ACK, more
    /// wanted). Most devices ignore it.
    fn read_ack(&mut self, _ack: bool) {}
    /// STOP on the bus (also seen by devices that were not addressed).
    fn stop(&mut self);
    /// Apply a fault hook; false when the device does not support that fault.
    fn inject_fault(&mut self, _fault: TargetFault) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
