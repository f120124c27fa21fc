//! Bus-level I2C models of the TEF1001 (i2c_probe.md 1.1, 10.2, 10.3): the open-drain bus
//! driven by the AXI GPIO (bit-banged master) and the AXI IIC core (PG090), both reaching
//! ONE shared set of device models ([`I2cBusDevices`]) through the FPGA's controller
//! multiplexer (GPIO bit 3 selects the bit-banged outputs).
//!
//! - [`Tef1001Bus`]: the shared bus; handle for tests (device set, fault hooks, a
//!   transaction log in the notation of the fact sheet: `S E8 A 00 A P`).
//! - [`BitBangGpioModel`]: the 4-bit AXI GPIO frame (bit 0 SDA in, 1 SDA out, 2 SCL out,
//!   3 select); every write is decoded into START / STOP / bits / acknowledges.
//! - [`AxiIicModel`]: the AXI IIC frame (standard and dynamic mode, polled).
//! - [`tef1001_bus_models`]: both frames on one bus, as the board catalogue places them;
//!   [`bus_of_model`] / [`bus_of_board`] find the bus behind a board's frames.
//!
//! Fault hooks: device absent ([`Tef1001Bus::set_present`]), SDA held low for good
//! ([`Tef1001Bus::set_sda_stuck_low`]) or by a device stuck mid-byte that lets go after
//! some clocks ([`Tef1001Bus::hold_sda_low_for_clocks`]), corrupted PEC / SPD byte
//! ([`Tef1001Bus::inject_fault`]). Processes started by tests get the same hooks from the
//! environment variable [`I2C_FAULTS_ENV`].

mod axi_iic;
mod gpio;
mod wire;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::board::Board;
use crate::i2c_devices::{tef1001_devices, I2cBusDevices, TargetFault, Tef1001Options};
use crate::peripheral::Peripheral;

pub use axi_iic::AxiIicModel;
pub use gpio::BitBangGpioModel;

/// Environment variable with fault hooks for the TEF1001 buses built by
/// [`tef1001_bus_models`] (so tests can break the bus of a tool run in a child process).
/// Comma-separated items:
/// `absent=<addr>`, `corrupt_pec=<addr>`, `corrupt_byte=<addr>:<offset>:<value>`,
/// `stuck_sda` (held low for good), `hold_sda=<clocks>` (released after that many SCL
/// clocks, i.e. recoverable), `no_sodimm` (board without the SO-DIMM). Numbers are
/// decimal or `0x` hex; unknown items are ignored.
pub const I2C_FAULTS_ENV: &str = "FPGA_SIO_SIM_I2C_FAULTS";

/// One bus condition or byte, as decoded from either master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusEvent {
    Start,
    RepeatedStart,
    /// Address byte `(addr << 1) | R/W` and the device's acknowledge.
    Address {
        byte: u8,
        ack: bool,
    },
    /// Data byte written by the master and the device's acknowledge.
    Write {
        byte: u8,
        ack: bool,
    },
    /// Data byte sent by the device and the master's acknowledge.
    Read {
        byte: u8,
        ack: bool,
    },
    Stop,
}

/// Most events kept in the log (oldest dropped first).
const LOG_LIMIT: usize = 1 << 16;

pub(crate) struct BusCore {
    pub(crate) devices: I2cBusDevices,
    log: Vec<BusEvent>,
    /// START seen and no STOP since (AXI IIC SR.BB, whichever master made it).
    pub(crate) bus_busy: bool,
    /// GPIO output word (bits 1..3); bit 3 = the bit-banged master owns the pins.
    pub(crate) gpio_out: u32,
    pub(crate) wire: wire::Wire,
    pub(crate) iic: axi_iic::IicState,
    /// A device stuck mid-byte pulls SDA low until this many more SCL clocks.
    sda_hold_clocks: Option<u32>,
}

impl BusCore {
    fn new(devices: I2cBusDevices) -> Self {
        Self {
            devices,
            log: Vec::new(),
            bus_busy: false,
            gpio_out: gpio::GPIO_OUT_DEFAULT,
            wire: wire::Wire::new(),
            iic: axi_iic::IicState::new(),
            sda_hold_clocks: None,
        }
    }

    pub(crate) fn record(&mut self, e: BusEvent) {
        if self.log.len() >= LOG_LIMIT {
            self.log.drain(..LOG_LIMIT / 2);
        }
        self.log.push(e);
    }

