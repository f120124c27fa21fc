//! Throughput statistics of the stream pairs, per interval and for the whole run.

use super::pair::Pair;

/// Statistics of one pair over an interval (or the whole run).
#[derive(Debug, Clone)]
pub struct PairStats {
    pub label: String,
    pub bytes: u64,
    pub seconds: f64,
    pub transfers: u64,
}

impl PairStats {
    /// Of `p` since its interval started, or (`interval` false) since the run started.
    pub fn of(p: &Pair, interval: bool, bytes_per_buffer: u64) -> Self {
        let (start, transfers) = if interval {
            (p.interval_start, p.interval_transfers)
        } else {
            (p.overall_start, p.c2h_completed)
        };
        let seconds = match (start, p.last_c2h) {
            (Some(s), Some(e)) if e > s => (e - s).as_secs_f64(),
            _ => 0.0,
        };
        PairStats {
            label: p.label.clone(),
            bytes: transfers * bytes_per_buffer,
            seconds,
            transfers,
        }
    }

    /// Mbytes/sec (10^6 bytes per second), 0 when no time elapsed.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / self.seconds / 1e6
        } else {
            0.0
        }
    }

    /// `  <label> <rate> Mbytes/sec (<n> bytes in <s> secs)` or `No completed transfers`.
    pub fn line(&self) -> String {
        if self.transfers == 0 {
            format!("  {} No completed transfers", self.label)
        } else {
            let rate = self.rate();
            format!(
                "  {} {rate:.3} Mbytes/sec ({} bytes in {:.6} secs)",
                self.label, self.bytes, self.seconds
            )
        }
    }
}

/// What the worker sends the main thread to print.
pub enum Report {
    Interval(Vec<PairStats>),
    Final(Vec<PairStats>),
}
