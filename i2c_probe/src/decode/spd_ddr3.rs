//! DDR3 SPD decode (JEDEC 21-C 4.1.2.11), text as printed by i2c_dump_info (spec 5.3).

use super::spd_common::{
    ascii_field, raw_dump, supported, CrcCheck, CrcPolicy, SpdReport, SpdWriter, Stop,
};
use crate::format::fixed;
use crate::reads::RawRead;

pub const SPD_ADDR: u8 = 0x51;
/// SPD byte 2 value for DDR3.
pub const DRAM_TYPE_DDR3: u8 = 0x0b;
pub const SPD_LEN: usize = 256;

/// One register read from pointer 0 of the whole EEPROM (repeated START, sequential read).
pub fn reads() -> Vec<RawRead> {
    vec![RawRead::Register {
        addr: SPD_ADDR,
        reg: 0,
        len: SPD_LEN,
        repeated_start: true,
    }]
}

/// Module type names, byte 3 bits 3..0 (index = code).
const MODULE_TYPES: [Option<&str>; 14] = [
    None,
    Some("RDIMM"),
    Some("UDIMM"),
    Some("SO-DIMM"),
    Some("Micro-DIMM"),
    Some("Mini-RDIMM"),
    Some("Mini-UDIMM"),
    Some("Mini-CDIMM"),
    Some("72b-SO-UDIMM"),
    Some("72b-SO-RDIMM"),
    Some("72b-SO-CDIMM"),
    Some("LRDIMM"),
    Some("16b-SO-DIMM"),
    Some("32b-SO-DIMM"),
];

/// Module types whose byte 63 holds the unbuffered address mapping.
const UNBUFFERED_TYPES: [u8; 7] = [2, 3, 4, 6, 8, 12, 13];

/// The i2c_dump_info section: `None` (read failed) gives only the failure line; a CRC
/// mismatch ends the section.
pub fn render_dump_section(spd: Option<&[u8]>) -> String {
    match spd {
        None => "Failed to read DDR3 SPD\n".to_string(),
        Some(spd) => decode(spd, CrcPolicy::Stop).text,
    }
}

/// Decode with the given CRC policy. The text starts with the empty line and header.
pub fn decode(spd: &[u8], policy: CrcPolicy) -> SpdReport {
    let mut w = SpdWriter::new(spd, String::from("\nDDR3 SPD decode:\n"));
    raw_dump(&mut w.out, spd);
    let mut crc = Vec::new();
    let _ = body(&mut w, policy, &mut crc);
    SpdReport { text: w.out, crc }
}

