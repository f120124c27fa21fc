//! `i2c_probe --sim`: the scan output of spec 4.3 in every mode, option errors.

mod common;

use common::tool::{from_using, run, stderr, stdout};

const PROBE: &str = env!("CARGO_BIN_EXE_i2c_probe");

const FOUND: &str = "Slave 0x19 replied with data 0x00
Slave 0x31 replied with data 0xff
Slave 0x40 replied with data 0xff
Slave 0x4f replied with data 0xff
Slave 0x51 replied with data 0x92
Slave 0x5a replied with data 0xff
Slave 0x5b replied with data 0xff
Slave 0x70 replied with data 0x01
Slave 0x74 replied with data 0xff
";

#[test]
fn every_mode_finds_the_tef1001_devices() {
    for mode in ["iic_lib", "standard", "dynamic", "bit_banged"] {
        let o = run(PROBE, &["--sim", "-d", "0000:15:00.0", "-m", mode], None);
        assert!(o.status.success(), "{mode}: {}", stderr(&o));
        let expected = format!(
            "Using design TEF1001_dma_stream_loopback in device 0000:15:00.0\nIteration 1 of 1 using IIC {mode}\n{FOUND}"
        );
        assert_eq!(from_using(&stdout(&o)), expected, "mode {mode}");
    }
}

#[test]
fn default_sim_set_and_counts() {
    let o = run(PROBE, &["--sim", "-i", "2", "-a", "0x40:0x4f"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Using design TEF1001_dma_stream_loopback in device 0000:15:00.0\n"));
    assert!(out.ends_with(
        "Iteration 2 of 2 using IIC iic_lib\nSlave 0x40 replied with data 0xff\nSlave 0x4f replied with data 0xff\n\nNumber of responses for each I2C address:\n0x40 : 2\n0x4f : 2\n"
    ));
}

#[test]
fn absent_devices_are_not_listed() {
    let o = run(
        PROBE,
        &["--sim", "-d", "0000:15:00.0", "-m", "bit_banged"],
        Some("no_sodimm"),
    );
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(!out.contains("0x19") && !out.contains("0x51") && out.contains("Slave 0x40"));
}

#[test]
fn option_errors() {
    for (args, line) in [
        (&["-m", "fast"][..], "Error: Invalid access mode \"fast\""),
        (&["-i", "3x"][..], "Error: Invalid num_iterations \"3x\""),
        (&["-n", "17"][..], "Error: Invalid num_bytes_read \"17\""),
        (
            &["-a", "0x10:8"][..],
            "Error: Invalid <min_i2c_addr>:<max_i2c_addr> \"0x10:8\"",
        ),
        (
            &["-a", "0:128"][..],
            "Error: Invalid <min_i2c_addr>:<max_i2c_addr> \"0:128\"",
        ),
        (
            &["-m", "standard", "-n", "2"][..],
            "Error: num_bytes_read must be 1 when using standard or dynamic mode",
        ),
    ] {
        let o = run(PROBE, args, None);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(stdout(&o), format!("{line}\n"));
    }
    let o = run(PROBE, &["-?"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("[-m standard|dynamic|iic_lib|bit_banged] [-i <num_iterations>] [-n <num_bytes_read>] [-a <min_i2c_addr>:<max_i2c_addr> \n"));
}

#[test]
fn octal_range_and_multi_byte_reads() {
    let o = run(
        PROBE,
        &["--sim", "-d", "0000:15:00.0", "-a", "0121:0121", "-n", "3"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Slave 0x51 replied with data 0x92 0x13 0x0b\n"));
}
