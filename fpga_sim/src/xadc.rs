//! Model of the AXI XADC Wizard (PG091) around the 7-series XADC hard macro (UG480): one
//! 0x1000-byte frame.
//!
//! - 0x000-0x1FF: wrapper registers. 0x000 (software reset, write-only) reads 0, 0x004
//!   status reads EOS|EOC and the last channel, 0x008 alarms read 0, interrupt registers
//!   0x05C/0x060/0x068 are storage; other offsets read 0.
//! - 0x200-0x3FC: the DRP window, AXI offset = 0x200 + 4 x DRP address, the 16-bit value in
//!   bits 15:0.
//!
//! Readings come from a seeded generator: each sensor does a bounded random walk around a
//! board-specific centre, so values are plausible, vary slowly, and are the same for the
//! same seed and the same sequence of register reads. Every read of a result register
//! (DRP 0x00-0x1F) first completes one more sequencer pass over the channels the
//! configuration converts; min/max registers of temperature, VCCINT, VCCAUX and VCCBRAM
//! track the converted values (full 16-bit compare). At "power up" the default sequence
//! converts the on-chip sensors once (results only, min/max stay at their reset values),
//! then [`WARM_UP_PASSES`] passes of the configured sequence run, so min/max hold a spread.
//! In single-channel mode only that channel is converted, which leaves the other sensors'
//! min/max at reset values, as on hardware.
//!
//! Hard-macro reset (write of bit 0 at 0x010, or any write to 0x20C) resets min/max and
//! repeats the power-up conversion; software reset (0x00A written to 0x000) clears the
//! wrapper's interrupt registers. Control registers keep their values across both.

use std::sync::{Arc, Mutex};

use vfio_access::mmio::AccessWidth;

use crate::peripheral::Peripheral;

/// Seed used when a board does not choose one.
pub const DEFAULT_SEED: u64 = 0x5EED_0000_2024_0224;

/// Sequencer passes run when the model is created (or reseeded, or hard-reset).
pub const WARM_UP_PASSES: u32 = 256;

/// DRP addresses.
pub mod drp {
    pub const TEMPERATURE: usize = 0x00;
    pub const VCCINT: usize = 0x01;
    pub const VCCAUX: usize = 0x02;
    pub const VP_VN: usize = 0x03;
    pub const VREFP: usize = 0x04;
    pub const VREFN: usize = 0x05;
    pub const VCCBRAM: usize = 0x06;
    pub const ADC_A_SUPPLY_OFFSET: usize = 0x08;
    pub const ADC_A_OFFSET: usize = 0x09;
    pub const ADC_A_GAIN: usize = 0x0A;
    pub const VAUX0: usize = 0x10;
    pub const MAX_TEMPERATURE: usize = 0x20;
    pub const MIN_TEMPERATURE: usize = 0x24;
    pub const ADC_B_SUPPLY_OFFSET: usize = 0x30;
    pub const ADC_B_OFFSET: usize = 0x31;
    pub const ADC_B_GAIN: usize = 0x32;
    pub const CONFIG0: usize = 0x40;
    pub const CONFIG1: usize = 0x41;
    pub const CONFIG2: usize = 0x42;
    pub const SEQ_CHANNELS_LOW: usize = 0x48;
    pub const SEQ_CHANNELS_HIGH: usize = 0x49;
    pub const SEQ_BIPOLAR_LOW: usize = 0x4C;
    pub const SEQ_BIPOLAR_HIGH: usize = 0x4D;
    pub const SEQ_ACQ_LOW: usize = 0x4E;
    pub const SEQ_ACQ_HIGH: usize = 0x4F;
}

/// The six calibration coefficient registers as the hard macro computed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XadcCalibration {
    /// ADC A: supply offset (DRP 0x08), offset (0x09), gain (0x0A).
    pub adc_a: [u16; 3],
    /// ADC B: supply offset (DRP 0x30), offset (0x31), gain (0x32).
    pub adc_b: [u16; 3],
}

