//! Ctrl-C handling for long-running tools: a flag set by SIGINT/SIGTERM.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

extern "C" fn on_signal(_: nix::libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// The flag SIGINT and SIGTERM set, installing the handlers (with restartable system
/// calls) on first use. A second signal after the flag is set still only sets the flag;
/// tools poll it and finish cleanly.
pub fn interrupt_flag() -> &'static AtomicBool {
    INSTALL.call_once(|| {
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for sig in [Signal::SIGINT, Signal::SIGTERM] {
            // SAFETY: the handler only performs an atomic store, which is async-signal-safe,
            // and it replaces the default disposition process-wide exactly once (Once).
            if let Err(e) = unsafe { sigaction(sig, &action) } {
                eprintln!("sigaction({sig}) failed : {}", e.desc());
            }
        }
    });
    &INTERRUPTED
}

/// Whether an interrupt was received (without installing handlers).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
