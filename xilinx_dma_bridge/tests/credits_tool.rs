//! test_dma_descriptor_credits (xilinx_dma_bridge.md §7.3) against simulated boards: it passes on every
//! design with a DMA bridge, its fixed lines have the original's format, and injected faults
//! give xilinx_dma_bridge.md's failure text, a non-zero exit and no hang (the test timeout fires).

mod common;

use std::process::Command;

use common::run_tool;

const CREDITS: &str = env!("CARGO_BIN_EXE_test_dma_descriptor_credits");

use common::DMA_DESIGNS as DESIGNS;

/// Runs the tool on one simulated design: (stdout, stderr, exit code).
fn run(design: &str, args: &[&str], fault: Option<&str>) -> (String, String, i32) {
    let sim = format!("--sim={design}");
    let all: Vec<&str> = std::iter::once(sim.as_str())
        .chain(args.iter().copied())
        .collect();
    let r = run_tool(CREDITS, &all, fault);
    (r.stdout, r.stderr, r.code)
}

/// CI-sized runs that still wrap both rings (more than 1023 descriptors).
const SMALL: &[&str] = &["--mm-descriptors", "1100", "--stream_messages", "1030"];

#[test]
fn passes_on_every_dma_design() {
    for design in DESIGNS {
        let (out, err, code) = run(design, SMALL, None);
        assert_eq!(code, 0, "{design}:\n{out}{err}");
        assert!(out.ends_with("Test: PASS\n"), "{design}:\n{out}");
        assert!(!out.contains("FAIL"), "{design}:\n{out}");
        if design.ends_with("stream_loopback") {
            assert_eq!(
                out.matches("Successfully sent 1030 messages from Ch")
                    .count(),
                2,
                "{design}:\n{out}"
            );
            assert!(out.contains(" messages from Ch0->1 "), "{design}:\n{out}");
            assert!(out.contains(" messages from Ch1->0 "), "{design}:\n{out}");
        } else {
            let total = if design == "dma_blkram" { 288 } else { 1100 };
            assert!(
                out.contains(&format!(
                    "Testing {} bytes of card memory, using rings with 1023 descriptors, and a total of {total} descriptors\n",
                    total * 4096
                )),
                "{design}:\n{out}"
            );
        }
    }
}

#[test]
fn golden_lines_memory_mapped_with_reset_test() {
    let (out, err, code) = run("NiteFury_dma_ddr3", &["-r"], None);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("Testing DMA bridge"))
        .expect("header");
    assert_eq!(
        &lines[i..],
        [
            "Testing DMA bridge bar 2 memory base offset 0x0 size 0x40000000",
            "After VFIO open:",
            "  control 00000000  status 00000000  credits 0000  addr 0000000000000000",
            "After setting values:",
            "  control 00fffe39  status 00000001  credits 01fd  addr feedabbadeadbeef",
            "After VFIO reset:",
            "  control 00000000  status 00000000  credits 0000  addr 0000000000000000",
            "Testing 12570624 bytes of card memory, using rings with 1023 descriptors, and a total of 3069 descriptors",
            "Test: PASS",
        ]
    );
    let (out, _, code) = run("dma_blkram", &[], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(
        "Testing DMA bridge bar 0 memory base offset 0x0 size 0x120000\nTesting 1179648 bytes of card memory, using rings with 1023 descriptors, and a total of 288 descriptors\nTest: PASS\n"
    ), "{out}");
}

#[test]
fn golden_lines_stream_full_size() {
    // xilinx_dma_bridge.md §7.3's figures for 4 KiB pages: 3069 messages, 7847433 words,
    // 9198 descriptors; at HEAD the words are "32-bit words" and the routes are the default
    // loopback table, H2C 1 -> C2H 0 first (designs_after_seed.md §2.7, §3.4).
    let (out, err, code) = run("TEF1001_dma_stream_loopback", &[], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.ends_with(
            "Testing DMA bridge bar 2 AXI Stream\n\
             Successfully sent 3069 messages from Ch1->0 with a total of 7847433 32-bit words in 9198 descriptors\n\
             Successfully sent 3069 messages from Ch0->1 with a total of 7847433 32-bit words in 9198 descriptors\n\
             Test: PASS\n"
        ),
        "{out}"
    );
}

