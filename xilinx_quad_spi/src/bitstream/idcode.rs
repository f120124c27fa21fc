//! IDCODE table: device names for the IDCODE values written in bitstreams, and the
//! reverse lookup from an FPGA part name to its expected IDCODE.
//!
//! Values carry a zero revision nibble (bits 31:28), as bitstreams write them. The
//! table order matters: duplicates resolve to the first entry (e.g. 0x0484A093 is
//! KU9P, not XCZU9).

/// `(IDCODE, device name)` in first-match order: the 7-series and UltraScale(+)
/// families first, then the Zynq, RFSoC and accelerator-card entries added later.
pub const IDCODE_TABLE: &[(u32, &str)] = &[
    // Spartan-7
    (0x0362_2093, "7S6"),
    (0x0362_0093, "7S15"),
    (0x037C_4093, "7S25"),
    (0x0362_F093, "7S50"),
    (0x037C_8093, "7S75"),
    (0x037C_7093, "7S100"),
    // Artix-7
    (0x037C_3093, "7A12T"),
    (0x0362_E093, "7A15T"),
    (0x037C_2093, "7A25T"),
    (0x0362_D093, "7A35T"),
    (0x0362_C093, "7A50T"),
    (0x0363_2093, "7A75T"),
    (0x0363_1093, "7A100T"),
    (0x0363_6093, "7A200T"),
    // Kintex-7
    (0x0364_7093, "7K70T"),
    (0x0364_C093, "7K160T"),
    (0x0365_1093, "7K325T"),
    (0x0374_7093, "7K355T"),
    (0x0365_6093, "7K410T"),
    (0x0375_2093, "7K420T"),
    (0x0375_1093, "7K480T"),
    // Virtex-7
    (0x0367_1093, "7V585T"),
    (0x036B_3093, "7V2000T"),
    (0x0366_7093, "7VX330T"),
    (0x0368_2093, "7VX415T"),
    (0x0368_7093, "7VX485T"),
    (0x0369_2093, "7VX550T"),
    (0x0369_1093, "7VX690T"),
    (0x0369_6093, "7VX980T"),
    (0x036D_5093, "7VX1140T"),
    (0x036D_9093, "7VH580T"),
    (0x036D_B093, "7VH870T"),
    // Kintex UltraScale
    (0x0382_4093, "KU025"),
    (0x0382_3093, "KU035"),
    (0x0382_2093, "KU040"),
    (0x0391_9093, "KU060"),
    (0x0380_F093, "KU085"),
    (0x0384_4093, "KU095"),
    (0x0390_D093, "KU115"),
    // Virtex UltraScale
    (0x0393_9093, "VU065"),
    (0x0384_3093, "VU080"),
    (0x0384_2093, "VU095"),
    (0x0392_D093, "VU125"),
    (0x0393_3093, "VU160"),
    (0x0393_1093, "VU190"),
    (0x0396_D093, "VU440"),
    // Artix UltraScale+
    (0x04AF_6093, "AU7P"),
    (0x04AC_4093, "AU10P"),
    (0x04AC_2093, "AU15P"),
    (0x04A6_5093, "AU20P"),
    (0x04A6_4093, "AU25P"),
    // Kintex UltraScale+
    (0x04A6_3093, "KU3P"),
    (0x04A6_2093, "KU5P"),
    (0x0484_A093, "KU9P"),
    (0x04A4_E093, "KU11P"),
    (0x04A5_2093, "KU13P"),
    (0x04A5_6093, "KU15P"),
    (0x04AC_F093, "KU19P"),
    // Virtex UltraScale+
    (0x04B3_9093, "VU3P"),
    (0x04B2_B093, "VU5P"),
    (0x04B2_9093, "VU7P"),
    (0x04B3_1093, "VU9P"),
    (0x04B4_9093, "VU11P"),
    (0x04B5_1093, "VU13P"),
    (0x04BA_1093, "VU19P"),
    (0x04AC_E093, "VU23P"),
    (0x04B4_3093, "VU27P"),
    (0x04B4_1093, "VU29P"),
    (0x04B6_B093, "VU31P"),
    (0x04B6_9093, "VU33P"),
    (0x04B7_1093, "VU35P"),
    (0x04B7_9093, "VU37P"),
    (0x04B7_3093, "VU45P"),
    (0x04B7_B093, "VU47P"),
    (0x04B6_1093, "VU57P"),
    // Zynq-7000 (appended later)
    (0x0372_2093, "7Z010"),
    (0x0373_B093, "7Z015"),
    (0x0372_7093, "7Z020"),
    (0x0372_C093, "7Z030"),
    (0x0373_2093, "7Z035"),
    (0x0373_1093, "7Z045"),
    (0x0373_6093, "7Z100"),
    (0x0372_3093, "7Z007S"),
    (0x0373_C093, "7Z012S"),
    (0x0372_8093, "7Z014S"),
    // Zynq UltraScale+ (PL IDCODE)
    (0x0482_6093, "XCZU1"),
    (0x04A4_3093, "XCZU2"),
    (0x04A4_2093, "XCZU3"),
    (0x04A4_7093, "XCZU4"),
    (0x04A4_6093, "XCZU5"),
    (0x0484_B093, "XCZU6"),
    (0x04A5_A093, "XCZU7"),
    (0x0484_A093, "XCZU9"),
    (0x04A4_E093, "XCZU11"),
    (0x04A5_2093, "XCZU15"),
    (0x04A5_7093, "XCZU17"),
    (0x04A5_6093, "XCZU19"),
    (0x04AF_2093, "XCZU3T"),
    // Zynq UltraScale+ RFSoC
    (0x04A8_3093, "XCZU21DR"),
    (0x04A8_7093, "XCZU25DR"),
    (0x04A8_6093, "XCZU27DR"),
    (0x04A8_2093, "XCZU28DR"),
    (0x04A8_4093, "XCZU29DR"),
    (0x04A8_8093, "XCZU39DR"),
    (0x04AD_A093, "XCZU42DR"),
    (0x04AA_7093, "XCZU43DR"),
    (0x04AA_2093, "XCZU46DR"),
    (0x04AA_9093, "XCZU47DR"),
    (0x04AA_5093, "XCZU48DR"),
    (0x04AA_8093, "XCZU49DR"),
    (0x04AD_8093, "XCZU55DR"),
    (0x04AD_9093, "XCZU57DR"),
    (0x04AA_3093, "XCZU58DR"),
    (0x04AA_6093, "XCZU59DR"),
    (0x04AD_B093, "XCZU63DR"),
    (0x04AD_C093, "XCZU64DR"),
    (0x04AD_7093, "XCZU65DR"),
    (0x04AD_6093, "XCZU67DR"),
    // Accelerator cards
    (0x04A5_8093, "XCU25"),
    (0x04AD_5093, "XCU26"),
    (0x04A5_C093, "XCU30"),
    (0x04B7_D093, "XCU55C"),
    (0x04B7_7093, "XCU50"),
    (0x04B3_7093, "XCU200"),
    (0x04B5_7093, "XCU250"),
    (0x04B7_D093, "XCU280"),
    (0x04AD_5093, "XCUX35"),
    (0x04A4_9093, "XCK26"),
];

