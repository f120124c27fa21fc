//! The set of targets on one I2C bus, routing by address, with fault hooks.

use super::I2cTarget;

/// Device-level fault hooks, applied with [`I2cBusDevices::inject_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetFault {
    /// PMBus devices: send a wrong PEC byte on reads (true) or the correct one (false).
    CorruptPec(bool),
    /// EEPROM-like devices: overwrite the byte at `offset` (e.g. to break the SPD CRC).
    CorruptByte { offset: usize, value: u8 },
}

/// Targets on one bus. Exactly one device (or none) is selected by the last
/// START / repeated START; an address without a present device NACKs.
#[derive(Default)]
pub struct I2cBusDevices {
    devices: Vec<Box<dyn I2cTarget>>,
    absent: Vec<u8>,
    selected: Option<usize>,
    sda_stuck_low: bool,
}

impl std::fmt::Debug for I2cBusDevices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I2cBusDevices")
            .field("addresses", &self.addresses())
            .field("absent", &self.absent)
            .field("selected", &self.selected)
            .field("sda_stuck_low", &self.sda_stuck_low)
            .finish()
    }
}

impl I2cBusDevices {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a device; a device already at the same address is replaced.
    pub fn add(&mut self, device: Box<dyn I2cTarget>) {
        let addr = device.address();
        self.devices.retain(|d| d.address() != addr);
        self.devices.push(device);
        self.selected = None;
    }

    /// Addresses with a device model (present or not), ascending.
    pub fn addresses(&self) -> Vec<u8> {
        let mut v: Vec<u8> = self.devices.iter().map(|d| d.address()).collect();
        v.sort_unstable();
        v
    }

    /// Fault hook "device absent": an absent device NACKs its address.
    pub fn set_present(&mut self, addr: u8, present: bool) {
        self.absent.retain(|&a| a != addr);
        if !present {
            self.absent.push(addr);
        }
    }

    /// True when a device model exists at `addr` and is not marked absent.
    pub fn is_present(&self, addr: u8) -> bool {
        !self.absent.contains(&addr) && self.index(addr).is_some()
    }

    /// Apply a device fault hook; false when there is no such device or it does not
    /// support the fault.
    pub fn inject_fault(&mut self, addr: u8, fault: TargetFault) -> bool {
        match self.index(addr) {
            Some(i) => self.devices[i].inject_fault(fault),
            None => false,
        }
    }

    /// Bus-level fault flag for the bus model: SDA held low (stuck bus). The device
    /// models do not act on it; the GPIO / AXI IIC bus model queries it.
    pub fn set_sda_stuck_low(&mut self, stuck: bool) {
        self.sda_stuck_low = stuck;
    }

    pub fn sda_stuck_low(&self) -> bool {
        self.sda_stuck_low
    }

    /// Mutable access to the model at an address.
    pub fn device_mut(&mut self, addr: u8) -> Option<&mut (dyn I2cTarget + 'static)> {
        let i = self.index(addr)?;
        Some(self.devices[i].as_mut())
    }

    fn index(&self, addr: u8) -> Option<usize> {
        self.devices.iter().position(|d| d.address() == addr)
    }

    // ---- bus events -------------------------------------------------------------

    /// START or repeated START followed by the address byte `(addr << 1) | R/W`;
    /// returns the ACK of the addressed device.
    pub fn start(&mut self, address_byte: u8) -> bool {
        let addr = address_byte >> 1;
        let read = address_byte & 1 != 0;
        self.selected = None;
        if self.absent.contains(&addr) {
            return false;
        }
        let Some(i) = self.index(addr) else {
            return false;
        };
        let ack = self.devices[i].start(read);
        if ack {
            self.selected = Some(i);
        }
        ack
    }

    /// A byte written by the master; NACK when no device is selected.
    pub fn write_byte(&mut self, b: u8) -> bool {
        match self.selected {
            Some(i) => self.devices[i].write_byte(b),
            None => false,
        }
    }

    /// A byte read by the master; a released bus reads 0xff.
    pub fn read_byte(&mut self) -> u8 {
        match self.selected {
            Some(i) => self.devices[i].read_byte(),
            None => 0xff,
        }
    }

    /// The master's ACK (true) or NACK (false) after a read byte.
    pub fn read_ack(&mut self, ack: bool) {
        if let Some(i) = self.selected {
            self.devices[i].read_ack(ack);
        }
    }

    /// STOP: seen by every device on the bus.
    pub fn stop(&mut self) {
        self.selected = None;
        for d in &mut self.devices {
            d.stop();
        }
    }

    // ---- master-side conveniences (tests, simple bus models) --------------------

    /// `S a+W b0 .. P`: returns the number of data bytes ACKed (0 on address NACK).
    /// Stops at the first NACK; `stop` false leaves the message open (next `start` = Sr).
    pub fn write(&mut self, addr: u8, bytes: &[u8], stop: bool) -> usize {
        let mut acked = 0;
        if self.start(addr << 1) {
            for &b in bytes {
                if !self.write_byte(b) {
                    break;
                }
                acked += 1;
            }
        }
        if stop || acked != bytes.len() {
            self.stop();
        }
        acked
    }

    /// `S a+R d0(A) .. dn-1(N) [P]`: `None` on address NACK (a STOP is then issued).
    pub fn read(&mut self, addr: u8, n: usize, stop: bool) -> Option<Vec<u8>> {
        if !self.start((addr << 1) | 1) {
            self.stop();
            return None;
        }
        let mut data = Vec::with_capacity(n);
        for i in 0..n {
            data.push(self.read_byte());
            self.read_ack(i + 1 < n);
        }
        if stop {
            self.stop();
        }
        Some(data)
    }

    /// Register read with repeated START: `S a+W bytes Sr a+R n bytes P`.
    pub fn write_read(&mut self, addr: u8, bytes: &[u8], n: usize) -> Option<Vec<u8>> {
        if self.write(addr, bytes, false) != bytes.len() {
            return None;
        }
        self.read(addr, n, true)
    }
}