fn body(w: &mut SpdWriter, policy: CrcPolicy, crcs: &mut Vec<CrcCheck>) -> Result<(), Stop> {
    let b0 = w.byte(0)?;
    let coverage = if b0 & 0x80 != 0 { 117 } else { 126 };
    let total = match (b0 >> 4) & 0x7 {
        1 => 256,
        _ => return Err(w.fail(format!("  Unable to decode bytes_used_info={b0:#x}"))),
    };
    let used = match b0 & 0x0f {
        1 => 128,
        2 => 176,
        3 => 256,
        _ => return Err(w.fail(format!("  Unable to decode bytes_used_info={b0:#x}"))),
    };
    w.line(format!(
        "  CRC coverage bytes={coverage}  SPD bytes total={total}  SPD bytes used={used}"
    ));
    let crc = match CrcCheck::compute(w.spd, 0..coverage, 126) {
        Some(c) => c,
        None => {
            w.byte(127)?;
            return Err(Stop);
        }
    };
    crcs.push(crc);
    w.line(format!("  {}", crc.text()));
    if !crc.passed() && policy == CrcPolicy::Stop {
        return Err(Stop);
    }

    let rev = w.byte(1)?;
    w.line(format!("  SPD revision {}.{}", rev >> 4, rev & 0x0f));
    let dram_type = w.byte(2)?;
    if dram_type != DRAM_TYPE_DDR3 {
        return Err(w.fail(format!(
            "  Unexpected DRAM type {dram_type:#x} - this function only handles DDR3"
        )));
    }

    let b3 = w.byte(3)?;
    let module_code = b3 & 0x0f;
    let module_name = match MODULE_TYPES
        .get(usize::from(module_code))
        .copied()
        .flatten()
    {
        Some(n) => n,
        None => return Err(w.fail(format!("  Unable to decode module_type_byte={b3:#x}"))),
    };
    w.line(format!("  Module type : {module_name}"));

    let b4 = w.byte(4)?;
    let (bank_code, cap_code) = ((b4 >> 4) & 0x7, b4 & 0x0f);
    if bank_code > 3 || cap_code > 6 {
        return Err(w.fail(format!("  Unable to decode density_and_banks_byte={b4:#x}")));
    }
    let capacity_mibit = 256u64 << cap_code;
    w.line(format!(
        "  Bank Address Bits={}  Total SDRAM Capacity (Mibibits)={capacity_mibit}",
        3 + bank_code
    ));

    let b5 = w.byte(5)?;
    let (row_code, col_code) = ((b5 >> 3) & 0x7, b5 & 0x7);
    if row_code > 4 || col_code > 3 {
        return Err(w.fail(format!("  Unable to decode sdram_addressing_byte={b5:#x}")));
    }
    // "Addess" is part of the expected output.
    w.line(format!(
        "  Row Address Bits={}  Column Addess Bits={}",
        12 + row_code,
        9 + col_code
    ));

    let b6 = w.byte(6)?;
    let not = |set: bool| if set { "" } else { "NOT " };
    // Bit 0 is inverted in JEDEC: set = NOT 1.5 V operable.
    w.line(format!(
        "  Module Nominal Voltage : {}1.25 V operable  {}1.35 V operable  {}1.5 V operable",
        not(b6 & 0x4 != 0),
        not(b6 & 0x2 != 0),
        not(b6 & 0x1 == 0)
    ));

    let b7 = w.byte(7)?;
    let (rank_code, width_code) = ((b7 >> 3) & 0x7, b7 & 0x7);
    if rank_code > 4 || width_code > 3 {
        return Err(w.fail(format!(
            "  Unable to decode module_organisation_byte={b7:#x}"
        )));
    }
    let ranks = [1u64, 2, 3, 4, 8][usize::from(rank_code)];
    let device_width = 4u64 << width_code;
    w.line(format!(
        "  Number of Ranks={ranks}  SDRAM Device Width (bits)={device_width}"
    ));

    let b8 = w.byte(8)?;
    let (ext_code, primary_code) = ((b8 >> 3) & 0x3, b8 & 0x7);
    if ext_code > 1 || primary_code > 3 {
        return Err(w.fail(format!("  Unable to decode module_bus_width_byte={b8:#x}")));
    }
    let primary_width = 8u64 << primary_code;
    w.line(format!(
        "  Bus width extension (bits)={}  Primary bus width (bits)={primary_width}",
        ext_code * 8
    ));
    // Left-to-right integer arithmetic, as the original.
    let capacity = capacity_mibit / 8 * primary_width / device_width * ranks;
    w.line(format!("  Module capacity (MiB)={capacity}"));

    w.byte(145)?;
    let part = ascii_field(&w.spd[128..146]);
    w.line(format!("  Module Part Number \"{part}\""));

    if UNBUFFERED_TYPES.contains(&module_code) {
        let b63 = w.byte(63)?;
        let mapping = if b63 & 1 != 0 { "mirrored" } else { "standard" };
        w.line(format!("  {module_name} Rank 1 Mapping : {mapping}"));
    } else {
        w.line(format!(
            "  Module specific decoding not implemented for module type {module_name}"
        ));
    }

    let cas = u16::from(w.byte(14)?) | (u16::from(w.byte(15)?) << 8);
    let mut line = String::from("  Supported CAS latencies:");
    for bit in (0..15).filter(|i| cas & (1 << i) != 0) {
        line.push_str(&format!(" {}", bit + 4));
    }
    w.line(line);

    let b9 = w.byte(9)?;
    let (ftb_dividend, ftb_divisor) = (b9 >> 4, b9 & 0x0f);
    // Same operation order as the C expression 0.001 * dividend / divisor; a zero divisor
    // yields inf/nan text like the original.
    let ftb_ns = 0.001 * f64::from(ftb_dividend) / f64::from(ftb_divisor);
    let (mtb_dividend, mtb_divisor) = (w.byte(10)?, w.byte(11)?);
    let mtb_ns = f64::from(mtb_dividend) / f64::from(mtb_divisor);
    w.line(format!(
        "  Fine Timebase Dividend={ftb_dividend} Divisor={ftb_divisor} FTB={} ns",
        fixed(ftb_ns, 3)
    ));
    w.line(format!(
        "  Medium Timebase Dividend={mtb_dividend} Divisor={mtb_divisor} MTB={} ns",
        fixed(mtb_ns, 3)
    ));

    timings(w, mtb_ns, ftb_ns)?;
    features(w)
}

