//! i2c_probe
