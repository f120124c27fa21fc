//! The one integer syntax of the tools' options, as the original C tools read numbers with
//! `strtoul(text, &end, 0)` (or `%i`): `0x`/`0X` then hex digits, a leading `0` then octal
//! digits, else decimal; an optional leading `+`; surrounding whitespace ignored. Unlike
//! `strtoul`, the whole text must be the number (no trailing junk, no sign `-`, no silent
//! saturation).

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegerError {
    #[error("invalid number '{0}' (decimal, hex with 0x, or octal with a leading 0)")]
    Invalid(String),
    #[error("number '{0}' is out of range")]
    OutOfRange(String),
}

/// Parses a C-style integer (see the module documentation) into any unsigned type that
/// holds it: `parse::<u8>("0x7f")`, `parse::<usize>("010")` (8).
pub fn parse<T: TryFrom<u64>>(text: &str) -> Result<T, IntegerError> {
    let value = parse_u64(text)?;
    T::try_from(value).map_err(|_| IntegerError::OutOfRange(text.to_string()))
}

/// [`parse`] for `u64`.
pub fn parse_u64(text: &str) -> Result<u64, IntegerError> {
    let invalid = || IntegerError::Invalid(text.to_string());
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let (digits, radix) = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (hex, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    // from_str_radix alone would accept a second sign ("0x+1").
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    u64::from_str_radix(digits, radix).map_err(|_| IntegerError::OutOfRange(text.to_string()))
}

/// Two C-style integers separated by `separator`, e.g. `0x10,2` or `0x08:0x77`.
pub fn parse_pair<T: TryFrom<u64>>(text: &str, separator: char) -> Result<(T, T), IntegerError> {
    let (a, b) = text
        .split_once(separator)
        .ok_or_else(|| IntegerError::Invalid(text.to_string()))?;
    Ok((parse(a)?, parse(b)?))
}

/// A clap value parser for an option whose refusal the original worded
/// `Invalid <option> <text>` (e.g. `Invalid min_size 12x`).
pub fn parser_with_message<T: TryFrom<u64>>(
    option: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |text: &str| parse(text).map_err(|_| format!("Invalid {option} {text}"))
}

/// A size in bytes: a C-style integer with an optional `K`, `M`, `G` or `T` suffix (binary
/// multiples, optionally followed by `iB` or `B`), not zero: `64M`, `0x100000`, `1GiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || format!("invalid size '{text}' (e.g. 64M, 1G, 0x100000)");
    let t = text.trim();
    let is_hex = t.starts_with("0x") || t.starts_with("0X");
    let (digits, shift) = split_unit(t, is_hex);
    let value = parse_u64(digits).map_err(|_| bad())?;
    let v = value.checked_mul(1u64 << shift).ok_or_else(bad)?;
    if v == 0 {
        return Err(bad());
    }
    Ok(v)
}

/// Splits a size into its number and the shift of its unit suffix. A hex number's own
/// digit `B` is not the byte suffix: `0x1B` is 27 bytes.
fn split_unit(t: &str, is_hex: bool) -> (&str, u32) {
    let without_bytes = match t.strip_suffix("iB") {
        Some(rest) => rest,
        None if !is_hex => t.strip_suffix('B').unwrap_or(t),
        None => t,
    };
    let shift = match without_bytes.chars().last() {
        Some('k' | 'K') => 10,
        Some('m' | 'M') => 20,
        Some('g' | 'G') => 30,
        Some('t' | 'T') => 40,
        _ => return (t.strip_suffix('B').filter(|_| !is_hex).unwrap_or(t), 0),
    };
    (&without_bytes[..without_bytes.len() - 1], shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_as_strtoul_base_0() {
        assert_eq!(parse_u64("0x1F"), Ok(31));
        assert_eq!(parse_u64("0XfF"), Ok(255));
        assert_eq!(parse_u64("017"), Ok(15));
        assert_eq!(parse_u64("0"), Ok(0));
        assert_eq!(parse_u64("00"), Ok(0));
        assert_eq!(parse_u64("42"), Ok(42));
        assert_eq!(parse_u64(" +42\n"), Ok(42));
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn junk_and_overflow_are_refused() {
        for bad in [
            "", " ", "0x", "08", "0x+1", "+", "-1", "12a", "1 2", "++1", "0b1",
        ] {
            assert_eq!(
                parse_u64(bad),
                Err(IntegerError::Invalid(bad.to_string())),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_u64("18446744073709551616"),
            Err(IntegerError::OutOfRange("18446744073709551616".into()))
        );
        assert_eq!(
            parse::<u8>("0x100"),
            Err(IntegerError::OutOfRange("0x100".into()))
        );
        assert_eq!(parse::<u8>("0377"), Ok(255));
    }

    #[test]
    fn pairs_and_option_messages() {
        assert_eq!(parse_pair::<u8>("0x08:0x77", ':'), Ok((8, 0x77)));
        assert_eq!(parse_pair::<u64>("0x1000,2", ','), Ok((0x1000, 2)));
        assert!(parse_pair::<u64>("1", ',').is_err());
        assert!(parse_pair::<u64>("1,x", ',').is_err());
        let p = parser_with_message::<u64>("min_size");
        assert_eq!(p("0x10"), Ok(16));
        assert_eq!(p("12x"), Err("Invalid min_size 12x".into()));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("0x100000"), Ok(0x10_0000));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("4096B"), Ok(4096));
        assert_eq!(parse_size("0x1B"), Ok(0x1b));
        assert_eq!(parse_size("0x2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("010K"), Ok(8 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(
            parse_size("x"),
            Err("invalid size 'x' (e.g. 64M, 1G, 0x100000)".into())
        );
    }
}
