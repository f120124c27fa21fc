//! I2C target device models (byte-level) found on the boards.