impl XadcCalibration {
    /// The TEF1001 values behind `-4 / -3 / 6.3` and `-5 / -4 / 6.3`.
    pub const TEF1001: Self = Self {
        adc_a: [0xFFC0, 0xFFD0, 0x007F],
        adc_b: [0xFFB0, 0xFFC0, 0x007F],
    };
    /// The NiteFury-II values behind `-7 / -8 / 6.3` and `-10 / -11 / 6.3`.
    pub const NITEFURY: Self = Self {
        adc_a: [0xFF90, 0xFF80, 0x007F],
        adc_b: [0xFF60, 0xFF50, 0x007F],
    };
    /// Chosen for the TOSING 160T (no captured values): `-6 / -5 / 6.3`, `-8 / -7 / 6.3`.
    pub const TOSING: Self = Self {
        adc_a: [0xFFA0, 0xFFB0, 0x007F],
        adc_b: [0xFF80, 0xFF90, 0x007F],
    };
    /// Chosen for the LiteFury (never tested): `-3 / -2 / 6.3`, `-4 / -4 / 6.3`.
    pub const LITEFURY: Self = Self {
        adc_a: [0xFFD0, 0xFFE0, 0x007F],
        adc_b: [0xFFC0, 0xFFC0, 0x007F],
    };
}

/// Where a sensor's readings wander: 12-bit code centre and the walk's half-width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorRange {
    pub centre: i32,
    pub span: i32,
}

/// Board-specific sensor behaviour (12-bit codes, see the fact sheet's plausible ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorProfile {
    pub temperature: SensorRange,
    pub vccint: SensorRange,
    pub vccaux: SensorRange,
    pub vccbram: SensorRange,
    /// VAUX14 (NiteFury TMON_CORE), unipolar.
    pub vaux14: SensorRange,
}

impl SensorProfile {
    /// Around 32.6 C, 1.000 V, 1.786 V (TEF1001 logs).
    pub const TEF1001: Self = Self {
        temperature: SensorRange {
            centre: 2485,
            span: 14,
        },
        vccint: SensorRange {
            centre: 1366,
            span: 6,
        },
        vccaux: SensorRange {
            centre: 2437,
            span: 10,
        },
        vccbram: SensorRange {
            centre: 1365,
            span: 6,
        },
        vaux14: SensorRange {
            centre: 170,
            span: 8,
        },
    };
    /// Around 33.7 C, 1.028 V, 1.783 V, VAUX14 0.040 V (NiteFury logs).
    pub const NITEFURY: Self = Self {
        temperature: SensorRange {
            centre: 2494,
            span: 12,
        },
        vccint: SensorRange {
            centre: 1403,
            span: 5,
        },
        vccaux: SensorRange {
            centre: 2436,
            span: 6,
        },
        vccbram: SensorRange {
            centre: 1402,
            span: 5,
        },
        vaux14: SensorRange {
            centre: 168,
            span: 8,
        },
    };
    /// A warmer board in a cased PC (chosen).
    pub const TOSING: Self = Self {
        temperature: SensorRange {
            centre: 2560,
            span: 16,
        },
        vccint: SensorRange {
            centre: 1370,
            span: 6,
        },
        vccaux: SensorRange {
            centre: 2440,
            span: 8,
        },
        vccbram: SensorRange {
            centre: 1370,
            span: 6,
        },
        vaux14: SensorRange {
            centre: 170,
            span: 8,
        },
    };
}

/// How a design's XADC Wizard was configured (INIT_40..INIT_4F), its calibration result,
/// its sensors and the generator seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XadcConfig {
    pub config0: u16,
    pub config1: u16,
    pub config2: u16,
    /// Sequencer channel selection (DRP 0x48, 0x49).
    pub seq_channels: [u16; 2],
    /// Sequencer averaging (0x4A, 0x4B).
    pub seq_average: [u16; 2],
    /// Sequencer bipolar mode (0x4C, 0x4D).
    pub seq_bipolar: [u16; 2],
    /// Sequencer long acquisition (0x4E, 0x4F).
    pub seq_acquisition: [u16; 2],
    pub calibration: XadcCalibration,
    pub sensors: SensorProfile,
    pub seed: u64,
}

impl XadcConfig {
    /// Continuous sequence of temperature, VCCINT, VCCAUX, VCCBRAM and calibration
    /// (TEF1001, TOSING and i2c_probe designs). Config 1 = 0x21AF: continuous sequence,
    /// supply and ADC offset+gain calibration enabled, alarms disabled.
    pub fn continuous(calibration: XadcCalibration, sensors: SensorProfile) -> Self {
        Self {
            config0: 0x0000,
            config1: 0x21AF,
            config2: 0x0500,
            seq_channels: [0x4701, 0x0000],
            seq_average: [0, 0],
            seq_bipolar: [0, 0],
            seq_acquisition: [0, 0],
            calibration,
            sensors,
            seed: DEFAULT_SEED,
        }
    }

