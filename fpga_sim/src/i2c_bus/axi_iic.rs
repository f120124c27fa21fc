//! AXI IIC (PG090) register model for the TEF1001 bus (i2c_probe.md 3.1, 10.3): polled
//! master, standard and dynamic mode, 16-deep FIFOs, RX_FIFO_PIRQ throttling, soft reset.
//!
//! Bus phases (START, address, one data byte, STOP) are performed byte-level on the
//! shared device set, one phase at a time and only after two register accesses without
//! a control write, so software sees SR.BB = 1 after setting MSMS and can clear ISR bits
//! before the next event.
//!
//! Reading the RX FIFO also restarts the count (the next byte takes a byte time).
//!
//! ISR bits 0, 1, 5, 6 latch and are cleared by writing 1; bits 2 (TX empty), 3 (RX occupancy
//! above PIRQ), 4 (bus not busy) and 7 (TX half empty) follow their condition, as the
//! core re-asserts them while the condition holds.
//!
//! While the bit-banged master owns the pins (GPIO select = 1) the core cannot clock the
//! bus and waits; with SDA held low it cannot make a START and reports arbitration lost.

use std::collections::VecDeque;

use vfio_access::mmio::AccessWidth;

use super::{wire, BusCore, BusEvent, Tef1001Bus};
use crate::peripheral::Peripheral;

pub(crate) const ISR_ARB_LOST: u32 = 1 << 0;
pub(crate) const ISR_TX_ERROR: u32 = 1 << 1;
pub(crate) const ISR_TX_EMPTY: u32 = 1 << 2;
pub(crate) const ISR_RX_FULL: u32 = 1 << 3;
pub(crate) const ISR_NOT_BUSY: u32 = 1 << 4;
pub(crate) const ISR_TX_HALF: u32 = 1 << 7;
const ISR_LATCHED: u32 = ISR_ARB_LOST | ISR_TX_ERROR | (1 << 5) | (1 << 6);

const CR_EN: u32 = 1 << 0;
const CR_TX_FIFO_RESET: u32 = 1 << 1;
const CR_MSMS: u32 = 1 << 2;
const CR_TXAK: u32 = 1 << 4;
const CR_RSTA: u32 = 1 << 5;

const SR_BB: u32 = 1 << 2;
const SR_TX_FULL: u32 = 1 << 4;
const SR_RX_FULL: u32 = 1 << 5;
const SR_RX_EMPTY: u32 = 1 << 6;
const SR_TX_EMPTY: u32 = 1 << 7;

const TX_DYN_START: u16 = 1 << 8;
const TX_DYN_STOP: u16 = 1 << 9;

const FIFO_DEPTH: usize = 16;
/// Register accesses without a control write before the next bus phase.
const SETTLE_ACCESSES: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IicPhase {
    Idle,
    /// START made; the address word is taken from the TX FIFO next.
    Address,
    /// Master transmitter: data from the TX FIFO.
    Transmit {
        dynamic: bool,
    },
    /// Master receiver; dynamic mode counts bytes and may STOP after the last.
    Receive {
        remaining: Option<u32>,
        stop: bool,
    },
    /// A received byte was NACKed: bus held until MSMS clears or RSTA is requested.
    Held,
}

/// Register and transfer state of the core.
#[derive(Debug)]
pub(crate) struct IicState {
    cr: u32,
    isr: u32,
    ier: u32,
    gie: u32,
    pirq: u32,
    other: [u32; 16],
    tx: VecDeque<u16>,
    rx: VecDeque<u8>,
    phase: IicPhase,
    quiet: u32,
}

impl IicState {
    pub(crate) fn new() -> Self {
        Self {
            cr: 0,
            isr: 0,
            ier: 0,
            gie: 0,
            pirq: 0,
            other: [0; 16],
            tx: VecDeque::new(),
            rx: VecDeque::new(),
            phase: IicPhase::Idle,
            quiet: 0,
        }
    }
}

/// The AXI IIC frame.
pub struct AxiIicModel {
    bus: Tef1001Bus,
}

impl AxiIicModel {
    pub(crate) fn new(bus: Tef1001Bus) -> Self {
        Self { bus }
    }

    /// The bus this core drives.
    pub fn bus(&self) -> &Tef1001Bus {
        &self.bus
    }
}

