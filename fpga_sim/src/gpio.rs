//! Models of the AXI GPIO core (PG144) as wired in the supported designs.
//!
//! Register map (frame-relative; the core decodes only address bits 8:0, so a frame
//! larger than 0x200 bytes aliases): 0x000 GPIO_DATA, 0x004 GPIO_TRI, 0x008 GPIO2_DATA,
//! 0x00C GPIO2_TRI, 0x11C GIER, 0x120 IP ISR, 0x128 IP IER.
//!
//! - [`AxiGpio`]: a GPIO whose channels are all inputs (constants wired in the design,
//!   such as the USR_ACCESSE2 build timestamp or the Fury Project-0 tag and board
//!   version) or all outputs (the Fury M.2 LED). Outputs cannot be read back on these
//!   designs (reads of an output channel return 0), so every written value is kept in a
//!   history tests can inspect.
//! - [`MigResetGpio`]: the DDR3 designs' GPIO for MIG reset and status (bit 0 output =
//!   reset; inputs 1 locked, 2 mmcm_locked, 3 init_cal_complete, 4 ui_clk_sync_rst).

use std::sync::{Arc, Mutex};

use vfio_access::mmio::AccessWidth;

use crate::peripheral::Peripheral;

/// How many written values an output channel remembers.
const HISTORY_LIMIT: usize = 4096;

/// One channel of an AXI GPIO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpioChannel {
    /// Not configured (the "dual channel" option off): reads 0, writes ignored.
    Absent,
    /// All inputs of `width` bits, reading `value`.
    Inputs { width: u8, value: u32 },
    /// All outputs of `width` bits.
    Outputs { width: u8 },
}

impl GpioChannel {
    fn mask(width: u8) -> u32 {
        if width >= 32 {
            u32::MAX
        } else {
            (1u32 << width) - 1
        }
    }

    /// Reset value of the tri-state register: 1 = input.
    fn tri(self) -> u32 {
        match self {
            GpioChannel::Inputs { width, .. } => Self::mask(width),
            GpioChannel::Absent | GpioChannel::Outputs { .. } => 0,
        }
    }
}

#[derive(Default)]
struct GpioState {
    outputs: [u32; 2],
    history: [Vec<u32>; 2],
    inputs_override: [Option<u32>; 2],
    gier: u32,
    ier: u32,
    isr: u32,
}

/// An AXI GPIO with up to two channels of constant inputs or outputs.
pub struct AxiGpio {
    channels: [GpioChannel; 2],
    state: Mutex<GpioState>,
}

impl AxiGpio {
    pub fn new(channel1: GpioChannel, channel2: GpioChannel) -> Arc<Self> {
        Arc::new(Self {
            channels: [channel1, channel2],
            state: Mutex::new(GpioState::default()),
        })
    }

    /// The user-access GPIO: channel 1 is the 32-bit USR_ACCESSE2 value.
    pub fn user_access(timestamp: u32) -> Arc<Self> {
        Self::new(
            GpioChannel::Inputs {
                width: 32,
                value: timestamp,
            },
            GpioChannel::Absent,
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GpioState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Current value driven on output channel `channel` (1 or 2).
    pub fn output(&self, channel: usize) -> u32 {
        channel
            .checked_sub(1)
            .and_then(|c| self.lock().outputs.get(c).copied())
            .unwrap_or(0)
    }

    /// Every value written to the data register of channel `channel` (1 or 2), oldest
    /// first (the last [`HISTORY_LIMIT`] writes).
    pub fn output_history(&self, channel: usize) -> Vec<u32> {
        channel
            .checked_sub(1)
            .and_then(|c| self.lock().history.get(c).cloned())
            .unwrap_or_default()
    }

    /// Test hook: make input channel `channel` (1 or 2) read `value` instead of its
    /// wired constant (e.g. a different Fury board version or tag).
    pub fn set_inputs(&self, channel: usize, value: u32) {
        if let Some(c) = channel.checked_sub(1).filter(|c| *c < 2) {
            self.lock().inputs_override[c] = Some(value);
        }
    }

    fn data(&self, c: usize, state: &GpioState) -> u32 {
        match self.channels[c] {
            GpioChannel::Absent | GpioChannel::Outputs { .. } => 0,
            GpioChannel::Inputs { width, value } => {
                state.inputs_override[c].unwrap_or(value) & GpioChannel::mask(width)
            }
        }
    }
}

impl Peripheral for AxiGpio {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            return 0;
        }
        let s = self.lock();
        let v = match offset & 0x1ff {
            0x000 => self.data(0, &s),
            0x004 => self.channels[0].tri(),
            0x008 => self.data(1, &s),
            0x00c => self.channels[1].tri(),
            0x11c => s.gier,
            0x120 => s.isr,
            0x128 => s.ier,
            _ => 0,
        };
        v.into()
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if width != AccessWidth::U32 {
            return;
        }
        let value = value as u32;
        let mut s = self.lock();
        match offset & 0x1ff {
            o @ (0x000 | 0x008) => {
                let c = (o / 8) as usize;
                if let GpioChannel::Outputs { width } = self.channels[c] {
                    let v = value & GpioChannel::mask(width);
                    s.outputs[c] = v;
                    let h = &mut s.history[c];
                    if h.len() == HISTORY_LIMIT {
                        h.remove(0);
                    }
                    h.push(v);
                }
            }
            0x11c => s.gier = value & 0x8000_0000,
            0x120 => s.isr &= !value,
            0x128 => s.ier = value & 0x3,
            // Tri-state registers of fixed-direction channels are read-only.
            _ => {}
        }
    }

