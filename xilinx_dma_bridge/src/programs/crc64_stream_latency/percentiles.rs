//! The latency report line of `crc64_stream_latency` (designs_after_seed.md §4.4).

/// The percentiles reported.
pub const PERCENTILES: [f64; 4] = [50.0, 75.0, 99.0, 99.999];

/// 0-based index of percentile `p` in `n` sorted samples: ceil(n p / 100) - 1, which for
/// the original's 100000 samples gives 49999, 74999, 98999 and 99998.
pub fn percentile_index(n: usize, p: f64) -> usize {
    // Percent in thousandths, so that 99.999 is exact.
    let milli = (p * 1000.0).round() as u128;
    let index = (n as u128 * milli).div_ceil(100_000);
    (index.max(1) - 1).min(n.saturating_sub(1) as u128) as usize
}

/// `%7u len bytes latencies (us):` then ` %7.3f (%g')` per percentile, from latencies in
/// nanoseconds (sorted here).
pub fn latency_line(len_bytes: u64, latencies_ns: &mut [u64]) -> String {
    latencies_ns.sort_unstable();
    let mut line = format!("{len_bytes:7} len bytes latencies (us):");
    for p in PERCENTILES {
        let us = latencies_ns
            .get(percentile_index(latencies_ns.len(), p))
            .map_or(0.0, |&ns| ns as f64 / 1000.0);
        // Rust's shortest float form prints 50 and 99.999 as C's %g does.
        line.push_str(&format!(" {us:7.3} ({p}')"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_originals_indices() {
        let got: Vec<usize> = PERCENTILES
            .iter()
            .map(|&p| percentile_index(100_000, p))
            .collect();
        assert_eq!(got, [49_999, 74_999, 98_999, 99_998]);
        assert_eq!(percentile_index(1, 99.999), 0);
        assert_eq!(percentile_index(10, 50.0), 4);
    }

    #[test]
    fn line_format() {
        let mut v: Vec<u64> = (1..=100_000u64).rev().map(|i| i * 10).collect();
        assert_eq!(
            latency_line(16, &mut v),
            "     16 len bytes latencies (us): 500.000 (50') 750.000 (75') 990.000 (99') 999.990 (99.999')"
        );
    }
}
