//! test_dma_bridge_memory_addressing against simulated memory-mapped boards
//! (designs_after_seed.md §4.5): the element lists of the sheet, aliasing found on a memory
//! with an undecoded address bit, a short tail that ends instead of looping, and failures.

mod common;

use common::{run_tool, tool_command};

const TOOL: &str = env!("CARGO_BIN_EXE_test_dma_bridge_memory_addressing");

fn run(args: &[&str], fault: Option<&str>) -> common::ToolRun {
    run_tool(TOOL, args, fault)
}

/// The report lines from the `Testing`/`Skipping` header on.
fn report(out: &str) -> Vec<&str> {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("Testing ") || l.starts_with("Skipping "))
        .unwrap_or_else(|| panic!("no header in:\n{out}"));
    lines[i..].to_vec()
}

#[test]
fn every_memory_mapped_design_passes_with_the_sheets_element_lists() {
    let expected = [
        (
            "NiteFury_dma_ddr3",
            "Testing NiteFury_dma_ddr3 design with memory base address 0x0 size 0x40000000 52 memory elements",
            "Lowest memory element at address 0x0, highest at 0x3ffffff0",
        ),
        (
            "dma_blkram",
            "Testing dma_blkram (TEF1001) design with memory base address 0x0 size 0x120000 58 memory elements",
            "Lowest memory element at address 0x0, highest at 0x11fff0",
        ),
        (
            "TEF1001_dma_ddr3",
            "Testing TEF1001_dma_ddr3 design with memory base address 0x0 size 0x200000000 58 memory elements",
            "Lowest memory element at address 0x0, highest at 0x1fffffff0",
        ),
        (
            "Litefury_Project-0",
            "Testing Litefury Project-0 design version 0x2 with memory base address 0x0 size 0x20000000 50 memory elements",
            "Lowest memory element at address 0x0, highest at 0x1ffffff0",
        ),
    ];
    for design in common::DMA_DESIGNS.iter().filter(|d| !d.contains("stream")) {
        let r = run(&[&format!("--sim={design}")], None);
        assert_eq!(r.code, 0, "{design}: {}{}", r.stdout, r.stderr);
        let lines = report(&r.stdout);
        assert!(lines[1].starts_with("PCI device 0000:"), "{}", r.stdout);
        assert_eq!(lines[3..], ["", "Overall PASS"], "{}", r.stdout);
        if let Some((_, header, range)) = expected.iter().find(|e| e.0 == *design) {
            assert_eq!(lines[0], *header, "{}", r.stdout);
            assert_eq!(lines[2], *range, "{}", r.stdout);
        }
    }
}

#[test]
fn an_undecoded_address_bit_is_reported_as_overwrites() {
    let state = tempfile::tempdir().expect("state dir");
    let out = tool_command(TOOL, state.path())
        .arg("--sim=NiteFury_dma_ddr3")
        .env("FPGA_SIM_CARD_MEMORY_UNDECODED_BITS", "0x20000000")
        .output()
        .expect("tool runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        report(&stdout)[3..],
        [
            "Write to address 0x20000000 overwrote address 0x0",
            "Write to address 0x3ffffff0 overwrote address 0x1ffffff0",
            "",
            "Overall FAIL",
        ],
        "{stdout}"
    );
}

#[test]
fn a_tail_too_short_for_a_block_ends_the_walk() {
    let r = run(
        &["--sim=dma_blkram", "--dma_bridge_memory_size_bytes", "0x50"],
        None,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(
        "Overriding dma_bridge_memory_size_bytes 0x120000 -> 0x50\n\
         Warning: last 0x10 bytes of memory untested (no room for a 32-byte block)\n\
         Testing dma_blkram (TEF1001) design with memory base address 0x0 size 0x50 4 memory elements\n"
    ), "{}", r.stdout);
    // Nothing fits at all: the design is skipped and nothing was tested.
    let r = run(&["--sim=dma_blkram", "--max_block_size_bytes", "16"], None);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("Skipping dma_blkram (TEF1001) design with memory base address 0x0 size 0x120000 0 memory elements\n"), "{}", r.stdout);
    assert!(!r.stdout.contains("Overall"), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "test_dma_bridge_memory_addressing: no memory with room for a 32-byte block found"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unaligned_base_is_warned_about() {
    let r = run(
        &[
            "--sim=dma_blkram",
            "--dma_bridge_memory_base_address",
            "0x10",
            "--dma_bridge_memory_size_bytes",
            "0x100",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("\nWarning: 4 unaligned memory elements\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_stalled_transfer_fails_the_design_within_the_timeout() {
    let r = run(
        &["--sim=NiteFury_dma_ddr3", "--timeout-seconds", "0.2"],
        Some("stall:c2h0"),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("\n  C2H failure : Timeout"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\nOverall FAIL\n"), "{}", r.stdout);
}

#[test]
fn invalid_options_and_nothing_to_test() {
    let r = run(&["--sim", "--dma_bridge_memory_size_bytes", "0"], None);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (1, "Invalid dma_bridge_memory_size_bytes 0\n")
    );
    let r = run(&["--sim", "--max_block_size_bytes", "0"], None);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (1, "Invalid max_block_size_bytes 0\n")
    );
    let r = run(&["--sim", "--max_block_size_bytes", "big"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("Invalid max_block_size_bytes big"),
        "{}",
        r.stderr
    );
    let r = run(&["--sim=TEF1001_dma_stream_loopback"], None);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("test_dma_bridge_memory_addressing: no memory-mapped design with a DMA bridge found (simulated boards: "), "{}", r.stderr);
}
