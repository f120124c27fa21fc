//! crc64_stream_latency (designs_after_seed.md §4.4) against simulated boards: the exact
//! line formats, 17 packet sizes for the 16-byte width, every result checked (an injected
//! CRC corruption or stall fails the run), the designs it refuses or skips.

mod common;

use common::run_tool;

const TOOL: &str = env!("CARGO_BIN_EXE_crc64_stream_latency");

/// Checks `%7u len bytes latencies (us):` + four ` %7.3f (<p>')`; returns the length.
fn latency_len(line: &str) -> u64 {
    let (len, rest) = line
        .split_once(" len bytes latencies (us):")
        .unwrap_or_else(|| panic!("{line}"));
    assert_eq!(len.len(), 7, "{line}");
    let mut rest = rest;
    for p in ["50", "75", "99", "99.999"] {
        let tag = format!(" ({p}')");
        let (value, after) = rest.split_once(&tag).unwrap_or_else(|| panic!("{line}"));
        let value = value.strip_prefix(' ').expect("space");
        assert!(value.len() >= 7, "{line}");
        let (_, decimals) = value.trim_start().split_once('.').expect("decimals");
        assert_eq!(decimals.len(), 3, "{line}");
        rest = after;
    }
    assert!(rest.is_empty(), "{line}");
    len.trim_start().parse().unwrap()
}

#[test]
fn every_size_on_every_route() {
    let r = run_tool(
        TOOL,
        &["--sim=NiteFury_dma_stream_crc64", "--iterations", "3"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let lines: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Testing design"))
        .collect();
    assert_eq!(lines.len(), 2 * 18, "{}", r.stdout);
    let sizes: Vec<u64> = (4..=20).map(|b| 1u64 << b).collect();
    for (route, first) in [(0, 0), (1, 18)] {
        assert_eq!(
            lines[first],
            format!("Testing design NiteFury_dma_stream_crc64 using C2H {route} -> H2C {route}")
        );
        let got: Vec<u64> = lines[first + 1..first + 18]
            .iter()
            .map(|l| latency_len(l))
            .collect();
        assert_eq!(got, sizes);
    }
}

#[test]
fn temperature_before_and_after_the_design() {
    for arg in ["--report-temperature", "anything"] {
        let r = run_tool(
            TOOL,
            &[
                "--sim=TEF1001_dma_stream_crc64",
                "--iterations",
                "2",
                "--max-packet-bytes",
                "16",
                arg,
            ],
            None,
        );
        assert_eq!(r.code, 0, "{}", r.stdout);
        let lines: Vec<&str> = r
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("Testing design"))
            .collect();
        assert_eq!(lines.len(), 6, "{}", r.stdout);
        assert_eq!(
            lines[0],
            "Testing design TEF1001_dma_stream_crc64 using C2H 0 -> H2C 0"
        );
        for t in [lines[1], lines[5]] {
            let rest = t.strip_prefix("Current temperature ").expect("temperature");
            let (current, rest) = rest.split_once("C  min ").expect("min");
            let (min, max) = rest.split_once("C  max ").expect("max");
            for v in [current, min, max.strip_suffix('C').expect("C")] {
                assert_eq!(v.len(), 5, "{t}");
                v.trim().parse::<f64>().expect("number");
            }
        }
        assert_eq!(latency_len(lines[2]), 16);
        assert_eq!(
            lines[3],
            "Testing design TEF1001_dma_stream_crc64 using C2H 1 -> H2C 1"
        );
        assert_eq!(latency_len(lines[4]), 16);
    }
}

#[test]
fn a_wrong_crc_fails_the_run() {
    // 32-bit word 6 of C2H 1 is the low half of the fourth 16-byte packet's result.
    let r = run_tool(
        TOOL,
        &[
            "--sim=TEF1001_dma_stream_crc64",
            "--iterations",
            "5",
            "--max-packet-bytes",
            "32",
        ],
        Some("corrupt_word:c2h1@6"),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("Testing design TEF1001_dma_stream_crc64 using C2H 1 -> H2C 1\n  0000:15:00.0 C2H channel 1 failure : Assertion failed: *actual_crc64 == expected_crc64\n"), "{}", r.stdout);
    assert_eq!(
        r.stdout.matches(" len bytes latencies").count(),
        2,
        "{}",
        r.stdout
    );
}

#[test]
fn a_stall_times_out_and_fails() {
    let r = run_tool(
        TOOL,
        &[
            "--sim=TOSING_160T_dma_stream_crc64",
            "--iterations",
            "5",
            "--max-packet-bytes",
            "32",
            "--timeout-seconds",
            "1",
        ],
        Some("stall:h2c0@3"),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("Testing design TOSING_160T_dma_stream_crc64 using C2H 0 -> H2C 0\n  0000:01:00.0 H2C channel 0 failure : Timeout: channel_status=0x1 (busy) num_descriptors_started=4 num_completed_descriptors=3 "), "{}", r.stdout);
    // The other route is still measured.
    assert_eq!(
        r.stdout.matches(" len bytes latencies").count(),
        2,
        "{}",
        r.stdout
    );
}

#[test]
fn fixed_data_exits_1_and_loopback_is_skipped() {
    let r = run_tool(TOOL, &["--sim=TEF1001_dma_stream_fixed_data"], None);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.ends_with(
            "No routing available for device 0000:15:00.0 design TEF1001_dma_stream_fixed_data\n"
        ),
        "{}",
        r.stdout
    );
    let r = run_tool(TOOL, &["--sim=TEF1001_dma_stream_loopback_rev1"], None);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .ends_with("Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stderr.lines().last(), Some("crc64_stream_latency: no CRC64 stream design found (simulated boards: TEF1001_dma_stream_loopback_rev1 at 0000:15:00.0)"));
}