    /// Something other than the masters holds SDA low.
    pub(crate) fn sda_held(&self) -> bool {
        self.devices.sda_stuck_low() || self.sda_hold_clocks.is_some()
    }

    /// One SCL clock seen by the device that is stuck mid-byte.
    pub(crate) fn clock_stuck_device(&mut self) {
        if let Some(n) = self.sda_hold_clocks {
            self.sda_hold_clocks = n.checked_sub(1).filter(|&n| n > 0);
        }
    }

    pub(crate) fn select_bit_bang(&self) -> bool {
        self.gpio_out & gpio::SELECT_BIT_BANG != 0
    }
}

/// The TEF1001 I2C bus shared by its two masters. Cheap to clone (a handle).
#[derive(Clone)]
pub struct Tef1001Bus {
    core: Arc<Mutex<BusCore>>,
}

impl std::fmt::Debug for Tef1001Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.lock();
        f.debug_struct("Tef1001Bus")
            .field("devices", &c.devices)
            .field("bus_busy", &c.bus_busy)
            .finish()
    }
}

impl Tef1001Bus {
    /// A bus with the given devices (no masters yet: see [`Tef1001Bus::models`]).
    pub fn new(devices: I2cBusDevices) -> Self {
        Self {
            core: Arc::new(Mutex::new(BusCore::new(devices))),
        }
    }

    /// The TEF1001 devices of i2c_probe.md 10.4.
    pub fn tef1001(options: Tef1001Options) -> Self {
        Self::new(tef1001_devices(options))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, BusCore> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// New AXI IIC and GPIO frames on this bus (registered so [`bus_of_model`] finds it).
    pub fn models(&self) -> (Arc<AxiIicModel>, Arc<BitBangGpioModel>) {
        let iic = Arc::new(AxiIicModel::new(self.clone()));
        let gpio = Arc::new(BitBangGpioModel::new(self.clone()));
        register(&iic, &gpio, &self.core);
        (iic, gpio)
    }

    /// Run `f` on the device set (fault hooks, device state).
    pub fn with_devices<R>(&self, f: impl FnOnce(&mut I2cBusDevices) -> R) -> R {
        f(&mut self.lock().devices)
    }

    /// Fault hook: a device that is absent NACKs its address.
    pub fn set_present(&self, addr: u8, present: bool) {
        self.lock().devices.set_present(addr, present);
    }

    /// Device fault hook (corrupted PEC, corrupted EEPROM byte); false if unsupported.
    pub fn inject_fault(&self, addr: u8, fault: TargetFault) -> bool {
        self.lock().devices.inject_fault(addr, fault)
    }

    /// Fault hook: SDA held low for good (a broken device); no master can clear it.
    pub fn set_sda_stuck_low(&self, stuck: bool) {
        self.lock().devices.set_sda_stuck_low(stuck);
    }

    /// Fault hook: a device stuck in the middle of a read (e.g. after the previous user
    /// died) pulls SDA low until it has seen `clocks` SCL clocks; 0 clears the hook.
    /// The bus-recovery sequence (nine clocks + STOP) clears it when `clocks <= 9`.
    pub fn hold_sda_low_for_clocks(&self, clocks: u32) {
        self.lock().sda_hold_clocks = (clocks > 0).then_some(clocks);
    }

    /// Current SDA level (true = high).
    pub fn sda_level(&self) -> bool {
        let c = self.lock();
        wire::bus_sda(&c)
    }

    /// START seen without a STOP since.
    pub fn bus_busy(&self) -> bool {
        self.lock().bus_busy
    }

    /// The events since the last [`Tef1001Bus::clear_log`].
    pub fn log(&self) -> Vec<BusEvent> {
        self.lock().log.clone()
    }

    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// The log in the fact sheet's notation, e.g. `S E8 A 00 A P S E9 A FF N P`
    /// (bytes uppercase hex, each followed by its acknowledge bit).
    pub fn log_text(&self) -> String {
        log_text(&self.log())
    }

    /// Apply the fault items of [`I2C_FAULTS_ENV`] syntax; returns the items not understood.
    pub fn apply_fault_spec(&self, spec: &str) -> Vec<String> {
        let mut unknown = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let nums: Vec<Option<u64>> = value.split(':').map(parse_number).collect();
            let ok = match (key.trim(), nums.as_slice()) {
                ("absent", [Some(a)]) => {
                    u8::try_from(*a).map(|a| self.set_present(a, false)).is_ok()
                }
                ("corrupt_pec", [Some(a)]) => u8::try_from(*a)
                    .is_ok_and(|a| self.inject_fault(a, TargetFault::CorruptPec(true))),
                ("corrupt_byte", [Some(a), Some(o), Some(v)]) => {
                    match (u8::try_from(*a), usize::try_from(*o), u8::try_from(*v)) {
                        (Ok(a), Ok(offset), Ok(value)) => {
                            self.inject_fault(a, TargetFault::CorruptByte { offset, value })
                        }
                        _ => false,
                    }
                }
                ("stuck_sda", _) => {
                    self.set_sda_stuck_low(true);
                    true
                }
                ("hold_sda", [Some(n)]) => u32::try_from(*n)
                    .map(|n| self.hold_sda_low_for_clocks(n))
                    .is_ok(),
                ("no_sodimm", _) => {
                    for a in [0x19, 0x31, 0x51] {
                        self.set_present(a, false);
                    }
                    true
                }
                _ => false,
            };
            if !ok {
                unknown.push(item.to_string());
            }
        }
        unknown
    }
}

fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Events in the fact sheet's notation.
pub fn log_text(events: &[BusEvent]) -> String {
    let mut s = String::new();
    let ack = |a: bool| if a { 'A' } else { 'N' };
    for e in events {
        if !s.is_empty() {
            s.push(' ');
        }
        let _ = match *e {
            BusEvent::Start => write!(s, "S"),
            BusEvent::RepeatedStart => write!(s, "Sr"),
            BusEvent::Address { byte, ack: a } | BusEvent::Write { byte, ack: a } => {
                write!(s, "{byte:02X} {}", ack(a))
            }
            BusEvent::Read { byte, ack: a } => write!(s, "{byte:02X}({})", ack(a)),
            BusEvent::Stop => write!(s, "P"),
        };
    }
    s
}

// ---- finding the bus behind a board's frames -------------------------------------------

type Registration = (
    Weak<AxiIicModel>,
    Weak<BitBangGpioModel>,
    Weak<Mutex<BusCore>>,
);

static REGISTRY: Mutex<Vec<Registration>> = Mutex::new(Vec::new());

fn register(iic: &Arc<AxiIicModel>, gpio: &Arc<BitBangGpioModel>, core: &Arc<Mutex<BusCore>>) {
    let mut r = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    r.retain(|(i, g, _)| i.strong_count() > 0 || g.strong_count() > 0);
    r.push((
        Arc::downgrade(iic),
        Arc::downgrade(gpio),
        Arc::downgrade(core),
    ));
}

/// The bus behind an AXI IIC or bit-bang GPIO frame model (e.g. from
/// `Board::frame_model`); None for any other model.
pub fn bus_of_model(model: &Arc<dyn Peripheral>) -> Option<Tef1001Bus> {
    let p = Arc::as_ptr(model);
    let r = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    r.iter().find_map(|(i, g, core)| {
        let hit = i
            .upgrade()
            .is_some_and(|i| std::ptr::addr_eq(Arc::as_ptr(&i), p))
            || g.upgrade()
                .is_some_and(|g| std::ptr::addr_eq(Arc::as_ptr(&g), p));
        hit.then(|| core.upgrade().map(|core| Tef1001Bus { core }))
            .flatten()
    })
}

/// The I2C bus of a simulated TEF1001 board (its IIC / GPIO frames at BAR 0 offsets
/// 0x0000 / 0x1000, as in every TEF1001 design).
pub fn bus_of_board(board: &Board) -> Option<Tef1001Bus> {
    [0x0000, 0x1000]
        .into_iter()
        .filter_map(|offset| board.frame_model(0, offset))
        .find_map(|m| bus_of_model(&m))
}

/// The TEF1001 I2C bus as seen through its two masters: (AXI IIC frame, bit-bang GPIO
/// frame), both on one device set with the SO-DIMM fitted. Fault hooks from
/// [`I2C_FAULTS_ENV`] are applied.
pub fn tef1001_bus_models() -> (Arc<dyn Peripheral>, Arc<dyn Peripheral>) {
    let bus = Tef1001Bus::tef1001(Tef1001Options::default());
    if let Ok(spec) = std::env::var(I2C_FAULTS_ENV) {
        bus.apply_fault_spec(&spec);
    }
    let (iic, gpio) = bus.models();
    (iic, gpio)
}

#[cfg(test)]
mod tests;
