//! The reference multi-run of `multiprocess_notes.txt` section 5.2, which failed on the
//! original suite with IOVA collisions between the two DMA secondaries: the same command
//! line (the original's `crate/tool` names as they are) against the default simulated
//! boards, with CI-sized DMA runs. Every secondary must succeed.

use std::path::Path;
use std::process::Command;

const TEST_PRIMARY: &str = env!("CARGO_BIN_EXE_test_primary");

/// The secondaries are other crates' tools: `cargo test --workspace` builds them next to
/// test_primary.
fn tools_present(names: &[&str]) -> bool {
    let dir = Path::new(TEST_PRIMARY).parent().unwrap();
    let missing: Vec<&&str> = names.iter().filter(|n| !dir.join(n).exists()).collect();
    if !missing.is_empty() {
        eprintln!(
            "the reference multi-run needs {missing:?} next to test_primary: run `cargo test --workspace`"
        );
    }
    missing.is_empty()
}

#[test]
fn reference_six_secondary_run_passes_on_simulated_boards() {
    let tools = [
        "display_identified_pcie_fpga_designs",
        "display_xadc_values",
        "quad_spi_flasher",
        "i2c_dump_info",
        "test_dma_bridge_parallel_streams",
    ];
    assert!(tools_present(&tools), "secondary tools not built");
    let state = tempfile::tempdir().unwrap();
    let command = "--sim identify_pcie_fpga_design/display_identified_pcie_fpga_designs -- \
        xilinx_xadc/display_xadc_values -- xilinx_quad_spi/quad_spi_flasher -- \
        i2c_probe/i2c_dump_info -- \
        xilinx_dma_bridge_for_pcie/test_dma_bridge_parallel_streams --stream_device 0000:15:00.0,0 \
        --stream_device 0000:30:00.0,0 --duration 5 --stream_mapping_size 0x1000000 -- \
        xilinx_dma_bridge_for_pcie/test_dma_bridge_parallel_streams --stream_device 0000:15:00.0,1 \
        --stream_device 0000:30:00.0,1 --duration 5 --stream_mapping_size 0x1000000";
    let out = Command::new(TEST_PRIMARY)
        .args(command.split_whitespace())
        .env("FPGA_SIO_SIM_DIR", state.path())
        .env_remove("FPGA_SIO_SIM")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "test_primary failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("All 6 child processed exited successfully"),
        "{stdout}"
    );
    for failure in [
        "exited with status",
        "killed with signal",
        "VFIO_IOMMU_MAP_DMA",
    ] {
        assert!(
            !stdout.contains(failure) && !stderr.contains(failure),
            "{failure}:\n{stdout}\n{stderr}"
        );
    }
    // Each secondary did its job, not just exited 0.
    for expected in [
        "Design TEF1001_dma_stream_loopback:",
        "Design NiteFury_dma_stream_loopback:",
        "Displaying XADC values for design TEF1001_dma_stream_loopback",
        "Successfully parsed",
        "CRC PASS",
        "0000:15:00.0 0 -> 1 Test pattern verified",
        "0000:30:00.0 0 -> 1 Test pattern verified",
        "0000:15:00.0 1 -> 0 Test pattern verified",
        "0000:30:00.0 1 -> 0 Test pattern verified",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?}:\n{stdout}");
    }
    assert_eq!(stdout.matches("Overall PASS").count(), 2, "{stdout}");
    // Six secondaries, six disjoint IOVA windows.
    assert_eq!(stdout.matches("with IOVA window 0x").count(), 6, "{stdout}");
}