#[test]
fn golden_lines_crc64_ring_full_size() {
    // designs_after_seed.md §3.4's figures: 3069 messages, 10980882 64-bit words, 22977
    // descriptors, on routes H2C n -> C2H n.
    let (out, err, code) = run("NiteFury_dma_stream_crc64", &[], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.ends_with(
            "Testing DMA bridge bar 2 AXI Stream\n\
             Successfully sent 3069 messages from Ch0->0 with a total of 10980882 64-bit words in 22977 descriptors\n\
             Successfully sent 3069 messages from Ch1->1 with a total of 10980882 64-bit words in 22977 descriptors\n\
             Test: PASS\n"
        ),
        "{out}"
    );
}

#[test]
fn crc64_ring_with_command_line_route_and_a_wrong_crc() {
    // The CRC of message 2 (the third C2H packet) is corrupted on its way to the host.
    let fault = "corrupt_word:c2h1@4";
    let (out, _, code) = run(
        "TEF1001_dma_stream_crc64",
        &["--stream_messages", "5"],
        Some(fault),
    );
    assert_eq!(code, 1, "{out}");
    // Message 2: 514 words, after the 510 + 512 of messages 0 and 1.
    let mut g = xilinx_dma_bridge::crc64::Lcg64::new(0);
    let words: Vec<u64> = (0..510 + 512 + 514).map(|_| g.take()).collect();
    let expected = xilinx_dma_bridge::crc64::crc64_of_words(&words[1022..]);
    let actual = expected ^ 0xFFFF_FFFF;
    // Messages of 510, 512, 514, 516 and 518 words: 1 + 1 + 2 + 2 + 2 page descriptors.
    assert!(
        out.ends_with(&format!(
            "Successfully sent 5 messages from Ch0->0 with a total of 2570 64-bit words in 8 descriptors\n\
             Actual CRC {actual:016X} != Expected CRC {expected:016X} (over 514 words)\n\
             Test: FAIL\n"
        )),
        "{out}"
    );
    // A device_routing pair is out of range on a design without a switch.
    let (out, _, code) = run("TEF1001_dma_stream_crc64", &["-s", "0:15:00.0,1:1"], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("master_port 1 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_crc64\n"), "{out}");
    // A bare entry asks for no route.
    let (out, _, code) = run("TEF1001_dma_stream_crc64", &["-s", "0:15:00.0"], None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("Skipping test of descriptor rings, as no enabled routes\nTest: PASS\n"),
        "{out}"
    );
}

#[test]
fn crc64_ring_stall_times_out() {
    let (out, _, code) = run(
        "TOSING_160T_dma_stream_crc64",
        &["--stream_messages", "20", "--timeout-seconds", "1"],
        Some("stall:h2c0@3"),
    );
    assert_eq!(code, 1, "{out}");
    // Three descriptors get through: messages 0 and 1 (one page each) and the first page
    // of message 2, whose result never comes.
    assert!(out.contains("Testing DMA bridge bar 2 AXI Stream\nTest timeout waiting for C2H descriptor to complete (processed 2 completed 2 channel_status 0x1)\nTest timeout waiting for H2C descriptors to complete (started 4 completed 3 channel_status 0x1)\nFailed after 2 out of 20 messages transferred by DMA\n"), "{out}");
    // The other route still runs and passes; the design fails all the same.
    assert!(out.ends_with("Successfully sent 20 messages from Ch1->1 with a total of 10580 64-bit words in 38 descriptors\nTest: FAIL\n"), "{out}");
}

