//! A bound on the test loops that poll the rings: however a loop waits (for completions
//! that may never come, or for work that was never started), it gives up once nothing
//! has progressed for the timeout.

use std::time::{Duration, Instant};

use crate::channel_error::ChannelError;

/// Time since the last progress of one polling loop.
#[derive(Debug, Clone, Copy)]
pub struct PollWatchdog {
    timeout: Option<Duration>,
    last_progress: Instant,
}

impl PollWatchdog {
    /// `None` never expires (the user asked for no timeout).
    pub fn new(timeout: Option<Duration>) -> Self {
        Self {
            timeout,
            last_progress: Instant::now(),
        }
    }

    /// Something completed or started.
    pub fn progressed(&mut self) {
        self.last_progress = Instant::now();
    }

    /// The error to record when nothing has progressed for the timeout.
    pub fn expired(&self, waiting_for: impl FnOnce() -> String) -> Option<ChannelError> {
        let timeout = self.timeout?;
        (self.last_progress.elapsed() > timeout).then(|| ChannelError::NoProgress {
            timeout,
            waiting_for: waiting_for(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_only_after_the_timeout_without_progress() {
        let mut w = PollWatchdog::new(Some(Duration::ZERO));
        w.progressed();
        // Instant is monotonic: spin until it has moved on.
        let t = Instant::now();
        while t.elapsed().is_zero() {}
        let e = w.expired(|| "C2H completions".into()).expect("expired");
        assert_eq!(
            e.to_string(),
            "Timeout: no progress for 0 s waiting for C2H completions"
        );
        assert!(PollWatchdog::new(None).expired(String::new).is_none());
        assert!(PollWatchdog::new(Some(Duration::from_secs(3600)))
            .expired(String::new)
            .is_none());
    }
}
