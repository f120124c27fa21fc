//! Every decoder fed the raw values of spec 8.1/8.3/8.5 reproduces the recorded run of
//! spec 8.2 byte for byte.

mod common;

use common::pmbus_words::{WORDS_0X40, WORDS_0X4F};
use common::{ltm_readings, section, DUMP_8_2, SPD_8_1};
use i2c_probe::decode::fan_cpld::{self, FanCpldReadings, RegisterRead};
use i2c_probe::decode::jc42::{self, word, Jc42Readings};
use i2c_probe::decode::si5338::{self, Si5338Readings, REGISTER_COUNT};
use i2c_probe::decode::{ltm4676a, spd_ddr3};

fn fan() -> String {
    fan_cpld::render(&FanCpldReadings {
        control: RegisterRead::Value(0xff),
        rps: RegisterRead::Value(0xb0),
    })
}

fn jc42_readings() -> Jc42Readings {
    Jc42Readings {
        capabilities: Some(word([0x00, 0x6f])),
        configuration: Some(word([0x00, 0x00])),
        high_limit: Some(0),
        low_limit: Some(0),
        critical_limit: Some(0),
        ambient: Some(word([0xc1, 0x7c])),
        manufacturer_id: Some(word([0x10, 0x4a])),
    }
}

fn si5338_registers() -> Vec<u8> {
    let mut regs = vec![0u8; REGISTER_COUNT];
    regs[0] = 0x01;
    regs[2] = 0x26;
    regs[27] = 0x70;
    regs
}

#[test]
fn fan_section_matches() {
    assert_eq!(fan(), section("TEF1001 CPLD fan information:"));
}

#[test]
fn jc42_section_matches() {
    assert_eq!(
        jc42::render(&jc42_readings()),
        section("DDR temperature sensor information:")
    );
}

#[test]
fn spd_section_matches() {
    assert_eq!(
        spd_ddr3::render_dump_section(Some(SPD_8_1)),
        section("DDR3 SPD decode:")
    );
}

#[test]
fn ltm4676a_sections_match() {
    assert_eq!(
        ltm4676a::render(&ltm_readings(0x40, &WORDS_0X40)),
        section("LTM4676A at I2C address 0x40")
    );
    assert_eq!(
        ltm4676a::render(&ltm_readings(0x4f, &WORDS_0X4F)),
        section("LTM4676A at I2C address 0x4f")
    );
}

#[test]
fn si5338_section_matches() {
    let r = Si5338Readings {
        registers: Ok(si5338_registers()),
    };
    assert_eq!(
        si5338::render(&r),
        section("Si5338 Clock Generator information:")
    );
}

#[test]
fn whole_dump_matches() {
    let mut out = String::from("Using design TEF1001_dma_stream_loopback in device 0000:15:00.0\n");
    out += &fan();
    out += &jc42::render(&jc42_readings());
    out += &spd_ddr3::render_dump_section(Some(SPD_8_1));
    out += &ltm4676a::render(&ltm_readings(0x40, &WORDS_0X40));
    out += &ltm4676a::render(&ltm_readings(0x4f, &WORDS_0X4F));
    out += &si5338::render(&Si5338Readings {
        registers: Ok(si5338_registers()),
    });
    assert_eq!(out, DUMP_8_2);
}

#[test]
fn other_recorded_values() {
    let mut r = jc42_readings();
    r.ambient = Some(0xc1bc);
    assert!(jc42::render(&r)
        .contains("  Ambient temperature register = 0xc1bc above TCRIT above HIGH (27.8 C)\n"));
    r.ambient = Some(0xc22c);
    assert!(jc42::render(&r)
        .contains("  Ambient temperature register = 0xc22c above TCRIT above HIGH (34.8 C)\n"));
    for (raw, rpm) in [(174, "5220"), (175, "5250")] {
        let text = fan_cpld::render(&FanCpldReadings {
            control: RegisterRead::Value(0x7f),
            rps: RegisterRead::Value(raw),
        });
        assert!(text.contains(&format!("  FAN1 RPM = {rpm}\n")));
        assert!(text.contains("  FAN Control register = 0x7f (fan Disabled)\n"));
    }
}

#[test]
fn failure_texts() {
    let text = fan_cpld::render(&FanCpldReadings {
        control: RegisterRead::PointerNack,
        rps: RegisterRead::ReadFailed,
    });
    assert_eq!(
        text,
        "\nTEF1001 CPLD fan information:\nFailed to read FAN1 Revolutions per second register\n"
    );
    let text = jc42::render(&Jc42Readings::default());
    let expected = "\nDDR temperature sensor information:\n\
Failed to read DDR temperature Capabilities\n\
Failed to read DDR configuration register\n\
Failed to read DDR temperature high limit\n\
Failed to read DDR temperature low limit\n\
Failed to read DDR temperature critical limit\n\
Failed to read DDR ambient temperature\n\
Failed to read DDR temperature sensor manufacturer ID\n";
    assert_eq!(text, expected);
    assert_eq!(
        spd_ddr3::render_dump_section(None),
        "Failed to read DDR3 SPD\n"
    );
    let text = si5338::render(&Si5338Readings {
        registers: Err(si5338::Si5338Failure::PageSelectFailed),
    });
    assert!(text.ends_with("\nFailed to modify PAGE_SEL\nFailed to read Si5338 registers\n"));
}
