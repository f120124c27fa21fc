//! When a continuous stream run ends — its `--duration` passed or Ctrl-C — shared by the
//! tools whose worker thread drives every ring until told to stop
//! (`test_dma_bridge_parallel_streams`, `test_dma_bridge_independent_streams`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The stop flag the worker reads, and what sets it.
pub struct RunStop {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
    interrupt: &'static AtomicBool,
}

impl RunStop {
    /// A run of `duration` (None: until Ctrl-C). `--duration 0` is set to stop at once:
    /// exactly one lap of each ring. `parse_seconds` guarantees the deadline can be
    /// computed.
    pub fn new(duration: Option<Duration>) -> Self {
        let stop = Self {
            flag: Arc::new(AtomicBool::new(false)),
            deadline: duration.and_then(|d| Instant::now().checked_add(d)),
            interrupt: vfio_access::signals::interrupt_flag(),
        };
        stop.check();
        stop
    }

    /// The flag for the worker thread.
    pub fn worker_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Sets the flag once Ctrl-C came or the deadline passed.
    pub fn check(&self) {
        if self.interrupt.load(Ordering::SeqCst)
            || self.deadline.is_some_and(|d| Instant::now() >= d)
        {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

/// How long a stopping worker waits for a ring that completes nothing: the transfer
/// timeout and a second more.
pub fn stop_limit(timeout: Option<Duration>) -> Option<Duration> {
    timeout.map(|t| t.saturating_add(Duration::from_secs(1)))
}
