//! LTM4676A dual DC/DC module over PMBus (spec 5.4): sensor table, raw-read plan and
//! the report section.

use crate::format::fixed_width;
use crate::pmbus::commands;
use crate::pmbus::failure::PmbusFailure;
use crate::pmbus::identity::{capability_line, id_model_line, revision_line, write_protect_line};
use crate::pmbus::linear::{linear11, linear16, vout_mode_exponent};
use crate::reads::RawRead;
use crate::smbus::status::SmbusStatus;
use std::fmt::Write;

/// TEF1001 addresses: U3 (1.5 V / 4.0 V) and U4 (1.0 V / 1.0 V).
pub const LTM4676A_ADDRS: [u8; 2] = [0x40, 0x4f];
/// Number of pages (outputs).
pub const PAGES: usize = 2;

/// PMBus data format of a sensor word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Linear11,
    /// Unsigned mantissa scaled by the page's VOUT_MODE exponent.
    Linear16,
}

/// One telemetry / limit command of the LTM4676A report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sensor {
    pub command: u8,
    pub pmbus_name: &'static str,
    pub format: DataFormat,
    pub paged: bool,
    pub name: &'static str,
    pub unit: &'static str,
}

const fn s(
    command: u8,
    pmbus_name: &'static str,
    format: DataFormat,
    paged: bool,
    name: &'static str,
    unit: &'static str,
) -> Sensor {
    Sensor {
        command,
        pmbus_name,
        format,
        paged,
        name,
        unit,
    }
}

use DataFormat::{Linear11 as L11, Linear16 as L16};

/// The sensor table; order matters for acquisition and display.
pub const SENSORS: [Sensor; 28] = [
    s(
        0x88,
        "READ_VIN",
        L11,
        false,
        "Measured input supply (SVin) voltage",
        "V",
    ),
    s(0x8b, "READ_VOUT", L16, true, "Measured output voltage", "V"),
    s(
        0x89,
        "READ_IIN",
        L11,
        false,
        "Calculated input supply current",
        "A",
    ),
    s(
        0xed,
        "MFR_READ_IIN",
        L11,
        true,
        "Calculated input current per channel",
        "A",
    ),
    s(0x8c, "READ_IOUT", L11, true, "Measured output current", "A"),
    s(
        0x8d,
        "READ_TEMPERATURE_1",
        L11,
        true,
        "Power stage temperature sensor",
        "C",
    ),
    s(
        0x8e,
        "READ_TEMPERATURE_2",
        L11,
        false,
        "Control IC die temperature",
        "C",
    ),
    s(
        0x94,
        "READ_DUTY_CYCLE",
        L11,
        true,
        "Duty cycle of the top gate control signal",
        "%",
    ),
    s(0x96, "READ_POUT", L11, true, "Calculated output power", "W"),
    s(
        0xdd,
        "MFR_VOUT_PEAK",
        L16,
        true,
        "Maximum measured value of READ_VOUT since last MFR_CLEAR_PEAKS",
        "V",
    ),
    s(
        0xde,
        "MFR_VIN_PEAK",
        L11,
        false,
        "Maximum measured value of READ_VIN since last MFR_CLEAR_PEAKS",
        "V",
    ),
    s(
        0xdf,
        "MFR_TEMPERATURE_1_PEAK",
        L11,
        true,
        "Maximum measured value of power stage temperature since last MFR_CLEAR_PEAKS",
        "C",
    ),
    s(
        0xf4,
        "MFR_TEMPERATURE_2_PEAK",
        L11,
        false,
        "Maximum measured value of control IC die temperature since last MFR_CLEAR_PEAKS",
        "C",
    ),
    s(
        0xd7,
        "MFR_IOUT_PEAK",
        L11,
        true,
        "Report the maximum measured value of READ_IOUT since last MFR_CLEAR_PEAKS",
        "A",
    ),
    s(
        0x24,
        "VOUT_MAX",
        L16,
        true,
        "Upper limit on the commanded output voltage including VOUT_MARGIN_HIGH",
        "V",
    ),
    s(
        0x40,
        "VOUT_OV_FAULT_LIMIT",
        L16,
        true,
        "Output overvoltage fault limit",
        "V",
    ),
    s(
        0x42,
        "VOUT_OV_WARN_LIMIT",
        L16,
        true,
        "Output overvoltage warning limit",
        "V",
    ),
    s(
        0x25,
        "VOUT_MARGIN_HIGH",
        L16,
        true,
        "Margin high output voltage set point",
        "V",
    ),
    s(
        0x21,
        "VOUT_COMMAND",
        L16,
        true,
        "Nominal output voltage set point",
        "V",
    ),
    s(
        0x26,
        "VOUT_MARGIN_LOW",
        L16,
        true,
        "Margin low output voltage set point",
        "V",
    ),
    s(
        0x43,
        "VOUT_UV_WARN_LIMIT",
        L16,
        true,
        "Output undervoltage warning limit",
        "V",
    ),
    s(
        0x44,
        "VOUT_UV_FAULT_LIMIT",
        L16,
        true,
        "Output undervoltage fault limit",
        "V",
    ),
    s(
        0xa5,
        "MFR_VOUT_MAX",
        L16,
        true,
        "Maximum allowed output voltage including VOUT_OV_FAULT_LIMIT",
        "V",
    ),
    s(
        0x46,
        "IOUT_OC_FAULT_LIMIT",
        L11,
        true,
        "Output overcurrent fault limit",
        "A",
    ),
    s(
        0x4a,
        "IOUT_OC_WARN_LIMIT",
        L11,
        true,
        "Output overcurrent warning limit",
        "A",
    ),
    s(
        0x4f,
        "OT_FAULT_LIMIT",
        L11,
        true,
        "Power stage overtemperature fault limit",
        "C",
    ),
    s(
        0x51,
        "OT_WARN_LIMIT",
        L11,
        true,
        "Power stage overtemperature warning limit",
        "C",
    ),
    s(
        0x53,
        "UT_FAULT_LIMIT",
        L11,
        true,
        "Power stage undertemperature fault limit",
        "C",
    ),
];

