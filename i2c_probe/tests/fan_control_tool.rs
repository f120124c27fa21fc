//! `tef1001_fan_control` (i2c_probe.md §6) on the simulated i2c_probe board, whose fan CPLD
//! (like the real one, mostly) ignores register writes.

use std::process::{Command, Output};

fn run(args: &[&str], faults: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tef1001_fan_control"));
    cmd.args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_I2C_FAULTS");
    if let Some(f) = faults {
        cmd.env("FPGA_SIO_SIM_I2C_FAULTS", f);
    }
    cmd.output().unwrap()
}

#[test]
fn shows_the_registers_around_the_write() {
    let out = run(&["--sim=i2c_probe,TEF1001_dma_stream_loopback", "7"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Opening device 0000:01:00.0 (10ee:7024) with IOMMU group 1\n\
         Using BAR 0 in device 0000:01:00.0 of size 0x4000\n\
         Fan enable register=255 (0xff)  Fan RPS register=176 (0xb0)\n\
         Wrote to 7 (0x07) to fan control register\n\
         Fan enable register=255 (0xff)  Fan RPS register=176 (0xb0)\n",
        "only the i2c_probe design is opened"
    );
}

#[test]
fn bad_values_and_a_missing_cpld_fail() {
    for bad in ["256", "-1", "x", "0x10"] {
        let out = run(&["--sim=i2c_probe", bad], None);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("{bad} is not a valid fan_control_value\n")
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(&["--sim=i2c_probe", "3"], Some("absent=0x74"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("Failed to write register address (device 0000:01:00.0)"),
        "{err}"
    );
}
