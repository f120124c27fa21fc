//! Fixed-point number formatting compatible with glibc `printf` (`%.Nf`, `%W.Nf`).
//!
//! The decoders' output must match the original C tools byte for byte. glibc rounds the
//! exact binary value of the double, with round-half-to-even on exact ties
//! (23.25 -> `23.2`, 49.3125 -> `49.312`). Rust's `{:.N}` float formatting is also exact
//! and ties to even, so it is used for finite values; only the spelling of the
//! non-finite values differs (`NaN` in Rust, `nan` / `-nan` in glibc) and is fixed up here.

/// `printf("%.<decimals>f", value)` as glibc prints it.
pub fn fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        // glibc prints the sign of a NaN (x86 0.0/0.0 yields a negative NaN: `-nan`).
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_string();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    // Rust keeps the sign of negative values that round to zero (`-0.000`), like glibc.
    format!("{value:.decimals$}")
}

/// `printf("%<width>.<decimals>f", value)`: right-aligned in `width` characters.
pub fn fixed_width(value: f64, width: usize, decimals: usize) -> String {
    format!("{:>width$}", fixed(value, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_round_to_even_on_exact_binary_values() {
        let cases: [(f64, usize, &str); 13] = [
            (23.75, 1, "23.8"),
            (27.75, 1, "27.8"),
            (34.75, 1, "34.8"),
            (23.25, 1, "23.2"),
            (49.3125, 3, "49.312"),
            (46.6875, 3, "46.688"),
            (8.5625, 3, "8.562"),
            (61.0625, 3, "61.062"),
            (50.9375, 3, "50.938"),
            (0.0625, 3, "0.062"),
            (12.109375, 3, "12.109"),
            (22.84375, 3, "22.844"),
            (15.59375, 3, "15.594"),
        ];
        for (v, d, want) in cases {
            assert_eq!(fixed(v, d), want, "value {v}");
        }
    }

    #[test]
    fn negative_values_rounding_to_zero_keep_sign() {
        assert_eq!(fixed(-0.01, 1), "-0.0");
        assert_eq!(fixed(-0.0004, 3), "-0.000");
        assert_eq!(fixed(-0.0, 1), "-0.0");
    }

    #[test]
    fn width_right_aligns() {
        assert_eq!(fixed_width(1.5, 7, 3), "  1.500");
        assert_eq!(fixed_width(12.109375, 7, 3), " 12.109");
        assert_eq!(fixed_width(128.0, 7, 3), "128.000");
        assert_eq!(fixed_width(-45.0, 7, 3), "-45.000");
        assert_eq!(fixed_width(1234.5, 7, 3), "1234.500");
    }

    #[test]
    fn non_finite_spelled_like_glibc() {
        assert_eq!(fixed(f64::INFINITY, 3), "inf");
        assert_eq!(fixed(f64::NEG_INFINITY, 3), "-inf");
        assert_eq!(fixed(f64::NAN, 3), "nan");
        assert_eq!(fixed(-f64::NAN, 3), "-nan");
        assert_eq!(fixed_width(f64::INFINITY, 7, 3), "    inf");
    }
}
