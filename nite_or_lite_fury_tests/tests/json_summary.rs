//! `test_ddr` and `time_dma_blkram` `--json-summary <file>`: the documented type
//! (docs/json_schema.md) with the verdict, each design's test, its failure text and the
//! timings of the text report.

use std::process::Command;

use xilinx_dma_bridge::programs::json_summary::{SummaryVerdict, TestRunSummary};

fn run(exe: &str, args: &[&str], fault: Option<&str>) -> (TestRunSummary, String, i32) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.json");
    let mut cmd = Command::new(exe);
    cmd.env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIM_XDMA_FAULT")
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .args(args)
        .arg("--json-summary")
        .arg(&file);
    if let Some(f) = fault {
        cmd.env("FPGA_SIM_XDMA_FAULT", f);
    }
    let out = cmd.output().unwrap();
    let text = std::fs::read_to_string(&file).expect("summary written");
    (
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn test_ddr_summary_passes_with_the_text_timings_and_fails_with_the_mismatch() {
    let args = [
        "--sim=Nitefury_Project-0",
        "--ddr_size_limit",
        "0x10000",
        "--iterations",
        "3",
    ];
    let (summary, out, code) = run(env!("CARGO_BIN_EXE_test_ddr"), &args, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        (summary.tool.as_str(), summary.verdict),
        ("test_ddr", SummaryVerdict::Pass)
    );
    let t = &summary.tests[0];
    assert_eq!(
        (t.name.as_str(), t.design.as_str()),
        ("test_ddr", "Nitefury Project-0")
    );
    assert_eq!(t.pci_location, "0000:2e:00.0");
    assert_eq!(t.verdict, SummaryVerdict::Pass);
    let names: Vec<&str> = t.timings.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["host-to-card DMA", "card-to-host DMA"]);
    for timing in &t.timings {
        assert_eq!((timing.transfers, timing.bytes_per_transfer), (3, 0x10000));
        let mean = timing.mean_mbytes_per_sec.unwrap();
        assert!(
            out.contains(&format!("  Mean = {mean:.6} (Mbytes/sec)")),
            "{out}"
        );
    }

    let (summary, out, code) = run(
        env!("CARGO_BIN_EXE_test_ddr"),
        &args,
        Some("corrupt_word:h2c0@300"),
    );
    assert_eq!(code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::Fail);
    let failure = &summary.tests[0].failures[0];
    assert!(failure.starts_with("DDR word[300] actual=0x"), "{failure}");
    assert!(out.contains(&format!("{failure}\n")), "{out}");
}

#[test]
fn time_dma_blkram_summary_and_nothing_tested() {
    let blkram = env!("CARGO_BIN_EXE_time_dma_blkram");
    let (summary, out, code) = run(blkram, &["--sim=dma_blkram", "--iterations", "2"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(summary.verdict, SummaryVerdict::Pass);
    assert_eq!(summary.tests[0].timings[0].transfers, 2);
    assert_eq!(summary.tests[0].timings[0].bytes_per_transfer, 0x120000);
    let (summary, _, code) = run(blkram, &["--sim=Nitefury_Project-0"], None);
    assert_eq!(code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::NothingTested);
    assert!(summary
        .failure
        .unwrap()
        .starts_with("time_dma_blkram: no dma_blkram design found ("));
}
