//! test_dma_bridge_independent_streams (designs_after_seed.md §4.3) against simulated
//! boards: the exact selection and statistics lines, streams chosen by the options, C2H
//! bytes counted from the writeback (8 per packet on CRC64 designs), failures.

mod common;

use common::run_tool;

const TOOL: &str = env!("CARGO_BIN_EXE_test_dma_bridge_independent_streams");

fn run(sim: &str, extra: &[&str], fault: Option<&str>) -> common::ToolRun {
    let sim = format!("--sim={sim}");
    let mut args = vec![
        sim.as_str(),
        "--duration",
        "0",
        "--stream_mapping_size",
        "0x40000",
    ];
    args.extend_from_slice(extra);
    run_tool(TOOL, &args, fault)
}

/// Parses `  <label> <rate> Mbytes/sec (<bytes> bytes in <n> transfers over <s> secs)`.
fn stats(line: &str, label: &str) -> (u64, u64) {
    let rest = line
        .strip_prefix(&format!("  {label} "))
        .unwrap_or_else(|| panic!("{line}"));
    let (rate, tail) = rest.split_once(" Mbytes/sec (").expect("rate");
    assert_eq!(
        rate.split_once('.').map(|(_, d)| d.len()),
        Some(3),
        "{line}"
    );
    let (bytes, tail) = tail.split_once(" bytes in ").expect("bytes");
    let (transfers, secs) = tail.split_once(" transfers over ").expect("transfers");
    let secs = secs.strip_suffix(" secs)").expect("secs");
    assert_eq!(
        secs.split_once('.').map(|(_, d)| d.len()),
        Some(6),
        "{line}"
    );
    (bytes.parse().unwrap(), transfers.parse().unwrap())
}

