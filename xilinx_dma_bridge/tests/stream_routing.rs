//! Stream pairs from the AXI4-Stream Switch routing in test_dma_bridge and
//! test_dma_bridge_parallel_streams (designs_after_seed.md §1.4, §2.5-2.7, §4.2), against
//! simulated boards: a revision-1 board starts with every switch port disabled after its
//! open/reset, so the tools must route it themselves.

mod common;

use common::run_tool;

const BRIDGE: &str = env!("CARGO_BIN_EXE_test_dma_bridge");
const PARALLEL: &str = env!("CARGO_BIN_EXE_test_dma_bridge_parallel_streams");

const SMALL_STREAMS: &[&str] = &[
    "--stream_mapping_size",
    "0x40000,0x40000",
    "--stream_num_descriptors",
    "16,16",
    "--iterations",
    "1",
];

fn bridge(sim: &str, extra: &[&str], fault: Option<&str>) -> common::ToolRun {
    let sim = format!("--sim={sim}");
    let mut args = vec![sim.as_str()];
    args.extend_from_slice(SMALL_STREAMS);
    if !extra.contains(&"--enabled_tests") {
        args.extend_from_slice(&["--enabled_tests", "stream_fixed_buffers"]);
    }
    if !extra.contains(&"--timeout-seconds") {
        // Generous: the machine running the tests may be busy.
        args.extend_from_slice(&["--timeout-seconds", "10"]);
    }
    args.extend_from_slice(extra);
    run_tool(BRIDGE, &args, fault)
}

/// The `Testing streams ...` lines' channel parts, in order.
fn tested_pairs(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("Testing streams using"))
        .filter_map(|l| l.split(", H2C channel ").nth(1))
        .collect()
}

