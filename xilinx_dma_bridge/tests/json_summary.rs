//! `--json-summary <file>`: the file deserializes into the documented types
//! (docs/json_schema.md) and says what the text says: the verdict, each test's verdict
//! and failure text, the timing statistics; the text output is the same without it.

#[allow(dead_code)]
mod common;

use common::run_tool;
use xilinx_dma_bridge::programs::json_summary::{SummaryVerdict, TestRunSummary, SCHEMA_VERSION};

const BRIDGE: &str = env!("CARGO_BIN_EXE_test_dma_bridge");

const SMALL: &[&str] = &[
    "--card_memory_limit",
    "0x100000",
    "--max_buffer_size",
    "0x40000",
    "--iterations",
    "2",
    "--timeout-seconds",
    "1",
    "--enabled_tests",
    "memory_fixed_buffers",
];

fn bridge(extra: &[&str], fault: Option<&str>) -> (TestRunSummary, common::ToolRun) {
    bridge_on("--sim=NiteFury_dma_ddr3", extra, fault)
}

fn bridge_on(sim: &str, extra: &[&str], fault: Option<&str>) -> (TestRunSummary, common::ToolRun) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.json");
    let mut args = vec![sim, "--json-summary", file.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    let run = run_tool(BRIDGE, &args, fault);
    let text = std::fs::read_to_string(&file).expect("summary written");
    let summary = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (summary, run)
}

#[test]
fn a_passing_run_has_its_tests_and_timings() {
    let (summary, run) = bridge(&[], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(summary.schema_version, SCHEMA_VERSION);
    assert_eq!(summary.tool, "test_dma_bridge");
    assert_eq!(summary.verdict, SummaryVerdict::Pass);
    assert_eq!(summary.failure, None);
    // One test per channel combination, as many as TEST PASS lines.
    assert_eq!(summary.tests.len(), run.stdout.matches("TEST PASS").count());
    let t = &summary.tests[0];
    assert_eq!(t.name, "memory_fixed_buffers");
    assert_eq!(t.design, "NiteFury_dma_ddr3");
    assert_eq!((t.h2c_channel, t.c2h_channel), (Some(0), Some(0)));
    assert_eq!(t.verdict, SummaryVerdict::Pass);
    assert!(t.failures.is_empty());
    // Every timing block of the text is there, with its transfer count and sizes.
    assert!(!t.timings.is_empty());
    for timing in &t.timings {
        let header = format!(
            "{} timing for {} transfers of {} bytes:",
            timing.name, timing.transfers, timing.bytes_per_transfer
        );
        assert!(run.stdout.contains(&header), "{header}\n{}", run.stdout);
        let (min, mean, max) = (
            timing.min_mbytes_per_sec.unwrap(),
            timing.mean_mbytes_per_sec.unwrap(),
            timing.max_mbytes_per_sec.unwrap(),
        );
        assert!(min <= mean && mean <= max, "{timing:?}");
        assert!(run
            .stdout
            .contains(&format!("  Mean = {mean:.6} (Mbytes/sec)")));
    }
    // The text is that of a run without --json-summary.
    let mut args = vec!["--sim=NiteFury_dma_ddr3"];
    args.extend_from_slice(SMALL);
    let plain = run_tool(BRIDGE, &args, None);
    let shape = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.contains("(Mbytes/sec)"))
            .map(String::from)
            .collect()
    };
    assert_eq!(shape(&plain.stdout), shape(&run.stdout));
}

#[test]
fn a_corrupt_word_fails_the_test_with_the_text_failure() {
    let (summary, run) = bridge(&[], Some("corrupt_word:c2h0@7"));
    assert_eq!(run.code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::Fail);
    let failed: Vec<_> = summary
        .tests
        .iter()
        .filter(|t| t.verdict == SummaryVerdict::Fail)
        .collect();
    assert!(!failed.is_empty());
    let failure = &failed[0].failures[0];
    assert!(
        failure.starts_with("C2H failure : DDR word[7] actual=0x"),
        "{failure}"
    );
    assert!(
        run.stdout.contains(&format!("  {failure}\n")),
        "{}",
        run.stdout
    );
}

