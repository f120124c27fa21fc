//! The worker thread that keeps every pair's rings busy until told to stop, verifying
//! every received buffer before it is reused, publishing statistics every [`INTERVAL`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::pair::Pair;
use super::statistics::{PairStats, Report};
use crate::ChannelError;

/// How often the interval statistics are published.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Runs the pairs until `stop` is set and they have drained (or a failure, or no progress
/// at all for `stop_limit`), then sends the final statistics. Each C2H buffer is
/// verified when it completes, before it is started again, so every lap is checked at
/// the rate the stream runs.
pub fn run_worker(
    pairs: &mut [Pair],
    stop: &AtomicBool,
    bytes_per_buffer: u64,
    n: u64,
    stop_limit: Option<Duration>,
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
                p.check_received(c, p.c2h_completed - 1);
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
        if pairs.iter().all(|p| p.stopped) || pairs.iter().any(Pair::failed) {
            break;
        }
        if progress {
            last_progress = Instant::now();
        } else if let Some(limit) = stop_limit.filter(|&l| last_progress.elapsed() > l) {
            // Never hang: report the pairs that did not drain (each channel's own timeout
            // covers descriptors it has started; this covers everything else).
            for p in pairs.iter_mut().filter(|p| !p.stopped) {
                p.c2h.record_failure(ChannelError::NoProgress {
                    timeout: limit,
                    waiting_for: format!(
                        "C2H buffers: {} H2C buffers started but {} C2H buffers completed",
                        p.h2c_started, p.c2h_completed
                    ),
                });
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