/// Device name for an IDCODE as written in a bitstream (first match wins).
pub fn device_name(idcode: u32) -> Option<&'static str> {
    IDCODE_TABLE
        .iter()
        .find(|(code, _)| *code == idcode)
        .map(|(_, name)| *name)
}

/// Device name as shown in the report: unmatched values become `unknown (0x<hex>)`.
pub fn device_display(idcode: u32) -> String {
    match device_name(idcode) {
        Some(name) => name.to_string(),
        None => format!("unknown (0x{idcode:x})"),
    }
}

/// Table name with any "XC" prefix removed, upper case, so it compares with part names.
fn table_key(name: &str) -> &str {
    name.strip_prefix("XC").unwrap_or(name)
}

/// Expected bitstream IDCODE for an FPGA part name such as `xc7k160tfbg676-2`,
/// `xc7a200tfbg484-2`, `7a200tfbg484` (the .bit header form) or `xcku5p-ffvb676-2-e`.
///
/// The device is the longest table name that prefixes the part (after an optional
/// `xc`) and is not followed by another digit, so `xczu1eg` does not match `ZU11`
/// and `xczu15eg` does not stop at `ZU1`. Case does not matter.
pub fn idcode_for_part(part: &str) -> Option<u32> {
    let upper = part.trim().to_ascii_uppercase();
    let device = upper.strip_prefix("XC").unwrap_or(&upper);
    IDCODE_TABLE
        .iter()
        .filter(|(_, name)| {
            device
                .strip_prefix(table_key(name))
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        // Longest match wins; among equal lengths keep table order (first match).
        .fold(None::<(u32, usize)>, |best, (code, name)| {
            let len = table_key(name).len();
            match best {
                Some((_, best_len)) if best_len >= len => best,
                _ => Some((*code, len)),
            }
        })
        .map(|(code, _)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_match_wins_for_duplicates() {
        assert_eq!(device_name(0x0484_A093), Some("KU9P"));
        assert_eq!(device_name(0x04A4_E093), Some("KU11P"));
        assert_eq!(device_name(0x04A5_2093), Some("KU13P"));
        assert_eq!(device_name(0x04A5_6093), Some("KU15P"));
        assert_eq!(device_name(0x04B7_D093), Some("XCU55C"));
        assert_eq!(device_name(0x04AD_5093), Some("XCU26"));
    }

    #[test]
    fn unknown_idcode_display() {
        // Revision nibble set: no masking is done, so this is unknown.
        assert_eq!(device_display(0x1363_6093), "unknown (0x13636093)");
        assert_eq!(device_display(0x0363_6093), "7A200T");
    }

    #[test]
    fn part_names_map_to_idcodes() {
        assert_eq!(idcode_for_part("xc7k160tfbg676-2"), Some(0x0364_C093));
        assert_eq!(idcode_for_part("xc7a200tfbg484-2"), Some(0x0363_6093));
        assert_eq!(idcode_for_part("7a200tfbg484"), Some(0x0363_6093));
        assert_eq!(idcode_for_part("7k160tffg676"), Some(0x0364_C093));
        assert_eq!(idcode_for_part("XCKU5P-FFVB676-2-E"), Some(0x04A6_2093));
        assert_eq!(idcode_for_part("xc7a35ticsg324-1L"), Some(0x0362_D093));
        assert_eq!(idcode_for_part("xc7s100fgga676"), Some(0x037C_7093));
        assert_eq!(idcode_for_part("xc7z007sclg400-1"), Some(0x0372_3093));
        assert_eq!(idcode_for_part("xczu1eg-sbva484"), Some(0x0482_6093));
        assert_eq!(idcode_for_part("xczu15eg-ffvb1156"), Some(0x04A5_2093));
        assert_eq!(idcode_for_part("xczu3teg-sfvc784"), Some(0x04AF_2093));
        assert_eq!(idcode_for_part("xcvu31p-fsvh1924"), Some(0x04B6_B093));
        assert_eq!(idcode_for_part("xcu50-fsvh2104"), Some(0x04B7_7093));
        assert_eq!(idcode_for_part("xc7a20tcsg325"), None);
        assert_eq!(idcode_for_part("xc6slx9"), None);
        assert_eq!(idcode_for_part(""), None);
    }
}