/// Width the sensor names are padded to: the longest name in the table.
fn name_width() -> usize {
    SENSORS.iter().map(|s| s.name.len()).max().unwrap_or(0)
}

/// All raw values acquired in the telemetry step (step 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Telemetry {
    /// VOUT_MODE byte of page 0 and page 1.
    pub vout_mode: [u8; PAGES],
    /// `words[i][page]` for `SENSORS[i]`; non-paged sensors use `[i][0]` only.
    pub words: [[u16; PAGES]; SENSORS.len()],
}

/// Everything read from one LTM4676A. The bus side stops at the first failure (steps
/// 1-2, 4 or 6), leaves the later fields `None` and records the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ltm4676aReadings {
    pub address: u8,
    pub capability: Option<u8>,
    pub revision: Option<u8>,
    pub mfr_id: Option<Vec<u8>>,
    pub mfr_model: Option<Vec<u8>>,
    /// WRITE_PROTECT and MFR_COMMON; `None` when either read failed (silently ignored).
    pub write_protect: Option<(u8, u8)>,
    /// A VOUT_MODE byte that is not linear mode; printed before the failure report.
    pub unsupported_vout_mode: Option<u8>,
    pub telemetry: Option<Telemetry>,
    pub failure: Option<PmbusFailure>,
}

impl Ltm4676aReadings {
    /// Nothing read yet.
    pub fn new(address: u8) -> Self {
        Self {
            address,
            capability: None,
            revision: None,
            mfr_id: None,
            mfr_model: None,
            write_protect: None,
            unsupported_vout_mode: None,
            telemetry: None,
            failure: None,
        }
    }
}

/// Steps 1-2 and 4-5, in order. Only CAPABILITY is read without PEC; the bus side enables
/// PEC for the address when CAPABILITY bit 7 is set.
pub fn identity_reads(addr: u8) -> Vec<RawRead> {
    let byte = |command, pec| RawRead::SmbusRead {
        addr,
        command,
        len: 1,
        pec,
    };
    let block = |command| RawRead::SmbusBlockRead {
        addr,
        command,
        max: 255,
        pec: true,
    };
    vec![
        byte(commands::CAPABILITY, false),
        byte(commands::PMBUS_REVISION, true),
        block(commands::MFR_ID),
        block(commands::MFR_MODEL),
        byte(commands::WRITE_PROTECT, true),
        byte(commands::MFR_COMMON, true),
    ]
}

