//! First-failure recording per channel (fact sheet 4.10) and the shared overall-success
//! flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Longest failure message kept (the original's buffer held 511 characters).
pub const MAX_FAILURE_CHARS: usize = 511;

/// Suffix printed after a failure when finalisation also timed out waiting for idle.
pub const IDLE_TIMEOUT_SUFFIX: &str = " (+timeout waiting for idle at finalisation)";

/// Shared "everything passed so far" flag, cleared by the first failure of any channel.
#[derive(Debug, Clone)]
pub struct OverallSuccess(Arc<AtomicBool>);

impl Default for OverallSuccess {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl OverallSuccess {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    pub fn fail(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The first failure of a channel.
#[derive(Debug, Clone, Default)]
pub struct FailureRecord {
    message: Option<String>,
    idle_timeout_at_finalisation: bool,
}

impl FailureRecord {
    /// Records `message` unless a failure is already recorded; clears `overall`.
    pub fn record(&mut self, message: impl Into<String>, overall: &OverallSuccess) {
        overall.fail();
        if self.message.is_none() {
            let mut m: String = message.into();
            if m.chars().count() > MAX_FAILURE_CHARS {
                m = m.chars().take(MAX_FAILURE_CHARS).collect();
            }
            self.message = Some(m);
        }
    }

    pub fn failed(&self) -> bool {
        self.message.is_some()
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    pub fn set_idle_timeout_flag(&mut self) {
        self.idle_timeout_at_finalisation = true;
    }

    /// `<message><suffix>` as the tools print it.
    pub fn text(&self) -> Option<String> {
        self.message.as_ref().map(|m| {
            if self.idle_timeout_at_finalisation {
                format!("{m}{IDLE_TIMEOUT_SUFFIX}")
            } else {
                m.clone()
            }
        })
    }
}