    /// The NiteFury designs: the continuous sequence plus VAUX14 (TMON_CORE) with long
    /// acquisition.
    pub fn continuous_with_vaux14(calibration: XadcCalibration, sensors: SensorProfile) -> Self {
        Self {
            seq_channels: [0x4701, 0x4000],
            seq_acquisition: [0, 0x4000],
            ..Self::continuous(calibration, sensors)
        }
    }

    /// The factory Fury Project-0 image: single-channel mode on temperature (config 1 =
    /// 0x31AF, config 0 channel bits 0). The sequencer registers hold stale defaults.
    pub fn single_channel_temperature(
        calibration: XadcCalibration,
        sensors: SensorProfile,
    ) -> Self {
        Self {
            config1: 0x31AF,
            ..Self::continuous(calibration, sensors)
        }
    }
}

/// SplitMix64: small, seedable, good enough for sensor noise.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

struct XadcState {
    config: XadcConfig,
    drp: [u16; 128],
    rng: Rng,
    /// Walk position of each channel relative to its centre.
    walk: [i32; 32],
    passes: u64,
    frozen: bool,
    last_channel: u32,
    gier: u32,
    ipisr: u32,
    ipier: u32,
}

/// Channel -> (result DRP address, min/max DRP addresses).
fn min_max_drp(channel: usize) -> Option<(usize, usize)> {
    match channel {
        0 => Some((0x24, 0x20)),
        1 => Some((0x25, 0x21)),
        2 => Some((0x26, 0x22)),
        6 => Some((0x27, 0x23)),
        _ => None,
    }
}

fn result_drp(channel: usize) -> Option<usize> {
    match channel {
        0..=6 => Some(channel),
        16..=31 => Some(drp::VAUX0 + channel - 16),
        _ => None,
    }
}

impl XadcState {
    fn new(config: XadcConfig) -> Self {
        let mut s = Self {
            config,
            drp: [0; 128],
            rng: Rng(config.seed),
            walk: [0; 32],
            passes: 0,
            frozen: false,
            last_channel: 0,
            gier: 0,
            ipisr: 0,
            ipier: 0,
        };
        s.load_control_registers();
        s.power_up();
        s
    }

    fn load_control_registers(&mut self) {
        let c = &self.config;
        let cal = c.calibration;
        self.drp[drp::ADC_A_SUPPLY_OFFSET] = cal.adc_a[0];
        self.drp[drp::ADC_A_OFFSET] = cal.adc_a[1];
        self.drp[drp::ADC_A_GAIN] = cal.adc_a[2];
        self.drp[drp::ADC_B_SUPPLY_OFFSET] = cal.adc_b[0];
        self.drp[drp::ADC_B_OFFSET] = cal.adc_b[1];
        self.drp[drp::ADC_B_GAIN] = cal.adc_b[2];
        self.drp[drp::CONFIG0] = c.config0;
        self.drp[drp::CONFIG1] = c.config1;
        self.drp[drp::CONFIG2] = c.config2;
        self.drp[0x48] = c.seq_channels[0];
        self.drp[0x49] = c.seq_channels[1];
        self.drp[0x4A] = c.seq_average[0];
        self.drp[0x4B] = c.seq_average[1];
        self.drp[0x4C] = c.seq_bipolar[0];
        self.drp[0x4D] = c.seq_bipolar[1];
        self.drp[0x4E] = c.seq_acquisition[0];
        self.drp[0x4F] = c.seq_acquisition[1];
    }

    /// Power-up / hard-macro reset: min/max to reset values, the default sequence converts
    /// the on-chip sensors once, then the configured sequence warms up.
    fn power_up(&mut self) {
        for ch in [0usize, 1, 2, 6] {
            if let Some((min, max)) = min_max_drp(ch) {
                self.drp[min] = 0xFFFF;
                self.drp[max] = 0x0000;
            }
        }
        // Results only: the calibration coefficients (0x08-0x0A) are not results.
        for d in (0..=6).chain(drp::VAUX0..drp::VAUX0 + 16) {
            self.drp[d] = 0;
        }
        for ch in [0usize, 1, 2, 4, 5, 6] {
            self.convert(ch, false);
        }
        for _ in 0..WARM_UP_PASSES {
            self.pass();
        }
    }

