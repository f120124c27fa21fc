//! i2c_probe: I2C / SMBus / PMBus support for the TEF1001 board tools, and the
//! hardware-independent decoders that turn raw device values into report text;
//! [`probe_tool`] is the `i2c_probe` tool logic, [`bus_lock`] the I2C bus lock.

pub mod bus_lock;
pub mod decode;
pub mod dump;
pub mod format;
pub mod master;
pub mod pmbus;
pub mod probe_tool;
pub mod reads;
pub mod smbus;
