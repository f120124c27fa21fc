//! Golden test: `i2c_dump_info --sim -d 0000:15:00.0` prints the recorded run of spec 8.2,
//! followed by the XADC trailer exactly as the xilinx_xadc crate renders the same seeded
//! XADC model of a fresh board.

mod common;

use common::tool::{from_using, run, stderr, stdout};
use common::DUMP_8_2;
use fpga_sim::board::{Board, BoardOptions, Design};
use fpga_sim::peripheral::PeripheralSpace;
use vfio_access::PciLocation;
use xilinx_xadc::{format_samples, read_samples};

const DUMP: &str = env!("CARGO_BIN_EXE_i2c_dump_info");

fn xadc_trailer() -> String {
    let dir = tempfile::tempdir().unwrap();
    let board = Board::new(
        Design::Tef1001DmaStreamLoopback,
        PciLocation::new(0, 0x15, 0, 0),
        &BoardOptions {
            xadc_seed: None,
            state_dir: Some(dir.path().to_path_buf()),
        },
    );
    let xadc = board.frame_model(0, 0x3000).expect("XADC frame");
    format_samples(&read_samples(&PeripheralSpace::mmio(xadc, 0x1000)))
}

#[test]
fn dump_info_on_the_simulated_tef1001_is_the_recorded_run() {
    let o = run(DUMP, &["--sim", "-d", "0000:15:00.0"], None);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let out = stdout(&o);
    let before = &out[..out.len() - from_using(&out).len()];
    assert!(
        before
            .lines()
            .all(|l| l.starts_with("Opening device 0000:15:00.0")
                || l.starts_with("Enabling bus master")),
        "unexpected lines before the report: {before:?}"
    );
    let expected = format!("{DUMP_8_2}\n{}", xadc_trailer());
    assert_eq!(from_using(&out), expected);
}

#[test]
fn spd_file_option_decodes_the_module_of_8_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spd.bin");
    std::fs::write(&path, common::SPD_8_1).unwrap();
    let o = run(DUMP, &["--spd-file", path.to_str().unwrap()], None);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), common::section("DDR3 SPD decode:"));
}
