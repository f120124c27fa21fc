//! Golden tests: the report for each real `.bit` in `shared/data/bitstreams` must equal
//! the recorded `*.expected.txt` (status line, `.bit` header and everything from the
//! `Sync word` line on), both parsed from the file and from a simulated flash.

use std::path::PathBuf;

use xilinx_quad_spi::bitstream::{parse_flash, LoadedBitstream};

fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bitstreams");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent (CI always has it)", dir.display());
        None
    }
}

/// Real `.bit` files with their expected reports.
fn golden_cases() -> Vec<(PathBuf, String)> {
    let Some(dir) = shared_dir() else {
        return Vec::new();
    };
    let mut cases: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("list bitstream dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "bit"))
        .map(|bit| {
            let expected = bit.with_extension("expected.txt");
            let text = std::fs::read_to_string(&expected)
                .unwrap_or_else(|e| panic!("{}: {e}", expected.display()));
            (bit, text)
        })
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no .bit files in {}", dir.display());
    cases
}

/// The compared lines: all but the `Read ...` source line (it names the path).
fn compared_lines(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|line| !line.starts_with("Read "))
        .collect()
}

#[test]
fn file_reports_match_expected() {
    for (bit, expected) in golden_cases() {
        let name = bit.file_name().unwrap().to_string_lossy().to_string();
        let loaded = LoadedBitstream::load_file(&bit).expect("load");
        let (parsed, report) = loaded.report(&name);
        assert!(parsed.is_valid(), "{name}: {:?}", parsed.error());
        let expected_lines: Vec<&str> = expected.lines().collect();
        assert!(expected_lines[0].starts_with("Successfully parsed"));
        assert!(expected_lines.iter().any(|l| l.starts_with("Sync word")));
        assert_eq!(
            compared_lines(&report),
            compared_lines(&expected),
            "report for {name} differs"
        );
        assert_eq!(
            report.lines().nth(1),
            Some(format!("Read bitsteam from file {name}").as_str())
        );
        // The bitstream runs to the end of the file (trailing NOPs included).
        assert_eq!(parsed.length(), loaded.payload().len());
    }
}

#[test]
fn flash_reports_match_expected() {
    const FLASH_SIZE: usize = 16 * 1024 * 1024;
    for (bit, expected) in golden_cases() {
        let loaded = LoadedBitstream::load_file(&bit).expect("load");
        let payload = loaded.payload();
        let mut flash = vec![0xFFu8; FLASH_SIZE];
        flash[..payload.len()].copy_from_slice(payload);
        let mut reads = Vec::new();
        let result = parse_flash(0, FLASH_SIZE as u64, |addr, buf: &mut [u8]| {
            reads.push((addr, buf.len()));
            let start = addr as usize;
            buf.copy_from_slice(&flash[start..start + buf.len()]);
            Ok::<(), std::convert::Infallible>(())
        });
        assert!(result.parsed.is_valid());
        // Reading stops at the chunk holding the erased word after the last NOP.
        let needed = payload.len() + 4;
        let expected_read = needed.div_ceil(32768) * 32768;
        assert_eq!(result.bytes_read as usize, expected_read);
        assert!(reads.iter().all(|(_, len)| *len == 32768));
        let report = result.report();
        let mut lines: Vec<&str> = report.lines().collect();
        assert_eq!(
            lines.remove(1),
            format!("Read {expected_read} bytes from SPI flash starting at address 0")
        );
        // Flash reports have no .bit header block.
        let expected_lines: Vec<&str> = expected
            .lines()
            .enumerate()
            .filter(|(i, _)| !(1..=6).contains(i))
            .map(|(_, l)| l)
            .collect();
        assert_eq!(lines, expected_lines, "{}", bit.display());
    }
}
