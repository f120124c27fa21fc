//! Bit-banged I2C master over the TEF1001 AXI GPIO (i2c_probe.md 2.1-2.5).
//!
//! GPIO_DATA bit 0 reads SDA; bits 1 (SDA release), 2 (SCL) and 3 (select the
//! bit-banged controller) are outputs that do not read back, so every change rewrites a
//! shadow of the whole output word. Timing follows the standard-mode limits plus the
//! board's edge settle times; the delay source is pluggable ([`Delay`]).
//!
//! Additions to the original: SDA is checked before a START (a held bus gives
//! [`I2cError::SdaStuckLow`] instead of garbage), and [`BitBangI2c::recover_bus`] clocks a
//! stuck device free (up to nine clocks, then STOP).

use embedded_hal::i2c::{ErrorType, I2c, Operation, SevenBitAddress};
use vfio_access::Mmio;

use super::{Delay, I2cError, SpinDelay};
use crate::smbus::transfer::{CountedRead, SmbusI2c};

/// GPIO_DATA offset in the GPIO window.
pub const GPIO_DATA: u64 = 0x000;
pub const SDA_IN: u32 = 0x1;
pub const SDA_OUT: u32 = 0x2;
pub const SCL_OUT: u32 = 0x4;
pub const SELECT_BIT_BANG: u32 = 0x8;

/// Delays in nanoseconds (i2c_probe.md 2.2).
pub mod timing {
    pub const T_RISE: u32 = 1000;
    pub const T_FALL: u32 = 300;
    pub const T_BUF: u32 = 4700;
    pub const T_SU_STA: u32 = 4700;
    pub const T_HD_STA: u32 = 4000;
    pub const T_SU_STO: u32 = 4000;
    pub const T_LOW: u32 = 4700;
    pub const T_HIGH: u32 = 4000;
}
use timing::*;

/// Clocks given by the bus-recovery sequence before its STOP.
pub const RECOVERY_CLOCKS: usize = 9;

/// The bit-banged controller context.
pub struct BitBangI2c<D: Delay = SpinDelay> {
    gpio: Mmio,
    shadow: u32,
    delay: D,
}

impl<D: Delay> std::fmt::Debug for BitBangI2c<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitBangI2c")
            .field("shadow", &format_args!("{:#x}", self.shadow))
            .finish()
    }
}

impl<D: Delay> BitBangI2c<D> {
    /// "Select controller" (i2c_probe.md 2.1): outputs := SDA and SCL released, plus the
    /// select bit when `select_bit_bang` (0xE: bit-banged master; 0x6: AXI IIC drives the
    /// bus with the bit-banged lines idle). Written once; the bus is assumed idle.
    pub fn new(gpio: Mmio, delay: D, select_bit_bang: bool) -> Self {
        let mut shadow = SDA_OUT | SCL_OUT;
        if select_bit_bang {
            shadow |= SELECT_BIT_BANG;
        }
        gpio.write32(GPIO_DATA, shadow);
        Self {
            gpio,
            shadow,
            delay,
        }
    }

    /// The output word last written.
    pub fn shadow(&self) -> u32 {
        self.shadow
    }

    fn set(&mut self, mask: u32, high: bool) {
        if high {
            self.shadow |= mask;
        } else {
            self.shadow &= !mask;
        }
        self.gpio.write32(GPIO_DATA, self.shadow);
        self.delay.delay_ns(if high { T_RISE } else { T_FALL });
    }

    fn scl(&mut self, high: bool) {
        self.set(SCL_OUT, high);
    }

    fn sda(&mut self, high: bool) {
        self.set(SDA_OUT, high);
    }

    fn wait(&mut self, ns: u32) {
        self.delay.delay_ns(ns);
    }

    /// Current SDA level (true = high).
    pub fn sda_level(&self) -> bool {
        self.gpio.read32(GPIO_DATA) & SDA_IN != 0
    }

    /// START (from idle) or repeated START, then the address byte; Ok(ACK).
    pub fn begin(&mut self, addr: u8, read: bool) -> Result<bool, I2cError> {
        if self.shadow & SCL_OUT != 0 {
            // Bus free: SDA must be high for a START to be seen.
            if !self.sda_level() {
                return Err(I2cError::SdaStuckLow);
            }
            self.wait(T_BUF);
        } else {
            self.sda(true);
            self.scl(true);
            self.wait(T_SU_STA);
            if !self.sda_level() {
                self.stop();
                return Err(I2cError::SdaStuckLow);
            }
        }
        self.sda(false);
        self.wait(T_HD_STA);
        self.scl(false);
        Ok(self.transmit((addr << 1) | u8::from(read)))
    }

    /// Transmit one byte (entered with SCL low), MSB first; returns ACK.
    pub fn transmit(&mut self, byte: u8) -> bool {
        for i in (0..8).rev() {
            self.sda(byte & (1 << i) != 0);
            self.wait(T_LOW);
            self.scl(true);
            self.wait(T_HIGH);
            self.scl(false);
        }
        self.sda(true);
        self.scl(true);
        self.wait(T_HIGH);
        let ack = !self.sda_level();
        self.scl(false);
        self.wait(T_LOW);
        ack
    }

    /// Receive one byte (entered with SCL low), MSB first; ACK it when `ack`.
    pub fn receive(&mut self, ack: bool) -> u8 {
        self.sda(true);
        let mut value = 0u8;
        for _ in 0..8 {
            self.wait(T_LOW);
            value = (value << 1) | u8::from(self.sda_level());
            self.scl(true);
            self.wait(T_HIGH);
            self.scl(false);
        }
        self.sda(!ack);
        self.wait(T_LOW);
        self.scl(true);
        self.wait(T_HIGH);
        self.scl(false);
        value
    }

