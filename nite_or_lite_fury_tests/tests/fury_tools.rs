//! The Fury tools against simulated boards: test_general, flash_m2_led and
//! memmapped_persistence_vfio (persistence across two process runs).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use fpga_sim::board::{build_boards, BoardOptions};
use fpga_sim::gpio::AxiGpio;
use identify_design::{design_filters, open_sim_boards, OpenedDesigns};
use nite_or_lite_fury_tests::m2_led::{flash_m2_led, LedReport};
use vfio_access::OpenOptions;

fn run(exe: &str, args: &[&str], sim_dir: &Path) -> Output {
    Command::new(exe)
        .args(args)
        .env("FPGA_SIO_SIM_DIR", sim_dir)
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_XADC_SEED")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

const PERSIST: &str = env!("CARGO_BIN_EXE_memmapped_persistence_vfio");

#[test]
fn memmapped_contents_persist_between_runs_until_power_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let first = stdout(&run(PERSIST, &["--sim"], dir.path()));
    assert_eq!(
        first
            .lines()
            .filter(|l| *l == "    No contents from a previous run")
            .count(),
        3,
        "{first}"
    );
    assert!(first.contains(
        "memmapped_blkram in PCI device 0000:15:00.0 IOMMU group 41:\n  BAR 0 size 0x100000 prefetchable=1 64-bit=1\n"
    ));
    assert!(first.contains("  BAR 2 size 0x20000 prefetchable=1 64-bit=1\n"));
    assert!(first.contains("  BAR 4 size 0x10000 prefetchable=1 64-bit=1\n"));

    let second = run(PERSIST, &["--sim", "--expect-persisted"], dir.path());
    let second = stdout(&second);
    let kept: Vec<&str> = second
        .lines()
        .filter(|l| l.starts_with("    Contents from run 1 ") && l.ends_with(" still present"))
        .collect();
    assert_eq!(kept.len(), 3, "{second}");
    assert_eq!(
        second
            .lines()
            .filter(|l| l.starts_with("    Wrote header and pattern for run 2 "))
            .count(),
        3
    );

    // Power cycle: the contents are gone, and --expect-persisted fails with one line.
    let cycled = run(
        PERSIST,
        &["--sim", "--power-cycle", "--expect-persisted"],
        dir.path(),
    );
    assert_eq!(cycled.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(cycled.stderr).unwrap(),
        "error: 3 BAR(s) did not keep the previous run's contents\n"
    );
    let after = stdout(&run(PERSIST, &["--sim"], dir.path()));
    assert!(after.contains("Contents from run 1 "), "{after}");

    // Deleting the state file is also a power cycle.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let fresh = stdout(&run(PERSIST, &["--sim"], dir.path()));
    assert!(!fresh.contains("Contents from run"), "{fresh}");
}

#[test]
fn thirty_two_bit_bar_variant_reports_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&run(
        PERSIST,
        &["--sim=memmapped_blkram_32bit_bars@0000:04:00.0"],
        dir.path(),
    ));
    assert!(
        out.contains("  BAR 1 size 0x20000 prefetchable=0 64-bit=0\n"),
        "{out}"
    );
    let out = stdout(&run(
        PERSIST,
        &[
            "--sim=memmapped_blkram_32bit_bars@0000:04:00.0",
            "--expect-persisted",
        ],
        dir.path(),
    ));
    assert_eq!(out.matches(" still present").count(), 3, "{out}");
}

#[test]
fn unusable_simulated_storage_is_named_not_the_board() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the block RAM file goes: nobody, root included, can write it.
    let file = dir.path().join("memmapped_blkram@0000-15-00.0.blkram");
    std::fs::create_dir(&file).unwrap();
    let o = run(
        PERSIST,
        &["--sim=memmapped_blkram@0000:15:00.0", "--expect-persisted"],
        dir.path(),
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: 0000:15:00.0 (10ee:")
            && err.contains(&format!(
                "simulated block RAM storage unusable ({}: Is a directory",
                file.display()
            )),
        "{err}"
    );
    assert!(err.trim_end().ends_with("nothing checked"), "{err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("did not keep"));
}

#[test]
fn no_memmapped_device_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(PERSIST, &["--sim=dma_blkram"], dir.path());
    // A test that tested nothing fails (README "Exit status").
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: No memmapped_blkram devices found among the simulated boards"),
        "{err}"
    );
}

