//! The `--json` document of `decode_spd` (docs/json_schema.md): DRAM type, the image, the
//! CRC checks, and every `name=value` and `name : value` of the decoded text as a field,
//! numbers as numbers (a value in ns gets ` (ns)` on its name; other units are already in
//! the names the text uses, e.g. `Module capacity (MiB)`).

use serde::{Deserialize, Serialize};

use super::spd_common::SpdReport;

/// Version of [`SpdDecodeReport`]; raised when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpdDecodeReport {
    pub schema_version: u32,
    pub file: String,
    /// `DDR3` or `DDR4`.
    pub dram_type: String,
    /// The image as read (bytes 0..n).
    pub image: Vec<u8>,
    pub crc_checks: Vec<CrcCheckEntry>,
    /// True when every CRC matched (the tool exits 0).
    pub crc_passed: bool,
    /// The decoded fields in text order (a name may repeat, e.g. per rank).
    pub fields: Vec<SpdField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrcCheckEntry {
    pub actual: u16,
    pub expected: u16,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpdField {
    pub name: String,
    pub value: SpdValue,
}

/// A number when the text's value is one (decimal or `0x` hex), else the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SpdValue {
    Number(f64),
    Text(String),
}

/// The document of a decoded image.
pub fn spd_decode_report(
    file: &str,
    dram_type: &str,
    image: &[u8],
    report: &SpdReport,
) -> SpdDecodeReport {
    SpdDecodeReport {
        schema_version: SCHEMA_VERSION,
        file: file.to_string(),
        dram_type: dram_type.to_string(),
        image: image.to_vec(),
        crc_checks: report
            .crc
            .iter()
            .map(|c| CrcCheckEntry {
                actual: c.actual,
                expected: c.expected,
                passed: c.passed(),
            })
            .collect(),
        crc_passed: report.crc_passed(),
        fields: fields_of(&report.text),
    }
}

/// The fields of the decoded text, skipping the raw dump and the CRC lines (those are in
/// `image` and `crc_checks`).
pub fn fields_of(text: &str) -> Vec<SpdField> {
    let mut fields = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let raw_dump_row = line.split_once(':').is_some_and(|(range, _)| {
            range.contains('-')
                && range
                    .trim()
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ')
        });
        if line.is_empty() || raw_dump_row || line.contains("CRC=") || line.ends_with(':') {
            continue;
        }
        if let Some((name, value)) = line.split_once(" : ") {
            fields.push(field(name, value));
            continue;
        }
        for segment in line.split("  ").map(str::trim).filter(|s| !s.is_empty()) {
            if let Some((name, value)) = segment.split_once('=') {
                fields.push(field(name, value));
            }
        }
    }
    fields
}

fn field(name: &str, value: &str) -> SpdField {
    let (name, value) = (name.trim(), value.trim());
    if let Some(ns) = value
        .strip_suffix(" ns")
        .and_then(|v| v.parse::<f64>().ok())
    {
        return SpdField {
            name: format!("{name} (ns)"),
            value: SpdValue::Number(ns),
        };
    }
    let number = value.parse::<f64>().ok().or_else(|| {
        let hex = value.strip_prefix("0x")?;
        u64::from_str_radix(hex, 16).ok().map(|v| v as f64)
    });
    SpdField {
        name: name.to_string(),
        value: match number {
            Some(n) if n.is_finite() => SpdValue::Number(n),
            _ => SpdValue::Text(value.trim_matches('"').to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_colon_fields_with_units() {
        let text = "\nDDR3 SPD decode:\n  RAW bytes:\n      0- 15: 92 13\n  Actual CRC=0xa1bd  Expected CRC=0xa1bd : CRC PASS\n  Module type : 72b-SO-UDIMM\n  Bank Address Bits=3  Total SDRAM Capacity (Mibibits)=4096\n  SDRAM Minimum Cycle Time (tCKmin)=1.250 ns\n";
        let f = fields_of(text);
        let pairs: Vec<(String, SpdValue)> = f.into_iter().map(|f| (f.name, f.value)).collect();
        assert_eq!(
            pairs,
            [
                (
                    "Module type".to_string(),
                    SpdValue::Text("72b-SO-UDIMM".into())
                ),
                ("Bank Address Bits".to_string(), SpdValue::Number(3.0)),
                (
                    "Total SDRAM Capacity (Mibibits)".to_string(),
                    SpdValue::Number(4096.0)
                ),
                (
                    "SDRAM Minimum Cycle Time (tCKmin) (ns)".to_string(),
                    SpdValue::Number(1.25)
                ),
            ]
        );
    }
}
