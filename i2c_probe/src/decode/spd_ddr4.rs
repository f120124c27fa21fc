//! DDR4 SPD decode (JEDEC 21-C 4.1.2.L-4, SPD revision 1.x) for the offline tool.
//!
//! The original tools never decoded DDR4, so this text format is this crate's own, in the
//! style of the DDR3 section. Decoded: CRCs, module type, organisation, capacity,
//! speed grade, CAS latencies, timings and (with 512 bytes) the part number.

use super::spd_common::{ascii_field, raw_dump, CrcCheck, CrcPolicy, SpdReport, SpdWriter, Stop};
use crate::format::fixed;

/// SPD byte 2 value for DDR4.
pub const DRAM_TYPE_DDR4: u8 = 0x0c;

const MODULE_TYPES: [Option<&str>; 14] = [
    Some("Extended DIMM"),
    Some("RDIMM"),
    Some("UDIMM"),
    Some("SO-DIMM"),
    Some("LRDIMM"),
    Some("Mini-RDIMM"),
    Some("Mini-UDIMM"),
    None,
    Some("72b-SO-RDIMM"),
    Some("72b-SO-UDIMM"),
    None,
    None,
    Some("16b-SO-DIMM"),
    Some("32b-SO-DIMM"),
];

/// Die capacity in Mibit, byte 4 bits 3..0.
const DIE_CAPACITY: [u64; 10] = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 12288, 24576];

/// Standard data rates, to name the speed grade from tCKAVGmin.
const DATA_RATES: [u32; 8] = [1600, 1866, 2133, 2400, 2666, 2933, 3200, 3600];

/// Decode a DDR4 SPD (at least block 0, 128 bytes; 512 for everything). Block 0 CRC
/// covers bytes 0..125 (stored in 126/127); block 1 CRC bytes 128..253 (254/255).
pub fn decode(spd: &[u8], policy: CrcPolicy) -> SpdReport {
    let mut w = SpdWriter::new(spd, String::from("\nDDR4 SPD decode:\n"));
    raw_dump(&mut w.out, spd);
    let mut crc = Vec::new();
    let _ = body(&mut w, policy, &mut crc);
    SpdReport { text: w.out, crc }
}

fn ns(w: &mut SpdWriter, label: &str, value: f64) {
    w.line(format!("  {label}={} ns", fixed(value, 3)));
}

