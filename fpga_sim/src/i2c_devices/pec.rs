//! SMBus PEC (CRC-8/SMBUS) as computed by the device side.

use crc::{Crc, CRC_8_SMBUS};

pub(crate) const SMBUS_PEC: Crc<u8> = Crc::<u8>::new(&CRC_8_SMBUS);
