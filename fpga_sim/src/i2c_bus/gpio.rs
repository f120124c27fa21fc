//! The bit-bang AXI GPIO of the TEF1001 designs (i2c_probe.md 1.2, 2.1): channel 1 only,
//! 4 bits, tri-state 0x1 (bit 0 input), output default 0x6. Outputs do not read back.

use vfio_access::mmio::AccessWidth;

use super::{wire, Tef1001Bus};
use crate::peripheral::Peripheral;

pub(crate) const SDA_OUT: u32 = 0x2;
pub(crate) const SCL_OUT: u32 = 0x4;
pub(crate) const SELECT_BIT_BANG: u32 = 0x8;
/// Output bits after configuration: SDA and SCL released, AXI IIC selected.
pub(crate) const GPIO_OUT_DEFAULT: u32 = SDA_OUT | SCL_OUT;
const OUTPUT_MASK: u32 = SDA_OUT | SCL_OUT | SELECT_BIT_BANG;
const TRI_DEFAULT: u32 = 0x1;

/// The GPIO frame; writes drive the open-drain bus model.
pub struct BitBangGpioModel {
    bus: Tef1001Bus,
}

impl BitBangGpioModel {
    pub(crate) fn new(bus: Tef1001Bus) -> Self {
        Self { bus }
    }

    /// The bus this GPIO drives.
    pub fn bus(&self) -> &Tef1001Bus {
        &self.bus
    }

    /// The output word last written (bits 1..3).
    pub fn outputs(&self) -> u32 {
        self.bus.lock().gpio_out
    }

    fn set_outputs(&self, value: u32) {
        let mut c = self.bus.lock();
        c.gpio_out = value & OUTPUT_MASK;
        let (sda, scl) = if c.select_bit_bang() {
            (c.gpio_out & SDA_OUT != 0, c.gpio_out & SCL_OUT != 0)
        } else {
            // The AXI IIC owns the pins; between its (byte-level) phases they idle high.
            (true, true)
        };
        wire::drive(&mut c, sda, scl);
    }
}

impl Peripheral for BitBangGpioModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            return 0;
        }
        match offset & 0x1ff {
            0x000 => {
                let c = self.bus.lock();
                u64::from(wire::bus_sda(&c))
            }
            0x004 => u64::from(TRI_DEFAULT),
            _ => 0,
        }
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if width == AccessWidth::U32 && offset & 0x1ff == 0 {
            self.set_outputs(value as u32);
        }
    }

    fn reset(&self) {
        self.set_outputs(GPIO_OUT_DEFAULT);
    }
}