/// Step 6 in acquisition order: VOUT_MODE page 0 and 1, then every sensor in table order
/// (paged ones through PAGE_PLUS_READ for page 0 then page 1, others as SMBus word reads).
pub fn telemetry_reads(addr: u8) -> Vec<RawRead> {
    let mut v: Vec<RawRead> = (0..PAGES as u8)
        .map(|page| RawRead::PagedRead {
            addr,
            page,
            command: commands::VOUT_MODE,
            len: 1,
            pec: true,
        })
        .collect();
    for sensor in &SENSORS {
        if sensor.paged {
            v.extend((0..PAGES as u8).map(|page| RawRead::PagedRead {
                addr,
                page,
                command: sensor.command,
                len: 2,
                pec: true,
            }));
        } else {
            v.push(RawRead::SmbusRead {
                addr,
                command: sensor.command,
                len: 2,
                pec: true,
            });
        }
    }
    v
}

/// Check a VOUT_MODE byte as the acquisition does: a non-linear mode is reported as an
/// "invalid block byte count" failure of the paged read (count 1).
pub fn check_vout_mode(vout_mode: u8) -> Result<i32, PmbusFailure> {
    vout_mode_exponent(vout_mode).map_err(|_| {
        PmbusFailure::new(
            commands::PAGE_PLUS_READ,
            SmbusStatus::InvalidBlockByteCount { count: 1 },
        )
    })
}

/// Decoded value of one sensor word.
pub fn sensor_value(sensor: &Sensor, word: u16, vout_exponent: i32) -> f64 {
    match sensor.format {
        DataFormat::Linear11 => linear11(word),
        DataFormat::Linear16 => linear16(word, vout_exponent),
    }
}

fn render_telemetry(out: &mut String, t: &Telemetry, exponents: [i32; PAGES]) {
    let w = name_width();
    for (sensor, words) in SENSORS.iter().zip(&t.words).filter(|(s, _)| !s.paged) {
        let value = sensor_value(sensor, words[0], exponents[0]);
        let _ = writeln!(
            out,
            "  {:<width$}: {} {}",
            sensor.name,
            fixed_width(value, 7, 3),
            sensor.unit,
            width = w + 7
        );
    }
    for (page, &exponent) in exponents.iter().enumerate() {
        for (sensor, words) in SENSORS.iter().zip(&t.words).filter(|(s, _)| s.paged) {
            let value = sensor_value(sensor, words[page], exponent);
            let _ = writeln!(
                out,
                "  {:<w$} page {page}: {} {}",
                sensor.name,
                fixed_width(value, 7, 3),
                sensor.unit
            );
        }
    }
}

/// The section text for one device.
pub fn render(r: &Ltm4676aReadings) -> String {
    let mut out = format!("\nLTM4676A at I2C address {:#04x}\n", r.address);
    if let (Some(cap), Some(rev)) = (r.capability, r.revision) {
        let _ = writeln!(out, "{}", capability_line(cap));
        let _ = writeln!(out, "{}", revision_line(rev));
    }
    if let (Some(id), Some(model)) = (&r.mfr_id, &r.mfr_model) {
        let _ = writeln!(out, "{}", id_model_line(id, model));
    }
    if let Some((wp, common)) = r.write_protect {
        let _ = writeln!(out, "{}", write_protect_line(wp));
        let pin = if common & 1 != 0 {
            "ACTIVE"
        } else {
            "INACTIVE"
        };
        let _ = writeln!(out, "  MFR_COMMON={common:#04x} : WP pin {pin}");
    }
    let mut failure = r.failure;
    let mut unsupported = r.unsupported_vout_mode;
    if failure.is_none() {
        if let Some(t) = &r.telemetry {
            match (
                check_vout_mode(t.vout_mode[0]),
                check_vout_mode(t.vout_mode[1]),
            ) {
                (Ok(e0), Ok(e1)) => render_telemetry(&mut out, t, [e0, e1]),
                (Err(f), _) | (_, Err(f)) => {
                    // Inconsistent input (the bus side should have stopped): report it
                    // the way the acquisition would have.
                    let bad = t
                        .vout_mode
                        .into_iter()
                        .find(|&m| vout_mode_exponent(m).is_err());
                    unsupported = unsupported.or(bad);
                    failure = Some(f);
                }
            }
        }
    }
    if let Some(mode) = unsupported {
        let _ = writeln!(out, "Unsupported vout_mode byte {mode:#04x}");
    }
    if let Some(f) = failure {
        let _ = writeln!(out, "{f}");
    }
    out
}