/// MTB units of a timing parameter.
enum Units {
    Byte(usize),
    /// (byte with the upper nibble, true = bits 7..4 else 3..0, low byte)
    Nibble(usize, bool, usize),
    /// (MSB byte, LSB byte)
    Word(usize, usize),
}

const TIMINGS: [(&str, Units, Option<usize>); 12] = [
    (
        "SDRAM Minimum Cycle Time (tCKmin)",
        Units::Byte(12),
        Some(34),
    ),
    (
        "Minimum CAS Latency Time (tAAmin)",
        Units::Byte(16),
        Some(35),
    ),
    (
        "Minimum Write Recovery Time (tWRmin)",
        Units::Byte(17),
        None,
    ),
    (
        "Minimum RAS# to CAS# Delay Time (tRCDmin)",
        Units::Byte(18),
        Some(36),
    ),
    (
        "Minimum Row Active to Row Active Delay Time (tRRDmin)",
        Units::Byte(19),
        None,
    ),
    (
        "Minimum Row Precharge Delay Time (tRPmin)",
        Units::Byte(20),
        Some(37),
    ),
    (
        "Minimum Active to Precharge Delay Time (tRASmin)",
        Units::Nibble(21, false, 22),
        None,
    ),
    (
        "Minimum Active to Active/Refresh Delay Time (tRCmin)",
        Units::Nibble(21, true, 23),
        Some(38),
    ),
    (
        "Minimum Refresh Recovery Delay Time (tRFCmin)",
        Units::Word(25, 24),
        None,
    ),
    (
        "Minimum Internal Write to Read Command Delay Time (tWTRmin)",
        Units::Byte(26),
        None,
    ),
    (
        "Minimum Internal Read to Precharge Command Delay Time (tRTPmin)",
        Units::Byte(27),
        None,
    ),
    (
        "Minimum Four Activate Window Delay Time (tFAWmin)",
        Units::Nibble(28, false, 29),
        None,
    ),
];

fn units(w: &mut SpdWriter, u: &Units) -> Result<u32, Stop> {
    Ok(match *u {
        Units::Byte(i) => u32::from(w.byte(i)?),
        Units::Nibble(hi, upper, lo) => {
            let h = w.byte(hi)?;
            let nibble = if upper { h >> 4 } else { h & 0x0f };
            (u32::from(nibble) << 8) | u32::from(w.byte(lo)?)
        }
        Units::Word(msb, lsb) => (u32::from(w.byte(msb)?) << 8) | u32::from(w.byte(lsb)?),
    })
}

fn timings(w: &mut SpdWriter, mtb_ns: f64, ftb_ns: f64) -> Result<(), Stop> {
    for (label, u, fine) in &TIMINGS {
        let mtb_units = f64::from(units(w, u)?);
        let fine = match fine {
            Some(i) => f64::from(w.byte(*i)? as i8),
            None => 0.0,
        };
        let ns = mtb_ns * mtb_units + ftb_ns * fine;
        w.line(format!("  {label}={} ns", fixed(ns, 3)));
    }
    Ok(())
}

