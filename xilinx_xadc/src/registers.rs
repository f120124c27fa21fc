//! AXI offsets of the XADC Wizard registers (PG091; DRP register n is at 0x200 + 4 x n;
//! xadc_and_identify.md). The driver never writes: 0x000 is the software reset register.

pub const DRP_WINDOW: u64 = 0x200;

/// Result registers of the on-chip sensors.
pub const TEMPERATURE: u64 = 0x200;
pub const VCCINT: u64 = 0x204;
pub const VCCAUX: u64 = 0x208;
pub const VP_VN: u64 = 0x20C;
pub const VREFP: u64 = 0x210;
pub const VREFN: u64 = 0x214;
pub const VCCBRAM: u64 = 0x218;
/// Result register of auxiliary input VAUX0; VAUXn is 4 x n above it.
pub const VAUX0: u64 = 0x240;

/// (minimum, maximum) registers of the tracked sensors.
pub const TEMPERATURE_MIN_MAX: (u64, u64) = (0x290, 0x280);
pub const VCCINT_MIN_MAX: (u64, u64) = (0x294, 0x284);
pub const VCCAUX_MIN_MAX: (u64, u64) = (0x298, 0x288);
pub const VCCBRAM_MIN_MAX: (u64, u64) = (0x29C, 0x28C);

/// ADC A supply-sensor offset, offset, gain; ADC B the same.
pub const CALIBRATION: [u64; 6] = [0x220, 0x224, 0x228, 0x2C0, 0x2C4, 0x2C8];
pub const CONFIG0: u64 = 0x300;
pub const CONFIG1: u64 = 0x304;
pub const CONFIG2: u64 = 0x308;
pub const SEQ_CHANNELS: (u64, u64) = (0x320, 0x324);
pub const SEQ_BIPOLAR: (u64, u64) = (0x330, 0x334);
pub const SEQ_ACQUISITION: (u64, u64) = (0x338, 0x33C);
