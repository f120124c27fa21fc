//! Exit status of the tools that end with a PASS/FAIL verdict.

use std::process::ExitCode;

use command_line::cli;

/// Runs a tool body through [`cli::run`]: an error prints `error: ...` and exits 1; a FAIL
/// verdict (`Ok(false)`, already reported on stdout) exits 1 silently; a PASS exits 0.
pub fn run_verdict<E>(body: impl FnOnce() -> Result<bool, E>) -> ExitCode
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut passed = true;
    let status = cli::run(|| {
        passed = body()?;
        Ok(())
    });
    if passed {
        status
    } else {
        ExitCode::FAILURE
    }
}
