//! Shared test data: the recorded run of spec 8.2 and the raw values of 8.1/8.3/8.5.

#![allow(dead_code)]

pub mod pmbus_words;
pub mod tool;

use i2c_probe::decode::ltm4676a::{Ltm4676aReadings, Telemetry, SENSORS};
use pmbus_words::WordRow;

/// Complete expected i2c_dump_info output of spec 8.2.
pub const DUMP_8_2: &str = include_str!("../data/dump_8_2.txt");

/// The 256 SPD bytes of spec 8.1 (taken from the RAW lines of 8.2).
pub const SPD_8_1: &[u8; 256] = include_bytes!("../data/spd_8_1.bin");

/// The section of `DUMP_8_2` that starts with the empty line before `header` and ends
/// before the next empty line that precedes a header (or at the end).
pub fn section(header: &str) -> String {
    let start = DUMP_8_2
        .find(&format!("\n\n{header}"))
        .expect("header present")
        + 1;
    let rest = &DUMP_8_2[start + 1..];
    let end = rest
        .find("\n\n")
        .map(|e| start + 1 + e + 1)
        .unwrap_or(DUMP_8_2.len());
    DUMP_8_2[start..end].to_string()
}

/// The raw readings of one LTM4676A of spec 8.3 with the device constants.
pub fn ltm_readings(address: u8, rows: &[WordRow; 28]) -> Ltm4676aReadings {
    let mut words = [[0u16; 2]; 28];
    for (i, sensor) in SENSORS.iter().enumerate() {
        let row = rows
            .iter()
            .find(|r| r.0 == sensor.command)
            .expect("every sensor has a word");
        words[i] = [row.1, row.3.unwrap_or(0)];
    }
    let mut r = Ltm4676aReadings::new(address);
    r.capability = Some(0xb0);
    r.revision = Some(0x22);
    r.mfr_id = Some(b"LTC".to_vec());
    r.mfr_model = Some(b"LTM4676A".to_vec());
    r.write_protect = Some((0x00, 0xfc));
    r.telemetry = Some(Telemetry {
        vout_mode: [0x14, 0x14],
        words,
    });
    r
}
