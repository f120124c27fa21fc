//! MultiBoot lookup after a golden image (designs_after_seed.md §5): a golden bitstream
//! names the image to boot next with a write to WBSTAR and reboots into it with IPROG.

use super::commands::IPROG;
use super::packets::ParsedBitstream;
use super::registers::{CMD, WBSTAR};

/// Bits of WBSTAR holding the start address (the rest select RS pins).
const WBSTAR_ADDRESS_MASK: u32 = 0x1FFF_FFFF;

/// The flash address of the MultiBoot image a golden bitstream reboots into: only when the
/// first SLR reached the end of configuration and issued IPROG. The address is the last
/// one-word WBSTAR write (0 without one: the golden image itself). No other packet and no
/// other offset is looked at.
pub fn multiboot_address(parsed: &ParsedBitstream<'_>) -> Option<u64> {
    let slr = parsed.slrs().first().filter(|s| s.end_of_configuration)?;
    let mut address = 0u32;
    let mut iprog = false;
    for p in &slr.packets {
        if p.is_single_write_to(WBSTAR) {
            address = parsed.packet_word(p, 0).unwrap_or(0) & WBSTAR_ADDRESS_MASK;
        } else if p.is_single_write_to(CMD) && parsed.packet_word(p, 0) == Some(IPROG) {
            iprog = true;
        }
    }
    iprog.then_some(u64::from(address))
}

/// The line printed before the MultiBoot image's report.
pub fn golden_image_line(address: u64) -> String {
    format!(
        "Above bitstream appears to be golden image. Looking for following multiboot image at offset 0x{address:x}"
    )
}

#[cfg(test)]
mod tests {
    use fpga_sim::bitstream_writer::{generate, golden_and_multiboot_image, BitstreamSpec};

    use super::*;
    use crate::bitstream::packets::parse_bitstream;

    const IDCODE_7A200T: u32 = 0x0363_6093;

    #[test]
    fn a_golden_image_names_its_multiboot_image() {
        let golden = BitstreamSpec::new(IDCODE_7A200T).with_frames(4);
        let next = BitstreamSpec::new(IDCODE_7A200T).with_frames(8);
        let image = golden_and_multiboot_image(&golden, &next, 0x40_0000).unwrap();
        assert_eq!(multiboot_address(&parse_bitstream(&image)), Some(0x40_0000));
        let rest = parse_bitstream(&image[0x40_0000..]);
        assert!(rest.is_valid());
        assert_eq!(
            multiboot_address(&rest),
            None,
            "the MultiBoot image is no golden one"
        );
    }

    #[test]
    fn only_the_address_bits_of_wbstar_count() {
        let golden = BitstreamSpec::new(IDCODE_7A200T)
            .with_frames(2)
            .with_multiboot_next(0xE080_0000);
        let g = generate(&golden).unwrap();
        assert_eq!(
            multiboot_address(&parse_bitstream(g.payload())),
            Some(0x80_0000)
        );
    }

    #[test]
    fn no_iprog_or_no_end_of_configuration_means_no_lookup() {
        let single = generate(&BitstreamSpec::new(IDCODE_7A200T).with_frames(2)).unwrap();
        assert_eq!(multiboot_address(&parse_bitstream(single.payload())), None);
        let golden = generate(
            &BitstreamSpec::new(IDCODE_7A200T)
                .with_frames(2)
                .with_multiboot_next(0x1000),
        )
        .unwrap();
        let payload = golden.payload();
        // Cut before DESYNC (the trailing NOPs and the last commands).
        let cut = parse_bitstream(&payload[..payload.len() - 64 * 4 - 32]);
        assert!(!cut.is_valid());
        assert_eq!(multiboot_address(&cut), None);
    }

    #[test]
    fn the_line_before_the_multiboot_report() {
        assert_eq!(
            golden_image_line(0x40_0000),
            "Above bitstream appears to be golden image. Looking for following multiboot image at offset 0x400000"
        );
    }
}
