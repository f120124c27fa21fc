//! test_ddr and time_dma_blkram against simulated boards, CI-sized.

use std::process::Command;

/// A command for `exe` with no simulation from the environment and its own simulated
/// state directory (where the DMA channel locks live), which `state` keeps.
fn command(exe: &str, state: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIM_XDMA_FAULT")
        .env("FPGA_SIO_SIM_DIR", state.path());
    cmd
}

fn run(exe: &str, args: &[&str], fault: Option<&str>) -> (String, i32) {
    let state = tempfile::tempdir().expect("state dir");
    let mut cmd = command(exe, &state);
    cmd.args(args);
    if let Some(f) = fault {
        cmd.env("FPGA_SIM_XDMA_FAULT", f);
    }
    let out = cmd.output().expect("tool runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

const TEST_DDR: &str = env!("CARGO_BIN_EXE_test_ddr");
const TIME_BLKRAM: &str = env!("CARGO_BIN_EXE_time_dma_blkram");

#[test]
fn test_ddr_on_both_fury_boards() {
    for (design, board) in [
        ("Nitefury_Project-0", "NiteFury"),
        ("Litefury_Project-0", "LiteFury"),
    ] {
        let sim = format!("--sim={design}");
        let (out, code) = run(
            TEST_DDR,
            &[&sim, "--ddr_size_limit", "0x100000", "--iterations", "3"],
            None,
        );
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!(
                "Testing {board} board version 0x2 with DDR size 0x100000 for PCI device "
            )),
            "{out}"
        );
        assert!(out.contains("Size of DMA descriptors used for h2c: [0]=0x100000\nSize of DMA descriptors used for c2h: [0]=0x100000\n"));
        assert_eq!(out.matches("Test pattern pass\n").count(), 3);
        assert!(
            out.contains("host-to-card DMA timing for 3 transfers of 1048576 bytes:\n   Min = ")
        );
        assert!(
            out.contains("card-to-host DMA timing for 3 transfers of 1048576 bytes:\n   Min = ")
        );
    }
    // One page at a time.
    let (out, code) = run(
        TEST_DDR,
        &[
            "--sim=Nitefury_Project-0",
            "--ddr_size_limit",
            "0x10000",
            "--iterations",
            "1",
            "-l",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Size of DMA descriptors used for c2h: [0]=0x1000\n"));
    assert!(out.contains("card-to-host DMA timing for 16 transfers of 4096 bytes:\n"));
}

/// The descriptor chain of the whole 1 GiB DDR, built by the single-transfer driver the
/// tool uses (in-process: `--iterations 0`, which tested nothing, is now refused).
fn whole_ddr_h2c_sizes_line(min_size_alignment: u64) -> String {
    use command_line::DeviceArgs;
    use std::sync::Arc;
    use vfio_access::DmaAccess;
    use xilinx_dma_bridge::designs::dma_designs;
    use xilinx_dma_bridge::single_transfer::SingleTransfer;
    use xilinx_dma_bridge::{DmaDirection, SubAllocator};

    let args = DeviceArgs {
        sim: Some("Nitefury_Project-0".into()),
        ..DeviceArgs::default()
    };
    let devices =
        identify_design::open_devices(&args, &identify_design::design_filters()).expect("open");
    let opened = identify_design::OpenedDesigns::identify(devices);
    let d = dma_designs(&opened)[0];
    assert_eq!(d.bridge.memory_size, 0x4000_0000);
    let data = d
        .device
        .alloc_dma(0x4000_0000, DmaAccess::READ)
        .expect("1 GiB mapping");
    let descriptors = d
        .device
        .alloc_dma(0x1000, DmaAccess::READ_WRITE)
        .expect("descriptors");
    let mut sub = SubAllocator::new(Arc::new(descriptors));
    SingleTransfer::init(
        d.device,
        d.bridge.bar,
        DmaDirection::H2C,
        0,
        &data,
        0,
        0x4000_0000,
        min_size_alignment,
        &mut sub,
        None,
    )
    .expect("chain")
    .descriptor_sizes_line()
}

#[test]
fn golden_descriptor_sizes_for_the_whole_ddr() {
    assert_eq!(
        whole_ddr_h2c_sizes_line(1),
        "Size of DMA descriptors used for h2c: [0]=0xfffffff [1]=0xfffffff [2]=0xfffffff [3]=0xfffffff [4]=0x4"
    );
    assert_eq!(
        whole_ddr_h2c_sizes_line(4096),
        "Size of DMA descriptors used for h2c: [0]=0xffff000 [1]=0xffff000 [2]=0xffff000 [3]=0xffff000 [4]=0x4000"
    );
}

#[test]
fn sizes_and_counts_that_would_test_nothing_are_refused() {
    for (exe, args, message) in [
        (
            TEST_DDR,
            &["--iterations", "0"][..],
            "Invalid iterations 0 (must be at least 1)",
        ),
        (
            TEST_DDR,
            &["--ddr-size-limit", "0"][..],
            "Invalid ddr_size_limit 0 (must be at least 4)",
        ),
        (
            TEST_DDR,
            &["-a", "0"][..],
            "Invalid min_size_alignment 0 (must be at least 1)",
        ),
        (
            TIME_BLKRAM,
            &["--iterations", "0"][..],
            "Invalid iterations 0 (must be at least 1)",
        ),
        (
            TIME_BLKRAM,
            &["--memory-size-limit", "3"][..],
            "Invalid memory_size_limit 3 (must be at least 4)",
        ),
        (
            TIME_BLKRAM,
            &["--timeout-seconds", "inf"][..],
            "must be finite",
        ),
    ] {
        let state = tempfile::tempdir().expect("state dir");
        let out = command(exe, &state)
            .arg("--sim")
            .args(args)
            .output()
            .expect("tool runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{exe} {args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(message), "{exe} {args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn no_board_to_test_is_one_line_and_exit_1() {
    for (exe, what) in [
        (
            TEST_DDR,
            "test_ddr: no NiteFury or LiteFury Project-0 board found (",
        ),
        (TIME_BLKRAM, "time_dma_blkram: no dma_blkram design found ("),
    ] {
        // A -d that names no board, and boards of the wrong designs.
        for args in [
            &["--sim", "-d", "0000:99:00.0"][..],
            &["--sim=TEF1001_dma_ddr3@0000:03:00.0"][..],
        ] {
            let state = tempfile::tempdir().expect("state dir");
            let out = command(exe, &state).args(args).output().expect("tool runs");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with(what), "{err}");
        }
    }
    let state = tempfile::tempdir().expect("state dir");
    let out = command(TEST_DDR, &state)
        .args(["--sim", "-d", "0000:99:00.0"])
        .output()
        .expect("tool runs");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("(-d 0000:99:00.0; simulated boards: "),
        "the filter and the boards looked at are named"
    );
}

#[test]
fn test_ddr_reports_a_corrupted_word_and_a_stall() {
    let (out, code) = run(
        TEST_DDR,
        &[
            "--sim=Nitefury_Project-0",
            "--ddr_size_limit",
            "0x10000",
            "--iterations",
            "2",
        ],
        Some("corrupt_word:h2c0@300"),
    );
    assert_eq!(code, 1, "{out}");
    let mut p = xilinx_dma_bridge::TestPattern::new(0);
    p.advance(300);
    let e = p.value();
    assert!(
        out.contains(&format!(
            "DDR word[300] actual=0x{:x} expected=0x{e:x}\n",
            !e
        )),
        "{out}"
    );
    assert!(!out.contains("timing for"), "{out}");
    let (out, code) = run(
        TEST_DDR,
        &[
            "--sim=Nitefury_Project-0",
            "--ddr_size_limit",
            "0x10000",
            "--iterations",
            "2",
            "--timeout-seconds",
            "0.5",
        ],
        Some("stall:c2h0"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "Transfer timed out. channel_status=0x1 with 0 out of 1 descriptors completed\n"
        ),
        "{out}"
    );
}

#[test]
fn time_dma_blkram_on_dma_blkram() {
    let (out, code) = run(
        TIME_BLKRAM,
        &[
            "--sim=dma_blkram",
            "--iterations",
            "20",
            "-c",
            "1",
            "-h",
            "0",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Testing dma_blkram device with memory size 0x120000 for PCI device "),
        "{out}"
    );
    assert!(out.contains(" h2c_chan 1 c2h chan 0\nSize of DMA descriptors used for h2c: [0]=0x120000\nSize of DMA descriptors used for c2h: [0]=0x120000\nTest pattern pass\nhost-to-card DMA timing for 20 transfers of 1179648 bytes:\n"), "{out}");
    let (out, code) = run(
        TIME_BLKRAM,
        &["--sim=dma_blkram", "--iterations", "2"],
        Some("descriptor_error:c2h0"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Transfer completed with error. channel_status=0x80000 with 1 out of 1 descriptors completed\n"), "{out}");
}
