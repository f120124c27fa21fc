//! Runs the built `parse_bitstream_file` and `xilinx_bit_to_bin` binaries.

use std::path::PathBuf;
use std::process::Command;

use fpga_sim::bitstream_writer::{generate, BitFileHeader, BitstreamSpec};

const PARSE: &str = env!("CARGO_BIN_EXE_parse_bitstream_file");
const BIT_TO_BIN: &str = env!("CARGO_BIN_EXE_xilinx_bit_to_bin");

/// A real `.bit` file with its expected report, or a generated one when absent.
fn sample_bit(dir: &tempfile::TempDir) -> (PathBuf, Option<String>) {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bitstreams");
    let real = shared.join("NiteFury_axi_jtag_wrapper.bit");
    if real.is_file() {
        let expected = std::fs::read_to_string(real.with_extension("expected.txt")).ok();
        return (real, expected);
    }
    println!(
        "real bitstreams absent ({}): using a generated .bit",
        shared.display()
    );
    let header = BitFileHeader {
        design_name: "sim".into(),
        part_name: "7a200tfbg484".into(),
        date: "2024/12/21".into(),
        time: "09:21:34".into(),
    };
    let generated = generate(
        &BitstreamSpec::new(0x0363_6093)
            .with_frames(4)
            .with_bit_header(header),
    )
    .unwrap();
    let path = dir.path().join("sim.bit");
    std::fs::write(&path, generated.bytes).unwrap();
    (path, None)
}

#[test]
fn parse_bitstream_file_prints_report() {
    let dir = tempfile::tempdir().unwrap();
    let (bit, expected) = sample_bit(&dir);
    let out = Command::new(PARSE).arg(&bit).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Successfully parsed bitstream of length "));
    assert!(stdout.contains(&format!("Read bitsteam from file {}\n", bit.display())));
    if let Some(expected) = expected {
        let strip = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| !l.starts_with("Read "))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(strip(&stdout), strip(&expected));
    }
}

#[test]
fn parse_bitstream_file_missing_file() {
    let out = Command::new(PARSE)
        .arg("/nonexistent/missing.bit")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/missing.bit"), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
}

#[test]
fn parse_bitstream_file_invalid_bitstream_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("erased.bin");
    std::fs::write(&path, [0xFFu8; 256]).unwrap();
    let out = Command::new(PARSE).arg(&path).output().unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Error parsing bitstream: No Sync word found\n"));
}

#[test]
fn parse_bitstream_file_usage() {
    let out = Command::new(PARSE).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
    let help = Command::new(PARSE).arg("--help").output().unwrap();
    assert!(help.status.success());
}

#[test]
fn bit_to_bin_writes_payload_and_refuses_bin() {
    let dir = tempfile::tempdir().unwrap();
    let (bit, _) = sample_bit(&dir);
    let bin = dir.path().join("out.bin");
    let out = Command::new(BIT_TO_BIN)
        .arg(&bit)
        .arg(&bin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read(&bin).unwrap();
    let original = std::fs::read(&bit).unwrap();
    assert!(original.ends_with(&written));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("Wrote {} bytes to {}\n", written.len(), bin.display())
    );

    // The .bin parses to the same packets via the other tool.
    let parsed = Command::new(PARSE).arg(&bin).output().unwrap();
    assert!(parsed.status.success());

    // Converting a .bin again is refused.
    let again = Command::new(BIT_TO_BIN)
        .arg(&bin)
        .arg(dir.path().join("again.bin"))
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is already a .bin file"));
    assert!(!dir.path().join("again.bin").exists());

    // Unwritable output: one line naming the file and the OS error.
    let bad = Command::new(BIT_TO_BIN)
        .arg(&bit)
        .arg("/nonexistent/dir/out.bin")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Failed to create /nonexistent/dir/out.bin"));
    assert!(stderr.contains("No such file or directory"));
}

