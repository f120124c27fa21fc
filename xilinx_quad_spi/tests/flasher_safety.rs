//! quad_spi_flasher as a hostile user would try it (issue #17): two writers at once, a
//! power loss after an erase, Ctrl-C, no confirmation, a .bit header naming another part,
//! and simulated storage that cannot be written. Each step is a separate process sharing
//! a temporary FPGA_SIO_SIM_DIR; steps synchronise on output lines and process exits.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use fpga_sim::bitstream_writer::{generate, BitFileHeader, BitstreamSpec};
use fpga_sim::quad_spi::FAULT_ENV;

const FLASHER: &str = env!("CARGO_BIN_EXE_quad_spi_flasher");
const IDCODE_7A200T: u32 = 0x0363_6093;
const NITEFURY: &str = "0000:30:00.0";
const FLASH_FILE: &str = "NiteFury_dma_stream_loopback@0000-30-00.0.flash";

struct Sim {
    dir: tempfile::TempDir,
}

impl Sim {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str], fault: Option<&str>) -> Command {
        let mut c = Command::new(FLASHER);
        c.args(["--sim", "-d", NITEFURY])
            .args(args)
            .env("FPGA_SIO_SIM_DIR", self.dir.path())
            .env_remove("FPGA_SIO_SIM")
            .env_remove(FAULT_ENV);
        if let Some(f) = fault {
            c.env(FAULT_ENV, f);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args, None).output().unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn recovery_files(&self) -> Vec<String> {
        match std::fs::read_dir(self.path("recovery")) {
            Ok(d) => d
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The flash contents at `offset` (through the tool).
    fn dump(&self, offset: u64, length: u64) -> Vec<u8> {
        let file = self.path("dump.bin");
        ok(&self.run(&[
            "--dump",
            file.to_str().unwrap(),
            "--offset",
            &format!("0x{offset:x}"),
            "--length",
            &format!("0x{length:x}"),
        ]));
        std::fs::read(file).unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn failed(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "unexpected success\nstdout:\n{}",
        text(&o.stdout)
    );
    text(&o.stderr)
}

/// A raw 7A200T bitstream of `frames` frames with a distinct timestamp `stamp`, padded
/// with erased bytes to `pad_to` (if longer).
fn bin_image(frames: usize, stamp: u32, pad_to: usize) -> Vec<u8> {
    let spec = BitstreamSpec::new(IDCODE_7A200T)
        .with_frames(frames)
        .with_usr_access(stamp);
    let mut bytes = generate(&spec).unwrap().payload().to_vec();
    if bytes.len() < pad_to {
        bytes.resize(pad_to, 0xFF);
    }
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// Reads `stream` line by line until one contains `needle`; returns the lines read.
fn read_until(stream: &mut impl BufRead, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = stream.read_line(&mut line).unwrap();
        assert_ne!(n, 0, "stream ended before '{needle}':\n{seen}");
        seen.push_str(&line);
        if line.contains(needle) {
            return seen;
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

/// Waits for a child whose stdout was partly read: the rest of stdout and all stderr.
fn finish(mut child: Child, stdout: BufReader<std::process::ChildStdout>) -> Output {
    let mut rest = Vec::new();
    let mut stdout = stdout;
    stdout.read_to_end(&mut rest).unwrap();
    let mut stderr = Vec::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout: rest,
        stderr,
    }
}

#[test]
fn two_concurrent_programs_take_turns_and_the_second_image_stays() {
    let sim = Sim::new();
    let dir = sim.dir.path();
    let first = write(dir, "first.bin", &bin_image(1500, 0x0911_1111, 0));
    let second = write(dir, "second.bin", &bin_image(1400, 0x0922_2222, 0));

    let mut a = sim
        .command(&["--program", &first, "--yes"], None)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut a_out = BufReader::new(a.stdout.take().unwrap());
    // A prints this while it holds the flash lock; stop it there so B must wait.
    read_until(&mut a_out, "Programming ");
    signal(&a, "STOP");

    let mut b = sim
        .command(&["--program", &second, "--yes"], None)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut b_err = BufReader::new(b.stderr.take().unwrap());
    let waiting = read_until(&mut b_err, "waiting for the flash");
    assert!(
        waiting.contains(&format!("held by PID {}", a.id())),
        "{waiting}"
    );
    signal(&a, "CONT");

    let a_result = finish(a, a_out);
    let a_stdout = ok(&a_result);
    assert!(a_stdout.contains("Bytes verified: "), "{a_stdout}");

    let b_stdout = BufReader::new(b.stdout.take().unwrap());
    let mut rest = Vec::new();
    b_err.read_to_end(&mut rest).unwrap();
    let mut b_out = String::new();
    { b_stdout }.read_to_string(&mut b_out).unwrap();
    assert!(b.wait().unwrap().success(), "{b_out}\n{}", text(&rest));
    // B saw A's image on the flash: it programmed over it, and verified its own.
    assert!(b_out.contains("Bytes verified: "), "{b_out}");
    assert!(!b_out.contains("Sectors erased: 0 "), "{b_out}");

    // The flash holds exactly the second image.
    let out = ok(&sim.run(&["--verify", &second]));
    assert!(out.contains(": identical"), "{out}");
    let err = failed(&sim.run(&["--verify", &first]));
    assert!(err.contains("bytes differ"), "{err}");
}

#[test]
fn bytes_sharing_a_sector_survive_a_power_loss_after_its_erase() {
    let sim = Sim::new();
    let dir = sim.dir.path();
    // A covers the sector 0x300000..0x310000 (Spansion: 64 KiB sectors) and beyond.
    let a = write(dir, "a.bin", &bin_image(8200, 0x0933_3333, 0));
    ok(&sim.run(&["--program", &a, "--yes"]));
    // 1 KiB of the user's own data at 0x307C00, in the same sector.
    let user: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    let user_file = write(dir, "user.bin", &user);
    let out = ok(&sim.run(&[
        "--program",
        &user_file,
        "--offset",
        "0x307C00",
        "--force",
        "--yes",
    ]));
    assert!(out.contains("programming it because of --force"), "{out}");
    assert!(
        sim.recovery_files().is_empty(),
        "{:?}",
        sim.recovery_files()
    );

    // C ends inside that sector, before the user's data.
    let c_bytes = bin_image(7600, 0x0944_4444, 0x30_4000);
    assert!(c_bytes.len() < 0x30_7C00 && c_bytes.len() > 0x30_0000);
    let c = write(dir, "c.bin", &c_bytes);
    let o = sim
        .command(&["--program", &c, "--yes"], Some("power-loss@5"))
        .output()
        .unwrap();
    let err = failed(&o);
    assert!(err.contains("device not responding"), "{err}");
    assert!(
        err.contains("bytes outside the image are kept in ")
            && err.contains("put back by the next --program or --erase"),
        "{err}"
    );
    assert_eq!(sim.recovery_files(), ["0000:30:00.0.0x00300000.bin"]);

    // The re-run puts the kept sector back, then programs C.
    let out = ok(&sim.run(&["--program", &c, "--yes"]));
    assert!(
        out.contains("Restored the sector at flash address 0x300000 (65536 bytes) kept by an interrupted run"),
        "{out}"
    );
    assert!(out.contains("Bytes verified: "), "{out}");
    assert!(sim.recovery_files().is_empty());
    assert_eq!(sim.dump(0x30_7C00, 0x400), user);
    ok(&sim.run(&["--verify", &c]));
}

#[test]
fn ctrl_c_stops_at_a_boundary_says_how_to_resume_and_exits_non_zero() {
    let sim = Sim::new();
    let dir = sim.dir.path();
    let image = write(dir, "big.bin", &bin_image(8000, 0x0955_5555, 0));
    let mut child = sim
        .command(&["--program", &image, "--yes"], None)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    read_until(&mut out, "Programming ");
    signal(&child, "INT");
    let o = finish(child, out);
    let err = failed(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --program interrupted during "),
        "{err}"
    );
    assert!(
        err.contains("the flash is left incomplete: run the same command again to finish"),
        "{err}"
    );
    // Resuming completes the image.
    let out = ok(&sim.run(&["--program", &image, "--yes"]));
    assert!(out.contains("Bytes verified: "), "{out}");
    ok(&sim.run(&["--verify", &image]));
}

#[test]
fn destructive_actions_without_yes_are_refused_when_nobody_can_confirm() {
    let sim = Sim::new();
    ok(&sim.run(&[])); // creates the flash file
    let file = sim.path(FLASH_FILE);
    let before = std::fs::read(&file).unwrap();
    let image = write(sim.dir.path(), "i.bin", &bin_image(100, 0x0966_6666, 0));
    // Command::output gives the child a null stdin: not a terminal.
    let err = failed(&sim.run(&["--program", &image]));
    assert_eq!(
        err,
        "error: refusing to program without --yes: stdin is not a terminal to confirm on\n"
    );
    let err = failed(&sim.run(&["--erase", "--offset", "0", "--length", "0x10000"]));
    assert_eq!(
        err,
        "error: refusing to erase without --yes: stdin is not a terminal to confirm on\n"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn bit_header_naming_another_part_than_its_idcode_is_refused() {
    let sim = Sim::new();
    ok(&sim.run(&[]));
    let before = std::fs::read(sim.path(FLASH_FILE)).unwrap();
    let spec = BitstreamSpec::new(IDCODE_7A200T)
        .with_frames(50)
        .with_bit_header(BitFileHeader {
            design_name: "mislabelled;UserID=0XFFFFFFFF".into(),
            part_name: "7k160tfbg676".into(),
            date: "2025/03/01".into(),
            time: "12:35:10".into(),
        });
    let bit = write(sim.dir.path(), "m.bit", &generate(&spec).unwrap().bytes);
    let err = failed(&sim.run(&["--program", &bit, "--yes"]));
    assert!(
        err.contains("its .bit header names part 7k160tfbg676 (IDCODE 0x0364C093) but its configuration data is for 7A200T (IDCODE 0x03636093); nothing was erased (use --force to program it anyway)"),
        "{err}"
    );
    assert_eq!(std::fs::read(sim.path(FLASH_FILE)).unwrap(), before);
    let out = ok(&sim.run(&["--program", &bit, "--yes", "--force"]));
    assert!(out.contains("programming it because of --force"), "{out}");
}

#[test]
fn unwritable_simulated_storage_fails_the_program_with_one_message() {
    let sim = Sim::new();
    // A directory where the flash file goes: nobody (root included) can write it.
    std::fs::create_dir(sim.path(FLASH_FILE)).unwrap();
    // Reading works, from the board's initial contents.
    let out = ok(&sim.run(&[]));
    assert!(out.contains("Successfully parsed bitstream"), "{out}");
    let image = write(sim.dir.path(), "i.bin", &bin_image(300, 0x0977_7777, 0));
    let o = sim.run(&["--program", &image, "--yes"]);
    let err = failed(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: {NITEFURY} (10ee:7024): simulated flash storage {}: cannot open for writing: Is a directory",
            sim.path(FLASH_FILE).display()
        )),
        "{err}"
    );
    assert!(!text(&o.stdout).contains("Bytes verified"));
}

#[test]
fn dump_refuses_nothing_partial_and_writes_whole_files() {
    let sim = Sim::new();
    let target = sim.path("missing_dir").join("dump.bin");
    let err = failed(&sim.run(&["--dump", target.to_str().unwrap(), "--length", "0x1000"]));
    assert!(
        err.contains(&format!(
            "Failed to create {}: No such file or directory",
            target.display()
        )),
        "{err}"
    );
    assert!(!target.exists());
    let ok_target = sim.path("dump.bin");
    std::fs::write(&ok_target, b"old").unwrap();
    ok(&sim.run(&["--dump", ok_target.to_str().unwrap(), "--length", "0x1000"]));
    assert_eq!(std::fs::read(&ok_target).unwrap().len(), 0x1000);
    // No temporary file left next to it.
    let names: Vec<_> = std::fs::read_dir(sim.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