    fn range(&self, channel: usize) -> SensorRange {
        let s = &self.config.sensors;
        match channel {
            0 => s.temperature,
            1 => s.vccint,
            2 => s.vccaux,
            6 => s.vccbram,
            30 => s.vaux14,
            // VREFP: 1.245 V.
            4 => SensorRange {
                centre: 1700,
                span: 1,
            },
            // VREFN and Vp/Vn hover around zero (negative codes wrap to 0xFFF, 0xFFE).
            5 => SensorRange { centre: 0, span: 1 },
            3 => SensorRange { centre: 0, span: 2 },
            _ => SensorRange {
                centre: 60,
                span: 10,
            },
        }
    }

    /// One conversion of `channel`: move its walk a step and store code << 4 with noise in
    /// the low nibble.
    fn convert(&mut self, channel: usize, track: bool) {
        let Some(result) = result_drp(channel) else {
            return;
        };
        let range = self.range(channel);
        let r = self.rng.next();
        let pos = &mut self.walk[channel];
        // Steps of -1, 0, +1 LSB, pulled back toward the centre at the edges.
        let step = (r % 3) as i32 - 1;
        *pos = (*pos + step).clamp(-range.span, range.span);
        let code = (range.centre + *pos).rem_euclid(4096) as u16;
        let value = (code << 4) | ((r >> 8) & 0xF) as u16;
        self.drp[result] = value;
        self.last_channel = channel as u32;
        if track {
            if let Some((min, max)) = min_max_drp(channel) {
                self.drp[min] = self.drp[min].min(value);
                self.drp[max] = self.drp[max].max(value);
            }
        }
    }

    /// The channels the current configuration converts.
    fn converted_channels(&self) -> u32 {
        let seq = self.drp[drp::CONFIG1] >> 12;
        match seq {
            // Single channel mode: the channel of config 0.
            0b0011 => 1 << (self.drp[drp::CONFIG0] & 0x1f),
            // Default mode (and 11xx): the on-chip sensors.
            0b0000 | 0b1100..=0b1111 => 0b111_1111,
            _ => {
                let low = u32::from(self.drp[drp::SEQ_CHANNELS_LOW]);
                let high = u32::from(self.drp[drp::SEQ_CHANNELS_HIGH]);
                (low & 0xff) << 8 | (low & 0xff00) >> 8 | high << 16
            }
        }
    }

    fn pass(&mut self) {
        let channels = self.converted_channels();
        for ch in 0..32 {
            if channels & (1 << ch) != 0 {
                self.convert(ch, true);
            }
        }
        self.passes += 1;
    }
}

/// The XADC Wizard model.
pub struct XadcModel {
    state: Mutex<XadcState>,
}