fn isr(c: &BusCore) -> u32 {
    let s = &c.iic;
    let mut v = s.isr;
    if s.tx.is_empty() {
        v |= ISR_TX_EMPTY;
    }
    if s.tx.len() <= FIFO_DEPTH / 2 {
        v |= ISR_TX_HALF;
    }
    if s.rx.len() as u32 > s.pirq {
        v |= ISR_RX_FULL;
    }
    if !c.bus_busy {
        v |= ISR_NOT_BUSY;
    }
    v
}

fn sr(c: &BusCore) -> u32 {
    let s = &c.iic;
    let mut v = 0;
    if c.bus_busy {
        v |= SR_BB;
    }
    if s.tx.len() >= FIFO_DEPTH {
        v |= SR_TX_FULL;
    }
    if s.rx.len() >= FIFO_DEPTH {
        v |= SR_RX_FULL;
    }
    if s.rx.is_empty() {
        v |= SR_RX_EMPTY;
    }
    if s.tx.is_empty() {
        v |= SR_TX_EMPTY;
    }
    v
}

fn stop(c: &mut BusCore) {
    c.devices.stop();
    c.record(BusEvent::Stop);
    c.bus_busy = false;
    c.iic.phase = IicPhase::Idle;
    c.iic.cr &= !(CR_MSMS | CR_RSTA);
}

/// Address phase with the word at the head of the TX FIFO (after S or Sr).
fn address(c: &mut BusCore) {
    let dynamic = c.iic.tx.front().is_some_and(|w| w & TX_DYN_START != 0);
    let read = c.iic.tx.front().is_some_and(|w| w & 1 != 0);
    // A dynamic read needs its count word too.
    let needed = if dynamic && read { 2 } else { 1 };
    if c.iic.tx.len() < needed {
        return;
    }
    let Some(word) = c.iic.tx.pop_front() else {
        return;
    };
    let byte = word as u8;
    let ack = c.devices.start(byte);
    c.record(BusEvent::Address { byte, ack });
    if !ack {
        c.iic.isr |= ISR_TX_ERROR;
        stop(c);
        return;
    }
    c.iic.phase = if read {
        if dynamic {
            let count = c.iic.tx.pop_front().unwrap_or(0);
            IicPhase::Receive {
                remaining: Some(u32::from(count & 0xff)),
                stop: count & TX_DYN_STOP != 0,
            }
        } else {
            IicPhase::Receive {
                remaining: None,
                stop: false,
            }
        }
    } else {
        IicPhase::Transmit { dynamic }
    };
}

fn repeated_start(c: &mut BusCore) {
    c.iic.cr &= !CR_RSTA;
    c.record(BusEvent::RepeatedStart);
    c.iic.phase = IicPhase::Address;
}

/// One bus phase, if the core is enabled, has work and the bus lets it.
fn advance(c: &mut BusCore) {
    if c.iic.cr & CR_EN == 0 || c.iic.quiet < SETTLE_ACCESSES || c.select_bit_bang() {
        return;
    }
    let before = c.log.len();
    let phase_before = c.iic.phase;
    match c.iic.phase {
        IicPhase::Idle => {
            let dynamic = c.iic.tx.front().is_some_and(|w| w & TX_DYN_START != 0);
            if c.iic.tx.is_empty() || !(dynamic || c.iic.cr & CR_MSMS != 0) {
                return;
            }
            if c.bus_busy {
                // Another master holds the bus: wait for its STOP.
                return;
            }
            if !wire::bus_sda(c) || !wire::bus_scl(c) {
                c.iic.isr |= ISR_ARB_LOST;
                c.iic.cr &= !CR_MSMS;
                c.iic.tx.clear();
                c.iic.quiet = 0;
                return;
            }
            if dynamic {
                c.iic.cr |= CR_MSMS;
            }
            c.record(BusEvent::Start);
            c.bus_busy = true;
            c.iic.phase = IicPhase::Address;
        }
        IicPhase::Address => address(c),
        IicPhase::Transmit { dynamic } => {
            if c.iic.cr & CR_RSTA != 0 && !c.iic.tx.is_empty() {
                repeated_start(c);
            } else if let Some(word) = c.iic.tx.pop_front() {
                if word & TX_DYN_START != 0 {
                    c.iic.tx.push_front(word);
                    repeated_start(c);
                } else {
                    let byte = word as u8;
                    let ack = c.devices.write_byte(byte);
                    c.record(BusEvent::Write { byte, ack });
                    if !ack {
                        c.iic.isr |= ISR_TX_ERROR;
                        stop(c);
                    } else if dynamic && word & TX_DYN_STOP != 0 {
                        stop(c);
                    }
                }
            } else if c.iic.cr & CR_MSMS == 0 {
                stop(c);
            }
        }
        IicPhase::Receive {
            remaining,
            stop: dyn_stop,
        } => {
            if c.iic.rx.len() as u32 > c.iic.pirq || c.iic.rx.len() >= FIFO_DEPTH {
                // Throttled until software reads the RX FIFO.
                return;
            }
            let msms = c.iic.cr & CR_MSMS != 0;
            let ack = match remaining {
                Some(n) => n > 1,
                None => msms && c.iic.cr & CR_TXAK == 0,
            };
            let byte = c.devices.read_byte();
            c.devices.read_ack(ack);
            c.record(BusEvent::Read { byte, ack });
            c.iic.rx.push_back(byte);
            let remaining = remaining.map(|n| n.saturating_sub(1));
            if ack {
                c.iic.phase = IicPhase::Receive {
                    remaining,
                    stop: dyn_stop,
                };
            } else {
                c.iic.isr |= ISR_TX_ERROR;
                if !msms || (remaining.is_some() && dyn_stop) {
                    stop(c);
                } else {
                    c.iic.phase = IicPhase::Held;
                }
            }
        }
        IicPhase::Held => {
            if c.iic.cr & CR_MSMS == 0 {
                stop(c);
            } else if c.iic.cr & CR_RSTA != 0 && !c.iic.tx.is_empty() {
                repeated_start(c);
            }
        }
    }
    if c.log.len() != before || c.iic.phase != phase_before {
        c.iic.quiet = 0;
    }
}

