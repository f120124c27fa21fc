//! How a DMA test tool ends: PASS, FAIL, or nothing tested, and the exit status of each.
//!
//! The rule for the whole suite: a test tool that finds nothing to test prints one line on
//! stderr, `<tool>: no <what> found (<why>)`, and exits 1; a test that ran and failed
//! exits 1 after its own report; only a PASS exits 0.

use std::process::ExitCode;

use command_line::cli;

/// Nothing could be tested: `no <what> found (<why>)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NothingTested {
    /// What was looked for, e.g. `design with a DMA bridge`.
    pub what: String,
    /// Where it was looked for, or why none qualified.
    pub why: String,
}

/// The end of a test run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything tested passed (and something was tested).
    Pass,
    /// A test failed; the tool has already reported how.
    Fail,
    NothingTested(NothingTested),
}

impl Verdict {
    pub fn nothing_tested(what: impl Into<String>, why: impl Into<String>) -> Self {
        Verdict::NothingTested(NothingTested {
            what: what.into(),
            why: why.into(),
        })
    }

    /// Pass or Fail.
    pub fn from_passed(passed: bool) -> Self {
        if passed {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

/// The one stderr line of [`Verdict::NothingTested`].
pub fn nothing_tested_line(tool: &str, n: &NothingTested) -> String {
    format!("{tool}: no {} found ({})", n.what, n.why)
}

/// Runs the body of tool `tool` through [`cli::run`]: an error prints `error: ...` and
/// exits 1; nothing tested prints its line and exits 1; a FAIL (already reported) exits
/// 1; a PASS exits 0.
pub fn run_verdict<E>(tool: &str, body: impl FnOnce() -> Result<Verdict, E>) -> ExitCode
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut verdict = Verdict::Fail;
    let status = cli::run(|| {
        verdict = body()?;
        Ok(())
    });
    match verdict {
        Verdict::Pass => status,
        Verdict::Fail => ExitCode::FAILURE,
        Verdict::NothingTested(n) => cli::fail_with_line(&nothing_tested_line(tool, &n)),
    }
}
