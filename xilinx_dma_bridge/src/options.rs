//! Numeric option values parsed like C's `%i`: decimal, `0x` hexadecimal, or octal with a
//! leading `0` (so `020000000` is 0x400000), and `<a>,<b>` pairs of them; and the option
//! group every DMA test tool shares.

use std::time::Duration;

/// Parses one `%i` value.
pub fn parse_c_int(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

/// Parses `<a>,<b>`.
pub fn parse_c_int_pair(text: &str) -> Option<(u64, u64)> {
    let (a, b) = text.split_once(',')?;
    Some((parse_c_int(a)?, parse_c_int(b)?))
}

/// A clap value parser for one `%i` value, with the original's `Invalid <option> <arg>`.
pub fn c_int_parser(option: &'static str) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |s: &str| parse_c_int(s).ok_or_else(|| format!("Invalid {option} {s}"))
}

/// A clap value parser for a `%i` pair.
pub fn c_int_pair_parser(
    option: &'static str,
) -> impl Fn(&str) -> Result<(u64, u64), String> + Clone {
    move |s: &str| parse_c_int_pair(s).ok_or_else(|| format!("Invalid {option} {s}"))
}

/// The hidden per-transfer (or per-test) timeout option of the DMA test tools.
#[derive(clap::Args, Debug, Clone, Copy, PartialEq)]
pub struct TimeoutArgs {
    /// Per-transfer timeout in seconds.
    #[arg(
        long = "timeout-seconds",
        alias = "timeout_seconds",
        default_value_t = 10.0,
        hide = true
    )]
    pub timeout_seconds: f64,
}

impl TimeoutArgs {
    /// The timeout as a duration (negative is 0).
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_seconds.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_rules() {
        assert_eq!(parse_c_int("020000000"), Some(0x40_0000));
        assert_eq!(parse_c_int("0x1000000"), Some(0x100_0000));
        assert_eq!(parse_c_int("8396808"), Some(8_396_808));
        assert_eq!(parse_c_int("0"), Some(0));
        assert_eq!(parse_c_int("09"), None);
        assert_eq!(parse_c_int("x"), None);
        assert_eq!(
            parse_c_int_pair("0x40000000,0x1000"),
            Some((0x4000_0000, 0x1000))
        );
        assert_eq!(parse_c_int_pair("1"), None);
    }
}
