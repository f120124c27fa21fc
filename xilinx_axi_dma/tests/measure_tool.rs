//! measure_ddr_throughput against the simulated TEF1001_ddr3_throughput board
//! (designs_after_seed.md §4.7): the observed output, and one line when there is nothing
//! to measure.

use std::process::Command;

const TOOL: &str = env!("CARGO_BIN_EXE_measure_ddr_throughput");

fn run(args: &[&str]) -> (String, String, i32) {
    let state = tempfile::tempdir().expect("state dir");
    let out = Command::new(TOOL)
        .args(args)
        .env_remove("FPGA_SIO_SIM")
        .env("FPGA_SIO_SIM_DIR", state.path())
        .output()
        .expect("tool runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_three_measurements_reproduce_the_hardware_result() {
    let (out, err, code) = run(&["--sim"]);
    // S2MM can never succeed with a source that never ends a packet: not a success.
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        err,
        "measure_ddr_throughput: a DMA direction failed (see above)\n"
    );
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("Testing DDR throughput of device "))
        .expect("header");
    assert_eq!(lines[i], "Testing DDR throughput of device 0000:15:00.0");
    let mean = lines[i + 2];
    assert!(
        mean.starts_with("  Mean = ") && mean.ends_with(" (Mbytes/sec)"),
        "{out}"
    );
    let rate: f64 = mean["  Mean = ".len()..mean.len() - " (Mbytes/sec)".len()]
        .parse()
        .expect("rate");
    assert!(rate > 0.0 && rate <= 5054.66 * 1.01, "{rate}");
    let mut rest = lines[i..].to_vec();
    rest.remove(2);
    assert_eq!(
        rest,
        [
            "Testing DDR throughput of device 0000:15:00.0",
            "Direction MM2S : MM2S timing for 1 transfers of 8589934592 bytes:",
            "Direction S2MM : Not tested",
            "",
            "Direction MM2S : Not tested",
            "Direction S2MM : DMA failed with DMASR=0x00005011 at start_address=0x0",
            "",
            "Direction MM2S : DMA failed with DMASR=0x00001001 at start_address=0x3ffffc0",
            "Direction S2MM : DMA failed with DMASR=0x00005011 at start_address=0x0",
            "",
        ]
    );
}

#[test]
fn no_throughput_design_is_one_line_and_exit_1() {
    let (out, err, code) = run(&["--sim=TEF1001_dma_ddr3"]);
    assert_eq!(code, 1);
    assert!(!out.contains("Testing DDR"), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("measure_ddr_throughput: No TEF1001_ddr3_throughput design found among the simulated boards"), "{err}");
}
