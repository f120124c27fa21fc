//! SIGINT/SIGTERM forwarding for the primary: the handler only records which signals the
//! secondaries still need (async-signal-safe atomics); the wait loop polls and forwards.
//! (Looping tools use [`crate::signals`] instead: a plain stop flag.)

use std::sync::atomic::{AtomicU32, Ordering};

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};

use crate::error::{Result, VfioError};

/// Bit 0: a SIGINT to forward; bit 1: a SIGTERM to forward.
static FORWARD: AtomicU32 = AtomicU32::new(0);
const FORWARD_INT: u32 = 1;
const FORWARD_TERM: u32 = 2;
/// `si_code` of a signal the kernel generated (e.g. the terminal's Ctrl-C).
const SI_KERNEL: i32 = 0x80;

extern "C" fn record(signo: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let code = if info.is_null() {
        0
    } else {
        // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers (null is
        // checked above); reading a field is async-signal-safe.
        unsafe { (*info).si_code }
    };
    let bit = match signo {
        // A terminal's Ctrl-C already reached the whole foreground process group.
        libc::SIGINT if code == SI_KERNEL => 0,
        libc::SIGINT => FORWARD_INT,
        libc::SIGTERM => FORWARD_TERM,
        _ => 0,
    };
    FORWARD.fetch_or(bit, Ordering::SeqCst);
}

/// Installs the recording handler for SIGINT and SIGTERM: the primary keeps running and
/// [`take_signals_to_forward`] reports them. Installed before the secondaries start: a
/// handler does not survive `exec` (and `spawn_secondary` resets both signals in the
/// child), so the children still start with the default dispositions.
pub(crate) fn install_forwarding() -> Result<()> {
    let action = SigAction::new(
        SigHandler::SigAction(record),
        SaFlags::SA_SIGINFO | SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to atomics and reads the siginfo it is given,
        // both async-signal-safe.
        unsafe { signal::sigaction(sig, &action) }
            .map_err(|e| VfioError::sys(format!("sigaction({sig})"), e))?;
    }
    Ok(())
}

/// Restores the default SIGINT and SIGTERM dispositions.
pub(crate) fn restore_default_handlers() {
    let action = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: installing the default disposition has no handler code to be unsafe.
        let _ = unsafe { signal::sigaction(sig, &action) };
    }
}

/// The signals received since the last call that children did not get by themselves:
/// SIGTERM always, SIGINT unless it came from the terminal (which signals the whole
/// foreground process group).
pub(crate) fn take_signals_to_forward() -> Vec<Signal> {
    let bits = FORWARD.swap(0, Ordering::SeqCst);
    let mut out = Vec::new();
    if bits & FORWARD_INT != 0 {
        out.push(Signal::SIGINT);
    }
    if bits & FORWARD_TERM != 0 {
        out.push(Signal::SIGTERM);
    }
    out
}