#[test]
fn fixed_data_and_revision_1_designs() {
    let (out, _, code) = run("TEF1001_dma_stream_fixed_data", &[], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("Testing DMA bridge bar 2 AXI Stream\nSkipping test of descriptor rings, as design doesn't support loopback\nTest: PASS\n"), "{out}");
    // A revision-1 board right after its reset: every switch port disabled, so the
    // defaults are written before the ring tests.
    let (out, _, code) = run("NiteFury_dma_stream_loopback_rev1", SMALL, None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Testing DMA bridge bar 2 AXI Stream\nDevice 0000:30:00.0 design NiteFury_dma_stream_loopback routes updated\nSuccessfully sent 1030 messages from Ch1->0 "), "{out}");
    let (out, _, code) = run(
        "NiteFury_dma_stream_loopback_rev1",
        &["--stream_messages", "3", "-s", "0:30:00.0,1:1"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("routes updated\nSuccessfully sent 3 messages from Ch1->1 "),
        "{out}"
    );
    assert_eq!(out.matches("Successfully sent").count(), 1, "{out}");
}

#[test]
fn several_designs_each_get_a_verdict() {
    let (out, _, code) = run("dma_blkram,TOSING_160T_dma_stream_loopback", SMALL, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("Test: PASS\n").count(), 2, "{out}");
}

#[test]
fn stalled_h2c_times_out_with_the_original_text() {
    let (out, err, code) = run(
        "TOSING_160T_dma_ddr3",
        &["--timeout-seconds", "1"],
        Some("stall:h2c0@3"),
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("Test timeout waiting for H2C descriptors to complete (started "),
        "{out}"
    );
    assert!(out.contains(" completed 3 channel_status 0x1)\n"), "{out}");
    assert!(out.contains("H2C channel 0 status 0x1: busy\n"), "{out}");
    assert!(out.ends_with("Test: FAIL\n"), "{out}");
    assert!(err.contains("error: 1 of 1 designs failed"), "{err}");
}

#[test]
fn iommu_fault_on_c2h_reports_0x80010() {
    let (out, _, code) = run(
        "NiteFury_dma_ddr3",
        &["--timeout-seconds", "1"],
        Some("iommu_fault:c2h0"),
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(
            "Test timeout waiting for C2H descriptors to complete (started 1023 completed 0 channel_status 0x80010)\n  C2H channel 0 status 0x80010: descriptor error: unsupported request, magic stopped\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("Test: FAIL\n"), "{out}");
}

#[test]
fn stream_stall_reports_both_directions_and_messages_done() {
    let (out, _, code) = run(
        "NiteFury_dma_stream_loopback",
        &["--timeout-seconds", "1"],
        Some("stall:h2c0@3"),
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("Test timeout waiting for C2H descriptors to complete (started "),
        "{out}"
    );
    assert!(
        out.contains("Test timeout waiting for H2C descriptors to complete (started "),
        "{out}"
    );
    // Messages 0 and 1 take one and two descriptors; the fourth descriptor stalls.
    assert!(
        out.contains("Failed after 2 out of 3069 messages transferred by DMA\n"),
        "{out}"
    );
    // The other pair is unaffected.
    assert!(
        out.contains("Successfully sent 3069 messages from Ch1->0 "),
        "{out}"
    );
    assert!(out.ends_with("Test: FAIL\n"), "{out}");
}

#[test]
fn corrupted_words_are_caught() {
    let (out, _, code) = run("TEF1001_dma_ddr3", SMALL, Some("corrupt_word:c2h0@1000"));
    assert_ne!(code, 0, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("card_words["))
        .expect("mismatch line");
    assert!(line.starts_with("card_words[1000] actual=0x"), "{line}");
    let (a, e) = line["card_words[1000] actual=0x".len()..]
        .split_once(" expected=0x")
        .expect("expected field");
    assert_eq!((a.len(), e.len()), (8, 8), "{line}");
    let (a, e) = (
        u32::from_str_radix(a, 16).unwrap(),
        u32::from_str_radix(e, 16).unwrap(),
    );
    assert_eq!(a, !e, "{line}");
    assert_eq!(out.matches("card_words[").count(), 1, "{out}");

    let (out, _, code) = run(
        "TOSING_160T_dma_stream_loopback",
        SMALL,
        Some("corrupt_word:c2h1@5000"),
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("\nword[5000] actual=0x"), "{out}");
    assert!(
        out.contains("Failed after 4 out of 1030 messages transferred by DMA\n"),
        "{out}"
    );
}

#[test]
fn descriptor_error_is_reported() {
    let (out, _, code) = run(
        "TEF1001_dma_ddr3",
        &["--timeout-seconds", "1"],
        Some("descriptor_error:h2c0@10"),
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("Error reported in descriptor write back waiting for H2C descriptors to complete (started "),
        "{out}"
    );
    assert!(
        out.contains("status 0x80000: descriptor error: unsupported request"),
        "{out}"
    );
}

#[test]
fn iova_offsets_provoke_iommu_faults() {
    let (out, _, code) = run(
        "TEF1001_dma_ddr3",
        &["-o", "0x100000000,0,0", "--timeout-seconds", "1"],
        None,
    );
    assert_ne!(code, 0, "{out}");
    let changing: Vec<&str> = out.lines().filter(|l| l.starts_with("Changing ")).collect();
    assert_eq!(changing.len(), 3, "{out}");
    for (line, name, offset) in [
        (changing[0], "descriptors", 0x1_0000_0000u64),
        (changing[1], "h2c_data", 0),
        (changing[2], "c2h_data", 0),
    ] {
        let rest = line
            .strip_prefix(&format!("Changing {name} IOVA 0x"))
            .unwrap_or_else(|| panic!("{line}"));
        let (from, to) = rest.split_once(" -> 0x").expect("arrow");
        let (a, b) = from.split_once("..0x").expect("range");
        let (c, d) = to.split_once("..0x").expect("range");
        let v = |s: &str| u64::from_str_radix(s, 16).unwrap();
        assert_eq!(v(c), v(a) + offset, "{line}");
        assert_eq!(v(d), v(b) + offset, "{line}");
        assert!(v(b) > v(a), "{line}");
    }
    // No descriptor can be fetched: H2C keeps being credited until its ring is full.
    assert!(
        out.contains("Test timeout waiting for H2C descriptors to complete (started 1020 completed 0 channel_status 0x80010)"),
        "{out}"
    );

    let (out, _, code) = run("dma_blkram", &["-o", "0,0,0"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("Changing ").count(), 3, "{out}");
}

#[test]
fn bad_options_are_refused_on_one_line() {
    let (out, err, code) = run("dma_blkram", &["-o", "1,2"], None);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("Invalid IOVA offsets 1,2"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (_, err, code) = run("dma_blkram", &["--stream-messages", "0"], None);
    assert_eq!(code, 2, "{err}");
    let out = Command::new(CREDITS).arg("--help").output().expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains(
        "test_dma_descriptor_credits -d <pci_device_location> -s <pci_device_location>[,<master_port>:<slave_port>] -o <descriptors_iova_offset,h2c_data_iova_offset,c2h_data_iova_offset> [-3] [-r]"
    ), "{help}");
    assert!(help.contains("--sim"), "{help}");
}

#[test]
fn a32_option_keeps_every_iova_below_4_gib() {
    let (out, _, code) = run("TOSING_160T_dma_ddr3", &["-3", "-o", "0,0,0"], None);
    assert_eq!(code, 0, "{out}");
    for line in out.lines().filter(|l| l.starts_with("Changing ")) {
        let end = line.rsplit("..0x").next().unwrap();
        assert!(u64::from_str_radix(end, 16).unwrap() < 1 << 32, "{line}");
    }
}

#[test]
fn no_design_to_test_is_one_line_and_exit_1() {
    let r = common::run_tool(CREDITS, &["--sim", "-d", "0000:99:00.0"], None);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "test_dma_descriptor_credits: no design with a DMA bridge found (-d 0000:99:00.0; simulated boards: "
        ),
        "{}",
        r.stderr
    );
}
