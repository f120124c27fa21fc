//! test_vfio_edu on the simulated edu devices in noiommu mode (issue #14): the buffers are
//! at "physical" addresses, which the device's DMA mask must reach.

use std::process::Command;

fn edu(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_test_vfio_edu"))
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_NOIOMMU")
        .env("TMPDIR", std::env::temp_dir())
        .args(args)
        .output()
        .expect("tool runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn round_trips_at_physical_addresses_with_a_widened_dma_mask() {
    let (out, err, code) = edu(&[
        "--sim",
        "--sim-noiommu",
        "--dma-mask-bits",
        "64",
        "--iterations",
        "3",
        "--transfer-size",
        "4095",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    for dev in ["0000:00:03.0", "0000:00:04.0", "0000:00:05.0"] {
        assert!(
            out.contains(&format!("{dev}: DMA buffers at physical address 0x")),
            "{out}"
        );
        assert!(
            out.contains(&format!("{dev}: 3 DMA round trips of 4095 bytes verified")),
            "{out}"
        );
    }
    // A 64-bit mask: the buffers are placed above 4 GiB, as A64 devices' are.
    assert!(out.contains("physical address 0x1"), "{out}");
}

#[test]
fn the_environment_selects_noiommu_mode_too() {
    let out = Command::new(env!("CARGO_BIN_EXE_test_vfio_edu"))
        .env_remove("FPGA_SIO_SIM")
        .env("FPGA_SIO_SIM_NOIOMMU", "1")
        .args(["--sim", "--iterations", "1"])
        .output()
        .expect("tool runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("DMA buffers at physical address 0x"),
        "{text}"
    );
}

#[test]
fn the_mask_is_checked_at_parse_time() {
    let (_, err, code) = edu(&["--sim", "--dma-mask-bits", "27"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--dma-mask-bits"), "{err}");
}
