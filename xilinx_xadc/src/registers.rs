//! AXI offsets of the XADC Wizard registers the driver reads (DRP register n is at
//! 0x200 + 4 x n). The driver never writes: 0x000 is the software reset register.

pub const DRP_WINDOW: u64 = 0x200;

/// ADC A supply-sensor offset, offset, gain; ADC B the same.
pub const CALIBRATION: [u64; 6] = [0x220, 0x224, 0x228, 0x2C0, 0x2C4, 0x2C8];
pub const CONFIG0: u64 = 0x300;
pub const CONFIG1: u64 = 0x304;
pub const CONFIG2: u64 = 0x308;
pub const SEQ_CHANNELS: (u64, u64) = (0x320, 0x324);
pub const SEQ_BIPOLAR: (u64, u64) = (0x330, 0x334);
pub const SEQ_ACQUISITION: (u64, u64) = (0x338, 0x33C);