    fn reset(&self) {
        let mut s = self.lock();
        s.outputs = [0; 2];
        s.gier = 0;
        s.ier = 0;
        s.isr = 0;
    }
}

/// The DDR3 designs' MIG reset/status GPIO (one channel, bit 0 output, bits 4:1 inputs;
/// xilinx_dma_bridge.md §7.5).
///
/// Where the sheets are silent (chosen, so that ddr3_reset_control's history has the
/// shape of a real recalibration and tests of it are deterministic): the clocking-wizard
/// locked input reads 1 on every board (tied high on TEF1001/NiteFury); while reset is
/// asserted mmcm_locked and init_cal_complete read 0 and ui_clk_sync_rst 1; after release
/// the MIG comes back in stages counted in reads of the data register, not in time:
/// mmcm_locked from the [`MMCM_LOCK_READS`](Self::MMCM_LOCK_READS)th read,
/// ui_clk_sync_rst clear from the [`UI_RESET_RELEASE_READS`](Self::UI_RESET_RELEASE_READS)th
/// and init_cal_complete from the [`CALIBRATION_READS`](Self::CALIBRATION_READS)th. A
/// board starts calibrated.
pub struct MigResetGpio {
    state: Mutex<MigState>,
}

#[derive(Debug, Clone, Copy)]
struct MigState {
    reset_asserted: bool,
    /// Data register reads since reset was released (saturating).
    reads_since_release: u32,
}

impl MigState {
    const CALIBRATED: MigState = MigState {
        reset_asserted: false,
        reads_since_release: u32::MAX,
    };
}

impl MigResetGpio {
    const LOCKED: u32 = 1 << 1;
    const MMCM_LOCKED: u32 = 1 << 2;
    const INIT_CAL_COMPLETE: u32 = 1 << 3;
    const UI_CLK_SYNC_RST: u32 = 1 << 4;
    pub const MMCM_LOCK_READS: u32 = 4;
    pub const UI_RESET_RELEASE_READS: u32 = 8;
    pub const CALIBRATION_READS: u32 = 32;

    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(MigState::CALIBRATED),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MigState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn data(&self) -> u32 {
        let mut s = self.lock();
        if s.reset_asserted {
            return 1 | Self::LOCKED | Self::UI_CLK_SYNC_RST;
        }
        s.reads_since_release = s.reads_since_release.saturating_add(1);
        let n = s.reads_since_release;
        let mut v = Self::LOCKED;
        if n >= Self::MMCM_LOCK_READS {
            v |= Self::MMCM_LOCKED;
        }
        if n < Self::UI_RESET_RELEASE_READS {
            v |= Self::UI_CLK_SYNC_RST;
        }
        if n >= Self::CALIBRATION_READS {
            v |= Self::INIT_CAL_COMPLETE;
        }
        v
    }
}

impl Peripheral for MigResetGpio {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            return 0;
        }
        match offset & 0x1ff {
            0x000 => u64::from(self.data()),
            0x004 => 0x1e,
            _ => 0,
        }
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if width == AccessWidth::U32 && offset & 0x1ff == 0 {
            let mut s = self.lock();
            let assert = value & 1 != 0;
            if s.reset_asserted && !assert {
                s.reads_since_release = 0;
            }
            s.reset_asserted = assert;
        }
    }

    fn reset(&self) {
        *self.lock() = MigState::CALIBRATED;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peripheral::PeripheralSpace;

    #[test]
    fn inputs_read_constants_and_outputs_are_recorded() {
        let gpio = AxiGpio::new(
            GpioChannel::Inputs {
                width: 32,
                value: 0x4E49_5445,
            },
            GpioChannel::Outputs { width: 2 },
        );
        let m = PeripheralSpace::mmio(gpio.clone(), 0x1000);
        assert_eq!(m.read32(0x0), 0x4E49_5445);
        assert_eq!(m.read32(0x4), 0xffff_ffff);
        assert_eq!(
            m.read32(0x200),
            0x4E49_5445,
            "address bits above 8 are not decoded"
        );
        m.write32(0x8, 0x2);
        m.write32(0x8, 0x0);
        assert_eq!(m.read32(0x8), 0, "outputs cannot be read back");
        assert_eq!(gpio.output_history(2), vec![2, 0]);
        gpio.set_inputs(1, 0x4C49_5445);
        assert_eq!(m.read32(0x0), 0x4C49_5445);
    }

    #[test]
    fn mig_reset_gpio_recalibrates_in_stages_after_release() {
        let m = PeripheralSpace::mmio(MigResetGpio::new(), 0x1000);
        assert_eq!(m.read32(0), 0b01110, "starts calibrated");
        m.write32(0, 1);
        assert_eq!(m.read32(0), 0b10011);
        m.write32(0, 0);
        let samples: Vec<u32> = (0..MigResetGpio::CALIBRATION_READS)
            .map(|_| m.read32(0))
            .collect();
        assert_eq!(samples[0], 0b10010, "locked, MIG still in reset");
        assert_eq!(samples[3], 0b10110, "mmcm locked on the 4th read");
        assert_eq!(samples[7], 0b00110, "ui_clk_sync_rst released on the 8th");
        assert_eq!(samples[30], 0b00110);
        assert_eq!(samples[31], 0b01110, "calibrated on the 32nd");
        assert_eq!(m.read32(0), 0b01110);
    }
}