#[test]
fn revision_1_board_passes_right_after_reset_with_default_routes() {
    let r = bridge("TEF1001_dma_stream_loopback_rev1", &[], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // The switch came up with every master port disabled, so the defaults were written,
    // once, after the first test's header.
    let header = "Testing TEF1001_dma_stream_loopback design with AXI stream\nPCI device 0000:15:00.0 IOMMU group 41\nDevice 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n";
    assert!(r.stdout.contains(header), "{}", r.stdout);
    assert_eq!(r.stdout.matches("routes updated").count(), 1);
    assert_eq!(
        tested_pairs(&r.stdout),
        ["1 C2H channel 0", "0 C2H channel 1"]
    );
    assert_eq!(r.stdout.matches("TEST PASS").count(), 2);
    assert!(r.stdout.ends_with("\nOverall PASS\n"), "{}", r.stdout);
}

#[test]
fn every_stream_test_configures_routing_but_writes_the_switch_once() {
    let r = bridge(
        "NiteFury_dma_stream_loopback_rev1",
        &[
            "--enabled_tests",
            "stream_fixed_buffers,stream_fixed_buffers_c2h_continuous",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.stdout.matches("routes updated").count(), 1);
    assert_eq!(r.stdout.matches("TEST PASS").count(), 4);
}

#[test]
fn command_line_routing_chooses_the_pairs() {
    let r = bridge(
        "TEF1001_dma_stream_loopback_rev1",
        &["--device_routing", "0:15:00.0,1:0"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r
        .stdout
        .contains("Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n"));
    assert_eq!(tested_pairs(&r.stdout), ["0 C2H channel 1"]);
}

#[test]
fn a_stalled_stream_times_out() {
    // Both master ports select slave 1: the lowest master wins (PG085), so C2H 1 gets
    // nothing and H2C 1's data backs up behind C2H 0.
    let r = bridge(
        "TEF1001_dma_stream_loopback_rev1",
        &[
            "--device_routing",
            "0:15:00.0,0:1,1:1",
            "--timeout-seconds",
            "2",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        tested_pairs(&r.stdout),
        ["1 C2H channel 0", "1 C2H channel 1"]
    );
    assert!(r.stdout.contains("TEST PASS"), "{}", r.stdout);
    // C2H 1 never receives anything (H2C 1 may or may not time out first as well).
    assert!(r.stdout.contains("\nTEST FAIL:\n"), "{}", r.stdout);
    assert!(r.stdout.contains("  C2H failure : Timeout: channel_status=0x1 (busy) num_descriptors_started=16 num_completed_descriptors=0 "), "{}", r.stdout);
    assert!(r.stdout.ends_with("\nOverall FAIL\n"), "{}", r.stdout);
}

#[test]
fn a_switch_left_unrouted_tests_nothing_and_fails() {
    // A bare device entry asks for every master port disabled: no stream to test.
    let r = bridge(
        "TEF1001_dma_stream_loopback_rev1",
        &["--device_routing", "0:15:00.0"],
        None,
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(tested_pairs(&r.stdout).is_empty(), "{}", r.stdout);
    assert!(!r.stdout.contains("Overall PASS"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("test_dma_bridge: no design with DMA channels for the enabled tests found"),
        "{}",
        r.stderr
    );
}

#[test]
fn fixed_data_designs_have_no_routing() {
    for (sim, location, name) in [
        (
            "TEF1001_dma_stream_fixed_data",
            "0000:15:00.0",
            "TEF1001_dma_stream_fixed_data",
        ),
        (
            "NiteFury_dma_stream_fixed_data",
            "0000:30:00.0",
            "NiteFury_dma_stream_fixed_data",
        ),
    ] {
        let r = bridge(sim, &[], None);
        assert_eq!(r.code, 1, "{}", r.stdout);
        let tail = format!(
            "Testing {name} design with AXI stream\nPCI device {location} IOMMU group {}\nNo routing available for device {location} design {name}\n",
            if location == "0000:15:00.0" { 41 } else { 89 }
        );
        assert!(r.stdout.ends_with(&tail), "{}", r.stdout);
        let p = run_tool(
            PARALLEL,
            &[
                &format!("--sim={sim}"),
                "--duration",
                "0",
                "--stream_mapping_size",
                "0x10000",
            ],
            None,
        );
        assert_eq!(p.code, 1, "{}", p.stdout);
        assert!(
            p.stdout.ends_with(&format!(
                "No routing available for device {location} design {name}\n"
            )),
            "{}",
            p.stdout
        );
    }
}

#[test]
fn routing_range_errors_exit_1_with_the_sheets_line() {
    for (spec, line) in [
        (
            "0:15:00.0,2:0",
            "master_port 2 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback",
        ),
        (
            "0:15:00.0,0:2",
            "slave_port 2 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback",
        ),
        (
            "0:15:00.0,-1:0",
            "master_port 4294967295 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback",
        ),
    ] {
        let r = bridge("TEF1001_dma_stream_loopback_rev1", &["--device_routing", spec], None);
        assert_eq!(r.code, 1, "{spec}: {}", r.stdout);
        assert!(r.stdout.ends_with(&format!("{line}\n")), "{spec}: {}", r.stdout);
    }
    // A design without a switch has no ports: any pair is out of range.
    let r = bridge(
        "TEF1001_dma_stream_loopback",
        &["--device_routing", "0:15:00.0,0:1"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.ends_with(
        "master_port 0 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback\n"
    ));
}

#[test]
fn malformed_device_routing_is_one_line_on_stderr() {
    for (spec, line) in [
        ("0:15:00", "Failed to extract device from 0:15:00"),
        ("0:15:00.0,1", "Failed to extract ports from 1"),
    ] {
        for exe in [BRIDGE, PARALLEL] {
            let r = run_tool(exe, &["--sim", "--device_routing", spec], None);
            assert_eq!(r.code, 1, "{spec}: {}{}", r.stdout, r.stderr);
            assert!(r.stdout.is_empty(), "{}", r.stdout);
            assert_eq!(
                r.stderr.lines().last(),
                Some(format!("error: {line}").as_str()),
                "{}",
                r.stderr
            );
        }
    }
}

#[test]
fn parallel_streams_on_a_revision_1_board_routes_it_first() {
    let r = run_tool(
        PARALLEL,
        &[
            "--sim=NiteFury_dma_stream_loopback_rev1",
            "--duration",
            "0",
            "--stream_mapping_size",
            "0x40000",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let updated = "Device 0000:30:00.0 design NiteFury_dma_stream_loopback routes updated";
    let u = lines.iter().position(|l| *l == updated).expect("updated");
    assert!(lines[u + 1].ends_with("IOMMU group 89 H2C channel 1 C2H channel 0"));
    assert!(lines[u + 2].ends_with("IOMMU group 89 H2C channel 0 C2H channel 1"));
    assert!(r.stdout.ends_with("\nOverall PASS\n"));
}

#[test]
fn one_container_for_mappings_fails_the_other_groups_when_isolated() {
    let args = [
        "--sim=TEF1001_dma_stream_loopback,NiteFury_dma_stream_loopback",
        "--duration",
        "0",
        "--stream_mapping_size",
        "0x40000",
        "--timeout-seconds",
        "3",
        "--use_one_container_for_mappings",
    ];
    // Without isolation all groups share one container: no effect.
    let r = run_tool(PARALLEL, &args, None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let mut isolated = args.to_vec();
    isolated.push("--isolate_iommu_groups");
    let r = run_tool(PARALLEL, &isolated, None);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("  0000:15:00.0 1 -> 0 "), "{}", r.stdout);
    assert!(
        !r.stdout.contains("  0000:15:00.0 1 -> 0 No completed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  0000:30:00.0 1 -> 0 No completed transfers\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  0000:30:00.0 0 -> 1 No completed transfers\n"),
        "{}",
        r.stdout
    );
    // The descriptor fetches of the device in the other group fault (0x80010).
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("  0000:30:00.0 C2H channel ")
                && l.contains(" failure : Timeout: channel_status=0x80010 ")),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("0000:15:00.0 C2H channel"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\nOverall FAIL\n"));
}
