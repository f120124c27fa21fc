//! LTM4676A report with failures at the different acquisition steps.

mod common;

use common::ltm_readings;
use common::pmbus_words::WORDS_0X40;
use i2c_probe::decode::ltm4676a::{identity_reads, render, telemetry_reads, Ltm4676aReadings};
use i2c_probe::pmbus::failure::PmbusFailure;
use i2c_probe::reads::RawRead;
use i2c_probe::smbus::status::SmbusStatus;

#[test]
fn no_device() {
    let mut r = Ltm4676aReadings::new(0x40);
    r.failure = Some(PmbusFailure::new(0x19, SmbusStatus::WriteAddressNack));
    assert_eq!(
        render(&r),
        "\nLTM4676A at I2C address 0x40\n  PMBus command 0x19 failed due to write address NACK\n"
    );
}

#[test]
fn pec_error_in_telemetry_prints_identity_then_failure() {
    let mut r = ltm_readings(0x40, &WORDS_0X40);
    r.telemetry = None;
    r.failure = Some(PmbusFailure::new(
        0x06,
        SmbusStatus::ReadIncorrectPec {
            actual: 0x77,
            expected: 0x76,
        },
    ));
    let text = render(&r);
    assert_eq!(
        text,
        concat!(
            "\nLTM4676A at I2C address 0x40\n",
            "  PMBus capability=0xb0 : PEC supported  Max bus speed=400 kHz  SMBALERT# supported\n",
            "  PMBus revision=0x22 : Part I revision 1.2  Part II revision 1.2\n",
            "  MFR_ID=LTC  MFR_MODEL=LTM4676A\n",
            "  WRITE_PROTECT=0x00 : Enable writes to all commands\n",
            "  MFR_COMMON=0xfc : WP pin INACTIVE\n",
            "  PMBus command 0x06 failed due to read incorrect PEC  actual PEC byte=0x77  expected PEC byte=0x76\n",
        )
    );
}

#[test]
fn unsupported_vout_mode_reported() {
    let mut r = ltm_readings(0x40, &WORDS_0X40);
    if let Some(t) = r.telemetry.as_mut() {
        t.vout_mode[1] = 0x54;
    }
    let text = render(&r);
    assert!(text.ends_with(
        "  MFR_COMMON=0xfc : WP pin INACTIVE\nUnsupported vout_mode byte 0x54\n  PMBus command 0x06 failed due to invalid block byte count  block byte count=1\n"
    ));
    assert!(!text.contains("Measured output voltage"));
}

#[test]
fn read_plans() {
    let ids = identity_reads(0x4f);
    assert_eq!(
        ids[0],
        RawRead::SmbusRead {
            addr: 0x4f,
            command: 0x19,
            len: 1,
            pec: false
        }
    );
    assert!(ids[1..]
        .iter()
        .all(|r| !matches!(r, RawRead::SmbusRead { pec: false, .. })));
    let t = telemetry_reads(0x40);
    // 2 VOUT_MODE + 5 non-paged + 23 paged x 2 pages.
    assert_eq!(t.len(), 2 + 5 + 46);
    assert_eq!(
        t[2],
        RawRead::SmbusRead {
            addr: 0x40,
            command: 0x88,
            len: 2,
            pec: true
        }
    );
    assert_eq!(
        t[3],
        RawRead::PagedRead {
            addr: 0x40,
            page: 0,
            command: 0x8b,
            len: 2,
            pec: true
        }
    );
}
