//! JC-42.4 (TSE2002av) DDR temperature sensor at 0x19 (spec 5.2).

use super::pci_vendor::builtin_vendor_name;
use crate::format::fixed;
use crate::reads::RawRead;
use std::fmt::Write;

pub const JC42_ADDR: u8 = 0x19;

pub const REG_CAPABILITIES: u8 = 0x00;
pub const REG_CONFIGURATION: u8 = 0x01;
pub const REG_HIGH_LIMIT: u8 = 0x02;
pub const REG_LOW_LIMIT: u8 = 0x03;
pub const REG_CRITICAL_LIMIT: u8 = 0x04;
pub const REG_AMBIENT: u8 = 0x05;
pub const REG_MANUFACTURER_ID: u8 = 0x06;

/// Registers read, in order (register 0x07, device ID, is not read).
pub const REGISTERS: [u8; 7] = [
    REG_CAPABILITIES,
    REG_CONFIGURATION,
    REG_HIGH_LIMIT,
    REG_LOW_LIMIT,
    REG_CRITICAL_LIMIT,
    REG_AMBIENT,
    REG_MANUFACTURER_ID,
];

/// Raw register words (`None` = the read failed). Each is read as 2 bytes, MSB first:
/// use [`word`] to combine them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Jc42Readings {
    pub capabilities: Option<u16>,
    pub configuration: Option<u16>,
    pub high_limit: Option<u16>,
    pub low_limit: Option<u16>,
    pub critical_limit: Option<u16>,
    pub ambient: Option<u16>,
    pub manufacturer_id: Option<u16>,
}

/// Register reads (pointer write, repeated START, 2 bytes), in the order of [`REGISTERS`].
pub fn reads() -> Vec<RawRead> {
    REGISTERS
        .iter()
        .map(|&reg| RawRead::Register {
            addr: JC42_ADDR,
            reg,
            len: 2,
            repeated_start: true,
        })
        .collect()
}

/// Combine the two bytes received (first = most significant).
pub fn word(bytes: [u8; 2]) -> u16 {
    u16::from_be_bytes(bytes)
}

/// Temperature in degC: bits 12..0 as 13-bit two's complement, 0.0625 degC per LSB
/// (bits 15..13 are flags and ignored).
pub fn temperature(raw: u16) -> f64 {
    let value = i32::from(raw & 0x1fff);
    let signed = if value & 0x1000 != 0 {
        value - 0x2000
    } else {
        value
    };
    f64::from(signed) * 0.0625
}

/// The ambient flags text (bit 15 TCRIT, 14 HIGH, 13 LOW, in that order).
fn ambient_flags(raw: u16) -> String {
    let mut s = String::new();
    if raw & 0x8000 != 0 {
        s.push_str(" above TCRIT");
    }
    if raw & 0x4000 != 0 {
        s.push_str(" above HIGH");
    }
    if raw & 0x2000 != 0 {
        s.push_str(" below LOW");
    }
    s
}

/// The section text, looking vendor names up in the built-in table.
pub fn render(r: &Jc42Readings) -> String {
    render_with_vendor_lookup(r, |id| builtin_vendor_name(id).map(str::to_string))
}

/// The section text with a caller-supplied PCI vendor name lookup.
pub fn render_with_vendor_lookup(
    r: &Jc42Readings,
    vendor: impl Fn(u16) -> Option<String>,
) -> String {
    let mut out = String::from("\nDDR temperature sensor information:\n");
    let mut line = |value: Option<u16>, ok: &dyn Fn(u16) -> String, failure: &str| match value {
        Some(v) => {
            out.push_str(&ok(v));
            out.push('\n');
        }
        None => {
            out.push_str(failure);
            out.push('\n');
        }
    };
    line(
        r.capabilities,
        &|v| format!("  Capabilities = 0x{v:04x}"),
        "Failed to read DDR temperature Capabilities",
    );
    line(
        r.configuration,
        &|v| format!("  Configuration register = 0x{v:04x}"),
        "Failed to read DDR configuration register",
    );
    let limit = |label: &'static str| {
        move |v: u16| {
            format!(
                "  Temperature {label} limit register = 0x{v:04x} ({} C)",
                fixed(temperature(v), 1)
            )
        }
    };
    line(
        r.high_limit,
        &limit("high"),
        "Failed to read DDR temperature high limit",
    );
    line(
        r.low_limit,
        &limit("low"),
        "Failed to read DDR temperature low limit",
    );
    line(
        r.critical_limit,
        &limit("critical"),
        "Failed to read DDR temperature critical limit",
    );
    line(
        r.ambient,
        &|v| {
            format!(
                "  Ambient temperature register = 0x{v:04x}{} ({} C)",
                ambient_flags(v),
                fixed(temperature(v), 1)
            )
        },
        "Failed to read DDR ambient temperature",
    );
    let mut text = String::new();
    if let Some(id) = r.manufacturer_id {
        let name = vendor(id).unwrap_or_else(|| format!("Unknown vendor {id:04x}"));
        let _ = write!(
            text,
            "  Sensor manufacturer ID register = 0x{id:04x} ({name})"
        );
    }
    line(
        r.manufacturer_id,
        &|_| text.clone(),
        "Failed to read DDR temperature sensor manufacturer ID",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_examples() {
        for (raw, want) in [
            (0xc17c, "23.8"),
            (0xc1bc, "27.8"),
            (0xc22c, "34.8"),
            (0x0000, "0.0"),
            (0x1ff0, "-1.0"),
        ] {
            assert_eq!(fixed(temperature(raw), 1), want, "raw {raw:#x}");
        }
    }

    #[test]
    fn flags_and_unknown_vendor() {
        let r = Jc42Readings {
            ambient: Some(0x2000 | 0x1ff0),
            manufacturer_id: Some(0x1234),
            ..Default::default()
        };
        let text = render(&r);
        assert!(text.contains("  Ambient temperature register = 0x3ff0 below LOW (-1.0 C)\n"));
        assert!(text.contains("  Sensor manufacturer ID register = 0x1234 (Unknown vendor 1234)\n"));
        assert!(text.contains("Failed to read DDR temperature Capabilities\n"));
    }
}
