//! Ctrl-C handling for long-running tools: a flag set by SIGINT/SIGTERM.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use nix::errno::Errno;

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

use crate::error::VfioError;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: OnceLock<Result<(), (Signal, Errno)>> = OnceLock::new();

extern "C" fn on_signal(_: nix::libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// The flag SIGINT and SIGTERM set, installing the handlers (with restartable system
/// calls) on first use. A second signal after the flag is set still only sets the flag;
/// tools poll it and finish cleanly.
///
/// `sigaction` fails only for an invalid signal or handler (EINVAL), which SIGINT/SIGTERM
/// with this handler are not; [`install_interrupt_handlers`] reports it all the same.
pub fn interrupt_flag() -> &'static AtomicBool {
    let _ = install_interrupt_handlers();
    &INTERRUPTED
}

/// As [`interrupt_flag`], with the (first) installation's failure, if any.
pub fn install_interrupt_handlers() -> Result<&'static AtomicBool, VfioError> {
    let result = INSTALL.get_or_init(|| {
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for sig in [Signal::SIGINT, Signal::SIGTERM] {
            // SAFETY: the handler only performs an atomic store, which is async-signal-safe,
            // and it replaces the default disposition process-wide exactly once (OnceLock).
            unsafe { sigaction(sig, &action) }.map_err(|e| (sig, e))?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(&INTERRUPTED),
        Err((sig, e)) => Err(VfioError::sys(format!("sigaction({sig})"), *e)),
    }
}

/// Whether an interrupt was received (without installing handlers).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
