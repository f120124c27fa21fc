//! test_dma_bridge's memory additions (designs_after_seed.md §4.1) against simulated DDR
//! boards: `memory_host_chunks`, `--host_buffer_divisor` and the card memory overrides.

mod common;

use common::run_tool;

const BRIDGE: &str = env!("CARGO_BIN_EXE_test_dma_bridge");

fn host_chunks(design: &str, extra: &[&str], fault: Option<&str>) -> common::ToolRun {
    let sim = format!("--sim={design}");
    let mut args = vec![
        sim.as_str(),
        "--enabled_tests",
        "memory_host_chunks",
        "--max_channel_combinations",
        "1",
        "--timeout-seconds",
        "1",
    ];
    args.extend_from_slice(extra);
    run_tool(BRIDGE, &args, fault)
}

/// The lines of `out` after the line equal to `first`, `first` included.
fn lines_from<'a>(out: &'a str, first: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| *l == first)
        .unwrap_or_else(|| panic!("no line '{first}' in:\n{out}"));
    lines[i..].to_vec()
}

#[test]
fn memory_host_chunks_writes_the_whole_card_through_a_quarter_buffer() {
    let r = host_chunks(
        "TEF1001_dma_ddr3",
        &["--card_memory_limit", "0x100000"],
        None,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines = lines_from(
        &r.stdout,
        "Testing TEF1001_dma_ddr3 design with memory base address 0x0 size 0x200000000",
    );
    assert!(lines[1].starts_with("PCI device 0000:"), "{}", r.stdout);
    assert_eq!(
        lines[2..6],
        [
            "",
            "Testing using 0x40000 byte host buffers with 1 descriptors:",
            "  H2C channel 0",
            "  C2H channel 0",
        ]
    );
    let headers: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("timing"))
        .collect();
    assert_eq!(
        headers,
        [
            "populate test pattern timing for 4 transfers of 262144 bytes:",
            "host-to-card DMA timing for 4 transfers of 262144 bytes:",
            "card-to-host DMA timing for 4 transfers of 262144 bytes:",
            "verify test pattern timing for 4 transfers of 262144 bytes:",
        ]
    );
    assert!(
        r.stdout.ends_with("TEST PASS\n\nOverall PASS\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_divisor_leaving_a_short_last_chunk_still_covers_the_card() {
    // 0x40000 words / 3 = 0x15555 words per chunk: three full chunks and one of a word.
    let r = host_chunks(
        "NiteFury_dma_ddr3",
        &[
            "--card_memory_limit",
            "0x100000",
            "--host_buffer_divisor",
            "3",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r
        .stdout
        .contains("\nTesting using 0x55554 byte host buffers with 1 descriptors:\n"));
    assert!(r
        .stdout
        .contains("\nverify test pattern timing for 4 transfers of 349524 bytes:\n"));
}

#[test]
fn a_corrupt_word_in_a_later_chunk_reports_its_global_index() {
    // Chunks are 0x10000 words; word 70000 of the C2H data is in the second chunk.
    let r = host_chunks(
        "TEF1001_dma_ddr3",
        &["--card_memory_limit", "0x100000"],
        Some("corrupt_word:c2h0@70000"),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("TEST FAIL:\n  C2H failure : DDR word[70000] actual=0x"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\nOverall FAIL\n"), "{}", r.stdout);
}

#[test]
fn overrides_move_the_tested_memory_and_warn_outside_the_design() {
    let inside = host_chunks(
        "NiteFury_dma_ddr3",
        &[
            "--dma_bridge_memory_base_address",
            "0x100000",
            "--dma_bridge_memory_size_bytes",
            "0x100000",
        ],
        None,
    );
    assert_eq!(inside.code, 0, "{}{}", inside.stdout, inside.stderr);
    let lines = lines_from(
        &inside.stdout,
        "Overriding dma_bridge_memory_base_address 0x0 -> 0x100000",
    );
    assert_eq!(
        lines[1..3],
        [
            "Overriding dma_bridge_memory_size_bytes 0x40000000 -> 0x100000",
            "Testing NiteFury_dma_ddr3 design with memory base address 0x100000 size 0x100000",
        ]
    );
    let outside = host_chunks(
        "NiteFury_dma_ddr3",
        &[
            "--dma_bridge_memory_base_address",
            "0x3ff00000",
            "--dma_bridge_memory_size_bytes",
            "0x200000",
        ],
        None,
    );
    assert_eq!(outside.code, 1, "{}", outside.stdout);
    assert!(
        outside.stdout.contains(
            "Overriding dma_bridge_memory_size_bytes 0x40000000 -> 0x200000\n\
         Warning: Overridden DMA accessible memory is outside of that specified for the design.\n\
         \x20        Tests are expected to fail.\n\
         Testing NiteFury_dma_ddr3 design with memory base address 0x3ff00000 size 0x200000\n"
        ),
        "{}",
        outside.stdout
    );
    assert!(
        outside.stdout.contains("TEST FAIL:\n  H2C failure : "),
        "{}",
        outside.stdout
    );
    assert!(outside.stdout.ends_with("\nOverall FAIL\n"));
}

#[test]
fn invalid_memory_options_are_refused() {
    for (args, code, text) in [
        (
            &["--host_buffer_divisor", "0"][..],
            1,
            "Invalid host_buffer_divisor 0",
        ),
        (
            &["--host_buffer_divisor", "0x4"][..],
            2,
            "Invalid host_buffer_divisor 0x4",
        ),
        (
            &["--dma_bridge_memory_size_bytes", "0"][..],
            1,
            "Invalid dma_bridge_memory_size_bytes 0",
        ),
        (
            &["--dma_bridge_memory_size_bytes", "09"][..],
            2,
            "Invalid dma_bridge_memory_size_bytes 09",
        ),
        (
            &["--dma_bridge_memory_base_address", "x"][..],
            2,
            "Invalid dma_bridge_memory_base_address x",
        ),
    ] {
        let r = host_chunks("NiteFury_dma_ddr3", args, None);
        assert_eq!(r.code, code, "{args:?}: {}{}", r.stdout, r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert_eq!(all.lines().count(), 1, "{args:?}: {all}");
        assert!(all.contains(text), "{args:?}: {all}");
        assert!(!all.contains("panicked"));
    }
}

#[test]
fn memory_host_chunks_passes_on_every_memory_mapped_design() {
    for design in common::DMA_DESIGNS.iter().filter(|d| !d.contains("stream")) {
        let r = host_chunks(design, &["--card_memory_limit", "0x40000"], None);
        assert_eq!(r.code, 0, "{design}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            r.stdout.matches("TEST PASS").count(),
            1,
            "{design}: {}",
            r.stdout
        );
    }
}
