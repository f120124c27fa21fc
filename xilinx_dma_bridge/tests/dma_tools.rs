//! The DMA tools against simulated boards: each passes on the designs it applies to, with
//! CI-sized options; injected faults give xilinx_dma_bridge.md's failure text, a non-zero exit
//! and no hang; golden tests for the fixed lines.

mod common;

use std::io::Read;
use std::process::{Child, ChildStdout, Command, Stdio};

use common::{run_tool, run_tool_in, tool_command};

const BRIDGE: &str = env!("CARGO_BIN_EXE_test_dma_bridge");
const PARALLEL: &str = env!("CARGO_BIN_EXE_test_dma_bridge_parallel_streams");

fn run(exe: &str, args: &[&str], fault: Option<&str>) -> (String, i32) {
    let r = run_tool(exe, args, fault);
    if !r.stderr.is_empty() {
        eprintln!("stderr: {}", r.stderr);
    }
    (r.stdout, r.code)
}

const SMALL_BRIDGE: &[&str] = &[
    "--stream_mapping_size",
    "0x40000,0x40000",
    "--stream_num_descriptors",
    "16,16",
    "--transfer_length",
    "0x10000,0x8000",
    "--card_memory_limit",
    "0x100000",
    "--max_buffer_size",
    "0x40000",
    "--iterations",
    "2",
    "--timeout-seconds",
    "1",
];

fn bridge(design: &str, extra: &[&str], fault: Option<&str>) -> (String, i32) {
    let sim = format!("--sim={design}");
    let mut args = vec![sim.as_str()];
    args.extend_from_slice(SMALL_BRIDGE);
    args.extend_from_slice(extra);
    run(BRIDGE, &args, fault)
}

#[test]
fn test_dma_bridge_passes_on_every_dma_design() {
    for design in common::DMA_DESIGNS {
        let (out, code) = bridge(design, &[], None);
        assert_eq!(code, 0, "{design}:\n{out}");
        assert!(out.ends_with("\nOverall PASS\n"), "{design}:\n{out}");
        assert!(!out.contains("TEST FAIL"), "{design}:\n{out}");
        let passes = out.matches("TEST PASS").count();
        assert!(passes >= 2, "{design}: {passes} tests\n{out}");
    }
}

#[test]
fn golden_lines_of_test_dma_bridge() {
    let (out, code) = bridge("TEF1001_dma_ddr3", &[], None);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("Testing TEF1001_dma_ddr3"))
        .expect("header");
    assert_eq!(
        lines[i],
        "Testing TEF1001_dma_ddr3 design with memory base address 0x0 size 0x200000000"
    );
    assert!(lines[i + 1].starts_with("PCI device ") && lines[i + 1].contains(" IOMMU group "));
    assert_eq!(lines[i + 2], "");
    assert_eq!(
        lines[i + 3],
        "Testing using 4 buffers of size 0x40000 bytes, H2C channel 0 C2H channel 0"
    );
    assert_eq!(
        lines[i + 4],
        "populate test pattern timing for 2 transfers of 1048576 bytes:"
    );
    assert!(lines[i + 5].starts_with("   Min = ") && lines[i + 5].ends_with(" (Mbytes/sec)"));
    assert!(lines[i + 6].starts_with("  Mean = "));
    assert!(lines[i + 7].starts_with("   Max = "));
    assert_eq!(
        lines[i + 8],
        "host-to-card and card-to-host DMA timing for 2 transfers of 1048576 bytes:"
    );
    assert_eq!(
        lines[i + 12],
        "verify test pattern timing for 2 transfers of 1048576 bytes:"
    );
    assert_eq!(lines[i + 16], "TEST PASS");
    assert!(out.contains(
        "\nTesting using:\n  H2C channel 0 transfer length 0x10000 bytes with 16 descriptors\n  C2H channel 0 transfer length 0x8000 bytes with 32 descriptors\n"
    ));
    let (out, _) = bridge("TOSING_160T_dma_stream_loopback", &[], None);
    assert!(out.contains("Testing TOSING_160T_dma_stream_loopback design with AXI stream\n"));
    assert!(out.contains("\nTesting streams using H2C 16 buffers of size 0x4000 bytes, C2H 16 buffers of size 0x4000 bytes, H2C channel 0 C2H channel 1\n"));
    assert!(out.contains(
        "C2H 16 buffers of size 0x4000 bytes in continuous mode, H2C channel 1 C2H channel 0\n"
    ));
    assert!(out.contains("\nTesting streams with variable size buffers:\n  H2C mapping size 0x40000 max transfer length 0x10000 channel ID 0\n  C2H mapping size 0x40000 max transfer length 0x8000 channel ID 1\n"));
    let (out, _) = bridge("Nitefury_Project-0", &[], None);
    assert!(
        out.contains("Testing Nitefury Project-0 design version 0x2 with memory base address 0x0 size 0x40000000\n"),
        "{out}"
    );
}