impl XadcModel {
    pub fn new(config: XadcConfig) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(XadcState::new(config)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, XadcState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn config(&self) -> XadcConfig {
        self.lock().config
    }

    /// Restarts the model from power-up with another seed.
    pub fn reseed(&self, seed: u64) {
        let mut s = self.lock();
        let config = XadcConfig { seed, ..s.config };
        *s = XadcState::new(config);
    }

    /// A DRP register value (test hook).
    pub fn drp(&self, address: usize) -> u16 {
        self.lock().drp.get(address).copied().unwrap_or(0)
    }

    /// Sets a DRP register directly (test hook, e.g. to reproduce logged values exactly).
    pub fn set_drp(&self, address: usize, value: u16) {
        if let Some(r) = self.lock().drp.get_mut(address) {
            *r = value;
        }
    }

    /// Stops (or restarts) conversions: while frozen, reads return the registers as they
    /// are, so values set with [`set_drp`](Self::set_drp) stay put.
    pub fn freeze(&self, frozen: bool) {
        self.lock().frozen = frozen;
    }

    /// Sequencer passes completed since power-up (including the warm-up).
    pub fn passes(&self) -> u64 {
        self.lock().passes
    }
}

impl Peripheral for XadcModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            return 0;
        }
        let mut s = self.lock();
        let v: u32 = match offset {
            0x004 => 0x60 | s.last_channel,
            0x05C => s.gier,
            0x060 => s.ipisr,
            0x068 => s.ipier,
            0x200..=0x3FF => {
                let a = ((offset - 0x200) / 4) as usize;
                if a < 0x20 && !s.frozen {
                    s.pass();
                }
                s.drp[a].into()
            }
            _ => 0,
        };
        v.into()
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if width != AccessWidth::U32 {
            return;
        }
        let mut s = self.lock();
        let value = value as u32;
        match offset {
            0x000 if value == 0xA => {
                s.gier = 0;
                s.ipisr = 0;
                s.ipier = 0;
            }
            0x010 if value & 1 != 0 => s.power_up(),
            0x05C => s.gier = value & 0x8000_0000,
            0x060 => s.ipisr &= !value,
            0x068 => s.ipier = value & 0x7ff,
            0x20C => s.power_up(),
            // Control registers and alarm thresholds (DRP 0x40-0x5F) are read/write.
            0x300..=0x37F => {
                let a = ((offset - 0x200) / 4) as usize;
                s.drp[a] = value as u16;
            }
            _ => {}
        }
    }

    fn reset(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peripheral::PeripheralSpace;

    fn tef() -> XadcConfig {
        XadcConfig::continuous(XadcCalibration::TEF1001, SensorProfile::TEF1001)
    }

    #[test]
    fn same_seed_same_readings_and_min_max_bracket_results() {
        let a = PeripheralSpace::mmio(XadcModel::new(tef()), 0x1000);
        let b = PeripheralSpace::mmio(XadcModel::new(tef()), 0x1000);
        for _ in 0..50 {
            assert_eq!(a.read32(0x200), b.read32(0x200));
        }
        for (res, min, max) in [(0x200, 0x290, 0x280), (0x204, 0x294, 0x284)] {
            let r = a.read32(res);
            assert!(a.read32(min) <= r && r <= a.read32(max));
            assert!(a.read32(min) < a.read32(max), "warm-up spreads min/max");
            assert_eq!(r >> 16, 0);
        }
        let t = (a.read32(0x200) >> 4) as i32;
        assert!((2470..=2610).contains(&t), "temperature code {t}");
    }

    #[test]
    fn different_seed_differs() {
        let mut other = tef();
        other.seed = 7;
        let a = PeripheralSpace::mmio(XadcModel::new(tef()), 0x1000);
        let b = PeripheralSpace::mmio(XadcModel::new(other), 0x1000);
        let va: Vec<u32> = (0..20).map(|_| a.read32(0x200)).collect();
        let vb: Vec<u32> = (0..20).map(|_| b.read32(0x200)).collect();
        assert_ne!(va, vb);
    }

    #[test]
    fn single_channel_mode_leaves_other_min_max_at_reset() {
        let cfg = XadcConfig::single_channel_temperature(
            XadcCalibration::NITEFURY,
            SensorProfile::NITEFURY,
        );
        let m = PeripheralSpace::mmio(XadcModel::new(cfg), 0x1000);
        assert_eq!(m.read32(0x304) >> 12, 3);
        assert_ne!(m.read32(0x204), 0, "default sequence converted VCCINT once");
        assert_eq!(m.read32(0x294), 0xFFFF);
        assert_eq!(m.read32(0x284), 0);
        assert_ne!(m.read32(0x290), 0xFFFF);
    }

    #[test]
    fn registers_calibration_and_resets() {
        let model = XadcModel::new(XadcConfig::continuous_with_vaux14(
            XadcCalibration::TEF1001,
            SensorProfile::NITEFURY,
        ));
        let m = PeripheralSpace::mmio(model.clone(), 0x1000);
        assert_eq!(m.read32(0x000), 0);
        assert_eq!(m.read32(0x220), 0xFFC0);
        assert_eq!(m.read32(0x224), 0xFFD0);
        assert_eq!(m.read32(0x228), 0x007F);
        assert_eq!(m.read32(0x2C0), 0xFFB0);
        assert_eq!(m.read32(0x320), 0x4701);
        assert_eq!(m.read32(0x324), 0x4000);
        assert_eq!(m.read32(0x33C), 0x4000);
        let vaux14 = m.read32(0x278) >> 4;
        assert!((150..=190).contains(&vaux14));
        m.write32(0x340, 0xB5ED);
        assert_eq!(m.read32(0x340), 0xB5ED);
        model.freeze(true);
        model.set_drp(drp::TEMPERATURE, 0x9B50);
        assert_eq!(m.read32(0x200), 0x9B50);
        m.write32(0x010, 1);
        assert_eq!(m.read32(0x320), 0x4701, "control registers survive reset");
        assert_eq!(m.read32(0x340), 0xB5ED, "alarm thresholds survive reset");
    }
}
