//! Device model behaviour on the TEF1001 bus.

use super::pec::SMBUS_PEC;
use super::*;

fn bus() -> I2cBusDevices {
    tef1001_devices(Tef1001Options::default())
}

#[test]
fn tef1001_addresses() {
    assert_eq!(
        bus().addresses(),
        vec![0x19, 0x31, 0x40, 0x4f, 0x51, 0x5a, 0x5b, 0x70, 0x74]
    );
    let no_dimm = tef1001_devices(Tef1001Options { so_dimm: false });
    assert_eq!(
        no_dimm.addresses(),
        vec![0x40, 0x4f, 0x5a, 0x5b, 0x70, 0x74]
    );
}

#[test]
fn absent_and_unknown_addresses_nack() {
    let mut b = bus();
    assert_eq!(b.read(0x22, 1, true), None);
    assert!(b.read(0x51, 1, true).is_some());
    b.set_present(0x51, false);
    assert!(!b.is_present(0x51));
    assert_eq!(b.read(0x51, 1, true), None);
    assert_eq!(b.write(0x51, &[0x00], true), 0);
    b.set_present(0x51, true);
    assert!(b.read(0x51, 1, true).is_some());
}

#[test]
fn pmbus_paged_read_vout_with_pec() {
    let mut b = bus();
    // Spec 8.4 wire example: S 80 06 02 00 8B Sr 81 02 00 18 76 P.
    let r = b.write_read(0x40, &[0x06, 0x02, 0x00, 0x8b], 4).unwrap();
    assert_eq!(r, vec![0x02, 0x00, 0x18, 0x76]);
    // Page 1 word 0x4000; PEC over the whole message.
    let r = b.write_read(0x40, &[0x06, 0x02, 0x01, 0x8b], 4).unwrap();
    assert_eq!(&r[..3], &[0x02, 0x00, 0x40]);
    let covered = [0x80, 0x06, 0x02, 0x01, 0x8b, 0x81, 0x02, 0x00, 0x40];
    assert_eq!(r[3], SMBUS_PEC.checksum(&covered));
    assert_ne!(r[3], 0x76);
    // VOUT_MODE through PAGE_PLUS_READ: count 1.
    let r = b.write_read(0x40, &[0x06, 0x02, 0x00, 0x20], 3).unwrap();
    assert_eq!(r, vec![0x01, 0x14, 0xf6]);
}

#[test]
fn pmbus_byte_word_block_reads_with_pec() {
    let mut b = bus();
    assert_eq!(b.write_read(0x40, &[0x19], 1), Some(vec![0xb0]));
    assert_eq!(b.write_read(0x40, &[0x19], 2), Some(vec![0xb0, 0x13]));
    assert_eq!(b.write_read(0x40, &[0x98], 2), Some(vec![0x22, 0x84]));
    assert_eq!(b.write_read(0x4f, &[0x98], 2), Some(vec![0x22, 0xa6]));
    assert_eq!(b.write_read(0x40, &[0x88], 3), Some(vec![0x07, 0xd3, 0x2a]));
    assert_eq!(
        b.write_read(0x40, &[0x99], 5),
        Some(vec![0x03, b'L', b'T', b'C', 0xbb])
    );
    let mut model = vec![0x08];
    model.extend_from_slice(b"LTM4676A");
    model.push(0x18);
    assert_eq!(b.write_read(0x40, &[0x9a], 10), Some(model));
    assert_eq!(b.write_read(0x40, &[0x10], 2), Some(vec![0x00, 0x30]));
    assert_eq!(b.write_read(0x40, &[0xef], 2), Some(vec![0xfc, 0xe1]));
    // After the PEC the bus reads released.
    assert_eq!(b.write_read(0x40, &[0x98], 3), Some(vec![0x22, 0x84, 0xff]));
}

#[test]
fn pmbus_unknown_command_nacked() {
    let mut b = bus();
    assert_eq!(b.write(0x40, &[0x7a], true), 0);
    // PAGE_PLUS_READ of an unknown command: read address NACK.
    assert_eq!(b.write_read(0x40, &[0x06, 0x02, 0x00, 0x7a], 3), None);
}

#[test]
fn pmbus_corrupted_pec_fault() {
    let mut b = bus();
    assert!(b.inject_fault(0x40, TargetFault::CorruptPec(true)));
    let r = b.write_read(0x40, &[0x98], 2).unwrap();
    assert_eq!(r[0], 0x22);
    assert_ne!(r[1], 0x84);
    assert!(b.inject_fault(0x40, TargetFault::CorruptPec(false)));
    assert_eq!(b.write_read(0x40, &[0x98], 2), Some(vec![0x22, 0x84]));
    // Not supported by the fan CPLD; no device at 0x22.
    assert!(!b.inject_fault(0x74, TargetFault::CorruptPec(true)));
    assert!(!b.inject_fault(0x22, TargetFault::CorruptPec(true)));
}