#[test]
fn test_general_without_a_fury_board_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_test_general"),
        &["--sim=dma_blkram"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: No NiteFury or LiteFury boards found among the simulated boards"),
        "{err}"
    );
}

#[test]
fn test_general_reports_the_fury_board_and_its_xadc() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&run(
        env!("CARGO_BIN_EXE_test_general"),
        &["--sim"],
        dir.path(),
    ));
    let lines: Vec<&str> = out.lines().collect();
    let found = lines
        .iter()
        .position(|l| {
            *l == "Found NiteFury board version 0x2 for PCI device 0000:2e:00.0 IOMMU group 86"
        })
        .expect(&out);
    assert_eq!(
        lines[found + 1],
        "XADC samples using Single channel mode (sequencer off)"
    );
    assert_eq!(
        lines[found + 2],
        "Current enabled channels in sequencer: Temp   "
    );
    assert_eq!(
        lines[found + 3],
        "ADC A calibration: unipolar offset=-7 (lsbs)  bipolar offset=-8 (lsbs)  gain correction factor=6.3 (%)"
    );
    assert!(
        lines[found + 7].starts_with("  Vccint      1.0")
            && lines[found + 7].ends_with("V           ")
    );
    assert_eq!(
        lines.len(),
        found + 10,
        "only the Fury board is reported: {out}"
    );

    let raw = stdout(&run(
        env!("CARGO_BIN_EXE_test_general"),
        &["--sim", "--raw-sensors", "-d", "0000:2e:00.0"],
        dir.path(),
    ));
    let raw: Vec<&str> = raw.lines().collect();
    assert_eq!(raw.len(), 7, "{raw:?}");
    assert!(raw[3].starts_with("Temp C=3"));
    assert_eq!(raw[4], "VCCInt=1.03");
    assert_eq!(raw[5], "vccaux=1.78");
    assert_eq!(raw[6], "vbram=1.03");
}

fn fury_designs(dir: &tempfile::TempDir) -> OpenedDesigns {
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let boards = build_boards(
        Some("Nitefury_Project-0,Litefury_Project-0,TEF1001_dma_stream_loopback"),
        &options,
    )
    .unwrap();
    OpenedDesigns::identify(
        open_sim_boards(boards, &OpenOptions::default(), &design_filters()).unwrap(),
    )
}

#[test]
fn m2_led_is_pulsed_only_on_capable_boards() {
    let dir = tempfile::tempdir().unwrap();
    let opened = fury_designs(&dir);
    let mut out = Vec::new();
    let r = flash_m2_led(&mut out, &opened, Duration::from_micros(10)).unwrap();
    assert_eq!(
        r,
        LedReport {
            pulsed: 0,
            unsupported: 2
        }
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Board version 0x2 doesn't support correct M2 LED signal drive\n".repeat(2)
    );

    // A version 4 board (the board-version input changed through the model's hook).
    let nite = &opened.devices.sim_boards[0].board;
    nite.peripheral_at::<AxiGpio>(0, 0)
        .unwrap()
        .set_inputs(2, 4);
    let opened = OpenedDesigns::identify(opened.devices);
    let mut out = Vec::new();
    let r = flash_m2_led(&mut out, &opened, Duration::from_micros(10)).unwrap();
    assert_eq!(
        r,
        LedReport {
            pulsed: 1,
            unsupported: 1
        }
    );
    let text = String::from_utf8(out).unwrap();
    // The LiteFury (bus 01) comes first in bus order.
    assert_eq!(
        text,
        "Board version 0x2 doesn't support correct M2 LED signal drive\n\
         Testing Nitefury Project-0 board version 0x4 for PCI device 0000:2e:00.0 IOMMU group 86\n"
    );
    let gpio2 = opened.devices.sim_boards[0]
        .board
        .peripheral_at::<AxiGpio>(0, 0x2000)
        .unwrap();
    assert_eq!(gpio2.output_history(2), vec![0x2, 0x0], "LED on, then off");
    for b in &opened.devices.sim_boards {
        assert_eq!(b.board.unimplemented_accesses(), 0);
    }
}

#[test]
fn flash_m2_led_rejects_a_bad_time_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_flash_m2_led"),
        &["--sim", "12x"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("Invalid led_on_time_us 12x"), "{err}");
    let out = run(
        env!("CARGO_BIN_EXE_flash_m2_led"),
        &["--sim", "100"],
        dir.path(),
    );
    assert!(out.status.success());
}