#[test]
fn bit_to_bin_rejects_invalid_bitstream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.bit");
    std::fs::write(&path, [0u8; 64]).unwrap();
    let out = Command::new(BIT_TO_BIN)
        .arg(&path)
        .arg(dir.path().join("o.bin"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("is not a valid bitstream: No Sync word found"));
}

#[test]
fn bit_to_bin_refuses_to_overwrite_its_input_by_any_path() {
    let dir = tempfile::tempdir().unwrap();
    let (bit, _) = sample_bit(&dir);
    let copy = dir.path().join("in.bit");
    std::fs::copy(&bit, &copy).unwrap();
    let original = std::fs::read(&copy).unwrap();
    let link = dir.path().join("link.bit");
    std::os::unix::fs::symlink(&copy, &link).unwrap();
    for output in [copy.clone(), dir.path().join(".").join("in.bit"), link] {
        let out = Command::new(BIT_TO_BIN)
            .arg(&copy)
            .arg(&output)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "Error: refusing to write {}: it is the input file {}\n",
                output.display(),
                copy.display()
            )
        );
        assert_eq!(std::fs::read(&copy).unwrap(), original);
    }
}

#[test]
fn bit_to_bin_failure_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bit");
    std::fs::write(&junk, [0u8; 64]).unwrap();
    let out_path = dir.path().join("o.bin");
    let out = Command::new(BIT_TO_BIN)
        .arg(&junk)
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!out_path.exists(), "no 0-byte output on failure");
    // Only the input is left in the directory (no temporary file).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn parse_bitstream_file_reads_a_device_without_end_only_up_to_the_limit() {
    let out = Command::new(PARSE).arg("/dev/zero").output().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "Error: /dev/zero is larger than the {}-byte limit for a bitstream file (at least {} bytes)\n",
            xilinx_quad_spi::bitstream::load::MAX_FILE_BYTES,
            xilinx_quad_spi::bitstream::load::MAX_FILE_BYTES + 1
        )
    );
}

/// `--json`: the document deserializes into the documented type and says what the text
/// report's status, source and header lines say.
#[test]
fn parse_bitstream_file_json_document() {
    use xilinx_quad_spi::bitstream::json::{BitstreamFileReport, SCHEMA_VERSION};
    let dir = tempfile::tempdir().unwrap();
    let header = BitFileHeader {
        design_name: "sim".into(),
        part_name: "7a200tfbg484".into(),
        date: "2024/12/21".into(),
        time: "09:21:34".into(),
    };
    let generated = generate(
        &BitstreamSpec::new(0x0363_6093)
            .with_frames(4)
            .with_bit_header(header),
    )
    .unwrap();
    let path = dir.path().join("sim.bit");
    std::fs::write(&path, &generated.bytes).unwrap();
    let text = Command::new(PARSE).arg(&path).output().unwrap();
    let out = Command::new(PARSE)
        .arg(&path)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: BitstreamFileReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert_eq!(report.format, "bit");
    assert!(report.valid);
    assert_eq!(report.error, None);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "Successfully parsed bitstream of length {} bytes with {} configuration packets\n",
            report.length_bytes, report.packet_count
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "Sync word at byte index 0x{:X}\n",
        report.slrs[0].sync_word_offset_bytes
    )));
    let h = report.bit_header.unwrap();
    assert_eq!(
        (
            h.design_name.as_str(),
            h.part_name.as_str(),
            h.date.as_str(),
            h.time.as_str()
        ),
        ("sim", "7a200tfbg484", "2024/12/21", "09:21:34")
    );
    assert_eq!(report.idcode, Some(0x0363_6093));
    assert_eq!(report.device.as_deref(), Some("7A200T"));

    // A truncated file: not valid, the error text, exit 1, still one document.
    let raw = generate(&BitstreamSpec::new(0x0363_6093).with_frames(4)).unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &raw.bytes[..raw.bytes.len() / 2]).unwrap();
    let out = Command::new(PARSE)
        .arg(&cut)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: BitstreamFileReport = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!report.valid);
    let error = report.error.unwrap();
    assert!(!error.is_empty());
}
