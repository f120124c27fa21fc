//! `test_primary --junit <file>`: the report validates against the JUnit schema the CI
//! systems read (tests/data/junit.xsd, with xmllint: fails when xmllint is missing;
//! scripts/test.sh installs libxml2-utils), has one case per secondary, a `<failure>` for
//! a failing or killed secondary, the captured output as system-out/system-err, and the
//! text output is what it is without `--junit`.

use std::path::Path;
use std::process::{Command, Output};

use quick_junit::{NonSuccessKind, Report, TestCaseStatus};

const TEST_PRIMARY: &str = env!("CARGO_BIN_EXE_test_primary");
const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/junit.xsd");

fn run(dir: &Path, junit: Option<&str>, secondaries: &[&str]) -> Output {
    let mut cmd = Command::new(TEST_PRIMARY);
    cmd.current_dir(dir)
        .env("FPGA_SIO_SIM_DIR", dir)
        .arg("--sim");
    if let Some(file) = junit {
        cmd.args(["--junit", file]);
    }
    cmd.args(secondaries).output().unwrap()
}

fn validate(file: &Path) {
    let out = Command::new("xmllint")
        .args(["--noout", "--schema", SCHEMA])
        .arg(file)
        .output()
        .expect("xmllint (Debian libxml2-utils; scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{} does not validate: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn message(status: &TestCaseStatus) -> Option<(NonSuccessKind, String)> {
    match status {
        TestCaseStatus::NonSuccess { kind, message, .. } => {
            Some((*kind, message.as_ref()?.as_str().to_string()))
        }
        _ => None,
    }
}

const SECONDARIES: [&str; 11] = [
    "sh",
    "-c",
    "echo to stdout; echo to stderr >&2",
    "--",
    "sh",
    "-c",
    "echo failing; exit 4",
    "--",
    "sh",
    "-c",
    "kill -KILL $$",
];

#[test]
fn a_run_with_failing_secondaries_gives_a_valid_report_with_failures() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), Some("results/junit.xml"), &SECONDARIES);
    // The directory does not exist: one line naming the file, exit 1.
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("error: Failed to create results/junit.xml"),
        "{err}"
    );

    std::fs::create_dir(dir.path().join("results")).unwrap();
    let out = run(dir.path(), Some("results/junit.xml"), &SECONDARIES);
    assert_eq!(out.status.code(), Some(1));
    let file = dir.path().join("results/junit.xml");
    validate(&file);
    let report = Report::deserialize_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let suite = &report.test_suites[0];
    assert_eq!((suite.tests, suite.failures), (3, 2));
    let cases = &suite.test_cases;
    assert_eq!(
        cases[0].name.as_str(),
        "1: sh -c 'echo to stdout; echo to stderr >&2'"
    );
    assert!(matches!(cases[0].status, TestCaseStatus::Success { .. }));
    assert_eq!(
        cases[0].system_out.as_ref().map(|s| s.as_str()),
        Some("to stdout")
    );
    assert_eq!(
        cases[0].system_err.as_ref().map(|s| s.as_str()),
        Some("to stderr")
    );
    assert_eq!(
        message(&cases[1].status),
        Some((
            NonSuccessKind::Failure,
            "Secondary sh exited with status 4".into()
        ))
    );
    assert_eq!(
        cases[1].system_out.as_ref().map(|s| s.as_str()),
        Some("failing")
    );
    assert_eq!(
        message(&cases[2].status),
        Some((
            NonSuccessKind::Failure,
            "Secondary sh killed with signal 9".into()
        ))
    );
    assert!(cases.iter().all(|c| c.time.is_some()));

    // The text is the same with and without --junit (the secondaries' output still
    // reaches the primary's stdout and stderr).
    let plain = run(dir.path(), None, &SECONDARIES);
    let pid_free = |o: &[u8]| {
        String::from_utf8_lossy(o)
            .lines()
            .map(|l| match l.find(" PID ") {
                Some(at) => l[..at].to_string(),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
    };
    let mut with = pid_free(&out.stdout);
    let mut without = pid_free(&plain.stdout);
    // Lines of different processes interleave as they come: compare them as sets.
    with.sort();
    without.sort();
    assert_eq!(with, without);
    assert_eq!(plain.status.code(), Some(1));
    let mut with = pid_free(&out.stderr);
    let mut without = pid_free(&plain.stderr);
    with.sort();
    without.sort();
    assert_eq!(with, without);
}

#[test]
fn a_passing_run_and_a_launch_failure_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), Some("ok.xml"), &["true", "--", "true"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.path().join("ok.xml");
    validate(&file);
    let report = Report::deserialize_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!((report.tests, report.failures, report.errors), (2, 0, 0));

    let out = run(dir.path(), Some("fail.xml"), &["no_such_tool_anywhere"]);
    assert_eq!(out.status.code(), Some(1));
    let file = dir.path().join("fail.xml");
    validate(&file);
    let report = Report::deserialize_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let case = &report.test_suites[0].test_cases[0];
    let (kind, text) = message(&case.status).unwrap();
    assert_eq!(kind, NonSuccessKind::Error);
    assert!(text.contains("no_such_tool_anywhere not found"), "{text}");
}
