//! DDR4 SPD decode on a synthetic module image (no DDR4 vector in the fact sheet).

use i2c_probe::decode::spd_common::{CrcPolicy, SPD_CRC};
use i2c_probe::decode::spd_ddr4::decode;
use proptest::prelude::*;

/// 16 GiB DDR4-2400 SO-DIMM: 8 Gibit x8 dies, 2 ranks, 64-bit bus.
fn image() -> Vec<u8> {
    let mut spd = vec![0u8; 512];
    spd[0] = 0x23; // 384 bytes used, 512 total
    spd[1] = 0x11;
    spd[2] = 0x0c;
    spd[3] = 0x03; // SO-DIMM
    spd[4] = 0x45; // 1 bank group bit, 2 bank address bits, 8 Gibit
    spd[5] = 0x21; // 16 rows, 10 columns
    spd[11] = 0x03;
    spd[12] = 0x09; // 2 ranks, x8
    spd[13] = 0x03; // 64 bit
    spd[18] = 0x07; // 0.875 ns ...
    spd[125] = (-42i8) as u8; // ... - 0.042 ns = 0.833 ns
    spd[20] = 0xf8; // CL 10..18
    spd[21] = 0x0f;
    spd[24] = 0x6e; // tAA 13.750
    spd[27] = 0x11;
    spd[28] = 0x00; // tRAS 0x100 * 0.125 = 32
    spd[29] = 0x76; // tRC 0x176 * 0.125 = 46.75
    spd[30] = 0xf0;
    spd[31] = 0x0a; // tRFC1 0x0af0 * 0.125 = 350
    spd[329..349].copy_from_slice(b"TESTPART-DDR4-2400  ");
    let crc = SPD_CRC.checksum(&spd[..126]).to_le_bytes();
    spd[126..128].copy_from_slice(&crc);
    let crc = SPD_CRC.checksum(&spd[128..254]).to_le_bytes();
    spd[254..256].copy_from_slice(&crc);
    spd
}

#[test]
fn decodes_module() {
    let report = decode(&image(), CrcPolicy::Stop);
    assert!(report.crc_passed(), "{}", report.text);
    assert_eq!(report.crc.len(), 2);
    for line in [
        "  SPD bytes total=512  SPD bytes used=384\n",
        "  Module type : SO-DIMM\n",
        "  Bank Group Bits=1  Bank Address Bits=2  SDRAM Capacity per die (Mibibits)=8192\n",
        "  Row Address Bits=16  Column Address Bits=10\n",
        "  Number of Package Ranks=2  SDRAM Device Width (bits)=8\n",
        "  Module capacity (MiB)=16384\n",
        "  Maximum speed : DDR4-2400  (tCKAVGmin=0.833 ns)\n",
        "  Supported CAS latencies: 10 11 12 13 14 15 16 17 18\n",
        "  Minimum CAS Latency Time (tAAmin)=13.750 ns\n",
        "  Minimum Active to Precharge Delay Time (tRASmin)=32.000 ns\n",
        "  Minimum Active to Active/Refresh Delay Time (tRCmin)=46.750 ns\n",
        "  Minimum Refresh Recovery Delay Time (tRFC1min)=350.000 ns\n",
        "  Module Part Number \"TESTPART-DDR4-2400  \"\n",
    ] {
        assert!(
            report.text.contains(line),
            "missing {line:?} in\n{}",
            report.text
        );
    }
}

#[test]
fn block0_crc_mismatch_reported_and_decoding_continues() {
    let mut spd = image();
    spd[24] = 0x6f;
    let report = decode(&spd, CrcPolicy::Continue);
    assert!(!report.crc_passed());
    assert!(report.text.contains(" : CRC FAIL\n"));
    assert!(report.text.contains("(tAAmin)=13.875 ns\n"));
    let stopped = decode(&spd, CrcPolicy::Stop);
    assert!(stopped.text.ends_with(" : CRC FAIL\n"));
}

proptest! {
    #[test]
    fn random_and_truncated_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..600) {
        let _ = decode(&bytes, CrcPolicy::Continue);
        let img = image();
        let _ = decode(&img[..cut.min(img.len())], CrcPolicy::Continue);
    }
}
