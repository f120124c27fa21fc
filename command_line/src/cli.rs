//! Command-line plumbing shared by every tool: one-line parse errors and one-line failures.

use std::process::ExitCode;

use clap::error::ErrorKind;

/// Parses the command line; `--help`/`--version` print as usual, any other problem prints
/// one line (e.g. `error: invalid value 'garbage' for '--device <LOCATION>': ...`) and
/// exits with status 2.
pub fn parse<T: clap::Parser>() -> T {
    parse_from(std::env::args_os())
}

pub fn parse_from<T: clap::Parser, I, S>(args: I) -> T
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match T::try_parse_from(args) {
        Ok(t) => t,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
            _ => {
                eprintln!("{} (see --help)", first_line(&e.render().to_string()));
                std::process::exit(2)
            }
        },
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: bad command line")
}

/// Runs a tool's body: success is exit 0; an error prints `error: <cause chain>` on one line
/// and exits 1.
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// A run that could not do its work for a reason the tool has already put in words (nothing
/// to test, say): prints `line` on stderr and exits 1.
pub fn fail_with_line(line: &str) -> ExitCode {
    eprintln!("{line}");
    ExitCode::FAILURE
}
