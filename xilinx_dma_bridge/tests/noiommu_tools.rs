//! Every XDMA tool of this crate on the simulated boards' noiommu mode (issue #14): DMA
//! addresses are "physical" and every buffer is fragmented, so a driver that assumed a
//! contiguous buffer would send the model to unmapped addresses (an IOMMU fault, then a
//! descriptor error) or to another segment's memory (a data mismatch).
//!
//! Fixed-buffer rings need each buffer in one contiguous piece: those runs use
//! `--buffer-allocation huge-pages` (pieces of 2 to 8 MiB) with buffers that divide 2 MiB,
//! as on a real host without an IOMMU; variable transfers run on 4 KiB..2 MiB pieces.

mod common;

use common::run_tool;

const BRIDGE: &str = env!("CARGO_BIN_EXE_test_dma_bridge");
const PARALLEL: &str = env!("CARGO_BIN_EXE_test_dma_bridge_parallel_streams");
const CREDITS: &str = env!("CARGO_BIN_EXE_test_dma_descriptor_credits");

fn passes(exe: &str, args: &[&str]) -> String {
    let mut all = vec!["--sim-noiommu"];
    all.extend_from_slice(args);
    let r = run_tool(exe, &all, None);
    assert_eq!(r.code, 0, "{exe} {all:?}:\n{}\n{}", r.stdout, r.stderr);
    r.stdout
}

#[test]
fn test_dma_bridge_on_ddr_and_stream_designs() {
    for design in common::DMA_DESIGNS {
        let sim = format!("--sim={design}");
        let out = passes(
            BRIDGE,
            &[
                &sim,
                "--buffer-allocation",
                "huge-pages",
                "--stream_mapping_size",
                "0x800000,0x800000",
                "--stream_num_descriptors",
                "64,64",
                "--transfer_length",
                "0x10000,0x8000",
                "--card_memory_limit",
                "0x1000000",
                "--max_buffer_size",
                "0x200000",
                "--iterations",
                "2",
                "--timeout-seconds",
                "1",
            ],
        );
        assert!(out.ends_with("\nOverall PASS\n"), "{design}:\n{out}");
        assert!(!out.contains("TEST FAIL"), "{design}:\n{out}");
        assert!(out.matches("TEST PASS").count() >= 2, "{design}:\n{out}");
    }
}

/// Variable-length transfers on base-page fragments: several descriptors per transfer
/// (the fixed-buffer part uses single pages, which never straddle a fragment).
#[test]
fn test_dma_bridge_variable_transfers_on_small_fragments() {
    let out = passes(
        BRIDGE,
        &[
            "--sim=TEF1001_dma_ddr3",
            "--card_memory_limit",
            "0x200000",
            "--max_buffer_size",
            "0x1000",
            "--transfer_length",
            "0x30000,0x28000",
            "--iterations",
            "2",
            "--timeout-seconds",
            "1",
        ],
    );
    assert!(out.contains("TEST PASS"), "{out}");
    assert!(out.ends_with("\nOverall PASS\n"), "{out}");
}

#[test]
fn fixed_buffers_across_fragments_are_refused_with_what_to_do() {
    let mut all = vec!["--sim-noiommu"];
    all.extend_from_slice(&[
        "--sim=TEF1001_dma_stream_loopback",
        "--stream_mapping_size",
        "0x800000,0x800000",
        "--stream_num_descriptors",
        "16,16",
        "--iterations",
        "1",
        "--timeout-seconds",
        "1",
    ]);
    let r = run_tool(BRIDGE, &all, None);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("crosses a physically discontiguous boundary of the DMA buffer: without an IOMMU use --buffer-allocation huge-pages"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("\nOverall FAIL\n"));
}

#[test]
fn parallel_streams() {
    let out = passes(
        PARALLEL,
        &[
            "--sim=TEF1001_dma_stream_loopback,NiteFury_dma_stream_loopback",
            "--buffer-allocation",
            "huge-pages",
            "--duration",
            "0",
            "--stream_mapping_size",
            "0x800000",
        ],
    );
    assert!(
        out.contains("Test pattern verified in 2097152 words"),
        "{out}"
    );
    assert!(out.ends_with("\nOverall PASS\n"), "{out}");
}

#[test]
fn descriptor_credits_on_mm_and_stream_designs() {
    for design in ["TEF1001_dma_ddr3", "TEF1001_dma_stream_loopback"] {
        let sim = format!("--sim={design}");
        let out = passes(
            CREDITS,
            &[
                &sim,
                "--mm-descriptors",
                "1100",
                "--stream_messages",
                "1030",
                // A passing run never waits for it; 1 s was too short on a loaded machine.
                "--timeout-seconds",
                "10",
            ],
        );
        assert!(out.contains("Test: PASS"), "{design}:\n{out}");
        assert!(!out.contains("FAIL"), "{design}:\n{out}");
    }
}

#[test]
fn credits_refuse_iova_offsets_on_physical_addresses() {
    let r = run_tool(
        CREDITS,
        &[
            "--sim-noiommu",
            "--sim=TEF1001_dma_ddr3",
            "-o",
            "0x100000000,0,0",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "Applying IOVA offsets is disabled when physical memory is used, as may crash the PC"
        ),
        "{}",
        r.stdout
    );
}