    /// STOP (entered with SCL low); leaves SCL and SDA high.
    pub fn stop(&mut self) {
        self.sda(false);
        self.wait(T_LOW);
        self.scl(true);
        self.wait(T_SU_STO);
        self.sda(true);
    }

    /// Bus recovery: release SDA, give up to nine clocks until SDA reads high (a device
    /// stuck mid-byte finishes it), then a STOP. Ok when SDA is high afterwards.
    pub fn recover_bus(&mut self) -> Result<(), I2cError> {
        self.sda(true);
        if self.shadow & SCL_OUT == 0 {
            self.wait(T_LOW);
            self.scl(true);
            self.wait(T_HIGH);
        }
        for _ in 0..RECOVERY_CLOCKS {
            if self.sda_level() {
                break;
            }
            self.scl(false);
            self.wait(T_LOW);
            self.scl(true);
            self.wait(T_HIGH);
        }
        self.scl(false);
        self.wait(T_LOW);
        self.stop();
        self.wait(T_BUF);
        if self.sda_level() {
            Ok(())
        } else {
            Err(I2cError::SdaStuckLow)
        }
    }

    // ---- plain operations of i2c_probe.md 2.5 --------------------------------------

    /// Read(addr, n, stop): Err on address NACK (after a STOP).
    pub fn read_plain(&mut self, addr: u8, n: usize, stop: bool) -> Result<Vec<u8>, I2cError> {
        if !self.begin(addr, true)? {
            self.stop();
            return Err(I2cError::AddressNack { read: true });
        }
        let data = (0..n).map(|i| self.receive(i + 1 < n)).collect();
        if stop {
            self.stop();
        }
        Ok(data)
    }

    /// Write(addr, bytes, stop): the number of data bytes ACKed (0 also on address NACK).
    /// A STOP follows a NACK or when `stop`; otherwise SCL is left low (next = Sr).
    pub fn write_plain(&mut self, addr: u8, bytes: &[u8], stop: bool) -> Result<usize, I2cError> {
        let mut acked = 0;
        let mut nacked = !self.begin(addr, false)?;
        if !nacked {
            for &b in bytes {
                if !self.transmit(b) {
                    nacked = true;
                    break;
                }
                acked += 1;
            }
        }
        if nacked || stop {
            self.stop();
        }
        Ok(acked)
    }

    /// Register read: `S a+W reg A Sr a+R d0 A .. d(n-1) N P`.
    pub fn register_read(&mut self, addr: u8, reg: u8, n: usize) -> Result<Vec<u8>, I2cError> {
        if !self.begin(addr, false)? {
            self.stop();
            return Err(I2cError::AddressNack { read: false });
        }
        if !self.transmit(reg) {
            self.stop();
            return Err(I2cError::DataNack);
        }
        self.read_plain(addr, n, true)
    }
}

impl<D: Delay> ErrorType for BitBangI2c<D> {
    type Error = I2cError;
}

impl<D: Delay> I2c<SevenBitAddress> for BitBangI2c<D> {
    fn transaction(
        &mut self,
        address: SevenBitAddress,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        let count = operations.len();
        let mut previous_read: Option<bool> = None;
        for i in 0..count {
            let read = matches!(operations[i], Operation::Read(_));
            if previous_read != Some(read) {
                match self.begin(address, read) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.stop();
                        return Err(I2cError::AddressNack { read });
                    }
                    Err(e) => return Err(e),
                }
            }
            previous_read = Some(read);
            let next_is_read = matches!(operations.get(i + 1), Some(Operation::Read(_)));
            match &mut operations[i] {
                Operation::Write(bytes) => {
                    for &b in bytes.iter() {
                        if !self.transmit(b) {
                            self.stop();
                            return Err(I2cError::DataNack);
                        }
                    }
                }
                Operation::Read(buf) => {
                    let n = buf.len();
                    for (j, slot) in buf.iter_mut().enumerate() {
                        *slot = self.receive(j + 1 < n || next_is_read);
                    }
                }
            }
        }
        self.stop();
        Ok(())
    }
}

impl<D: Delay> SmbusI2c for BitBangI2c<D> {
    fn is_read_address_nack(error: &I2cError) -> bool {
        error.is_read_address_nack()
    }

    fn write_read_counted(
        &mut self,
        address: u8,
        write: &[u8],
        max: u8,
        extra: usize,
    ) -> Result<CountedRead, I2cError> {
        let result = (|| {
            if !self.begin(address, false)? {
                return Err(I2cError::AddressNack { read: false });
            }
            for &b in write {
                if !self.transmit(b) {
                    return Err(I2cError::DataNack);
                }
            }
            if !self.begin(address, true)? {
                return Err(I2cError::AddressNack { read: true });
            }
            let count = self.receive(true);
            if count == 0 || count > max {
                return Ok(CountedRead {
                    count,
                    data: Vec::new(),
                });
            }
            let n = usize::from(count) + extra;
            let data = (0..n).map(|i| self.receive(i + 1 < n)).collect();
            Ok(CountedRead { count, data })
        })();
        // Every SMBus message ends with a STOP, whatever happened (unless no START was
        // possible at all).
        if !matches!(result, Err(I2cError::SdaStuckLow)) {
            self.stop();
        }
        result
    }
}
