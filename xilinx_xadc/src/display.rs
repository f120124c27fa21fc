//! The XADC block as the tools print it (xadc_and_identify.md 1.11). Lines may end in spaces.

use std::fmt::Write;

use crate::channels::channel_info;
use crate::samples::XadcSamples;

/// The block, each line ending in a newline.
pub fn format_samples(s: &XadcSamples) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "XADC samples using {}", s.mode);
    out.push_str("Current enabled channels in sequencer:");
    for channel in 0u8..32 {
        let Some(name) = channel_info(channel)
            .name
            .filter(|_| s.enabled & (1 << channel) != 0)
        else {
            continue;
        };
        let _ = write!(out, " {name} ");
        if s.bipolar & (1 << channel) != 0 {
            out.push_str(" (bipolar)");
        }
        if s.long_acquisition & (1 << channel) != 0 {
            out.push_str(" (acq time)");
        }
    }
    out.push('\n');
    let _ = writeln!(out, "ADC A calibration: {}", s.adc_a.describe());
    let _ = writeln!(out, "ADC B calibration: {}", s.adc_b.describe());
    out.push_str("  Channel  Measurement     Min           Max\n");
    for sample in &s.samples {
        let info = channel_info(sample.channel);
        let name = info.name.unwrap_or("      ");
        let unit = if sample.channel == 0 { 'C' } else { 'V' };
        let _ = write!(out, "  {name}     {:7.4}{unit}", sample.value);
        match sample.min {
            Some(v) => {
                let _ = write!(out, "     {v:7.4}{unit}");
            }
            None => out.push_str("           "),
        }
        if let Some(v) = sample.max {
            let _ = write!(out, "      {v:7.4}{unit}");
        }
        out.push('\n');
    }
    out
}

/// The temperature row of `display_temperature_values` (designs_after_seed.md §4.9), e.g.
/// `  Temp       32.6063°C`; None when the temperature channel was not read.
pub fn format_temperature(s: &XadcSamples) -> Option<String> {
    let t = s.samples.iter().find(|x| x.channel == 0)?;
    Some(format!("  Temp       {:7.4}\u{b0}C", t.value))
}