#[test]
fn pmbus_page_write_checks_pec() {
    let mut ltm = Ltm4676a::new(
        0x40,
        Default::default(),
        [
            [(0x8b, 0x1800)].into_iter().collect(),
            [(0x8b, 0x4000)].into_iter().collect(),
        ],
    );
    let mut b = I2cBusDevices::new();
    ltm.capability = 0xb0;
    b.add(Box::new(ltm));
    // Bad PEC: write discarded.
    assert_eq!(b.write(0x40, &[0x00, 0x01, 0x00], true), 3);
    assert_eq!(b.write_read(0x40, &[0x00], 1), Some(vec![0x00]));
    // Good PEC.
    let pec = SMBUS_PEC.checksum(&[0x80, 0x00, 0x01]);
    assert_eq!(b.write(0x40, &[0x00, 0x01, pec], true), 3);
    assert_eq!(b.write_read(0x40, &[0x8b], 2), Some(vec![0x00, 0x40]));
    // Without PEC; PAGE_PLUS_READ does not change PAGE.
    assert_eq!(b.write(0x40, &[0x00, 0x00], true), 2);
    assert_eq!(
        b.write_read(0x40, &[0x06, 0x02, 0x01, 0x8b], 3),
        Some(vec![0x02, 0x00, 0x40])
    );
    assert_eq!(b.write_read(0x40, &[0x8b], 2), Some(vec![0x00, 0x18]));
}

#[test]
fn spd_sequential_read_and_wrap() {
    let mut b = bus();
    let spd = tef1001_spd_bytes();
    assert_eq!(b.write_read(0x51, &[0x00], 256), Some(spd.to_vec()));
    // Pointer wrapped to 0: current-address read returns byte 0 (0x92).
    assert_eq!(b.read(0x51, 1, true), Some(vec![0x92]));
    assert_eq!(
        b.write_read(0x51, &[0xfe], 4),
        Some(vec![spd[254], spd[255], spd[0], spd[1]])
    );
    assert_eq!(b.read(0x51, 1, true), Some(vec![spd[2]]));
    // Write protected: data bytes NACKed, pointer byte ACKed.
    assert_eq!(b.write(0x51, &[0x10, 0x55], true), 1);
    assert_eq!(b.write_read(0x51, &[0x10], 1), Some(vec![spd[0x10]]));
}

#[test]
fn spd_corrupted_byte_fault() {
    let mut b = bus();
    assert!(b.inject_fault(
        0x51,
        TargetFault::CorruptByte {
            offset: 20,
            value: 0x6a
        }
    ));
    let data = b.write_read(0x51, &[0x00], 256).unwrap();
    assert_eq!(data[20], 0x6a);
    assert_eq!(data[19], tef1001_spd_bytes()[19]);
    assert!(!b.inject_fault(
        0x51,
        TargetFault::CorruptByte {
            offset: 256,
            value: 0
        }
    ));
}

#[test]
fn spd_bytes_match_fact_sheet() {
    let spd = tef1001_spd_bytes();
    let crc = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);
    assert_eq!(crc.checksum(&spd[..117]), 0xa1bd);
    assert_eq!(u16::from_le_bytes([spd[126], spd[127]]), 0xa1bd);
    assert_eq!(&spd[128..146], b"18KSF1G72HZ-1G6P1 ");
}

#[test]
fn jc42_registers_msb_first() {
    let mut b = bus();
    assert_eq!(b.write_read(0x19, &[0x00], 2), Some(vec![0x00, 0x6f]));
    assert_eq!(b.write_read(0x19, &[0x05], 2), Some(vec![0xc1, 0x7c]));
    assert_eq!(b.write_read(0x19, &[0x06], 2), Some(vec![0x10, 0x4a]));
    // Current-pointer read of the manufacturer register.
    assert_eq!(b.read(0x19, 2, true), Some(vec![0x10, 0x4a]));
    // Limit write then read back.
    assert_eq!(b.write(0x19, &[0x02, 0x05, 0x50], true), 3);
    assert_eq!(b.write_read(0x19, &[0x02], 2), Some(vec![0x05, 0x50]));
}

#[test]
fn fan_cpld_needs_stop_after_pointer() {
    let mut b = bus();
    assert_eq!(b.write(0x74, &[0x01], true), 1);
    assert_eq!(b.read(0x74, 1, true), Some(vec![176]));
    assert_eq!(b.write(0x74, &[0x00], true), 1);
    assert_eq!(b.read(0x74, 1, true), Some(vec![0xff]));
    // Repeated START after the pointer write fails.
    assert_eq!(b.write_read(0x74, &[0x01], 1), None);
    // And the next proper message works again.
    assert_eq!(b.read(0x74, 1, true), Some(vec![176]));
}

#[test]
fn si5338_pages_and_pointer() {
    let mut b = bus();
    assert_eq!(b.write(0x70, &[0xff, 0x01], true), 2);
    assert_eq!(b.write_read(0x70, &[0xff], 1), Some(vec![0x01]));
    let page1 = b.write_read(0x70, &[0x00], 95).unwrap();
    assert_eq!(page1.len(), 95);
    assert_eq!(b.write(0x70, &[0xff, 0xfe], true), 2);
    assert_eq!(b.write_read(0x70, &[0xff], 1), Some(vec![0x00]));
    let regs = b.write_read(0x70, &[0x00], 256).unwrap();
    assert_eq!(
        (regs[0], regs[2], regs[3], regs[27]),
        (0x01, 0x26, 0x00, 0x70)
    );
    assert_eq!(regs[255], 0x00);
    // Pointer wrapped within the page: next current-address read is register 0.
    assert_eq!(b.read(0x70, 1, true), Some(vec![0x01]));
}

#[test]
fn fixed_responders_and_stuck_flag() {
    let mut b = bus();
    for addr in [0x31, 0x5a, 0x5b] {
        assert_eq!(b.read(addr, 1, true), Some(vec![0xff]));
    }
    // Plain read of the LTM4676A without a command: released bus.
    assert_eq!(b.read(0x40, 1, true), Some(vec![0xff]));
    assert!(!b.sda_stuck_low());
    b.set_sda_stuck_low(true);
    assert!(b.sda_stuck_low());
}
