//! The 32 ADC channel numbers (UG480) with display names, result and min/max registers,
//! and scaling.

use crate::registers::{
    TEMPERATURE, TEMPERATURE_MIN_MAX, VAUX0, VCCAUX, VCCAUX_MIN_MAX, VCCBRAM, VCCBRAM_MIN_MAX,
    VCCINT, VCCINT_MIN_MAX, VP_VN, VREFN, VREFP,
};

/// How a channel's code becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// Degrees Celsius.
    Temperature,
    /// 3 V full scale (on-chip supplies and references).
    Supply,
    /// 1 V full scale, unipolar or bipolar per the sequencer.
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Exactly six characters (padded), or None for channels that are not valid here.
    pub name: Option<&'static str>,
    pub result: Option<u64>,
    /// (min, max) registers.
    pub min_max: Option<(u64, u64)>,
    pub scaling: Scaling,
}

/// The calibration channel: enabled in every design's sequence, but it has no result
/// register.
pub const CALIBRATION_CHANNEL: u8 = 8;

/// Channels converted by the power-up default sequence, reported whether enabled or not.
pub const ALWAYS_READ: [u8; 4] = [0, 1, 2, 6];

const VAUX_NAMES: [&str; 16] = [
    "Vaux0 ", "Vaux1 ", "Vaux2 ", "Vaux3 ", "Vaux4 ", "Vaux5 ", "Vaux6 ", "Vaux7 ", "Vaux8 ",
    "Vaux9 ", "Vaux10", "Vaux11", "Vaux12", "Vaux13", "Vaux14", "Vaux15",
];

/// The table entry of `channel` (0..=31).
pub fn channel_info(channel: u8) -> ChannelInfo {
    let plain = |name, result, scaling| ChannelInfo {
        name: Some(name),
        result: Some(result),
        min_max: None,
        scaling,
    };
    let tracked = |name, result, min_max, scaling| ChannelInfo {
        name: Some(name),
        result: Some(result),
        min_max: Some(min_max),
        scaling,
    };
    match channel {
        0 => tracked(
            "Temp  ",
            TEMPERATURE,
            TEMPERATURE_MIN_MAX,
            Scaling::Temperature,
        ),
        1 => tracked("Vccint", VCCINT, VCCINT_MIN_MAX, Scaling::Supply),
        2 => tracked("Vccaux", VCCAUX, VCCAUX_MIN_MAX, Scaling::Supply),
        3 => plain("Vp_Vn ", VP_VN, Scaling::External),
        4 => plain("VrefP ", VREFP, Scaling::Supply),
        5 => plain("VrefN ", VREFN, Scaling::Supply),
        6 => tracked("Vbram ", VCCBRAM, VCCBRAM_MIN_MAX, Scaling::Supply),
        8 => ChannelInfo {
            name: Some("Cal   "),
            result: None,
            min_max: None,
            scaling: Scaling::External,
        },
        16..=31 => plain(
            VAUX_NAMES[usize::from(channel - 16)],
            VAUX0 + 4 * u64::from(channel - 16),
            Scaling::External,
        ),
        _ => ChannelInfo {
            name: None,
            result: None,
            min_max: None,
            scaling: Scaling::External,
        },
    }
}
