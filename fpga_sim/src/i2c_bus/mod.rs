//! Bus-level I2C models: the open-drain bus driven by an AXI GPIO (bit-banged master) and
//! the AXI IIC core (PG090), both reaching the board's I2C devices.
//!
//! Placeholder: register storage only until the I2C work replaces it.

use std::sync::Arc;

use crate::peripheral::{Peripheral, RegisterFile};

/// The TEF1001 I2C bus as seen through its two masters: (AXI IIC frame, bit-bang GPIO frame).
pub fn tef1001_bus_models() -> (Arc<dyn Peripheral>, Arc<dyn Peripheral>) {
    (
        Arc::new(RegisterFile::new(0x1000)),
        Arc::new(RegisterFile::new(0x1000)),
    )
}
