//! Progress of the long memory tests (populate, DMA and verify over the whole card
//! memory, iteration after iteration), reported to an observer: [`TerminalProgress`]
//! draws an indicatif bar when stdout is a terminal, [`NoProgress`] nothing.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Observer of a long test. Units are bytes of card memory populated, transferred or
/// verified, summed over the phases and iterations.
pub trait Progress {
    /// Work of `total` units starts.
    fn start(&mut self, total: u64);
    /// What is being done now (e.g. `iteration 2/32: verify`).
    fn set_message(&mut self, message: &str);
    /// `n` more units are done.
    fn advance(&mut self, n: u64);
    /// Writes `line` to `out` without disturbing the progress display.
    fn write_line(&mut self, out: &mut dyn Write, line: &str) -> io::Result<()> {
        writeln!(out, "{line}")
    }
    /// The work is over (passed, failed or stopped early); the display is cleared.
    fn finish(&mut self);
}

/// Progress that goes nowhere (output not on a terminal, or a library caller).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _total: u64) {}
    fn set_message(&mut self, _message: &str) {}
    fn advance(&mut self, _n: u64) {}
    fn finish(&mut self) {}
}

/// Sets the message to `iteration <i+1>/<iterations>: <phase>`.
pub fn iteration_phase(progress: &mut dyn Progress, i: u64, iterations: u64, phase: &str) {
    progress.set_message(&format!("iteration {}/{iterations}: {phase}", i + 1));
}

/// indicatif progress drawn on stderr and cleared when each test finishes; nothing at all
/// unless stdout is a terminal, so captured or redirected output is unchanged.
pub struct TerminalProgress {
    on_terminal: bool,
    bar: Option<ProgressBar>,
}

impl TerminalProgress {
    pub fn new(on_terminal: bool) -> Self {
        Self {
            on_terminal,
            bar: None,
        }
    }

    /// Draws only when stdout is a terminal.
    pub fn for_stdout() -> Self {
        Self::new(std::io::stdout().is_terminal())
    }
}

impl Progress for TerminalProgress {
    fn start(&mut self, total: u64) {
        if !self.on_terminal {
            return;
        }
        let bar = ProgressBar::new(total);
        let template = "{spinner} {msg} [{wide_bar}] {percent:>3}% {elapsed_precise} ETA {eta}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        self.bar = Some(bar);
    }
    fn set_message(&mut self, message: &str) {
        if let Some(b) = &self.bar {
            b.set_message(message.to_string());
        }
    }
    fn advance(&mut self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }
    fn write_line(&mut self, out: &mut dyn Write, line: &str) -> io::Result<()> {
        match &self.bar {
            Some(b) => b.suspend(|| writeln!(out, "{line}").and_then(|()| out.flush())),
            None => writeln!(out, "{line}"),
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod terminal_tests {
    use super::*;

    #[test]
    fn no_bar_when_stdout_is_not_a_terminal() {
        let mut bars = TerminalProgress::new(false);
        bars.start(100);
        bars.set_message("iteration 1/1: populate");
        bars.advance(50);
        assert!(bars.bar.is_none());
        bars.finish();
        assert!(bars.bar.is_none());
    }

    #[test]
    fn a_terminal_bar_tracks_and_clears() {
        let mut bars = TerminalProgress::new(true);
        bars.start(100);
        bars.advance(40);
        assert_eq!(bars.bar.as_ref().map(|b| b.position()), Some(40));
        bars.finish();
        assert!(bars.bar.is_none());
    }
}
