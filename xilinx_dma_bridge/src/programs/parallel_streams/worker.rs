//! The worker thread that keeps every pair's rings busy until told to stop, publishing
//! statistics every [`INTERVAL`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::pair::Pair;
use super::statistics::{PairStats, Report};
use crate::OverallSuccess;

/// How often the interval statistics are published.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Runs the pairs until `stop` is set and they have drained (or a failure, or no progress
/// for `stop_limit` while stopping), then sends the final statistics.
pub fn run_worker(
    pairs: &mut [Pair],
    stop: &AtomicBool,
    overall: &OverallSuccess,
    bytes_per_buffer: u64,
    n: u64,
    stop_limit: Duration,
    tx: &mpsc::Sender<Report>,
) {
    for p in pairs.iter_mut() {
        for _ in 0..n {
            if p.c2h.start_next_c2h_buffer() {
                p.c2h_started += 1;
            }
        }
    }
    for _ in 0..n {
        for p in pairs.iter_mut() {
            if p.overall_start.is_none() {
                let now = Instant::now();
                p.overall_start = Some(now);
                p.interval_start = Some(now);
            }
            p.start_h2c();
        }
    }
    let mut last_publish = Instant::now();
    let mut last_progress = Instant::now();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let mut progress = false;
        for p in pairs.iter_mut().filter(|p| !p.stopped) {
            if let Some(c) = p.c2h.poll_completed() {
                progress = true;
                p.c2h_completed += 1;
                p.interval_transfers += 1;
                p.last_c2h = Some(Instant::now());
                if c.len != bytes_per_buffer || c.eop != Some(true) {
                    p.c2h.record_failure(format!(
                        "Assertion failed: completion length 0x{:x} eop {:?} for buffers of 0x{bytes_per_buffer:x}",
                        c.len, c.eop
                    ));
                }
                // Keep C2H buffers outstanding for every packet H2C has started, but
                // none beyond that once stopping (no C2H buffer is left without data).
                let outstanding = p.c2h_started - p.c2h_completed;
                let needed = !p.h2c_stopping || p.c2h_completed + outstanding < p.h2c_started;
                if needed && p.c2h.start_next_c2h_buffer() {
                    p.c2h_started += 1;
                }
            }
            if p.h2c.poll_completed().is_some() {
                progress = true;
                p.last_h2c = Some(Instant::now());
                if stopping {
                    p.h2c_stopping = true;
                } else {
                    p.start_h2c();
                }
            }
            if p.h2c_stopping && p.c2h_completed == p.h2c_started {
                p.stopped = true;
            }
        }
        if pairs.iter().all(|p| p.stopped) || !overall.get() {
            break;
        }
        if progress {
            last_progress = Instant::now();
        } else if stopping && last_progress.elapsed() > stop_limit {
            // Never hang while stopping: report the pairs that did not drain.
            for p in pairs.iter_mut().filter(|p| !p.stopped) {
                p.c2h.record_failure(format!(
                    "Timeout stopping: {} H2C buffers started but {} C2H buffers completed",
                    p.h2c_started, p.c2h_completed
                ));
            }
            break;
        }
        if last_publish.elapsed() >= INTERVAL {
            last_publish = Instant::now();
            let stats = pairs
                .iter()
                .map(|p| PairStats::of(p, true, bytes_per_buffer))
                .collect();
            let _ = tx.send(Report::Interval(stats));
            for p in pairs.iter_mut() {
                p.interval_transfers = 0;
                p.interval_start = p.last_h2c.or(p.interval_start);
            }
        }
        if !progress {
            std::thread::yield_now();
        }
    }
    let stats = pairs
        .iter()
        .map(|p| PairStats::of(p, false, bytes_per_buffer))
        .collect();
    let _ = tx.send(Report::Final(stats));
}