#[test]
fn bad_options_fail() {
    let (out, code) = run(
        BRIDGE,
        &["--sim=dma_blkram", "--enabled_tests", "bogus"],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(out, "enabled_tests contains unknown test name bogus\n");
    let (out, code) = run(
        BRIDGE,
        &["--sim=dma_blkram", "--stream_mapping_size", "6,8"],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(out, "stream_mapping_size not a multiple of words\n");
    let (_, code) = run(
        BRIDGE,
        &["--sim=dma_blkram", "--max_buffer_size", "zz"],
        None,
    );
    assert_ne!(code, 0);
}

#[test]
fn stalled_engine_times_out_and_finalisation_reports_it() {
    let (out, code) = bridge(
        "dma_blkram",
        &["--enabled_tests", "memory_fixed_buffers"],
        Some("stall:h2c0"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TEST FAIL:\n  H2C failure : Timeout: channel_status=0x1 (busy) num_descriptors_started=4 num_completed_descriptors=0 next_started_descriptor_index=0 next_completed_descriptor_index=0 channel_id=0 direction=H2C device="), "{out}");
    assert!(
        out.contains(" (+timeout waiting for idle at finalisation)\n"),
        "{out}"
    );
    let first = out
        .split("\nTesting using")
        .nth(1)
        .expect("first combination");
    assert!(first.contains("TEST FAIL:"), "{out}");
    assert!(
        !first.contains("timing for"),
        "no throughput for a failed transfer:\n{out}"
    );
    assert!(out.ends_with("\nOverall FAIL\n"));
}

#[test]
fn iommu_fault_on_descriptor_fetch() {
    let (out, code) = bridge(
        "dma_blkram",
        &["--enabled_tests", "memory_fixed_buffers"],
        Some("iommu_fault:c2h0"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("  C2H failure : Timeout: channel_status=0x80010 (descriptor error: unsupported request, magic stopped) num_descriptors_started=4 num_completed_descriptors=0 "), "{out}");
}

#[test]
fn descriptor_error_is_reported_through_the_writeback() {
    let (out, code) = bridge(
        "TEF1001_dma_stream_loopback",
        &[
            "--enabled_tests",
            "stream_fixed_buffers",
            "--max_channel_combinations",
            "1",
        ],
        Some("descriptor_error:h2c0@3"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("  H2C failure : Error reported in descriptor write back: channel_status=0x80000 (descriptor error: unsupported request) num_descriptors_started="), "{out}");
}

#[test]
fn corrupted_word_is_caught_by_each_verifier() {
    let (out, code) = bridge(
        "NiteFury_dma_ddr3",
        &["--enabled_tests", "memory_fixed_buffers"],
        Some("corrupt_word:c2h0@7"),
    );
    assert_eq!(code, 1, "{out}");
    // The word is inverted on its way back to the host.
    let mut p = xilinx_dma_bridge::TestPattern::new(0);
    p.advance(7);
    let e = p.value();
    assert!(
        out.contains(&format!(
            "  C2H failure : DDR word[7] actual=0x{:x} expected=0x{e:x}\n",
            !e
        )),
        "{out}"
    );
    let (out, code) = run(
        PARALLEL,
        &[
            "--sim=TEF1001_dma_stream_loopback",
            "--stream_device",
            "0000:15:00.0,0",
            // Stop at once: exactly one lap of the ring, so the corrupted buffer is not
            // overwritten before verification.
            "--duration",
            "0",
            "--stream_mapping_size",
            "0x100000",
        ],
        Some("corrupt_word:c2h1@5"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("  0000:15:00.0 C2H channel 1 failure : word[5] actual=0x9dad1afc expected=0x6252e503 in lap 1\n"), "{out}");
    assert!(out.ends_with("\nOverall FAIL\n"));
}

#[test]
fn parallel_streams_on_default_boards() {
    let (out, code) = run(
        PARALLEL,
        &[
            "--sim",
            "--duration",
            "1",
            "--stream_mapping_size",
            "0x100000",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "Using num_descriptors=64 bytes_per_buffer=0x4000 data_mapping_size_words=0x40000"
    );
    for sel in [
        "Selecting test of TEF1001_dma_stream_loopback design PCI device 0000:15:00.0 IOMMU group 41 H2C channel 0 C2H channel 1",
        "Selecting test of TEF1001_dma_stream_loopback design PCI device 0000:15:00.0 IOMMU group 41 H2C channel 1 C2H channel 0",
        "Selecting test of NiteFury_dma_stream_loopback design PCI device 0000:30:00.0 IOMMU group 89 H2C channel 0 C2H channel 1",
        "Selecting test of NiteFury_dma_stream_loopback design PCI device 0000:30:00.0 IOMMU group 89 H2C channel 1 C2H channel 0",
    ] {
        assert!(lines.contains(&sel), "{sel}\n{out}");
    }
    assert!(lines.contains(&"Press Ctrl-C to stop test"));
    let s = lines
        .iter()
        .position(|l| *l == "Overall test statistics:")
        .expect("statistics");
    for (k, label) in [
        // Pairs follow the default routing, H2C 1 -> C2H 0 first (designs_after_seed.md §2.7).
        "0000:15:00.0 1 -> 0",
        "0000:15:00.0 0 -> 1",
        "0000:30:00.0 1 -> 0",
        "0000:30:00.0 0 -> 1",
    ]
    .iter()
    .enumerate()
    {
        let l = lines[s + 1 + k];
        let rest = l
            .strip_prefix(&format!("  {label} "))
            .unwrap_or_else(|| panic!("{l}"));
        let (rate, tail) = rest.split_once(" Mbytes/sec (").expect("rate");
        assert_eq!(rate.split_once('.').map(|(_, d)| d.len()), Some(3), "{l}");
        let (bytes, secs) = tail.split_once(" bytes in ").expect("bytes");
        assert_eq!(bytes.parse::<u64>().unwrap() % 0x4000, 0);
        let secs = secs.strip_suffix(" secs)").expect("secs");
        assert_eq!(secs.split_once('.').map(|(_, d)| d.len()), Some(6), "{l}");
        assert!(lines.contains(&format!("{label} Test pattern verified in 262144 words").as_str()));
    }
    assert_eq!(lines[s + 5], "");
    assert!(out.ends_with("\n\nOverall PASS\n"));
}

#[test]
fn parallel_streams_stops_on_sigint_with_statistics() {
    let state = tempfile::tempdir().expect("state dir");
    let mut child = tool_command(PARALLEL, state.path())
        .args([
            "--sim=NiteFury_dma_stream_loopback",
            "--stream_mapping_size",
            "0x100000",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    // Wait until the test runs, then interrupt it.
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("Press Ctrl-C to stop test") {
        let n = stdout.read(&mut buf).expect("read");
        assert!(n > 0, "{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // The handler is installed before the line is printed; whenever the signal lands,
    // the H2C buffers already started complete one lap, so there is data to verify.
    nix_kill(child.id());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{seen}{rest}");
    assert!(rest.contains("Overall test statistics:"), "{rest}");
    assert!(rest.contains("Test pattern verified in"), "{rest}");
    assert!(rest.ends_with("Overall PASS\n"));
}

fn nix_kill(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn parallel_streams_without_a_stream_design_fails_quietly() {
    let (out, code) = run(
        PARALLEL,
        &["--sim=dma_blkram", "--stream_mapping_size", "0x10000"],
        None,
    );
    assert_eq!(code, 1);
    assert!(!out.contains("Selecting"));
    assert!(!out.contains("Overall"));
}

/// Runs a tool with `args` on the default simulated boards (or those `args` choose).
fn run_all(exe: &str, args: &[&str], fault: Option<&str>) -> common::ToolRun {
    run_tool(exe, args, fault)
}

/// The failure must be a single line on stderr, nothing on stdout, and no panic.
fn assert_one_line_error(r: &common::ToolRun, code: i32, text: &str) {
    assert_eq!(r.code, code, "{}{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().chain(r.stdout.lines()).collect();
    assert!(
        lines.iter().any(|l| l.contains(text)),
        "expected '{text}' in:\n{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn issue_17_a_corrupt_word_in_any_lap_fails_parallel_streams() {
    // The issue's command: the corrupted buffer is overwritten by later laps, so only
    // verifying every lap catches it.
    let r = run_all(
        PARALLEL,
        &[
            "--sim",
            "-d",
            "0000:15:00.0",
            "--duration",
            "1",
            "--stream-mapping-size",
            "0x100000",
        ],
        Some("corrupt_word:c2h0"),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    // H2C 1 -> C2H 0 is the first pair (default routing), so its pattern starts at 0.
    assert!(r.stdout.contains("  0000:15:00.0 C2H channel 0 failure : word[0] actual=0xffffffff expected=0x0 in lap 1\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("\nOverall FAIL\n"), "{}", r.stdout);
    // A word of the fourth lap (0x40000 words per lap of the 1 MiB mapping).
    let word = 3 * 0x40000 + 5;
    let fault = format!("corrupt_word:c2h1@{word}");
    let r = run_all(
        PARALLEL,
        &[
            "--sim=TEF1001_dma_stream_loopback",
            "--stream-device",
            "0000:15:00.0,0",
            "--duration",
            "2",
            "--stream-mapping-size",
            "0x100000",
        ],
        Some(&fault),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let mut p = xilinx_dma_bridge::TestPattern::new(0);
    p.advance(5);
    let e = p.value();
    assert!(
        r.stdout.contains(&format!(
            "  0000:15:00.0 C2H channel 1 failure : word[5] actual=0x{:x} expected=0x{e:x} in lap 4\n",
            !e
        )),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Test pattern verified"), "{}", r.stdout);
}

#[test]
fn stream_width_must_be_a_power_of_two_word_multiple() {
    for w in ["3", "5", "0", "12"] {
        let r = run_all(
            BRIDGE,
            &["--sim", "-d", "0000:15:00.0", "--stream-axi-width-bytes", w],
            None,
        );
        assert_eq!(r.code, 1, "{w}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            r.stdout,
            format!("Invalid stream_axi_width_bytes {w} (the AXI4-Stream width: a power of two of at least 4 bytes)\n")
        );
    }
}

#[test]
fn a_loop_waiting_for_buffers_that_never_come_is_bounded_by_the_timeout() {
    // C2H buffers of 0xffc bytes: the engine rounds non-final lengths up to the 16-byte
    // stream width, so each 0x4000-byte packet fills 4 buffers, not the 5 the test plans.
    // In continuous mode no descriptor is outstanding to time out; the loop must still end.
    let (out, code) = run(
        BRIDGE,
        &[
            "--sim=TOSING_160T_dma_stream_loopback",
            "--stream-mapping-size",
            "0x40000,0xffc0",
            "--stream-num-descriptors",
            "16,16",
            "--stream-axi-width-bytes",
            "4",
            "--enabled-tests",
            "stream_fixed_buffers,stream_fixed_buffers_c2h_continuous",
            "--max-channel-combinations",
            "1",
            "--iterations",
            "2",
            "--timeout-seconds",
            "1",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("C2H 16 buffers of size 0xffc bytes in continuous mode, H2C channel 0 C2H channel 1\nTEST FAIL:\n  C2H failure : Timeout: no progress for 1 s waiting for 3 of 3 H2C packets and 12 of 15 C2H buffers\n"), "{out}");
    assert!(out.contains("  C2H failure : Timeout: channel_status=0x1 (busy) num_descriptors_started=15 num_completed_descriptors=12 "), "{out}");
}

#[test]
fn sizes_that_used_to_panic_are_clear_errors() {
    let nitefury = ["--sim", "-d", "0000:2e:00.0", "--iterations", "1"];
    let with = |extra: &[&'static str]| {
        let mut a = nitefury.to_vec();
        a.extend_from_slice(extra);
        run_all(BRIDGE, &a, None)
    };
    let r = with(&["--card-memory-limit", "0"]);
    assert_one_line_error(
        &r,
        1,
        "Invalid card_memory_limit 0 (must be at least one word, 4)",
    );
    for size in ["1", "2", "3"] {
        let r = with(&["--max-buffer-size", size]);
        assert_one_line_error(&r, 1, &format!("Invalid max_buffer_size {size}"));
    }
    for duration in ["inf", "1e300", "-1", "nan"] {
        let arg = format!("--duration={duration}");
        let r = run_all(PARALLEL, &["--sim", &arg], None);
        assert_one_line_error(&r, 2, "invalid number of seconds");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    let r = run_all(BRIDGE, &["--sim", "--timeout-seconds", "1e300"], None);
    assert_one_line_error(&r, 2, "too large");
}

#[test]
fn nothing_tested_is_a_failure_with_one_line_saying_why() {
    let nothing = [
        (BRIDGE, "test_dma_bridge: no design with a DMA bridge found (-d 0000:99:00.0; simulated boards: "),
        (PARALLEL, "test_dma_bridge_parallel_streams: no looped-back stream pair found (-d 0000:99:00.0; simulated boards: "),
    ];
    for (exe, line) in nothing {
        let r = run_all(exe, &["--sim", "-d", "0000:99:00.0"], None);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.starts_with(line), "{}", r.stderr);
        assert!(!r.stdout.contains("Overall"), "{}", r.stdout);
    }
    // Designs present, but none the enabled tests apply to.
    let r = run_all(
        BRIDGE,
        &[
            "--sim=dma_blkram",
            "--enabled-tests",
            "stream_fixed_buffers",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "test_dma_bridge: no design with DMA channels for the enabled tests found (simulated boards: dma_blkram at 0000:01:00.0; enabled tests: stream_fixed_buffers)\n");
    assert!(!r.stdout.contains("Overall PASS"));
    // Options that select nothing to test.
    for (args, message) in [
        (
            &["--enabled-tests", ""][..],
            "enabled_tests names no test (nothing would be tested): ''\n",
        ),
        (
            &["--max-channel-combinations", "0"][..],
            "Invalid max_channel_combinations 0 (nothing would be tested)\n",
        ),
        (
            &["--iterations", "0"][..],
            "Invalid iterations 0 (nothing would be tested)\n",
        ),
    ] {
        let mut a = vec!["--sim=dma_blkram"];
        a.extend_from_slice(args);
        let r = run_all(BRIDGE, &a, None);
        assert_eq!((r.code, r.stdout.as_str()), (1, message), "{args:?}");
    }
}

/// Starts `test_dma_bridge_parallel_streams` with `args` in `state_dir` and waits until it
/// runs (its DMA channels locked).
fn start_parallel(args: &[&str], state_dir: &std::path::Path) -> (Child, ChildStdout, String) {
    let mut child = tool_command(PARALLEL, state_dir)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("Press Ctrl-C to stop test") {
        let n = stdout.read(&mut buf).expect("read");
        assert!(n > 0, "{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    (child, stdout, seen)
}

#[test]
fn a_dma_channel_has_one_user_at_a_time_across_processes() {
    let state = tempfile::tempdir().expect("state dir");
    let board = "--sim=TEF1001_dma_stream_loopback";
    let pair_0 = ["--stream-device", "0000:15:00.0,0"];
    let small = ["--stream-mapping-size", "0x100000"];
    // The first user holds H2C 0 and C2H 1 of 0000:15:00.0 until interrupted.
    let first: Vec<&str> = [board]
        .iter()
        .chain(&pair_0)
        .chain(&small)
        .copied()
        .collect();
    let (mut holder, mut holder_out, _) = start_parallel(&first, state.path());
    let refused = format!(
        "error: 0000:15:00.0 (10ee:7024): the dma-h2c-0 is in use by PID {}\n",
        holder.id()
    );

    // A second user of the same channels is refused at once, with one line.
    let mut second = first.clone();
    second.extend(["--duration", "0"]);
    let r = run_tool_in(PARALLEL, &second, None, state.path());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, refused);
    assert!(!r.stdout.contains("Overall"), "{}", r.stdout);
    // So is test_dma_bridge, which would drive every channel of the board, before it
    // tests anything.
    let r = run_tool_in(BRIDGE, &[board, "--iterations", "1"], None, state.path());
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, refused.as_str()),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("TEST"), "{}", r.stdout);
    // And the credits test (H2C 0 is its credit increment channel).
    let credits = env!("CARGO_BIN_EXE_test_dma_descriptor_credits");
    let r = run_tool_in(credits, &[board], None, state.path());
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, refused.as_str()),
        "{}",
        r.stdout
    );

    // The other pair (H2C 1, C2H 0) is free: both users pass.
    let other: Vec<&str> = [
        board,
        "--stream-device",
        "0000:15:00.0,1",
        "--duration",
        "0",
    ]
    .iter()
    .chain(&small)
    .copied()
    .collect();
    let r = run_tool_in(PARALLEL, &other, None, state.path());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("\nOverall PASS\n"), "{}", r.stdout);

    nix_kill(holder.id());
    let mut rest = String::new();
    holder_out.read_to_string(&mut rest).expect("read");
    assert!(holder.wait().expect("wait").success(), "{rest}");
    assert!(rest.ends_with("\nOverall PASS\n"), "{rest}");
    // Released when the holder exits.
    let r = run_tool_in(PARALLEL, &second, None, state.path());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// A fault list that does not parse is refused before any board is built: a run that
/// believes a fault is armed when none is would pass for the wrong reason.
#[test]
fn an_invalid_fault_list_is_refused_with_one_line() {
    let r = run_tool(
        BRIDGE,
        &["--sim", "--iterations", "1"],
        Some("corrupt_word:c2h9x"),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "error: opening devices: invalid XDMA fault specification 'corrupt_word:c2h9x' \
         (expected <descriptor_error|stall|corrupt_word|iommu_fault>:<h2c|c2h><channel>[@<n>]) \
         in FPGA_SIM_XDMA_FAULT\n"
    );
}
