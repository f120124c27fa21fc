//! DDR3 SPD decode: CRC variants of spec 8.1, continue-on-mismatch policy and robustness.

mod common;

use common::{section, SPD_8_1};
use i2c_probe::decode::spd_common::{CrcPolicy, SPD_CRC};
use i2c_probe::decode::spd_ddr3::{decode, render_dump_section};
use proptest::prelude::*;

fn with_crc(mut spd: [u8; 256], coverage: usize) -> [u8; 256] {
    let crc = SPD_CRC.checksum(&spd[..coverage]).to_le_bytes();
    spd[126] = crc[0];
    spd[127] = crc[1];
    spd
}

#[test]
fn crc_over_both_coverages() {
    assert_eq!(SPD_CRC.checksum(&SPD_8_1[..117]), 0xa1bd);
    assert_eq!(SPD_CRC.checksum(&SPD_8_1[..126]), 0xf4a6);
}

#[test]
fn corrupted_byte_20_fails_crc_and_stops_in_dump() {
    let mut spd = *SPD_8_1;
    spd[20] = 0x6a;
    let text = render_dump_section(Some(&spd));
    assert!(text.ends_with(
        "  CRC coverage bytes=117  SPD bytes total=256  SPD bytes used=176\n  Actual CRC=0x13d2  Expected CRC=0xa1bd : CRC FAIL\n"
    ));
}

#[test]
fn corrupted_byte_0_changes_coverage() {
    let mut spd = *SPD_8_1;
    spd[0] = 0x12;
    let text = render_dump_section(Some(&spd));
    assert!(text.ends_with(
        "  CRC coverage bytes=126  SPD bytes total=256  SPD bytes used=176\n  Actual CRC=0xefc4  Expected CRC=0xa1bd : CRC FAIL\n"
    ));
}

#[test]
fn continue_policy_reports_fail_and_decodes_everything() {
    let mut spd = *SPD_8_1;
    spd[20] = 0x6a;
    let report = decode(&spd, CrcPolicy::Continue);
    assert!(!report.crc_passed());
    assert_eq!(report.crc.len(), 1);
    assert_eq!(report.crc[0].actual, 0x13d2);
    // Every other line is identical to the recorded one, except tRPmin (byte 20).
    let expected = section("DDR3 SPD decode:")
        .replace(
            "  Actual CRC=0xa1bd  Expected CRC=0xa1bd : CRC PASS",
            "  Actual CRC=0x13d2  Expected CRC=0xa1bd : CRC FAIL",
        )
        .replace("  16- 31: 69 78 69 30 69", "  16- 31: 69 78 69 30 6a")
        .replace("(tRPmin)=13.125 ns", "(tRPmin)=13.250 ns");
    assert_eq!(report.text, expected);
}

#[test]
fn pass_report() {
    let report = decode(SPD_8_1, CrcPolicy::Stop);
    assert!(report.crc_passed());
    assert_eq!(report.text, section("DDR3 SPD decode:"));
}

#[test]
fn wrong_dram_type_with_recomputed_crc() {
    let mut spd = *SPD_8_1;
    spd[2] = 0x0c;
    let text = render_dump_section(Some(&with_crc(spd, 117)));
    assert!(text.ends_with(
        "  SPD revision 1.3\n  Unexpected DRAM type 0xc - this function only handles DDR3\n"
    ));
}

#[test]
fn undecodable_bytes_end_the_section() {
    let cases: [(usize, u8, &str); 6] = [
        (3, 0x0e, "  Unable to decode module_type_byte=0xe\n"),
        (4, 0x47, "  Unable to decode density_and_banks_byte=0x47\n"),
        (5, 0x2c, "  Unable to decode sdram_addressing_byte=0x2c\n"),
        (
            7,
            0x29,
            "  Unable to decode module_organisation_byte=0x29\n",
        ),
        (33, 0x03, "  Unable to decode device_type_byte=0x3\n"),
        (41, 0x89, "  Unable to decode mac_byte=0x89\n"),
    ];
    for (index, value, tail) in cases {
        let mut spd = *SPD_8_1;
        spd[index] = value;
        let text = render_dump_section(Some(&with_crc(spd, 117)));
        assert!(text.ends_with(tail), "byte {index}: {text}");
    }
}

#[test]
fn original_byte_33_quirk_and_module_specific_text() {
    let mut spd = *SPD_8_1;
    spd[33] = 0x81; // JEDEC: non-standard, die count field 0, multi load stack
    spd[3] = 0x01; // RDIMM: no unbuffered mapping
    let text = render_dump_section(Some(&with_crc(spd, 117)));
    assert!(text.contains(
        "  SDRAM Device Type : Non-Standard Device\n  Die Count : 2 die\n  Signal Loading : Multi load stack\n"
    ));
    assert!(text.contains("  Module specific decoding not implemented for module type RDIMM\n"));
}

#[test]
fn zero_divisor_prints_like_c() {
    let mut spd = *SPD_8_1;
    spd[9] = 0x10; // FTB divisor 0
    let text = decode(&spd, CrcPolicy::Continue).text;
    assert!(text.contains("  Fine Timebase Dividend=1 Divisor=0 FTB=inf ns\n"));
}

#[test]
fn truncated_input_reports_missing_byte() {
    let report = decode(&SPD_8_1[..100], CrcPolicy::Continue);
    assert!(report.crc.is_empty());
    assert!(report
        .text
        .ends_with("  SPD data truncated: byte 127 missing (100 bytes present)\n"));
    let report = decode(&SPD_8_1[..140], CrcPolicy::Continue);
    assert!(report.crc_passed());
    assert!(report
        .text
        .ends_with("  SPD data truncated: byte 145 missing (140 bytes present)\n"));
}

proptest! {
    #[test]
    fn random_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let report = decode(&bytes, CrcPolicy::Continue);
        prop_assert!(report.text.starts_with("\nDDR3 SPD decode:\n"));
    }

    #[test]
    fn truncated_and_mutated_spd_never_panics(len in 0usize..=256, index in 0usize..256, value in any::<u8>()) {
        let mut spd = *SPD_8_1;
        spd[index] = value;
        let report = decode(&spd[..len], CrcPolicy::Continue);
        prop_assert!(report.crc.len() <= 1);
        let _ = render_dump_section(Some(&spd[..len]));
    }
}
