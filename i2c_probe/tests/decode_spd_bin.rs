//! The decode_spd binary on files written by the test.

mod common;

use common::{section, SPD_8_1};
use std::fmt::Write as _;
use std::process::{Command, Output};

fn run(path: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_decode_spd"))
        .arg(path)
        .output()
        .expect("run decode_spd")
}

/// The text decode_spd prints for the module of 8.1 (the section without its leading
/// empty line).
fn expected() -> String {
    section("DDR3 SPD decode:")[1..].to_string()
}

fn i2cdump(spd: &[u8]) -> String {
    let mut s =
        String::from("     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n");
    for (row, chunk) in spd.chunks(16).enumerate() {
        let _ = write!(s, "{:02x}:", row * 16);
        for b in chunk {
            let _ = write!(s, " {b:02x}");
        }
        s.push_str("    ");
        s.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            }
        }));
        s.push('\n');
    }
    s
}

/// `od -A x -t x1`-like dump with `*` for repeated lines.
fn od_dump(spd: &[u8]) -> String {
    let mut s = String::new();
    let mut previous: Option<&[u8]> = None;
    let mut starred = false;
    for (row, chunk) in spd.chunks(16).enumerate() {
        if previous == Some(chunk) {
            if !starred {
                s.push_str("*\n");
                starred = true;
            }
            continue;
        }
        starred = false;
        let _ = write!(s, "{:06x}", row * 16);
        for b in chunk {
            let _ = write!(s, " {b:02x}");
        }
        s.push('\n');
        previous = Some(chunk);
    }
    let _ = writeln!(s, "{:06x}", spd.len());
    s
}

#[test]
fn binary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spd.bin");
    std::fs::write(&path, SPD_8_1).unwrap();
    let out = run(&path);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn i2cdump_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spd.txt");
    std::fs::write(&path, i2cdump(SPD_8_1)).unwrap();
    let out = run(&path);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn decode_dimms_hexdump_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spd.hex");
    let dump = od_dump(SPD_8_1);
    assert!(
        dump.contains("*\n"),
        "test dump should exercise repeat lines"
    );
    std::fs::write(&path, dump).unwrap();
    let out = run(&path);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn crc_mismatch_exit_status_one_after_full_decode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.bin");
    let mut spd = *SPD_8_1;
    spd[20] = 0x6a;
    std::fs::write(&path, spd).unwrap();
    let out = run(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  Actual CRC=0x13d2  Expected CRC=0xa1bd : CRC FAIL\n"));
    assert!(stdout.contains("(tRPmin)=13.250 ns\n"));
    assert!(stdout.ends_with("Maximum Activate Count (MAC)=Unrestricted MAC\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CRC mismatch"));
}

#[test]
fn missing_file_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.bin");
    let out = run(&path);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot read SPD file"));
    assert!(stderr.contains("nope.bin"));
    assert!(stderr.contains("No such file or directory"));
}

#[test]
fn malformed_hex_dump_and_unknown_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, "00: 92 13 zz\n").unwrap();
    let out = run(&path);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
    let mut spd = *SPD_8_1;
    spd[2] = 0x12;
    std::fs::write(&path, spd).unwrap();
    let out = run(&path);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported DRAM type 0x12"));
}

#[test]
fn help_documents_exit_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_decode_spd"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 = decoded but a CRC did not match"));
}

/// The dump `tool args spd.bin` writes, None when the tool is not installed.
fn tool_dump(tool: &str, args: &[&str], spd: &std::path::Path) -> Option<Vec<u8>> {
    match Command::new(tool).args(args).arg(spd).output() {
        Ok(o) if o.status.success() => Some(o.stdout),
        Ok(o) => panic!(
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("{tool}: {e}"),
    }
}

#[test]
fn dumps_of_the_common_tools_decode_like_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("spd.bin");
    std::fs::write(&bin, SPD_8_1).unwrap();
    let cases: [(&str, &[&str]); 6] = [
        ("xxd", &[]),
        ("xxd", &["-g1"]),
        ("od", &["-x"]),
        ("od", &["-t", "x1"]),
        ("hexdump", &[]),
        ("hexdump", &["-C"]),
    ];
    let mut decoded = Vec::new();
    for (tool, args) in cases {
        let Some(dump) = tool_dump(tool, args, &bin) else {
            println!("{tool} not installed: its dump format is not checked");
            continue;
        };
        let path = dir.path().join("spd.txt");
        std::fs::write(&path, &dump).unwrap();
        let out = run(&path);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{tool} {args:?}");
        decoded.push(tool);
    }
    // od is part of coreutils: at least its formats were checked.
    assert!(decoded.contains(&"od"), "{decoded:?}");
}

/// `--json`: the documented type, with the CRC, the image and the decoded fields of the
/// text as numbers.
#[test]
fn json_document_of_the_module() {
    use i2c_probe::decode::spd_json::{SpdDecodeReport, SpdValue, SCHEMA_VERSION};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spd.bin");
    std::fs::write(&path, SPD_8_1).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_decode_spd"))
        .arg(&path)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: SpdDecodeReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert_eq!(report.dram_type, "DDR3");
    assert_eq!(report.image, SPD_8_1);
    assert!(report.crc_passed);
    assert_eq!(report.crc_checks[0].actual, 0xa1bd);
    let value = |name: &str| {
        report
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
            .unwrap_or_else(|| panic!("no {name} in {:?}", report.fields))
    };
    assert_eq!(value("Module capacity (MiB)"), SpdValue::Number(8192.0));
    assert_eq!(value("Number of Ranks"), SpdValue::Number(2.0));
    assert_eq!(
        value("SDRAM Minimum Cycle Time (tCKmin) (ns)"),
        SpdValue::Number(1.25)
    );
    assert_eq!(value("Module type"), SpdValue::Text("72b-SO-UDIMM".into()));
    // Every field comes from the text's `name=value` or `name : value`.
    let text = String::from_utf8(run(&path).stdout).unwrap();
    for f in &report.fields {
        let name = f.name.strip_suffix(" (ns)").unwrap_or(&f.name);
        assert!(
            text.contains(&format!("{name}=")) || text.contains(&format!("{name} : ")),
            "{f:?}"
        );
    }
    assert!(report.fields.len() > 30, "{:?}", report.fields);
}
