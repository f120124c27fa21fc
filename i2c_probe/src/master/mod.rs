//! The two I2C masters of the TEF1001 designs, both implementing
//! [`embedded_hal::i2c::I2c`] (7-bit addresses):
//!
//! - [`bitbang::BitBangI2c`]: the bit-banged master over the AXI GPIO (i2c_probe.md 2), with
//!   a pluggable delay source and a bus-recovery sequence (nine clocks + STOP).
//! - [`axi_iic::AxiIic`]: the Xilinx AXI IIC core (i2c_probe.md 3), polled, every wait
//!   bounded by a number of status polls.
//!
//! Both also implement [`crate::smbus::transfer::SmbusI2c`], the exact-wire SMBus block
//! read (count byte first) that embedded-hal cannot express in one transaction.

pub mod axi_iic;
pub mod bitbang;

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};

/// What went wrong on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum I2cError {
    /// No ACK for an address byte; `read` tells whether it was the R address (after a
    /// repeated START) or the W address.
    #[error("{} address NACK", if *read { "read" } else { "write" })]
    AddressNack { read: bool },
    /// A written data byte was not acknowledged.
    #[error("write data NACK")]
    DataNack,
    /// SDA is held low by something on the bus (stuck device); no START possible.
    #[error("SDA stuck low (bus stuck)")]
    SdaStuckLow,
    /// The bus was busy when the controller expected it idle.
    #[error("bus busy")]
    BusBusy,
    /// The bus was idle when the controller should have been holding it.
    #[error("bus idle when the controller should hold it")]
    BusIdle,
    #[error("arbitration lost")]
    ArbitrationLost,
    /// A bounded wait expired.
    #[error("timeout waiting for {0}")]
    Timeout(&'static str),
}

impl embedded_hal::i2c::Error for I2cError {
    fn kind(&self) -> ErrorKind {
        match self {
            I2cError::AddressNack { .. } => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
            I2cError::DataNack => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data),
            I2cError::SdaStuckLow | I2cError::BusBusy | I2cError::BusIdle => ErrorKind::Bus,
            I2cError::ArbitrationLost => ErrorKind::ArbitrationLoss,
            I2cError::Timeout(_) => ErrorKind::Other,
        }
    }
}

/// Source of the bit-banged master's delays (i2c_probe.md 2.2).
pub trait Delay {
    /// Wait at least `ns` nanoseconds.
    fn delay_ns(&mut self, ns: u32);
}

/// Busy-wait on the monotonic clock (the original's method; sleeping is too coarse).
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinDelay;

impl Delay for SpinDelay {
    fn delay_ns(&mut self, ns: u32) {
        let end = std::time::Instant::now() + std::time::Duration::from_nanos(u64::from(ns));
        while std::time::Instant::now() < end {
            std::hint::spin_loop();
        }
    }
}

/// No waiting at all: for simulated buses, where time does not matter.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDelay;

impl Delay for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

impl I2cError {
    /// True for an address NACK of the R address (after a repeated START).
    pub fn is_read_address_nack(&self) -> bool {
        matches!(self, I2cError::AddressNack { read: true })
    }
}
