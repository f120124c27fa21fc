//! Calibration coefficients: offsets are 12-bit two's complement in bits 15:4 (ADC LSBs);
//! gain is bits 5:0 in 0.1 % with bit 6 SET meaning positive.

/// One ADC's coefficients, decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdcCalibration {
    /// Supply-sensor offset (the original calls it "unipolar offset").
    pub unipolar_offset: i32,
    /// ADC offset (the original's "bipolar offset").
    pub bipolar_offset: i32,
    /// Percent; a clear sign bit with zero magnitude is negative zero.
    pub gain_percent: f64,
}

pub fn decode_offset(register: u32) -> i32 {
    let code = ((register & 0xFFFF) >> 4) as u16;
    i32::from(((code << 4) as i16) >> 4)
}

pub fn decode_gain(register: u32) -> f64 {
    let magnitude = f64::from(register & 0x3f) / 10.0;
    if register & 0x40 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

impl AdcCalibration {
    /// From the (supply offset, offset, gain) registers.
    pub fn decode(registers: [u32; 3]) -> Self {
        Self {
            unipolar_offset: decode_offset(registers[0]),
            bipolar_offset: decode_offset(registers[1]),
            gain_percent: decode_gain(registers[2]),
        }
    }

    /// `unipolar offset=-4 (lsbs)  bipolar offset=-3 (lsbs)  gain correction factor=6.3 (%)`
    pub fn describe(&self) -> String {
        format!(
            "unipolar offset={} (lsbs)  bipolar offset={} (lsbs)  gain correction factor={:.1} (%)",
            self.unipolar_offset, self.bipolar_offset, self.gain_percent
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_coefficients() {
        let a = AdcCalibration::decode([0xFFC0, 0xFFD0, 0x007F]);
        assert_eq!(
            a.describe(),
            "unipolar offset=-4 (lsbs)  bipolar offset=-3 (lsbs)  gain correction factor=6.3 (%)"
        );
        let b = AdcCalibration::decode([0xFFB0, 0xFFC0, 0x007F]);
        assert_eq!((b.unipolar_offset, b.bipolar_offset), (-5, -4));
        assert_eq!(decode_gain(0x0000).to_string(), "-0");
        assert_eq!(format!("{:.1}", decode_gain(0x0000)), "-0.0");
        assert_eq!(decode_gain(0x0005), -0.5);
        assert_eq!(decode_offset(0x0070), 7);
    }
}
