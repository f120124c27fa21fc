//! The console sink for the messages of the VFIO layer.

use std::io::Write;

use vfio_access::messages::{MessageKind, MessageSink};

/// Prints progress and warnings on stdout and errors on stderr, one line per message: what
/// the tools printed before the VFIO layer stopped printing itself. When a tool's stdout
/// holds a JSON document (`--json`, [`crate::machine_output`]), progress and warnings go to
/// stderr too.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleMessages;

impl MessageSink for ConsoleMessages {
    fn message(&self, kind: MessageKind, text: &str) {
        // A closed stdout/stderr must not panic the tool: the message is then lost, as a
        // println! to a closed pipe would lose it (without the panic).
        let _ = match kind {
            MessageKind::Progress | MessageKind::Warning
                if !crate::machine_output::stdout_is_claimed() =>
            {
                writeln!(std::io::stdout().lock(), "{text}")
            }
            MessageKind::Progress | MessageKind::Warning => {
                writeln!(std::io::stderr().lock(), "{text}")
            }
            MessageKind::Error => writeln!(std::io::stderr().lock(), "{text}"),
        };
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
    }
}
