//! What each flash part answers to its identification commands (JEDEC ID, ID-CFI, SFDP),
//! and its size, page size and read dummy bytes (xilinx_quad_spi.md 20.3).

use super::FlashPart;

/// Fixed properties of one part.
pub(crate) struct PartInfo {
    pub size: usize,
    pub page: usize,
    /// Bytes clocked between the address and the data for 0xEB/0xEC (quad I/O read).
    pub quad_io_dummy: usize,
    /// Same for 0xBB/0xBC (dual I/O read).
    pub dual_io_dummy: usize,
    /// Opcodes the AXI Quad SPI core accepts as the first byte in this vendor mode.
    pub core_commands: &'static [u8],
}

/// AXI Quad SPI command tables per vendor mode (a modelling choice: xilinx_quad_spi.md 20.1's
/// minimum lists, plus the clear-status / write-disable / security-register commands the
/// erase and program support uses).
const MICRON_COMMANDS: &[u8] = &[
    0x9F, 0x5A, 0x85, 0xB5, 0xEB, 0xEC, 0xBB, 0xBC, 0x05, 0x06, 0x02, 0x12, 0x20, 0x21, 0xD8, 0xDC,
    0x70, 0xB7, 0xE9, 0x04, 0x50, 0x03,
];
const SPANSION_COMMANDS: &[u8] = &[
    0x9F, 0x35, 0xEB, 0xEC, 0xBB, 0xBC, 0xFF, 0x05, 0x06, 0x02, 0x12, 0xD8, 0xDC, 0x04, 0x30, 0x03,
];
const MACRONIX_COMMANDS: &[u8] = &[
    0x9F, 0x5A, 0xBB, 0xEB, 0x05, 0x06, 0x02, 0x20, 0xD8, 0x04, 0x2B, 0x03,
];

pub(crate) fn part_info(part: FlashPart) -> PartInfo {
    match part {
        FlashPart::MicronN25q256a => PartInfo {
            size: 32 << 20,
            page: 256,
            quad_io_dummy: 5,
            dual_io_dummy: 2,
            core_commands: MICRON_COMMANDS,
        },
        FlashPart::SpansionS25fl256s => PartInfo {
            size: 32 << 20,
            page: 256,
            quad_io_dummy: 3,
            dual_io_dummy: 1,
            core_commands: SPANSION_COMMANDS,
        },
        FlashPart::MacronixMx25l12835f => PartInfo {
            size: 16 << 20,
            page: 256,
            quad_io_dummy: 3,
            dual_io_dummy: 1,
            core_commands: MACRONIX_COMMANDS,
        },
    }
}

/// Answer to 0x9F, from its first data byte. Bytes beyond read as 0xFF.
pub(crate) fn jedec_answer(part: FlashPart) -> Vec<u8> {
    match part {
        FlashPart::MicronN25q256a => {
            // ID, EDID length 0x10, extended ID, then the 14-byte unique ID.
            let mut v = vec![0x20, 0xBB, 0x19, 0x10, 0x40, 0x00];
            v.extend((0..14u8).map(|i| 0x31 + i));
            v
        }
        FlashPart::SpansionS25fl256s => spansion_id_cfi(),
        FlashPart::MacronixMx25l12835f => vec![0xC2, 0x20, 0x18],
    }
}

fn put(v: &mut [u8], at: usize, bytes: &[u8]) {
    v[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The S25FL256S (hybrid 4 KiB parameter sectors) 512-byte ID-CFI space.
fn spansion_id_cfi() -> Vec<u8> {
    let mut v = vec![0xFF; 512];
    put(&mut v, 0x00, &[0x01, 0x02, 0x19, 0x4D, 0x01, 0x80]);
    put(
        &mut v,
        0x06,
        &[0x30, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
    );
    put(&mut v, 0x10, b"QRY");
    put(&mut v, 0x13, &[0x02, 0x00, 0x40, 0x00]);
    put(&mut v, 0x17, b"SF");
    put(&mut v, 0x19, &[0x00, 0x00]);
    // Voltages and typical / maximum timeouts (program 2^8 us, sector erase 2^9 ms ...).
    put(
        &mut v,
        0x1B,
        &[
            0x27, 0x36, 0x00, 0x00, 0x06, 0x08, 0x08, 0x0F, 0x02, 0x02, 0x03, 0x03,
        ],
    );
    put(&mut v, 0x27, &[0x19, 0x02, 0x01, 0x08, 0x00]);
    put(&mut v, 0x2C, &[0x02]);
    put(&mut v, 0x2D, &[0x1F, 0x00, 0x10, 0x00]);
    put(&mut v, 0x31, &[0xFD, 0x01, 0x00, 0x01]);
    // Primary vendor-specific extended query.
    put(&mut v, 0x40, b"PRI");
    put(
        &mut v,
        0x43,
        &[
            0x31, 0x33, 0x21, 0x02, 0x01, 0x00, 0x08, 0x00, 0x01, 0x03, 0x00, 0x00, 0x07, 0x01,
        ],
    );
    // Alternate vendor-specific tables.
    put(&mut v, 0x51, b"ALT20");
    put(&mut v, 0x56, &[0x00, 0x10]);
    put(&mut v, 0x58, b"S25FL256SAGBHI20");
    put(&mut v, 0x68, &[0x80, 0x02, 0x02, 0x00]);
    put(
        &mut v,
        0x6C,
        &[0x84, 0x08, 0x75, 0x28, 0x7A, 0x64, 0x75, 0x28, 0x7A, 0x64],
    );
    v
}

fn dwords_le(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// SFDP space (0x5A) of the SFDP-described parts; `None` for the CFI part.
pub(crate) fn sfdp(part: FlashPart) -> Option<Vec<u8>> {
    let mut v = vec![0xFF; 0x100];
    put(&mut v, 0, b"SFDP");
    match part {
        FlashPart::SpansionS25fl256s => return None,
        FlashPart::MicronN25q256a => {
            put(&mut v, 4, &[0x00, 0x01, 0x00, 0xFF]);
            put(&mut v, 8, &[0x00, 0x00, 0x01, 0x09, 0x30, 0x00, 0x00, 0xFF]);
            let basic = [
                0xFFF3_20E5,
                0x0FFF_FFFF,
                0x6B08_EB29,
                0xBB08_3B08,
                0xFFFF_FFFE,
                0xFFFF_FFFF,
                0xFFFF_FFFF,
                0xD810_200C,
                0x0000_0000,
            ];
            put(&mut v, 0x30, &dwords_le(&basic));
            v.truncate(0x30 + 36);
        }
        FlashPart::MacronixMx25l12835f => {
            put(&mut v, 4, &[0x00, 0x01, 0x01, 0xFF]);
            put(&mut v, 8, &[0x00, 0x00, 0x01, 0x09, 0x30, 0x00, 0x00, 0xFF]);
            put(
                &mut v,
                16,
                &[0xC2, 0x00, 0x01, 0x04, 0x60, 0x00, 0x00, 0xFF],
            );
            let basic = [
                0xFFF1_20E5,
                0x07FF_FFFF,
                0x6B08_EB44,
                0xBB04_3B08,
                0xFFFF_FFEE,
                0xFF00_FFFF,
                0xFF00_FFFF,
                0x520F_200C,
                0xFF00_D810,
            ];
            put(&mut v, 0x30, &dwords_le(&basic));
            let vendor = [0x2000_3600, 0x0000_2700, 0xF3FF_FFFF, 0x1C10_FF6F];
            put(&mut v, 0x60, &dwords_le(&vendor));
            v.truncate(0x70);
        }
    }
    Some(v)
}
