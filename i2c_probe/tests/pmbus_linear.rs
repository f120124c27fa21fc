//! LINEAR11 / LINEAR16 decoding of the raw words of spec 8.3 and the printf rounding of
//! spec section 7.

mod common;

use common::pmbus_words::{WordRow, WORDS_0X40, WORDS_0X4F};
use i2c_probe::decode::ltm4676a::{check_vout_mode, sensor_value, SENSORS};
use i2c_probe::format::{fixed, fixed_width};
use i2c_probe::pmbus::linear::{linear11, linear16, vout_mode_exponent};

fn check_device(rows: &[WordRow; 28]) {
    let exponent = vout_mode_exponent(0x14).unwrap();
    for (command, w0, t0, w1, t1) in rows {
        let sensor = SENSORS
            .iter()
            .find(|s| s.command == *command)
            .expect("known command");
        assert_eq!(sensor.paged, w1.is_some(), "command {command:#x}");
        assert_eq!(
            fixed(sensor_value(sensor, *w0, exponent), 3),
            *t0,
            "word {w0:#06x}"
        );
        if let Some(w1) = w1 {
            assert_eq!(
                fixed(sensor_value(sensor, *w1, exponent), 3),
                *t1,
                "word {w1:#06x}"
            );
        }
    }
}

#[test]
fn words_of_0x40_decode_to_printed_values() {
    check_device(&WORDS_0X40);
}

#[test]
fn words_of_0x4f_decode_to_printed_values() {
    check_device(&WORDS_0X4F);
}

#[test]
fn linear11_exact_values() {
    assert_eq!(linear11(0xd307), 775.0 / 64.0);
    assert_eq!(linear11(0xdadb), 22.84375);
    assert_eq!(linear11(0xd3e6), 15.59375);
    assert_eq!(linear11(0xe530), -45.0);
    // Positive exponent: 0x0801 = N 1, Y 1.
    assert_eq!(linear11(0x0801), 2.0);
}

#[test]
fn tie_rounding_is_half_even_on_decoded_values() {
    // 22.84375 and 15.59375 are exact ties at 3 decimals that round up (to even),
    // 12.109375 is not a tie.
    assert_eq!(fixed_width(linear11(0xdadb), 7, 3), " 22.844");
    assert_eq!(fixed_width(linear11(0xd3e6), 7, 3), " 15.594");
    assert_eq!(fixed_width(linear11(0xd307), 7, 3), " 12.109");
    // 49.3125 -> 49.312 (tie to even, down): L11 N=-4, Y=789 -> 0xE315.
    assert_eq!(fixed(linear11(0xe315), 3), "49.312");
    // 8.5625 -> 8.562: N=-4, Y=137 -> 0xE089.
    assert_eq!(fixed(linear11(0xe089), 3), "8.562");
    // A tiny negative value prints -0.000: N=-16, Y=-1 -> 0x87FF.
    assert_eq!(fixed_width(linear11(0x87ff), 7, 3), " -0.000");
}

#[test]
fn linear16_and_vout_mode() {
    assert_eq!(linear16(0x1800, -12), 1.5);
    assert_eq!(fixed(linear16(0x19cf, -12), 3), "1.613");
    assert_eq!(check_vout_mode(0x14), Ok(-12));
    let failure = check_vout_mode(0x40).unwrap_err();
    assert_eq!(
        failure.to_string(),
        "  PMBus command 0x06 failed due to invalid block byte count  block byte count=1"
    );
}
