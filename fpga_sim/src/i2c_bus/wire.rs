//! The open-drain bus at line level (i2c_probe.md 10.2): SDA is the AND of every driver,
//! SCL is the selected master's output. Level changes are decoded into START / STOP and
//! bits; the device side is emulated bit by bit on top of the byte-level device models.
//!
//! Device timing: a transmitting device puts each bit on SDA at the SCL falling edge
//! before it (the master samples late in the low period), an acknowledging device pulls
//! SDA low from the falling edge after the 8th bit to the falling edge after the 9th.

use super::{BusCore, BusEvent};

/// What the emulated device side is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No transfer.
    Idle,
    /// Not addressed / NACKed: wait for START or STOP.
    Ignore,
    /// The master transmits a byte; bits sampled on SCL rising edges.
    MasterBits { value: u8, count: u8, address: bool },
    /// Eight bits received; at the next falling edge the device drives its acknowledge.
    ByteDone { ack: bool, then: After },
    /// The device's acknowledge clock (9th); at its falling edge the next phase begins.
    DeviceAck { then: After },
    /// The device transmits `value`; `count` bits clocked so far.
    DeviceBits { value: u8, count: u8 },
    /// The master's acknowledge clock after a byte from the device.
    MasterAck { ack: Option<bool> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// The master writes the next byte.
    Receive,
    /// The device sends the next byte.
    Transmit,
    Ignore,
}

/// Line state of the bit-banged side.
#[derive(Debug)]
pub(crate) struct Wire {
    scl: bool,
    master_sda: bool,
    device_sda: bool,
    phase: Phase,
}

impl Wire {
    pub(crate) fn new() -> Self {
        Self {
            scl: true,
            master_sda: true,
            device_sda: true,
            phase: Phase::Idle,
        }
    }
}

/// SDA level on the bus.
pub(crate) fn bus_sda(c: &BusCore) -> bool {
    c.wire.master_sda && c.wire.device_sda && !c.sda_held()
}

/// SCL level on the bus.
pub(crate) fn bus_scl(c: &BusCore) -> bool {
    c.wire.scl
}

/// The selected master now drives (`sda`, `scl`). Data changes are applied while SCL is
/// low: a falling SCL first, a rising SCL last.
pub(crate) fn drive(c: &mut BusCore, sda: bool, scl: bool) {
    if c.wire.scl && !scl {
        set_scl(c, false);
    }
    set_master_sda(c, sda);
    if !c.wire.scl && scl {
        set_scl(c, true);
    }
}

fn set_master_sda(c: &mut BusCore, sda: bool) {
    let before = bus_sda(c);
    c.wire.master_sda = sda;
    sda_changed(c, before);
}

fn set_device_sda(c: &mut BusCore, sda: bool) {
    let before = bus_sda(c);
    c.wire.device_sda = sda;
    sda_changed(c, before);
}

/// START / STOP detection on an SDA change while SCL is high.
fn sda_changed(c: &mut BusCore, before: bool) {
    let after = bus_sda(c);
    if !c.wire.scl || before == after {
        return;
    }
    if !after {
        let e = if c.bus_busy {
            BusEvent::RepeatedStart
        } else {
            BusEvent::Start
        };
        c.record(e);
        c.bus_busy = true;
        c.wire.device_sda = true;
        c.wire.phase = Phase::MasterBits {
            value: 0,
            count: 0,
            address: true,
        };
    } else {
        c.devices.stop();
        c.record(BusEvent::Stop);
        c.bus_busy = false;
        c.wire.device_sda = true;
        c.wire.phase = Phase::Idle;
    }
}

fn set_scl(c: &mut BusCore, scl: bool) {
    if c.wire.scl == scl {
        return;
    }
    c.wire.scl = scl;
    if scl {
        rising(c);
    } else {
        c.clock_stuck_device();
        falling(c);
    }
}

/// SCL rising: the receiver samples SDA.
fn rising(c: &mut BusCore) {
    let sda = bus_sda(c);
    match c.wire.phase {
        Phase::MasterBits {
            value,
            count,
            address,
        } => {
            let value = (value << 1) | u8::from(sda);
            let count = count + 1;
            if count < 8 {
                c.wire.phase = Phase::MasterBits {
                    value,
                    count,
                    address,
                };
                return;
            }
            let (ack, then) = if address {
                let ack = c.devices.start(value);
                c.record(BusEvent::Address { byte: value, ack });
                let then = match (ack, value & 1 != 0) {
                    (false, _) => After::Ignore,
                    (true, true) => After::Transmit,
                    (true, false) => After::Receive,
                };
                (ack, then)
            } else {
                let ack = c.devices.write_byte(value);
                c.record(BusEvent::Write { byte: value, ack });
                (ack, if ack { After::Receive } else { After::Ignore })
            };
            c.wire.phase = Phase::ByteDone { ack, then };
        }
        Phase::DeviceBits { value, count } => {
            c.wire.phase = Phase::DeviceBits {
                value,
                count: count.saturating_add(1),
            };
        }
        Phase::MasterAck { .. } => {
            let ack = !sda;
            c.devices.read_ack(ack);
            if let Some(BusEvent::Read { ack: a, .. }) = c.log.last_mut() {
                *a = ack;
            }
            c.wire.phase = Phase::MasterAck { ack: Some(ack) };
        }
        Phase::Idle | Phase::Ignore | Phase::ByteDone { .. } | Phase::DeviceAck { .. } => {}
    }
}

/// Starts sending a new byte from the device: first bit on SDA now.
fn device_send_next(c: &mut BusCore) {
    let value = c.devices.read_byte();
    // The master's acknowledge is filled in at the 9th rising edge.
    c.record(BusEvent::Read {
        byte: value,
        ack: false,
    });
    c.wire.phase = Phase::DeviceBits { value, count: 0 };
    set_device_sda(c, value & 0x80 != 0);
}

/// SCL falling: the transmitter may change SDA.
fn falling(c: &mut BusCore) {
    match c.wire.phase {
        Phase::ByteDone { ack, then } => {
            c.wire.phase = Phase::DeviceAck { then };
            set_device_sda(c, !ack);
        }
        Phase::DeviceAck { then } => {
            set_device_sda(c, true);
            match then {
                After::Receive => {
                    c.wire.phase = Phase::MasterBits {
                        value: 0,
                        count: 0,
                        address: false,
                    }
                }
                After::Transmit => device_send_next(c),
                After::Ignore => c.wire.phase = Phase::Ignore,
            }
        }
        Phase::DeviceBits { value, count } => {
            if count >= 8 {
                c.wire.phase = Phase::MasterAck { ack: None };
                set_device_sda(c, true);
            } else {
                set_device_sda(c, value & (0x80 >> count) != 0);
            }
        }
        Phase::MasterAck { ack } => {
            if ack == Some(true) {
                device_send_next(c);
            } else {
                set_device_sda(c, true);
                c.wire.phase = Phase::Ignore;
            }
        }
        Phase::Idle | Phase::Ignore | Phase::MasterBits { .. } => {}
    }
}
