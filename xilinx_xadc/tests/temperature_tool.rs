//! `display_temperature_values` (designs_after_seed.md §4.9) on simulated boards: exact
//! lines, positional location filters, designs without an XADC print nothing, and the
//! value agrees with `display_xadc_values`' Temp row.

use std::process::{Command, Output};

fn run(exe: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(exe)
        .args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_XADC_SEED")
        .output()
        .unwrap()
}

const BOARDS: &str =
    "--sim=TEF1001_dma_stream_crc64,dma_blkram@0000:02:00.0,TEF1001_ddr3_throughput@0000:03:00.0";

#[test]
fn temperature_lines_for_designs_with_an_xadc() {
    let out = run(
        env!("CARGO_BIN_EXE_display_temperature_values"),
        &[BOARDS, "0000:15:00.0", "0000:02:00.0"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Opening device 0000:02:00.0 (10ee:7024) with IOMMU group 1\n\
         Enabling bus master for 0000:02:00.0\n\
         Opening device 0000:15:00.0 (10ee:7024) with IOMMU group 41\n\
         Enabling bus master for 0000:15:00.0\n\
         \n\
         TEF1001_dma_stream_crc64 in PCI device 0000:15:00.0 IOMMU group 41:\n  Temp       30.8837\u{b0}C\n"
    );
}

#[test]
fn value_matches_the_full_xadc_display() {
    let temps = run(env!("CARGO_BIN_EXE_display_temperature_values"), &[BOARDS]);
    let full = run(env!("CARGO_BIN_EXE_display_xadc_values"), &[BOARDS]);
    assert!(temps.status.success() && full.status.success());
    let temps = String::from_utf8(temps.stdout).unwrap();
    let full = String::from_utf8(full.stdout).unwrap();
    let from_full: Vec<String> = full
        .lines()
        .filter_map(|l| l.strip_prefix("  Temp     "))
        .filter_map(|rest| rest.split('C').next())
        .map(|value| format!("  Temp     {value}\u{b0}C"))
        .collect();
    let from_temps: Vec<&str> = temps.lines().filter(|l| l.starts_with("  Temp")).collect();
    assert_eq!(from_temps.len(), 2, "{temps}");
    assert_eq!(from_temps, from_full);
    assert!(temps.contains("\nTEF1001_ddr3_throughput in PCI device 0000:03:00.0 IOMMU group 2:\n"));
    assert!(!temps.contains("dma_blkram"));
}

#[test]
fn invalid_location_is_one_line() {
    let out = run(
        env!("CARGO_BIN_EXE_display_temperature_values"),
        &["--sim", "garbage"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("Invalid PCI device location filter garbage"),
        "{err}"
    );
}