fn features(w: &mut SpdWriter) -> Result<(), Stop> {
    let b30 = w.byte(30)?;
    w.line(format!(
        "  SDRAM Optional Features : DLL-Off Mode Support {}  RZQ/7 {}  RZQ/6 {}",
        supported(b30 & 0x80 != 0),
        supported(b30 & 0x02 != 0),
        supported(b30 & 0x01 != 0)
    ));

    let b31 = w.byte(31)?;
    w.line("  SDRAM Thermal and Refresh Options:");
    w.line(format!(
        "    Partial Array Self Refresh (PASR) : {}",
        supported(b31 & 0x80 != 0)
    ));
    w.line(format!(
        "    On-die Thermal Sensor (ODTS) Readout : {}",
        if b31 & 0x08 != 0 {
            "On-die thermal sensor readout is supported"
        } else {
            "On-die thermal sensor readout is not supported"
        }
    ));
    w.line(format!(
        "    Auto Self Refresh (ASR) : {}",
        if b31 & 0x04 != 0 {
            "ASR is supported and the SDRAM will determine the proper refresh rate for any supported temperature"
        } else {
            "ASR is not supported"
        }
    ));
    w.line(format!(
        "    Extended Temperature Refresh Rate : {}",
        if b31 & 0x02 != 0 {
            "Extended operating temperature range from 85-95 C supported with standard 1X refresh rate"
        } else {
            "Use in extended operating temperature range from 85-95 C requires 2X refresh rate"
        }
    ));
    w.line(format!(
        "    Extended Temperature Range : {}",
        if b31 & 0x01 != 0 {
            "Normal and extended operating temperature range 0-95 C supported"
        } else {
            "Normal operating temperature range 0-85 C supported"
        }
    ));

    let b32 = w.byte(32)?;
    w.line(format!(
        "  Thermal Sensor : Thermal sensor {}incorporated onto this assembly",
        if b32 & 0x80 != 0 { "" } else { "not " }
    ));

    device_type(w)?;
    maximum_activate(w)
}

/// Byte 33. Reproduces the original: the "die count" field is taken from bit 6 upwards
/// (i.e. bits 7..6) where JEDEC has bits 6..4; the expected output depends on it.
fn device_type(w: &mut SpdWriter) -> Result<(), Stop> {
    let b33 = w.byte(33)?;
    let die_count = match (b33 >> 6) & 0x7 {
        0 => "Not Specified",
        1 => "Single die",
        2 => "2 die",
        3 => "4 die",
        _ => "8 die",
    };
    let loading = match b33 & 0x3 {
        0 => "Not specified",
        1 => "Multi load stack",
        2 => "Single load stack",
        _ => return Err(w.fail(format!("  Unable to decode device_type_byte={b33:#x}"))),
    };
    w.line(format!(
        "  SDRAM Device Type : {}",
        if b33 & 0x80 != 0 {
            "Non-Standard Device"
        } else {
            "Standard Monolithic DRAM Device"
        }
    ));
    w.line(format!("  Die Count : {die_count}"));
    w.line(format!("  Signal Loading : {loading}"));
    Ok(())
}

fn maximum_activate(w: &mut SpdWriter) -> Result<(), Stop> {
    let b41 = w.byte(41)?;
    let tmaw = match (b41 >> 4) & 0x3 {
        0 => "8192 * tREFI",
        1 => "4096 * tREFI",
        2 => "2048 * tREFI",
        _ => return Err(w.fail(format!("  Unable to decode mac_byte={b41:#x}"))),
    };
    let mac = match b41 & 0x0f {
        0 => "Untested MAC",
        1 => "700 K",
        2 => "600 K",
        3 => "500 K",
        4 => "400 K",
        5 => "300 K",
        6 => "200 K",
        8 => "Unrestricted MAC",
        _ => return Err(w.fail(format!("  Unable to decode mac_byte={b41:#x}"))),
    };
    w.line(format!(
        "  Maximum Activate : Vendor Specific={}  Maximum Activate Window (tMAW)={tmaw}  Maximum Activate Count (MAC)={mac}",
        b41 >> 6
    ));
    Ok(())
}
