//! AXI GPIO register offsets (PG144), for the GPIO words the designs expose: the Fury
//! Project-0 identification words (xadc_and_identify.md) and the M.2 LED output.

/// Channel 1 data register (the Fury board tag "LITE"/"NITE", byte-reversed, in GPIO 0).
pub const CHANNEL1_DATA: u64 = 0x0;
/// Channel 1 tri-state register.
pub const CHANNEL1_TRI: u64 = 0x4;
/// Channel 2 data register (the Fury board version in GPIO 0; the M.2 LED in GPIO 2).
pub const CHANNEL2_DATA: u64 = 0x8;
/// Channel 2 tri-state register.
pub const CHANNEL2_TRI: u64 = 0xC;