#[test]
fn fixed_data_design_every_stream() {
    let r = run("TEF1001_dma_stream_fixed_data", &[], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let u = lines
        .iter()
        .position(|l| l.starts_with("Using "))
        .expect("Using");
    let sel = "Selecting test of TEF1001_dma_stream_fixed_data design PCI device 0000:15:00.0 IOMMU group 41";
    assert_eq!(
        lines[u..u + 7],
        [
            "Using num_descriptors=64 bytes_per_buffer=0x1000 data_mapping_size_words=0x10000",
            &format!("{sel} H2C channel 0"),
            &format!("{sel} H2C channel 1"),
            &format!("{sel} C2H channel 0"),
            &format!("{sel} C2H channel 1"),
            "Press Ctrl-C to stop test",
            "Overall test statistics:",
        ]
    );
    for (k, label) in [
        "0000:15:00.0 H2C channel 0",
        "0000:15:00.0 H2C channel 1",
        "0000:15:00.0 C2H channel 0",
        "0000:15:00.0 C2H channel 1",
    ]
    .iter()
    .enumerate()
    {
        let (bytes, transfers) = stats(lines[u + 7 + k], label);
        // `--duration 0`: one round of the 64-buffer ring; C2H buffers are filled whole.
        assert_eq!((bytes, transfers), (64 * 0x1000, 64), "{label}");
    }
    assert!(
        r.stdout.ends_with("secs)\n\n\nOverall PASS\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn crc64_design_counts_8_bytes_per_result() {
    let r = run(
        "TOSING_160T_dma_stream_crc64",
        &["--stream_num_descriptors", "16"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let of = |label: &str| {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("  {label} ")))
            .unwrap_or_else(|| panic!("{label}\n{}", r.stdout));
        stats(line, label)
    };
    assert_eq!(of("0000:01:00.0 H2C channel 1"), (16 * 0x4000, 16));
    assert_eq!(of("0000:01:00.0 C2H channel 1"), (16 * 8, 16));
}

#[test]
fn stream_options_select_streams_and_devices() {
    let r = run(
        "TEF1001_dma_stream_fixed_data,NiteFury_dma_stream_fixed_data",
        &[
            "--c2h_stream_device",
            "0000:30:00.0,1",
            "--h2c_stream_device",
            "0000:15:00.0,0",
            // Beyond the design's channels: silently never matched.
            "--h2c_stream_device",
            "0000:15:00.0,3",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let selected: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("Selecting"))
        .collect();
    assert_eq!(
        selected,
        [
            "Selecting test of TEF1001_dma_stream_fixed_data design PCI device 0000:15:00.0 IOMMU group 41 H2C channel 0",
            "Selecting test of NiteFury_dma_stream_fixed_data design PCI device 0000:30:00.0 IOMMU group 89 C2H channel 1",
        ]
    );
    // Nothing selected that exists: nothing tested, exit 1.
    let r = run(
        "TEF1001_dma_stream_fixed_data",
        &["--h2c_stream_device", "0000:15:00.0,2"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(!r.stdout.contains("Overall"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("test_dma_bridge_independent_streams: no stream DMA channel found"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_options_are_one_line() {
    for (opt, arg) in [
        ("--h2c_stream_device", "0000:15:00.0"),
        ("--c2h_stream_device", "0000:15:00.0,x"),
    ] {
        let r = run_tool(TOOL, &["--sim", opt, arg], None);
        assert_ne!(r.code, 0);
        let name = opt.trim_start_matches("--");
        assert!(
            r.stderr.contains(&format!("Invalid {name} {arg}")),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    for (args, line) in [
        (
            ["--stream_mapping_size", "2"],
            "Invalid stream_mapping_size 2",
        ),
        (
            ["--stream_mapping_size", "0x1002"],
            "stream_mapping_size not a multiple of words",
        ),
        (
            ["--stream_num_descriptors", "1024"],
            "Invalid stream_num_descriptors 1024",
        ),
    ] {
        let mut all = vec!["--sim"];
        all.extend_from_slice(&args);
        let r = run_tool(TOOL, &all, None);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert_eq!(r.stdout, format!("{line}\n"));
    }
}

#[test]
fn revision_1_loopback_gets_its_default_routes() {
    let r = run("NiteFury_dma_stream_loopback_rev1", &[], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("data_mapping_size_words=0x10000\nDevice 0000:30:00.0 design NiteFury_dma_stream_loopback routes updated\nSelecting test of "), "{}", r.stdout);
    let r = run(
        "NiteFury_dma_stream_loopback_rev1",
        &["--device_routing", "0:30:00.0,0:2"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.ends_with("slave_port 2 outside of range for device 0000:30:00.0 design NiteFury_dma_stream_loopback\n"), "{}", r.stdout);
}

#[test]
fn a_stalled_stream_fails_the_run() {
    let r = run(
        "TEF1001_dma_stream_fixed_data",
        &["--timeout-seconds", "1"],
        Some("stall:c2h1@10"),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("  0000:15:00.0 C2H channel 1 failure : Timeout: channel_status=0x1 (busy) "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\n\nOverall FAIL\n"), "{}", r.stdout);
}

#[test]
fn one_container_for_mappings_fails_the_other_groups_when_isolated() {
    let boards = "TEF1001_dma_stream_fixed_data,NiteFury_dma_stream_fixed_data";
    let r = run(boards, &["--use_one_container_for_mappings"], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run(
        boards,
        &[
            "--use_one_container_for_mappings",
            "--isolate_iommu_groups",
            "--timeout-seconds",
            "3",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("  0000:30:00.0 H2C channel 0 No completed transfers\n"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout
            .contains("  0000:15:00.0 H2C channel 0 No completed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with("  0000:30:00.0 ")
            && l.contains(" failure : Timeout: channel_status=0x80010 ")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\n\nOverall FAIL\n"), "{}", r.stdout);
}

#[test]
fn parallel_streams_on_crc64_fails_its_data_check() {
    // designs_after_seed.md §1.4: pairs H2C n -> C2H n, and the C2H data is a CRC.
    let r = run_tool(
        env!("CARGO_BIN_EXE_test_dma_bridge_parallel_streams"),
        &[
            "--sim=TEF1001_dma_stream_crc64",
            "--duration",
            "0",
            "--stream_mapping_size",
            "0x40000",
            "--timeout-seconds",
            "3",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("IOMMU group 41 H2C channel 0 C2H channel 0\n"),
        "{}",
        r.stdout
    );
    // Both pairs get CRCs instead of copies; whichever C2H channel sees one first fails
    // the run (the other may end with no completed transfers).
    assert!(
        (0..2).any(|c| r
            .stdout
            .contains(&format!("  0000:15:00.0 C2H channel {c} failure : "))),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\nOverall FAIL\n"), "{}", r.stdout);
}
