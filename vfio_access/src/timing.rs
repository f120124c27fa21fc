//! Transfer timing: min/mean/max transfer rates in Mbytes/sec (10^6 bytes per second).

use std::fmt;
use std::time::Instant;

/// Statistics of repeated transfers of the same size.
#[derive(Debug, Clone)]
pub struct TransferTiming {
    name: String,
    bytes_per_transfer: u64,
    count: u64,
    min_ns: u64,
    max_ns: u64,
    total_ns: u64,
    started: Option<Instant>,
}

impl TransferTiming {
    pub fn new(name: impl Into<String>, bytes_per_transfer: u64) -> Self {
        Self {
            name: name.into(),
            bytes_per_transfer,
            count: 0,
            min_ns: 0,
            max_ns: 0,
            total_ns: 0,
            started: None,
        }
    }

    pub fn start(&mut self) {
        self.started = Some(Instant::now());
    }

    /// Ends the transfer begun by [`start`](Self::start) and records it.
    pub fn stop(&mut self) {
        if let Some(t) = self.started.take() {
            self.record_ns(t.elapsed().as_nanos().min(u64::MAX as u128) as u64);
        }
    }

    /// Records one transfer that took `ns` nanoseconds.
    pub fn record_ns(&mut self, ns: u64) {
        if self.count == 0 {
            self.min_ns = ns;
            self.max_ns = ns;
        } else {
            self.min_ns = self.min_ns.min(ns);
            self.max_ns = self.max_ns.max(ns);
        }
        self.total_ns = self.total_ns.saturating_add(ns);
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn bytes_per_transfer(&self) -> u64 {
        self.bytes_per_transfer
    }

    fn rate(&self, ns: u64) -> f64 {
        if ns == 0 {
            return f64::INFINITY;
        }
        self.bytes_per_transfer as f64 / (ns as f64 / 1e9) / 1e6
    }

    /// Mean rate in Mbytes/sec, None before any transfer.
    pub fn mean_rate(&self) -> Option<f64> {
        (self.count > 0 && self.bytes_per_transfer > 0)
            .then(|| self.rate(self.total_ns / self.count))
    }

    /// What is timed, e.g. `host-to-card DMA`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Nanoseconds of every recorded transfer together.
    pub fn total_ns(&self) -> u64 {
        self.total_ns
    }

    /// The slowest rate in Mbytes/sec (the longest transfer), as the text's `Min` line;
    /// None before any transfer.
    pub fn min_rate(&self) -> Option<f64> {
        (self.count > 0 && self.bytes_per_transfer > 0).then(|| self.rate(self.max_ns))
    }

    /// The fastest rate in Mbytes/sec (the shortest transfer), as the text's `Max` line.
    pub fn max_rate(&self) -> Option<f64> {
        (self.count > 0 && self.bytes_per_transfer > 0).then(|| self.rate(self.min_ns))
    }
}

impl fmt::Display for TransferTiming {
    /// The original's block: header, then `   Min`, `  Mean`, `   Max` lines. Min uses the
    /// longest time and Max the shortest; both only with more than one transfer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} timing for {} transfers of {} bytes:",
            self.name, self.count, self.bytes_per_transfer
        )?;
        if self.count > 0 && self.bytes_per_transfer > 0 {
            if self.count > 1 {
                writeln!(f, "   Min = {:.6} (Mbytes/sec)", self.rate(self.max_ns))?;
            }
            writeln!(
                f,
                "  Mean = {:.6} (Mbytes/sec)",
                self.rate(self.total_ns / self.count)
            )?;
            if self.count > 1 {
                writeln!(f, "   Max = {:.6} (Mbytes/sec)", self.rate(self.min_ns))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_original_layout() {
        let mut t = TransferTiming::new("host-to-card DMA", 1_000_000);
        t.record_ns(1_000_000); // 1000 MB/s
        t.record_ns(2_000_000); // 500 MB/s
        t.record_ns(3_000_000); // 333.333333 MB/s
        assert_eq!(
            t.to_string(),
            "host-to-card DMA timing for 3 transfers of 1000000 bytes:\n   Min = 333.333333 (Mbytes/sec)\n  Mean = 500.000000 (Mbytes/sec)\n   Max = 1000.000000 (Mbytes/sec)\n"
        );
        let mut one = TransferTiming::new("card-to-host DMA", 4096);
        one.record_ns(4096);
        assert_eq!(
            one.to_string(),
            "card-to-host DMA timing for 1 transfers of 4096 bytes:\n  Mean = 1000.000000 (Mbytes/sec)\n"
        );
        let none = TransferTiming::new("x", 4096);
        assert_eq!(
            none.to_string(),
            "x timing for 0 transfers of 4096 bytes:\n"
        );
        assert_eq!(none.mean_rate(), None);
        assert_eq!((none.min_rate(), none.max_rate()), (None, None));
        assert_eq!(
            (t.min_rate(), t.max_rate()),
            (Some(1e6 / 3e-3 / 1e6), Some(1000.0))
        );
        assert_eq!((t.name(), t.total_ns()), ("host-to-card DMA", 6_000_000));
    }

    #[test]
    fn mean_uses_integer_nanosecond_division() {
        let mut t = TransferTiming::new("x", 1000);
        t.record_ns(1);
        t.record_ns(2);
        // total 3 / 2 = 1 ns
        assert_eq!(t.mean_rate(), Some(1e3 / 1e-9 / 1e6));
    }
}