#[test]
fn nothing_tested_and_errors_are_not_a_pass() {
    let (summary, run) = bridge(&["-d", "0000:99:00.0"], None);
    assert_eq!(run.code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::NothingTested);
    assert!(summary.tests.is_empty());
    assert_eq!(summary.failure.as_deref(), Some(run.stderr.trim()));

    let (summary, run) = bridge_on("--sim=TEF1001_dma_ddr4", &[], None);
    assert_eq!(run.code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::Error);
    let failure = summary.failure.unwrap();
    assert_eq!(failure, run.stderr.trim());
    assert!(
        failure.contains("unknown simulated design 'TEF1001_dma_ddr4'"),
        "{failure}"
    );
}

const PARALLEL: &str = env!("CARGO_BIN_EXE_test_dma_bridge_parallel_streams");

fn parallel(fault: Option<&str>) -> (TestRunSummary, common::ToolRun) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.json");
    let args = [
        "--sim=TEF1001_dma_stream_loopback",
        "--stream_device",
        "0000:15:00.0,0",
        "--stream_device",
        "0000:15:00.0,1",
        // One lap of each ring: the corrupted buffer is verified before it is reused.
        "--duration",
        "0",
        "--stream_mapping_size",
        "0x100000",
        "--json-summary",
        file.to_str().unwrap(),
    ];
    let run = run_tool(PARALLEL, &args, fault);
    let text = std::fs::read_to_string(&file).expect("summary written");
    (serde_json::from_str(&text).unwrap(), run)
}

#[test]
fn parallel_streams_summary_has_each_pair_and_its_statistics() {
    let (summary, run) = parallel(None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(summary.verdict, SummaryVerdict::Pass);
    let pairs: Vec<(Option<u8>, Option<u8>)> = summary
        .tests
        .iter()
        .map(|t| (t.h2c_channel, t.c2h_channel))
        .collect();
    // Pairs in the routing order of the loopback design (designs_after_seed.md §2.7).
    assert_eq!(pairs, [(Some(1), Some(0)), (Some(0), Some(1))]);
    for t in &summary.tests {
        assert_eq!(t.design, "TEF1001_dma_stream_loopback");
        let s = t.stream_statistics.as_ref().unwrap();
        assert!(s.transfers > 0, "{s:?}");
        assert!(
            run.stdout.contains(&format!(
                " Mbytes/sec ({} bytes in {:.6} secs)",
                s.bytes, s.seconds
            )),
            "{}",
            run.stdout
        );
    }
    let (summary, run) = parallel(Some("corrupt_word:c2h1@5"));
    assert_eq!(run.code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::Fail);
    let failed = summary
        .tests
        .iter()
        .find(|t| t.verdict == SummaryVerdict::Fail)
        .unwrap();
    assert_eq!(failed.c2h_channel, Some(1));
    assert!(
        failed.failures[0].starts_with("C2H channel 1 failure : word[5] actual=0x"),
        "{:?}",
        failed.failures
    );
}

const CREDITS: &str = env!("CARGO_BIN_EXE_test_dma_descriptor_credits");

fn credits(fault: Option<&str>) -> (TestRunSummary, common::ToolRun) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.json");
    let args = [
        "--sim=NiteFury_dma_ddr3",
        "--mm-descriptors",
        "1100",
        "--timeout-seconds",
        "1",
        "--json-summary",
        file.to_str().unwrap(),
    ];
    let run = run_tool(CREDITS, &args, fault);
    let text = std::fs::read_to_string(&file).expect("summary written");
    (serde_json::from_str(&text).unwrap(), run)
}

#[test]
fn descriptor_credits_summary_passes_and_fails_with_the_text_lines() {
    let (summary, run) = credits(None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(summary.verdict, SummaryVerdict::Pass);
    assert_eq!(summary.tests.len(), 1);
    assert_eq!(summary.tests[0].design, "NiteFury_dma_ddr3");
    let (summary, run) = credits(Some("iommu_fault:c2h0"));
    assert_eq!(run.code, 1);
    assert_eq!(summary.verdict, SummaryVerdict::Fail);
    assert_eq!(
        summary.failure.as_deref(),
        Some("error: 1 of 1 designs failed")
    );
    let failures = &summary.tests[0].failures;
    assert!(
        failures.iter().any(|f| f.starts_with(
            "Test timeout waiting for C2H descriptors to complete (started 1023 completed 0 channel_status 0x80010)"
        )),
        "{failures:?}"
    );
}
