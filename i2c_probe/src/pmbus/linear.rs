//! PMBus LINEAR11 and LINEAR16 data formats.

use thiserror::Error;

/// VOUT_MODE not in linear mode (bits 7..5 must be 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("Unsupported vout_mode byte {0:#04x}")]
pub struct UnsupportedVoutMode(pub u8);

/// Sign-extend the low `bits` bits of `value`.
fn sign_extend(value: u16, bits: u32) -> i32 {
    let shift = 32 - bits;
    ((u32::from(value) << shift) as i32) >> shift
}

/// LINEAR11: bits 15..11 exponent N, bits 10..0 mantissa Y (both two's complement);
/// value = Y x 2^N, exact in a double.
pub fn linear11(word: u16) -> f64 {
    let exponent = sign_extend(word >> 11, 5);
    let mantissa = sign_extend(word & 0x07ff, 11);
    f64::from(mantissa) * 2f64.powi(exponent)
}

/// Exponent of a linear-mode VOUT_MODE byte (bits 4..0, 5-bit two's complement).
pub fn vout_mode_exponent(vout_mode: u8) -> Result<i32, UnsupportedVoutMode> {
    if vout_mode & 0xe0 != 0 {
        return Err(UnsupportedVoutMode(vout_mode));
    }
    Ok(sign_extend(u16::from(vout_mode), 5))
}

/// LINEAR16: unsigned mantissa x 2^exponent (exponent from VOUT_MODE).
pub fn linear16(word: u16, exponent: i32) -> f64 {
    f64::from(word) * 2f64.powi(exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear11_examples() {
        assert_eq!(linear11(0xd307), 12.109375);
        assert_eq!(linear11(0xf200), 128.0);
        assert_eq!(linear11(0xebe8), 125.0);
        assert_eq!(linear11(0xe530), -45.0);
        // Smallest negative mantissa, most negative exponent.
        assert_eq!(linear11(0x8400), -1024.0 / 65536.0);
    }

    #[test]
    fn vout_mode() {
        assert_eq!(vout_mode_exponent(0x14), Ok(-12));
        assert_eq!(vout_mode_exponent(0x0f), Ok(15));
        assert_eq!(vout_mode_exponent(0x20), Err(UnsupportedVoutMode(0x20)));
        assert_eq!(linear16(0x1800, -12), 1.5);
    }
}
