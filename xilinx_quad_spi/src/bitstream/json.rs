//! The `--json` document of `parse_bitstream_file` (docs/json_schema.md): the report's
//! status line, source and `.bit` header, and the identification the packets carry
//! (IDCODE and device, USR_ACCESS timestamp), as numbers. The packet-by-packet listing
//! stays in the text report.

use serde::{Deserialize, Serialize};

use super::idcode::device_name;
use super::load::{BitstreamFormat, LoadedBitstream};
use super::packets::ParsedBitstream;
use super::timestamp::UsrAccessTimestamp;

/// Version of [`BitstreamFileReport`]; raised when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitstreamFileReport {
    pub schema_version: u32,
    pub file: String,
    /// `bit`, `bin` or `mcs` (Intel HEX), detected by content.
    pub format: String,
    /// True when the packets parse to the end of configuration (the tool exits 0).
    pub valid: bool,
    /// Why parsing failed (the error the report's `Error parsing bitstream:` line is about).
    pub error: Option<String>,
    pub length_bytes: u64,
    pub packet_count: u64,
    pub slrs: Vec<SlrEntry>,
    pub bit_header: Option<BitHeaderEntry>,
    pub idcode: Option<u32>,
    /// The device of the IDCODE, when known (e.g. `7A200T`).
    pub device: Option<String>,
    pub usr_access: Option<UsrAccessEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlrEntry {
    pub sync_word_offset_bytes: u64,
    pub packet_count: u64,
    pub end_of_configuration: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitHeaderEntry {
    pub design_name: String,
    pub part_name: String,
    pub date: String,
    pub time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsrAccessEntry {
    pub register_value: u32,
    /// As a build timestamp, `DD/MM/YYYY hh:mm:ss` (meaningless if the design stored a
    /// user value instead).
    pub timestamp_text: String,
}

/// The document of `file` (named `display_path`) as parsed.
pub fn bitstream_file_report(
    file: &LoadedBitstream,
    parsed: &ParsedBitstream<'_>,
    display_path: &str,
) -> BitstreamFileReport {
    BitstreamFileReport {
        schema_version: SCHEMA_VERSION,
        file: display_path.to_string(),
        format: match file.format() {
            BitstreamFormat::Bit => "bit",
            BitstreamFormat::Bin => "bin",
            BitstreamFormat::IntelHex => "mcs",
        }
        .to_string(),
        valid: parsed.is_valid(),
        error: parsed.error().map(|e| e.to_string()),
        length_bytes: parsed.length() as u64,
        packet_count: parsed.packet_count() as u64,
        slrs: parsed
            .slrs()
            .iter()
            .map(|s| SlrEntry {
                sync_word_offset_bytes: s.sync_index as u64,
                packet_count: s.packets.len() as u64,
                end_of_configuration: s.end_of_configuration,
            })
            .collect(),
        bit_header: file.bit_header().map(|h| BitHeaderEntry {
            design_name: h.design_name.clone(),
            part_name: h.part_name.clone(),
            date: h.date.clone(),
            time: h.time.clone(),
        }),
        idcode: parsed.idcode(),
        device: parsed.idcode().and_then(device_name).map(str::to_string),
        usr_access: parsed.usr_access().map(|v| UsrAccessEntry {
            register_value: v,
            timestamp_text: UsrAccessTimestamp::decode(v).to_string(),
        }),
    }
}
