//! The `--json` document of `display_xadc_values` (docs/json_schema.md): what the text
//! block (display.rs) shows, as numbers. Channel 0 is in degrees Celsius, every other
//! channel in volts: each reading has the field of its unit, the other is null.

use serde::{Deserialize, Serialize};

use crate::channels::channel_info;
use crate::samples::XadcSamples;
use crate::AdcCalibration;

/// Version of [`XadcValuesReport`]; raised when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XadcValuesReport {
    pub schema_version: u32,
    pub designs: Vec<XadcDesignEntry>,
}

/// One design's XADC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XadcDesignEntry {
    pub design: String,
    pub pci_location: String,
    pub iommu_group: u32,
    /// e.g. `Continuous sequence mode`.
    pub sequencer_mode: String,
    /// Names of the channels enabled in the sequencer, in channel order.
    pub enabled_channels: Vec<String>,
    pub adc_a_calibration: CalibrationEntry,
    pub adc_b_calibration: CalibrationEntry,
    pub channels: Vec<XadcChannelEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationEntry {
    pub unipolar_offset_lsbs: i32,
    pub bipolar_offset_lsbs: i32,
    pub gain_correction_percent: f64,
}

impl From<&AdcCalibration> for CalibrationEntry {
    fn from(c: &AdcCalibration) -> Self {
        Self {
            unipolar_offset_lsbs: c.unipolar_offset,
            bipolar_offset_lsbs: c.bipolar_offset,
            gain_correction_percent: c.gain_percent,
        }
    }
}

/// One measured channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XadcChannelEntry {
    pub channel: u8,
    /// The text's name without padding (`Temp`, `Vccint`, `Cal`, ...).
    pub name: String,
    /// The 12-bit ADC code; null for the calibration channel (no result register).
    pub code: Option<u16>,
    pub bipolar: bool,
    pub value_celsius: Option<f64>,
    pub min_celsius: Option<f64>,
    pub max_celsius: Option<f64>,
    pub value_volts: Option<f64>,
    pub min_volts: Option<f64>,
    pub max_volts: Option<f64>,
}

/// The entry of one design's samples.
pub fn design_entry(
    design: &str,
    pci_location: String,
    iommu_group: u32,
    s: &XadcSamples,
) -> XadcDesignEntry {
    let name = |channel: u8| {
        channel_info(channel)
            .name
            .unwrap_or("")
            .trim_end()
            .to_string()
    };
    XadcDesignEntry {
        design: design.to_string(),
        pci_location,
        iommu_group,
        sequencer_mode: s.mode.to_string(),
        enabled_channels: (0u8..32)
            .filter(|&c| s.enabled & (1 << c) != 0 && channel_info(c).name.is_some())
            .map(name)
            .collect(),
        adc_a_calibration: (&s.adc_a).into(),
        adc_b_calibration: (&s.adc_b).into(),
        channels: s
            .samples
            .iter()
            .map(|x| {
                let celsius = x.channel == 0;
                let pick =
                    |v: Option<f64>, want_celsius: bool| v.filter(|_| celsius == want_celsius);
                XadcChannelEntry {
                    channel: x.channel,
                    name: name(x.channel),
                    code: x.code,
                    bipolar: s.bipolar & (1 << x.channel) != 0,
                    value_celsius: pick(Some(x.value), true),
                    min_celsius: pick(x.min, true),
                    max_celsius: pick(x.max, true),
                    value_volts: pick(Some(x.value), false),
                    min_volts: pick(x.min, false),
                    max_volts: pick(x.max, false),
                }
            })
            .collect(),
    }
}
