//! quad_spi_flasher against simulated boards, each step a separate process sharing a
//! temporary FPGA_SIO_SIM_DIR (so flash contents persist from one run to the next).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fpga_sim::bitstream_writer::{generate, BitFileHeader, BitstreamSpec};
use fpga_sim::quad_spi::FAULT_ENV;

const FLASHER: &str = env!("CARGO_BIN_EXE_quad_spi_flasher");
const IDCODE_7A200T: u32 = 0x0363_6093;
const IDCODE_7K160T: u32 = 0x0364_C093;
const NITEFURY: &str = "0000:30:00.0";
const TEF1001: &str = "0000:15:00.0";

struct Sim {
    dir: tempfile::TempDir,
}

impl Sim {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run_env(&self, args: &[&str], fault: Option<&str>) -> Output {
        let mut c = Command::new(FLASHER);
        c.args(args)
            .env("FPGA_SIO_SIM_DIR", self.dir.path())
            .env_remove("FPGA_SIO_SIM")
            .env_remove(FAULT_ENV);
        if let Some(f) = fault {
            c.env(FAULT_ENV, f);
        }
        c.output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, None)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn flash_file(&self, design: &str, location: &str) -> PathBuf {
        self.path(&format!("{design}@{}.flash", location.replace(':', "-")))
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

fn failed(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "unexpected success\nstdout:\n{}",
        stdout(o)
    );
    stderr(o)
}

/// A generated .bit file for `idcode`.
fn bit_file(dir: &Path, name: &str, idcode: u32, frames: usize, part: &str) -> PathBuf {
    let spec = BitstreamSpec::new(idcode)
        .with_frames(frames)
        // 01/03/2025 12:34:56
        .with_usr_access((1 << 27) | (3 << 23) | (25 << 17) | (12 << 12) | (34 << 6) | 56)
        .with_bit_header(BitFileHeader {
            design_name: format!("{name};COMPRESS=FALSE;UserID=0XFFFFFFFF;Version=2024.2"),
            part_name: part.into(),
            date: "2025/03/01".into(),
            time: "12:35:10".into(),
        });
    let g = generate(&spec).unwrap();
    let path = dir.join(format!("{name}.bit"));
    std::fs::write(&path, &g.bytes).unwrap();
    path
}

const MICRON_LINES: &str = "FIFO depth=256
Flash device : Micron N25Q256A
Manufacturer ID=0x20  Memory Interface Type=0xbb  Density=0x19
Flash Size Bytes=33554432  Page Size Bytes=256  Num Address Bytes=4
Successfully parsed bitstream of length ";

const SPANSION_LINES: &str = "FIFO depth=256
Flash device : Spansion S25FL_A
Manufacturer ID=0x01  Memory Interface Type=0x02  Density=0x19
Flash Size Bytes=33554432  Page Size Bytes=256  Num Address Bytes=4
Successfully parsed bitstream of length ";

const MACRONIX_LINES: &str = "FIFO depth=16
Flash device : Macronix MX25L128
Manufacturer ID=0xc2  Memory Interface Type=0x20  Density=0x18
Flash Size Bytes=16777216  Page Size Bytes=256  Num Address Bytes=3
Successfully parsed bitstream of length ";

#[test]
fn default_sim_identifies_each_flash_and_reports_its_bitstream() {
    let sim = Sim::new();
    let out = ok(&sim.run(&["--sim"]));
    let tef = format!(
        "\nDisplaying information for SPI flash using TEF1001_dma_stream_loopback design in PCI device {TEF1001} IOMMU group 41\n{MICRON_LINES}"
    );
    let nite = format!(
        "\nDisplaying information for SPI flash using NiteFury_dma_stream_loopback design in PCI device {NITEFURY} IOMMU group 89\n{SPANSION_LINES}"
    );
    assert!(out.contains(&tef), "{out}");
    assert!(out.contains(&nite), "{out}");
    let sections: Vec<&str> = out.split("\nDisplaying information").skip(1).collect();
    assert!(sections.len() >= 2, "{out}");
    for s in sections {
        assert!(s.contains("\nRead 131072 bytes from SPI flash starting at address 0\nSync word at byte index 0x30\n"), "{s}");
        assert!(
            s.contains("  Type 1 packet opcode write register IDCODE 7"),
            "{s}"
        );
        assert!(
            s.contains("  Type 1 packet opcode write register AXSS "),
            "{s}"
        );
        assert!(
            s.trim_end()
                .ends_with("  Type 1 packet opcode NOP (64 consecutive)"),
            "{s}"
        );
    }
    assert!(out.contains("IDCODE 7K160T") && out.contains("IDCODE 7A200T"));
}

#[test]
fn macronix_personality_with_16_entry_fifo() {
    let sim = Sim::new();
    let out = ok(&sim.run(&["--sim=TOSING_160T_dma_ddr3"]));
    assert!(
        out.contains(
            "Displaying information for SPI flash using TOSING_160T_dma_ddr3 design in PCI device "
        ),
        "{out}"
    );
    assert!(out.contains(MACRONIX_LINES), "{out}");
    assert!(out.contains("IDCODE 7K160T"), "{out}");
}

#[test]
fn program_then_verify_in_separate_runs() {
    let sim = Sim::new();
    let bit = bit_file(
        sim.dir.path(),
        "nitefury_test",
        IDCODE_7A200T,
        700,
        "7a200tfbg484",
    );
    let bit_s = bit.to_str().unwrap();
    let out = ok(&sim.run(&["--sim", "-d", NITEFURY, "--program", bit_s, "--yes"]));
    assert!(
        out.contains(
            "NiteFury_dma_stream_loopback at 0000:30:00.0: Spansion S25FL_A (33554432 bytes)"
        ),
        "{out}"
    );
    let summary = out
        .lines()
        .find(|l| l.starts_with("Sectors erased: "))
        .unwrap_or_else(|| panic!("{out}"));
    // The flash held the board's bitstream: its sectors need erasing.
    assert!(!summary.starts_with("Sectors erased: 0 "), "{summary}");
    assert!(!summary.contains("Pages written: 0 "), "{summary}");

    let out = ok(&sim.run(&["--sim", "-d", NITEFURY, "--verify", bit_s]));
    assert!(
        out.contains("Verified ") && out.contains(": identical"),
        "{out}"
    );

    // The report now shows the new bitstream.
    let out = ok(&sim.run(&["--sim", "-d", NITEFURY]));
    assert!(out.contains("AXSS 09B2C8B8 - 01/03/2025 12:34:56"), "{out}");
    assert!(out.contains("IDCODE 7A200T"), "{out}");

    // The same image again: nothing erased, nothing written.
    let out = ok(&sim.run(&["--sim", "-d", NITEFURY, "--program", bit_s, "--yes"]));
    assert!(
        out.contains("Sectors erased: 0  Pages written: 0  Bytes verified: "),
        "{out}"
    );
}

#[test]
fn wrong_fpga_image_is_refused_and_flash_unchanged() {
    let sim = Sim::new();
    ok(&sim.run(&["--sim", "-d", NITEFURY])); // creates the flash file
    let file = sim.flash_file("NiteFury_dma_stream_loopback", NITEFURY);
    let before = std::fs::read(&file).unwrap();
    let bit = bit_file(
        sim.dir.path(),
        "tef_test",
        IDCODE_7K160T,
        50,
        "7k160tfbg676",
    );
    let err = failed(&sim.run(&[
        "--sim",
        "-d",
        NITEFURY,
        "--program",
        bit.to_str().unwrap(),
        "--yes",
    ]));
    assert!(err.contains("is for 7K160T (IDCODE 0x0364C093) but NiteFury_dma_stream_loopback has a xc7a200tfbg484-2 (IDCODE 0x03636093); nothing was erased"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // Too large for the flash.
    let big = sim.path("big.bin");
    let mut data = generate(&BitstreamSpec::new(IDCODE_7A200T)).unwrap().bytes;
    data.resize(33 << 20, 0xFF);
    std::fs::write(&big, &data).unwrap();
    let err = failed(&sim.run(&[
        "--sim",
        "-d",
        NITEFURY,
        "--program",
        big.to_str().unwrap(),
        "--yes",
    ]));
    assert!(
        err.contains("do not fit in the 33554432-byte flash; nothing was erased"),
        "{err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn faults_give_clear_errors_and_a_rerun_recovers() {
    let sim = Sim::new();
    let cases = [
        ("program-error@3", "program error (status register P_ERR)"),
        ("erase-error", "erase error (status register E_ERR)"),
        ("power-loss@5", "device not responding"),
    ];
    for (i, (fault, message)) in cases.into_iter().enumerate() {
        // A different image each time, so sectors need erasing and pages programming.
        let bit = bit_file(
            sim.dir.path(),
            "fault_test",
            IDCODE_7A200T,
            120 + 40 * i,
            "7a200tfbg484",
        );
        let bit_s = bit.to_str().unwrap();
        let o = sim.run_env(
            &["--sim", "-d", NITEFURY, "--program", bit_s, "--yes"],
            Some(fault),
        );
        let err = failed(&o);
        assert!(err.starts_with("error: programming "), "{fault}: {err}");
        assert!(err.contains(message), "{fault}: {err}");
        // The next run, without the fault, programs and verifies.
        let out = ok(&sim.run(&["--sim", "-d", NITEFURY, "--program", bit_s, "--yes"]));
        assert!(out.contains("Bytes verified: "), "{out}");
        ok(&sim.run(&["--sim", "-d", NITEFURY, "--verify", bit_s]));
    }
    // A stuck busy bit on the Micron board: a bounded wait, then a timeout.
    let tef = bit_file(sim.dir.path(), "tef", IDCODE_7K160T, 60, "7k160tfbg676");
    let o = sim.run_env(
        &[
            "--sim",
            "-d",
            TEF1001,
            "--program",
            tef.to_str().unwrap(),
            "--yes",
        ],
        Some("stuck-busy@2"),
    );
    let err = failed(&o);
    assert!(
        err.contains("page program at 0x") && err.contains("did not complete within 1s"),
        "{err}"
    );
    ok(&sim.run(&[
        "--sim",
        "-d",
        TEF1001,
        "--program",
        tef.to_str().unwrap(),
        "--yes",
    ]));
    ok(&sim.run(&["--sim", "-d", TEF1001, "--verify", tef.to_str().unwrap()]));
}

#[test]
fn dump_and_erase_ranges() {
    let sim = Sim::new();
    let dump = sim.path("dump.bin");
    let d = dump.to_str().unwrap();
    let out = ok(&sim.run(&[
        "--sim", "-d", TEF1001, "--dump", d, "--offset", "0", "--length", "0x20000",
    ]));
    assert!(
        out.contains("Wrote 131072 bytes from flash address 0x0 to "),
        "{out}"
    );
    let data = std::fs::read(&dump).unwrap();
    assert_eq!(data.len(), 0x20000);
    // The board's bitstream: padding, bus width pattern, sync word.
    assert_eq!(
        &data[0x28..0x34],
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xAA, 0x99, 0x55, 0x66]
    );

    let err = failed(&sim.run(&[
        "--sim", "-d", TEF1001, "--erase", "--offset", "0x100", "--length", "0x1000", "--yes",
    ]));
    assert!(err.contains("not aligned to erase sectors"), "{err}");
    let out = ok(&sim.run(&[
        "--sim", "-d", TEF1001, "--erase", "--offset", "0x1000", "--length", "0x3000", "--yes",
    ]));
    assert!(
        out.contains("Sectors erased: 3  Sectors already blank: 0"),
        "{out}"
    );
    ok(&sim.run(&["--sim", "-d", TEF1001, "--dump", d, "--length", "0x5000"]));
    let after = std::fs::read(&dump).unwrap();
    assert_eq!(after[..0x1000], data[..0x1000]);
    assert!(after[0x1000..0x4000].iter().all(|&b| b == 0xFF));
    assert_eq!(after[0x4000..0x5000], data[0x4000..0x5000]);

    // Several designs with a flash are open: an action needs -d.
    let err = failed(&sim.run(&["--sim", "--dump", d]));
    assert!(err.contains("select one with -d <location>"), "{err}");
}

/// README "Exit status": a report of no flash is still a report (exit 0, one line); an
/// action with no flash to act on fails.
#[test]
fn no_flash_is_one_line_exit_0_for_the_report_and_1_for_an_action() {
    let sim = Sim::new();
    let out = sim.run(&["--sim=dma_blkram"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("No FPGA design with a Quad SPI flash found among the simulated boards"),
        "{err}"
    );
    let dump = sim.dir.path().join("dump.bin");
    let out = sim.run(&["--sim=dma_blkram", "--dump", dump.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dump.exists());
}

#[test]
fn a_golden_image_is_followed_by_the_multiboot_image_it_names() {
    let sim = Sim::new();
    let golden = generate(
        &BitstreamSpec::new(IDCODE_7A200T)
            .with_frames(40)
            .with_multiboot_next(0x40_0000),
    )
    .unwrap();
    let next = generate(
        &BitstreamSpec::new(IDCODE_7A200T)
            .with_frames(300)
            .with_usr_access(0x09B2_C8B8),
    )
    .unwrap();
    let (golden_bin, next_bin) = (sim.path("golden.bin"), sim.path("next.bin"));
    std::fs::write(&golden_bin, golden.payload()).unwrap();
    std::fs::write(&next_bin, next.payload()).unwrap();
    let g = golden_bin.to_str().unwrap();
    let n = next_bin.to_str().unwrap();
    ok(&sim.run(&["--sim", "-d", NITEFURY, "--program", g, "--yes"]));
    ok(&sim.run(&[
        "--sim",
        "-d",
        NITEFURY,
        "--program",
        n,
        "--offset",
        "0x400000",
        "--yes",
    ]));
    let out = ok(&sim.run(&["--sim", "-d", NITEFURY]));
    let reports: Vec<&str> = out
        .split("\n\nAbove bitstream appears to be golden image. Looking for following multiboot image at offset 0x400000\n")
        .collect();
    assert_eq!(reports.len(), 2, "{out}");
    assert!(
        reports[0].contains("\nRead 32768 bytes from SPI flash starting at address 0\n"),
        "{out}"
    );
    assert!(
        reports[0].contains("  Type 1 packet opcode write register WBSTAR words 00400000\n"),
        "{out}"
    );
    assert!(
        reports[0].contains(" register CMD command IPROG\n"),
        "{out}"
    );
    assert!(
        reports[1].starts_with(&format!(
            "Successfully parsed bitstream of length {} bytes with {} configuration packets\n\
             Read 131072 bytes from SPI flash starting at address 4194304\n\
             Sync word at byte index 0x{:X}\n",
            next.payload().len(),
            next.packet_count,
            next.sync_index
        )),
        "{out}"
    );
    assert!(
        reports[1].contains("AXSS 09B2C8B8 - 01/03/2025 12:34:56"),
        "{out}"
    );
    assert!(!reports[1].contains("golden image"), "{out}");
    // A single image (the board's own) gets no lookup.
    let out = ok(&sim.run(&["--sim", "-d", TEF1001]));
    assert!(!out.contains("golden image"), "{out}");
}
