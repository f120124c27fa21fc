//! Register codes to engineering values (UG480). Results are 12-bit codes in bits 15:4.

use crate::channels::Scaling;

/// The 12-bit code of a result, min or max register (bits 15:4; upper bits ignored).
pub fn code(register: u32) -> u16 {
    ((register & 0xFFFF) >> 4) as u16
}

pub fn temperature_celsius(code: u16) -> f64 {
    f64::from(code) * 503.975 / 4096.0 - 273.15
}

pub fn supply_volts(code: u16) -> f64 {
    f64::from(code) * 3.0 / 4096.0
}

pub fn unipolar_volts(code: u16) -> f64 {
    f64::from(code) / 4096.0
}

/// Bipolar: the 12-bit code is two's complement.
pub fn bipolar_volts(code: u16) -> f64 {
    let signed = ((code << 4) as i16) >> 4;
    f64::from(signed) / 4096.0
}

/// A code scaled for a channel.
pub fn scale(code: u16, scaling: Scaling, bipolar: bool) -> f64 {
    match scaling {
        Scaling::Temperature => temperature_celsius(code),
        Scaling::Supply => supply_volts(code),
        Scaling::External if bipolar => bipolar_volts(code),
        Scaling::External => unipolar_volts(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_codes_give_logged_values() {
        assert_eq!(
            format!("{:.4}", temperature_celsius(code(0x9B50))),
            "32.6063"
        );
        assert_eq!(
            format!("{:.4}", temperature_celsius(code(0x9AA0))),
            "31.2529"
        );
        assert_eq!(
            format!("{:.4}", temperature_celsius(code(0x9C50))),
            "34.5750"
        );
        assert_eq!(format!("{:.4}", supply_volts(code(0x5560))), "1.0005");
        assert_eq!(format!("{:.4}", supply_volts(code(0x9860))), "1.7856");
        assert_eq!(format!("{:.4}", unipolar_volts(code(0x0A20))), "0.0396");
        assert_eq!(format!("{:.4}", bipolar_volts(code(0xFFE0))), "-0.0005");
        assert_eq!(format!("{:.4}", bipolar_volts(0xFFF)), "-0.0002");
        assert_eq!(format!("{:.4}", supply_volts(0xFFF)), "2.9993");
        assert_eq!(format!("{:.2}", temperature_celsius(0xFFF)), "230.70");
        assert_eq!(code(0xFFFF_9B50), 0x9B5, "upper half ignored");
    }
}