fn body(w: &mut SpdWriter, policy: CrcPolicy, crcs: &mut Vec<CrcCheck>) -> Result<(), Stop> {
    let b0 = w.byte(0)?;
    let used = match b0 & 0x0f {
        1 => 128,
        2 => 256,
        3 => 384,
        4 => 512,
        _ => return Err(w.fail(format!("  Unable to decode bytes_used_info={b0:#x}"))),
    };
    let total = match (b0 >> 4) & 0x7 {
        1 => 256,
        2 => 512,
        _ => return Err(w.fail(format!("  Unable to decode bytes_used_info={b0:#x}"))),
    };
    w.line(format!("  SPD bytes total={total}  SPD bytes used={used}"));
    for (block, range, stored) in [(0, 0..126, 126), (1, 128..254, 254)] {
        // Block 1 is only checked when it is present in the data.
        if block == 1 && w.spd.len() < 256 {
            break;
        }
        let Some(crc) = CrcCheck::compute(w.spd, range, stored) else {
            w.byte(stored + 1)?;
            return Err(Stop);
        };
        crcs.push(crc);
        w.line(format!("  Block {block} {}", crc.text()));
        if !crc.passed() && policy == CrcPolicy::Stop {
            return Err(Stop);
        }
    }
    let rev = w.byte(1)?;
    w.line(format!("  SPD revision {}.{}", rev >> 4, rev & 0x0f));
    let dram_type = w.byte(2)?;
    if dram_type != DRAM_TYPE_DDR4 {
        return Err(w.fail(format!(
            "  Unexpected DRAM type {dram_type:#x} - this function only handles DDR4"
        )));
    }
    let b3 = w.byte(3)?;
    let Some(module) = MODULE_TYPES.get(usize::from(b3 & 0x0f)).copied().flatten() else {
        return Err(w.fail(format!("  Unable to decode module_type_byte={b3:#x}")));
    };
    w.line(format!("  Module type : {module}"));

    let b4 = w.byte(4)?;
    let (bg_code, ba_code) = (b4 >> 6, (b4 >> 4) & 0x3);
    let die_mibit = DIE_CAPACITY.get(usize::from(b4 & 0x0f)).copied();
    let (Some(die_mibit), true, true) = (die_mibit, bg_code <= 2, ba_code <= 1) else {
        return Err(w.fail(format!("  Unable to decode density_and_banks_byte={b4:#x}")));
    };
    w.line(format!(
        "  Bank Group Bits={bg_code}  Bank Address Bits={}  SDRAM Capacity per die (Mibibits)={die_mibit}",
        ba_code + 2
    ));
    let b5 = w.byte(5)?;
    let (row_code, col_code) = ((b5 >> 3) & 0x7, b5 & 0x7);
    if row_code > 6 || col_code > 3 {
        return Err(w.fail(format!("  Unable to decode sdram_addressing_byte={b5:#x}")));
    }
    w.line(format!(
        "  Row Address Bits={}  Column Address Bits={}",
        12 + row_code,
        9 + col_code
    ));
    let b6 = w.byte(6)?;
    let dies = u64::from((b6 >> 4) & 0x7) + 1;
    let loading = match b6 & 0x3 {
        0 => "Not specified",
        1 => "Multi load stack",
        2 => "Single load stack (3DS)",
        _ => return Err(w.fail(format!("  Unable to decode package_type_byte={b6:#x}"))),
    };
    w.line(format!(
        "  Package : {}  Die Count={dies}  Signal Loading : {loading}",
        if b6 & 0x80 != 0 {
            "Non-Monolithic"
        } else {
            "Monolithic"
        }
    ));
    let b11 = w.byte(11)?;
    w.line(format!(
        "  Module Nominal Voltage : {}1.2 V operable  {}1.2 V endurant",
        if b11 & 1 != 0 { "" } else { "NOT " },
        if b11 & 2 != 0 { "" } else { "NOT " }
    ));
    let b12 = w.byte(12)?;
    let (rank_code, width_code) = ((b12 >> 3) & 0x7, b12 & 0x7);
    if width_code > 3 {
        return Err(w.fail(format!(
            "  Unable to decode module_organisation_byte={b12:#x}"
        )));
    }
    let ranks = u64::from(rank_code) + 1;
    let device_width = 4u64 << width_code;
    w.line(format!(
        "  Number of Package Ranks={ranks}  SDRAM Device Width (bits)={device_width}"
    ));
    let b13 = w.byte(13)?;
    let (ext_code, primary_code) = ((b13 >> 3) & 0x3, b13 & 0x7);
    if ext_code > 1 || primary_code > 3 {
        return Err(w.fail(format!("  Unable to decode module_bus_width_byte={b13:#x}")));
    }
    let primary_width = 8u64 << primary_code;
    w.line(format!(
        "  Bus width extension (bits)={}  Primary bus width (bits)={primary_width}",
        ext_code * 8
    ));
    // 3DS packages: each package rank holds `dies` logical ranks.
    let logical = if b6 & 0x3 == 2 { ranks * dies } else { ranks };
    let capacity = die_mibit / 8 * primary_width / device_width * logical;
    w.line(format!("  Module capacity (MiB)={capacity}"));

    let b17 = w.byte(17)?;
    if b17 & 0x0f != 0 {
        return Err(w.fail(format!("  Unable to decode timebases_byte={b17:#x}")));
    }
    // MTB 0.125 ns and FTB 0.001 ns are the only timebases defined for DDR4.
    let (mtb, ftb) = (0.125, 0.001);
    let t = |w: &mut SpdWriter, units: u32, fine: Option<usize>| -> Result<f64, Stop> {
        let f = match fine {
            Some(i) => f64::from(w.byte(i)? as i8),
            None => 0.0,
        };
        Ok(mtb * f64::from(units) + ftb * f)
    };
    let tck_units = w.byte(18)?;
    let tck = t(w, u32::from(tck_units), Some(125))?;
    let speed = speed_grade(tck);
    w.line(format!(
        "  Maximum speed : {speed}  (tCKAVGmin={} ns)",
        fixed(tck, 3)
    ));
    let tck_max_units = w.byte(19)?;
    let tck_max = t(w, u32::from(tck_max_units), Some(124))?;
    ns(w, "SDRAM Maximum Cycle Time (tCKAVGmax)", tck_max);

    let mut cas = 0u32;
    for i in 0..4 {
        cas |= u32::from(w.byte(20 + i)?) << (8 * i);
    }
    let base = if cas & 0x8000_0000 != 0 { 23 } else { 7 };
    let mut line = String::from("  Supported CAS latencies:");
    for bit in (0..30).filter(|i| cas & (1 << i) != 0) {
        line.push_str(&format!(" {}", bit + base));
    }
    w.line(line);

    let byte = |w: &mut SpdWriter, i: usize| w.byte(i).map(u32::from);
    let nib_word = |w: &mut SpdWriter, hi: usize, upper: bool, lo: usize| -> Result<u32, Stop> {
        let h = w.byte(hi)?;
        let n = if upper { h >> 4 } else { h & 0x0f };
        Ok((u32::from(n) << 8) | u32::from(w.byte(lo)?))
    };
    let word = |w: &mut SpdWriter, lsb: usize| -> Result<u32, Stop> {
        Ok(u32::from(w.byte(lsb)?) | (u32::from(w.byte(lsb + 1)?) << 8))
    };
    let taa = byte(w, 24)?;
    let v = t(w, taa, Some(123))?;
    ns(w, "Minimum CAS Latency Time (tAAmin)", v);
    let trcd = byte(w, 25)?;
    let v = t(w, trcd, Some(122))?;
    ns(w, "Minimum RAS to CAS Delay Time (tRCDmin)", v);
    let trp = byte(w, 26)?;
    let v = t(w, trp, Some(121))?;
    ns(w, "Minimum Row Precharge Delay Time (tRPmin)", v);
    let tras = nib_word(w, 27, false, 28)?;
    let v = t(w, tras, None)?;
    ns(w, "Minimum Active to Precharge Delay Time (tRASmin)", v);
    let trc = nib_word(w, 27, true, 29)?;
    let v = t(w, trc, Some(120))?;
    ns(w, "Minimum Active to Active/Refresh Delay Time (tRCmin)", v);
    for (label, lsb) in [("tRFC1min", 30), ("tRFC2min", 32), ("tRFC4min", 34)] {
        let units = word(w, lsb)?;
        let v = t(w, units, None)?;
        ns(
            w,
            &format!("Minimum Refresh Recovery Delay Time ({label})"),
            v,
        );
    }
    let tfaw = nib_word(w, 36, false, 37)?;
    let v = t(w, tfaw, None)?;
    ns(w, "Minimum Four Activate Window Delay Time (tFAWmin)", v);
    for (label, i, fine) in [
        (
            "Minimum Activate to Activate Delay Time, different bank group (tRRD_Smin)",
            38,
            119,
        ),
        (
            "Minimum Activate to Activate Delay Time, same bank group (tRRD_Lmin)",
            39,
            118,
        ),
        (
            "Minimum CAS to CAS Delay Time, same bank group (tCCD_Lmin)",
            40,
            117,
        ),
    ] {
        let units = byte(w, i)?;
        let v = t(w, units, Some(fine))?;
        ns(w, label, v);
    }
    let twr = nib_word(w, 41, false, 42)?;
    let v = t(w, twr, None)?;
    ns(w, "Minimum Write Recovery Time (tWRmin)", v);
    let twtrs = nib_word(w, 43, false, 44)?;
    let v = t(w, twtrs, None)?;
    ns(
        w,
        "Minimum Write to Read Time, different bank group (tWTR_Smin)",
        v,
    );
    let twtrl = nib_word(w, 43, true, 45)?;
    let v = t(w, twtrl, None)?;
    ns(
        w,
        "Minimum Write to Read Time, same bank group (tWTR_Lmin)",
        v,
    );

    // Manufacturing information lives in block 2 (bytes 320..383).
    if w.spd.len() >= 349 {
        let part = ascii_field(&w.spd[329..349]);
        w.line(format!("  Module Part Number \"{part}\""));
    }
    Ok(())
}

/// `DDR4-<rate>` from tCKAVGmin: the fastest standard rate the cycle time allows
/// (1 MT/s tolerance for the rounded SPD encodings, e.g. 0.833 ns -> DDR4-2400).
fn speed_grade(tck_ns: f64) -> String {
    if tck_ns.is_nan() || tck_ns <= 0.0 {
        return "unknown".to_string();
    }
    let rate = 2000.0 / tck_ns;
    match DATA_RATES
        .iter()
        .rev()
        .find(|&&r| f64::from(r) <= rate + 1.0)
    {
        Some(r) => format!("DDR4-{r}"),
        None => format!("DDR4-{}", rate.round()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_grades() {
        assert_eq!(speed_grade(0.833), "DDR4-2400");
        assert_eq!(speed_grade(0.937), "DDR4-2133");
        assert_eq!(speed_grade(0.625), "DDR4-3200");
        assert_eq!(speed_grade(1.25), "DDR4-1600");
        assert_eq!(speed_grade(0.0), "unknown");
    }
}