fn soft_reset(c: &mut BusCore) {
    if c.iic.phase != IicPhase::Idle {
        stop(c);
    } else if wire::bus_sda(c) && wire::bus_scl(c) {
        // The START/STOP detector restarts on an idle bus.
        c.bus_busy = false;
    }
    c.iic = IicState::new();
}

fn write_cr(c: &mut BusCore, value: u32) {
    c.iic.cr = value & 0x7f;
    if value & CR_TX_FIFO_RESET != 0 {
        c.iic.tx.clear();
    }
    if value & CR_EN == 0 {
        // Disabling the core releases the bus it owns.
        if c.iic.phase != IicPhase::Idle {
            stop(c);
        }
        c.iic.phase = IicPhase::Idle;
    }
}

impl Peripheral for AxiIicModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        let mut c = self.bus.lock();
        c.iic.quiet = c.iic.quiet.saturating_add(1);
        advance(&mut c);
        if width != AccessWidth::U32 {
            return 0;
        }
        let v = match offset {
            0x01c => c.iic.gie,
            0x020 => isr(&c),
            0x028 => c.iic.ier,
            0x100 => c.iic.cr,
            0x104 => sr(&c),
            0x10c => c.iic.rx.pop_front().map_or(0, u32::from),
            0x114 => c.iic.tx.len().saturating_sub(1) as u32,
            0x118 => c.iic.rx.len().saturating_sub(1) as u32,
            0x120 => c.iic.pirq,
            o @ 0x110..=0x14c => c.iic.other[((o - 0x110) / 4) as usize],
            _ => 0,
        };
        if offset == 0x10c {
            // Reading the RX FIFO releases a throttled receiver: the next byte takes a
            // whole byte time on the wire, time enough to set TXAK / clear MSMS for it.
            c.iic.quiet = 0;
        }
        u64::from(v)
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        let mut c = self.bus.lock();
        c.iic.quiet = c.iic.quiet.saturating_add(1);
        advance(&mut c);
        if width != AccessWidth::U32 {
            return;
        }
        let value = value as u32;
        match offset {
            0x01c => c.iic.gie = value & 0x8000_0000,
            0x020 => c.iic.isr ^= value & ISR_LATCHED & c.iic.isr,
            0x028 => c.iic.ier = value & 0xff,
            0x040 if value & 0xf == 0xa => soft_reset(&mut c),
            0x100 => write_cr(&mut c, value),
            0x108 if c.iic.tx.len() < FIFO_DEPTH => c.iic.tx.push_back((value & 0x3ff) as u16),
            0x120 => c.iic.pirq = value & 0xf,
            o @ 0x110..=0x14c if o != 0x114 && o != 0x118 => {
                c.iic.other[((o - 0x110) / 4) as usize] = value
            }
            _ => {}
        }
        if matches!(offset, 0x040 | 0x100 | 0x108) {
            c.iic.quiet = 0;
        }
    }

    fn reset(&self) {
        let mut c = self.bus.lock();
        soft_reset(&mut c);
    }
}
