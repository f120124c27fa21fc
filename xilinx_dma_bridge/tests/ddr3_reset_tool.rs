//! ddr3_reset_control against the simulated DDR3 boards (xilinx_dma_bridge.md §7.5,
//! designs_after_seed.md §4.6): the current state, and the history of a reset pulse as the
//! model recalibrates (fpga_sim `MigResetGpio`: in stages counted in reads).

// Shared helpers; this file uses only some of them.
#[allow(dead_code)]
mod common;

use common::run_tool;

const TOOL: &str = env!("CARGO_BIN_EXE_ddr3_reset_control");

const HEADER: &str = " Time (secs) clocking_wizard_reset clocking_wizard_locked mmcm_locked init_cal_complete ui_clk_sync_rst_mask";

#[test]
fn a_reset_pulse_records_each_stage_of_the_recalibration() {
    for design in [
        "TEF1001_dma_ddr3",
        "NiteFury_dma_ddr3",
        "TOSING_160T_dma_ddr3",
    ] {
        let r = run_tool(TOOL, &[&format!("--sim={design}"), "-r", "0.001"], None);
        assert_eq!(r.code, 0, "{design}: {}{}", r.stdout, r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.starts_with(design))
            .unwrap_or_else(|| panic!("{}", r.stdout));
        assert!(lines[i].ends_with(" IOMMU group 1:"), "{}", r.stdout);
        assert_eq!(lines[i + 1..i + 3], ["Applying DDR3 reset...", HEADER]);
        let rows = &lines[i + 3..];
        // The time column (12 wide), then the bits right-aligned under the names.
        let bits: Vec<&str> = rows.iter().map(|l| &l[12..]).collect();
        assert_eq!(
            bits,
            [
                "                     1                      1           0                 0                    1",
                "                     0                      1           0                 0                    1",
                "                     0                      1           1                 0                    1",
                "                     0                      1           1                 0                    0",
                "                     0                      1           1                 1                    0",
            ],
            "{}",
            r.stdout
        );
        assert_eq!(&rows[0][..12], " 0.000000000");
        let times: Vec<f64> = rows
            .iter()
            .map(|l| l[..12].trim().parse().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert!(
            times[1] >= 0.001,
            "released after the reset duration: {times:?}"
        );
    }
}

#[test]
fn without_a_duration_the_current_state_is_shown() {
    let r = run_tool(TOOL, &["--sim=NiteFury_dma_ddr3"], None);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with(
        " IOMMU group 1:\nCurrent reset signal state:\nlocked           : 1\nmmcm_locked      : 1\ninit_cal_complete: 1\nui_clk_sync_rst  : 0\n"
    ), "{}", r.stdout);
}

#[test]
fn designs_without_a_reset_gpio_and_invalid_durations() {
    // Showing the state is a report (exit 0); a reset that reached nothing fails.
    let r = run_tool(TOOL, &["--sim=TEF1001_ddr3_throughput"], None);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("ddr3_reset_control: no DDR3 design with a reset GPIO found (simulated boards: TEF1001_ddr3_throughput at 0000:15:00.0)\n"), "{}", r.stdout);
    let r = run_tool(TOOL, &["--sim=TEF1001_ddr3_throughput", "-r", "0.1"], None);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "ddr3_reset_control: no DDR3 design with a reset GPIO found (simulated boards: TEF1001_ddr3_throughput at 0000:15:00.0)\n");
    for bad in ["x", "-1", "inf"] {
        let r = run_tool(TOOL, &["--sim", "-r", bad], None);
        assert_eq!(r.code, 2, "{bad}");
        assert!(
            r.stderr
                .contains(&format!("Invalid reset_duration_floating_point_secs {bad}")),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1);
    }
}
