//! What the VFIO layer has to tell the user while it works (devices opened or skipped,
//! bus mastering enabled, secondaries started and ended, cleanup failures). The layer never
//! prints: it hands each message to the [`Messages`] sink its caller chose, so tool logic
//! runs in-process in tests and a binary decides where text goes (the `command_line`
//! crate's console sink prints as the tools always have).

use std::fmt;
use std::sync::{Arc, Mutex};

/// What a message is, so that a sink can route it (the console prints progress and
/// warnings on stdout, errors on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// What is being done: `Opening device ...`, `Started secondary ...`.
    Progress,
    /// Something left out, degraded or failed that the run survives: `Skipping device ...`,
    /// a reduced PCIe link, a secondary's non-zero exit.
    Warning,
    /// A failure reported while carrying on (the original printed these on stderr): a
    /// device fd the kernel refused, an unmap that failed on cleanup.
    Error,
}

/// Receives the messages of the VFIO layer. Called from any thread.
pub trait MessageSink: Send + Sync {
    /// One message; `text` is one line or several, without the final newline.
    fn message(&self, kind: MessageKind, text: &str);
    /// Makes everything received so far visible (before a child process is started on
    /// the same terminal).
    fn flush(&self) {}
}

/// A shared handle on a [`MessageSink`]; the default discards every message.
#[derive(Clone)]
pub struct Messages(Arc<dyn MessageSink>);

impl Messages {
    pub fn new(sink: impl MessageSink + 'static) -> Self {
        Self(Arc::new(sink))
    }

    /// A sink that drops everything (the default: library use, unit tests).
    pub fn discard() -> Self {
        Self::new(DiscardMessages)
    }

    pub fn send(&self, kind: MessageKind, text: &str) {
        self.0.message(kind, text)
    }
    pub fn progress(&self, text: &str) {
        self.send(MessageKind::Progress, text)
    }
    pub fn warning(&self, text: &str) {
        self.send(MessageKind::Warning, text)
    }
    pub fn error(&self, text: &str) {
        self.send(MessageKind::Error, text)
    }
    pub fn flush(&self) {
        self.0.flush()
    }
}

impl<T: MessageSink + 'static> From<Arc<T>> for Messages {
    fn from(sink: Arc<T>) -> Self {
        Self(sink)
    }
}

impl Default for Messages {
    fn default() -> Self {
        Self::discard()
    }
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Messages")
    }
}

/// Drops every message.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardMessages;

impl MessageSink for DiscardMessages {
    fn message(&self, _kind: MessageKind, _text: &str) {}
}

/// Keeps every message in order, for tests that check what a run reported.
#[derive(Debug, Default)]
pub struct CollectedMessages {
    received: Mutex<Vec<(MessageKind, String)>>,
}

impl CollectedMessages {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<(MessageKind, String)> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The texts received so far as lines, as a console would show them.
    pub fn text(&self) -> String {
        self.received()
            .iter()
            .map(|(_, t)| format!("{t}\n"))
            .collect()
    }
}

impl MessageSink for CollectedMessages {
    fn message(&self, kind: MessageKind, text: &str) {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((kind, text.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collected_in_order_with_kinds() {
        let collected = CollectedMessages::new();
        let m = Messages::from(Arc::clone(&collected));
        m.progress("a");
        m.error("b");
        m.warning("c\nd");
        Messages::default().error("dropped");
        assert_eq!(
            collected.received(),
            vec![
                (MessageKind::Progress, "a".to_string()),
                (MessageKind::Error, "b".to_string()),
                (MessageKind::Warning, "c\nd".to_string()),
            ]
        );
        assert_eq!(collected.text(), "a\nb\nc\nd\n");
    }
}
