//! The options of `crc64_stream_latency` (designs_after_seed.md §4.4). The original parses
//! none and takes any argument as "report the temperature"; here that is
//! `--report-temperature` (any positional argument still enables it), and the iteration
//! count and largest packet can be reduced for quick runs.

use crate::options::{c_int_parser, TimeoutArgs};

/// Round trips measured per packet size by the original (the first is discarded).
pub const ITERATIONS: u64 = 100_001;
/// The largest packet measured.
pub const MAX_PACKET_BYTES: u64 = 1_048_576;

#[derive(clap::Args, Debug, Clone)]
pub struct LatencyOptions {
    /// Print the FPGA temperature before and after each design's measurements.
    #[arg(long = "report-temperature", alias = "report_temperature")]
    pub report_temperature: bool,

    /// Round trips per packet size, at least 2 (the first is discarded).
    #[arg(long, value_name = "COUNT", default_value_t = ITERATIONS,
          value_parser = clap::value_parser!(u64).range(2..))]
    pub iterations: u64,

    /// The largest packet size measured (sizes double from the stream width).
    #[arg(long = "max-packet-bytes", alias = "max_packet_bytes", value_name = "BYTES",
          default_value = "1048576", value_parser = c_int_parser("max_packet_bytes"))]
    pub max_packet_bytes: u64,

    /// As the original: any argument enables the temperature report.
    #[arg(value_name = "ANY", hide = true)]
    pub any: Vec<String>,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

impl LatencyOptions {
    pub fn temperature(&self) -> bool {
        self.report_temperature || !self.any.is_empty()
    }
}
