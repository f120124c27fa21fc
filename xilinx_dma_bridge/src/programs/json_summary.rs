//! `--json-summary <file>` of the DMA and memory test tools (docs/json_schema.md): the
//! verdict of the run, each test's verdict and failure text, and the timing statistics,
//! for a CI job to collect. The text output is unchanged; the file is written whatever
//! the verdict (temporary name + rename), also when the run failed with an error.

use std::path::Path;
use std::process::ExitCode;

use command_line::machine_output::write_json_file;
use serde::{Deserialize, Serialize};
use vfio_access::timing::TransferTiming;

use super::verdict::{nothing_tested_line, run_verdict, Verdict};

/// Version of [`TestRunSummary`]; raised when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// The verdict of a run or of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SummaryVerdict {
    Pass,
    Fail,
    /// Nothing could be tested (the run still exits 1).
    NothingTested,
    /// The run stopped on an error before its verdict.
    Error,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRunSummary {
    pub schema_version: u32,
    pub tool: String,
    pub verdict: SummaryVerdict,
    /// NOTHING_TESTED and ERROR (and FAIL when the tool ended with an error line): the
    /// line the tool printed on stderr.
    pub failure: Option<String>,
    pub tests: Vec<TestEntry>,
}

/// One test over one device (and channel pair, for the DMA tests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEntry {
    /// The test's name (`memory_fixed_buffers`, ..., or the tool's for single-test tools).
    pub name: String,
    pub design: String,
    pub pci_location: String,
    pub h2c_channel: Option<u8>,
    pub c2h_channel: Option<u8>,
    /// PASS or FAIL.
    pub verdict: SummaryVerdict,
    /// What failed, one text per failure, as the text report words it.
    pub failures: Vec<String>,
    pub timings: Vec<TimingEntry>,
    /// Stream tests that run for a duration (`test_dma_bridge_parallel_streams`): the
    /// overall statistics of the pair; null for the others.
    #[serde(default)]
    pub stream_statistics: Option<StreamStatisticsEntry>,
}

/// The `Overall test statistics` line of one stream pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamStatisticsEntry {
    /// Completed card-to-host buffers.
    pub transfers: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// 10^6 bytes per second; 0 when no time elapsed.
    pub mbytes_per_sec: f64,
}

/// One timing block of the text report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingEntry {
    /// e.g. `host-to-card DMA`.
    pub name: String,
    pub transfers: u64,
    pub bytes_per_transfer: u64,
    pub total_ns: u64,
    /// 10^6 bytes per second; slowest, mean and fastest transfer (None without transfers).
    pub min_mbytes_per_sec: Option<f64>,
    pub mean_mbytes_per_sec: Option<f64>,
    pub max_mbytes_per_sec: Option<f64>,
}

impl From<&TransferTiming> for TimingEntry {
    fn from(t: &TransferTiming) -> Self {
        Self {
            name: t.name().to_string(),
            transfers: t.count(),
            bytes_per_transfer: t.bytes_per_transfer(),
            total_ns: t.total_ns(),
            min_mbytes_per_sec: t.min_rate(),
            mean_mbytes_per_sec: t.mean_rate(),
            max_mbytes_per_sec: t.max_rate(),
        }
    }
}

/// Collects the tests of a run as they end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryRecorder {
    pub tests: Vec<TestEntry>,
}

impl SummaryRecorder {
    pub fn record(&mut self, test: TestEntry) {
        self.tests.push(test);
    }
}

/// The document for a run that ended with `verdict` (or `error`, the text the tool printed
/// after `error: `).
pub fn summary(
    tool: &str,
    verdict: Option<&Verdict>,
    error: Option<String>,
    tests: Vec<TestEntry>,
) -> TestRunSummary {
    let any_failed = tests.iter().any(|t| t.verdict == SummaryVerdict::Fail);
    let (verdict, failure) = match (verdict, error) {
        // Tools that end a run with failed tests by an error (`1 of 2 designs failed`).
        (_, Some(e)) if any_failed => (SummaryVerdict::Fail, Some(format!("error: {e}"))),
        (_, Some(e)) => (SummaryVerdict::Error, Some(format!("error: {e}"))),
        (Some(Verdict::Pass), None) => (SummaryVerdict::Pass, None),
        (Some(Verdict::NothingTested(n)), None) => (
            SummaryVerdict::NothingTested,
            Some(nothing_tested_line(tool, n)),
        ),
        (Some(Verdict::Fail) | None, None) => (SummaryVerdict::Fail, None),
    };
    TestRunSummary {
        schema_version: SCHEMA_VERSION,
        tool: tool.to_string(),
        verdict,
        failure,
        tests,
    }
}

/// [`run_verdict`] that also writes the summary to `path` when one is given. A summary
/// that cannot be written fails the run (one line naming the file): the CI job would
/// otherwise miss the results.
pub fn run_verdict_with_summary<E>(
    tool: &str,
    path: Option<&Path>,
    body: impl FnOnce(&mut SummaryRecorder) -> Result<Verdict, E>,
) -> ExitCode
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut recorder = SummaryRecorder::default();
    let mut outcome: Option<Result<Verdict, String>> = None;
    let status = run_verdict(tool, || {
        let result = body(&mut recorder);
        outcome = Some(match &result {
            Ok(v) => Ok(v.clone()),
            Err(e) => Err(error_chain(e)),
        });
        result
    });
    let Some(path) = path else { return status };
    let document = match outcome {
        Some(Ok(v)) => summary(tool, Some(&v), None, recorder.tests),
        Some(Err(e)) => summary(tool, None, Some(e), recorder.tests),
        None => summary(tool, None, None, recorder.tests),
    };
    match write_json_file(path, &document) {
        Ok(()) => status,
        Err(e) => {
            let cause = std::error::Error::source(&e)
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            command_line::cli::fail_with_line(&format!("error: {e}{cause}"))
        }
    }
}

/// `outer: inner: ...`, as `cli::run` prints an error.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_failure_lines() {
        let pass = summary("t", Some(&Verdict::Pass), None, Vec::new());
        assert_eq!((pass.verdict, pass.failure), (SummaryVerdict::Pass, None));
        let nothing = summary(
            "t",
            Some(&Verdict::nothing_tested("design", "no devices")),
            None,
            Vec::new(),
        );
        assert_eq!(nothing.verdict, SummaryVerdict::NothingTested);
        assert_eq!(
            nothing.failure.as_deref(),
            Some("t: no design found (no devices)")
        );
        let error = summary("t", None, Some("boom".into()), Vec::new());
        assert_eq!(error.verdict, SummaryVerdict::Error);
        assert_eq!(error.failure.as_deref(), Some("error: boom"));
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["verdict"], "ERROR");
        assert_eq!(json["schema_version"], SCHEMA_VERSION);
    }

    #[test]
    fn timing_entry_has_the_text_statistics() {
        let mut t = TransferTiming::new("host-to-card DMA", 1_000_000);
        t.record_ns(1_000_000);
        t.record_ns(2_000_000);
        let e = TimingEntry::from(&t);
        assert_eq!(
            (e.transfers, e.bytes_per_transfer, e.total_ns),
            (2, 1_000_000, 3_000_000)
        );
        assert_eq!(e.max_mbytes_per_sec, Some(1000.0));
        assert_eq!(e.min_mbytes_per_sec, Some(500.0));
    }
}
