//! Reading the XADC: configuration, sequencer channel flags, calibration, and every
//! enabled (or always-converted) channel's measurement with min/max.

use std::fmt;

use vfio_access::Mmio;

use crate::calibration::AdcCalibration;
use crate::channels::{channel_info, ALWAYS_READ, CALIBRATION_CHANNEL};
use crate::conversion::{code, scale};
use crate::registers::*;

/// Sequencer mode, configuration register 1 bits 15:12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequencerMode {
    Default,
    SinglePass,
    Continuous,
    SingleChannel,
    Simultaneous,
    Independent,
}

impl SequencerMode {
    pub fn from_config1(config1: u32) -> Self {
        match (config1 >> 12) & 0xf {
            0b0001 => SequencerMode::SinglePass,
            0b0010 => SequencerMode::Continuous,
            0b0011 => SequencerMode::SingleChannel,
            0b0100..=0b0111 => SequencerMode::Simultaneous,
            0b1000..=0b1011 => SequencerMode::Independent,
            _ => SequencerMode::Default,
        }
    }
}

impl fmt::Display for SequencerMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SequencerMode::Default => "Default mode",
            SequencerMode::SinglePass => "Single pass sequence",
            SequencerMode::Continuous => "Continuous sequence mode",
            SequencerMode::SingleChannel => "Single channel mode (sequencer off)",
            SequencerMode::Simultaneous => "Simultaneous sampling mode",
            SequencerMode::Independent => "Independent ADC mode",
        })
    }
}

/// One channel's reading; values are in C (channel 0) or V.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelSample {
    pub channel: u8,
    /// None for the calibration channel, which has no result register.
    pub code: Option<u16>,
    pub value: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Everything one read of the XADC gives.
#[derive(Debug, Clone, PartialEq)]
pub struct XadcSamples {
    pub mode: SequencerMode,
    /// Raw configuration registers 0, 1, 2.
    pub config: [u32; 3],
    /// Channel bitmasks (bit n = channel n).
    pub enabled: u32,
    pub bipolar: u32,
    pub long_acquisition: u32,
    /// Raw calibration registers: ADC A supply offset, offset, gain; ADC B the same.
    pub calibration_raw: [u32; 6],
    pub adc_a: AdcCalibration,
    pub adc_b: AdcCalibration,
    /// Measured channels in ascending order.
    pub samples: Vec<ChannelSample>,
}

/// Sequencer register pair to a channel mask: the low word is byte-swapped relative to
/// channel numbers (bits 15:8 are channels 7..0, bits 7:0 channels 15..8).
pub fn channel_mask(low: u32, high: u32) -> u32 {
    (low & 0x00FF) << 8 | (low & 0xFF00) >> 8 | (high & 0xFFFF) << 16
}

fn bit(mask: u32, channel: u8) -> bool {
    mask & (1 << channel) != 0
}

/// Reads the XADC behind `regs` (its 4 KiB frame). Only reads; never writes.
///
/// The calibration channel has no result register: when it is enabled its sample is
/// reported as 0 V without any register access (the original read offset 0x000, the
/// software reset register, which reads 0, giving the same `Cal 0.0000V` row).
pub fn read_samples(regs: &Mmio) -> XadcSamples {
    let calibration_raw = CALIBRATION.map(|o| regs.read32(o));
    let config = [CONFIG0, CONFIG1, CONFIG2].map(|o| regs.read32(o));
    let mode = SequencerMode::from_config1(config[1]);
    let (enabled, bipolar, long_acquisition) = if mode == SequencerMode::SingleChannel {
        let ch = config[0] & 0x1f;
        let flag = |b: u32| {
            if config[0] & (1 << b) != 0 {
                1 << ch
            } else {
                0
            }
        };
        (1u32 << ch, flag(10), flag(8))
    } else {
        let pair = |(lo, hi): (u64, u64)| channel_mask(regs.read32(lo), regs.read32(hi));
        (pair(SEQ_CHANNELS), pair(SEQ_BIPOLAR), pair(SEQ_ACQUISITION))
    };
    let mut samples = Vec::new();
    for channel in 0u8..32 {
        if !(bit(enabled, channel) || ALWAYS_READ.contains(&channel)) {
            continue;
        }
        let info = channel_info(channel);
        let is_bipolar = bit(bipolar, channel);
        match info.result {
            Some(result) => {
                let c = code(regs.read32(result));
                let (min, max) = match info.min_max {
                    Some((min_reg, max_reg)) => {
                        let min = code(regs.read32(min_reg));
                        let max = code(regs.read32(max_reg));
                        // Reset values (min 0xFFF, max 0) mean "never updated".
                        (
                            (min != 0xFFF).then(|| scale(min, info.scaling, is_bipolar)),
                            (max != 0).then(|| scale(max, info.scaling, is_bipolar)),
                        )
                    }
                    None => (None, None),
                };
                samples.push(ChannelSample {
                    channel,
                    code: Some(c),
                    value: scale(c, info.scaling, is_bipolar),
                    min,
                    max,
                });
            }
            None if channel == CALIBRATION_CHANNEL => samples.push(ChannelSample {
                channel,
                code: None,
                value: 0.0,
                min: None,
                max: None,
            }),
            // Channels 7 and 9-15 have nothing to read.
            None => {}
        }
    }
    XadcSamples {
        mode,
        config,
        enabled,
        bipolar,
        long_acquisition,
        calibration_raw,
        adc_a: AdcCalibration::decode([calibration_raw[0], calibration_raw[1], calibration_raw[2]]),
        adc_b: AdcCalibration::decode([calibration_raw[3], calibration_raw[4], calibration_raw[5]]),
        samples,
    }
}
