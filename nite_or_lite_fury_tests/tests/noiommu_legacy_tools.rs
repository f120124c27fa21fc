//! test_ddr and time_dma_blkram on the simulated boards' noiommu mode (issue #14): every
//! DMA buffer is fragmented, so the single-transfer chain has one descriptor per piece,
//! and the data still checks.

use std::process::Command;

const TEST_DDR: &str = env!("CARGO_BIN_EXE_test_ddr");
const TIME_BLKRAM: &str = env!("CARGO_BIN_EXE_time_dma_blkram");

fn run(exe: &str, args: &[&str]) -> (String, i32) {
    let state = tempfile::tempdir().expect("state dir");
    let out = Command::new(exe)
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIM_XDMA_FAULT")
        .env("FPGA_SIO_SIM_DIR", state.path())
        .arg("--sim-noiommu")
        .args(args)
        .output()
        .expect("tool runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The descriptor lengths of a `Size of DMA descriptors used for <dir>:` line.
fn descriptor_sizes(out: &str, direction: &str) -> Vec<u64> {
    let prefix = format!("Size of DMA descriptors used for {direction}: ");
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {direction} sizes line in:\n{out}"));
    line.split_whitespace()
        .map(|f| {
            let hex = f.split("=0x").nth(1).expect("[i]=0x..");
            u64::from_str_radix(hex, 16).expect("hex size")
        })
        .collect()
}

#[test]
fn test_ddr_with_fragmented_buffers() {
    let (out, code) = run(
        TEST_DDR,
        &[
            "--sim=Nitefury_Project-0",
            "--ddr_size_limit",
            "0x800000",
            "--iterations",
            "2",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("Test pattern pass\n").count(), 2, "{out}");
    for direction in ["h2c", "c2h"] {
        let sizes = descriptor_sizes(&out, direction);
        assert!(sizes.len() > 1, "one descriptor per fragment: {sizes:?}");
        assert_eq!(sizes.iter().sum::<u64>(), 0x800000, "{sizes:?}");
        assert!(
            sizes.iter().all(|s| s % 0x1000 == 0 && *s <= 2 << 20),
            "{sizes:?}"
        );
    }
}

#[test]
fn time_dma_blkram_with_fragmented_buffers() {
    let (out, code) = run(TIME_BLKRAM, &["--sim=dma_blkram", "--iterations", "3"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Test pattern pass\n"), "{out}");
    for direction in ["h2c", "c2h"] {
        let sizes = descriptor_sizes(&out, direction);
        assert!(sizes.len() > 1, "one descriptor per fragment: {sizes:?}");
        assert_eq!(sizes.iter().sum::<u64>(), 0x120000, "{sizes:?}");
    }
}

/// `test_primary --sim-noiommu` passes the mode on to its secondaries.
#[test]
fn test_primary_passes_noiommu_mode_to_secondaries() {
    let (out, code) = run(
        env!("CARGO_BIN_EXE_test_primary"),
        &[
            "--sim=Nitefury_Project-0",
            TEST_DDR,
            "--ddr_size_limit",
            "0x800000",
            "--iterations",
            "1",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        descriptor_sizes(&out, "h2c").len() > 1,
        "the secondary's buffer is fragmented:\n{out}"
    );
}
