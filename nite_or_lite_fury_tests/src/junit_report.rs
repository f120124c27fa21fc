//! `test_primary --junit <file>`: one JUnit test case per secondary (README "Running the
//! suite from CI"), written with `quick-junit`: the command line (the case's name and a
//! property), the duration, how it ended (exit status or signal), its captured stdout and
//! stderr as system-out and system-err, and for a failed secondary a `<failure>` with the
//! message test_primary printed for it.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use vfio_access::multiprocess::{SecondaryExit, SecondaryReport};

/// The test suite's (and report's) name.
pub const SUITE_NAME: &str = "test_primary";

/// The report of a run in which every secondary ran (successfully or not).
pub fn secondaries_report(reports: &[SecondaryReport], elapsed: Duration) -> Report {
    let mut suite = TestSuite::new(SUITE_NAME);
    suite.set_time(elapsed);
    for (index, r) in reports.iter().enumerate() {
        suite.add_test_case(secondary_case(index, r));
    }
    finish(suite, elapsed)
}

/// The report of a run that failed before any secondary ran (devices could not be opened,
/// an executable is missing): one failed case named `test_primary` with the error, so that
/// a CI job sees a failure rather than an empty report.
pub fn launch_failure_report(error: &str, elapsed: Duration) -> Report {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(error).set_type("launch");
    let mut case = TestCase::new(SUITE_NAME, status);
    case.set_classname(SUITE_NAME).set_time(elapsed);
    let mut suite = TestSuite::new(SUITE_NAME);
    suite.set_time(elapsed).add_test_case(case);
    finish(suite, elapsed)
}

fn finish(suite: TestSuite, elapsed: Duration) -> Report {
    let mut report = Report::new(SUITE_NAME);
    report.set_time(elapsed).add_test_suite(suite);
    report
}

/// `<n>: <exe> <args...>`, shell-quoted, so that two runs of one tool stay apart.
fn secondary_case(index: usize, r: &SecondaryReport) -> TestCase {
    let command_line =
        shell_words(std::iter::once(r.name.as_str()).chain(r.args.iter().map(String::as_str)));
    let status = match &r.exit {
        SecondaryExit::Exited(0) => TestCaseStatus::success(),
        SecondaryExit::Exited(code) => failure(
            format!("Secondary {} exited with status {code}", r.name),
            "exit status",
        ),
        SecondaryExit::Signalled(signal) => failure(
            format!("Secondary {} killed with signal {signal}", r.name),
            "signal",
        ),
        SecondaryExit::NotStarted(why) => failure(
            format!("Secondary {} did not start: {why}", r.name),
            "not started",
        ),
    };
    // No per-case <properties>: the Jenkins schema (junit-10.xsd) has none there, so the
    // command line is the case's name and the exit status or signal its failure message.
    let mut case = TestCase::new(format!("{}: {command_line}", index + 1), status);
    case.set_classname(SUITE_NAME);
    if let Some(d) = r.duration {
        case.set_time(d);
    }
    if let Some(out) = &r.output {
        case.set_system_out_lossy(&out.stdout)
            .set_system_err_lossy(&out.stderr);
    }
    case
}

fn failure(message: String, kind: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message).set_type(kind);
    status
}

/// Joins words as a POSIX shell would read them back (single quotes where needed).
fn shell_words<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words
        .map(|w| {
            let plain = !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b));
            if plain {
                w.to_string()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfio_access::multiprocess::SecondaryOutput;

    fn report(name: &str, args: &[&str], exit: SecondaryExit) -> SecondaryReport {
        SecondaryReport {
            name: name.into(),
            pid: Some(42),
            exit,
            window: None,
            unmapped_bytes: 0,
            args: args.iter().map(|a| a.to_string()).collect(),
            duration: Some(Duration::from_millis(1500)),
            output: Some(SecondaryOutput {
                stdout: b"out <&>\n".to_vec(),
                stderr: b"err\n".to_vec(),
                dropped_bytes: 0,
            }),
        }
    }

    #[test]
    fn one_case_per_secondary_with_failures_and_output() {
        let reports = [
            report(
                "display_xadc_values",
                &["-d", "0000:15:00.0"],
                SecondaryExit::Exited(0),
            ),
            report("sh", &["-c", "exit 4"], SecondaryExit::Exited(4)),
            report("sh", &["-c", "kill -KILL $$"], SecondaryExit::Signalled(9)),
        ];
        let xml = secondaries_report(&reports, Duration::from_secs(3))
            .to_string()
            .unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        let suite = &back.test_suites[0];
        assert_eq!((suite.tests, suite.failures, suite.errors), (3, 2, 0));
        let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "1: display_xadc_values -d 0000:15:00.0",
                "2: sh -c 'exit 4'",
                "3: sh -c 'kill -KILL $$'"
            ]
        );
        assert!(matches!(
            suite.test_cases[0].status,
            TestCaseStatus::Success { .. }
        ));
        match &suite.test_cases[1].status {
            TestCaseStatus::NonSuccess { kind, message, .. } => {
                assert_eq!(*kind, NonSuccessKind::Failure);
                assert_eq!(
                    message.as_ref().map(|m| m.as_str()),
                    Some("Secondary sh exited with status 4")
                );
            }
            other => panic!("{other:?}"),
        }
        // Escaped in the file (the reader trims the final newline).
        assert!(xml.contains("out &lt;&amp;&gt;"), "{xml}");
        assert_eq!(
            suite.test_cases[0].system_out.as_ref().map(|s| s.as_str()),
            Some("out <&>")
        );
        assert_eq!(suite.test_cases[0].time, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn a_launch_failure_is_a_failed_case() {
        let xml = launch_failure_report("secondary executable x not found", Duration::ZERO)
            .to_string()
            .unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(back.test_suites[0].errors, 1);
    }

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        assert_eq!(
            shell_words(["a", "--x=1", "", "it's", "a b"].into_iter()),
            r"a --x=1 '' 'it'\''s' 'a b'"
        );
    }
}
