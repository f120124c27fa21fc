//! The options of `test_dma_bridge` and their checks.

use crate::descriptor::MAX_LENGTH_FIELD;
use crate::options::{c_int_pair_parser, c_int_parser, TimeoutArgs};

/// The tests, in the order they run.
pub const TEST_NAMES: [&str; 5] = [
    "memory_fixed_buffers",
    "stream_fixed_buffers",
    "stream_fixed_buffers_c2h_continuous",
    "memory_variable_transfers",
    "stream_variable_transfers",
];

/// The options of `test_dma_bridge` besides the device selection.
#[derive(clap::Args, Debug, Clone)]
pub struct DmaBridgeOptions {
    /// Devices with a DMA bridge get 32-bit-only DMA capability (IOVAs < 4 GiB).
    #[arg(long)]
    pub a32: bool,

    /// Maximum fixed buffer size, 1..0x0FFFFFFF.
    #[arg(long = "max-buffer-size", alias = "max_buffer_size", value_name = "SIZE",
          default_value = "0x8000000", value_parser = c_int_parser("max_buffer_size"))]
    pub max_buffer_size: u64,

    /// Cap on H2C/C2H combinations tested per test.
    #[arg(
        long = "max-channel-combinations",
        alias = "max_channel_combinations",
        value_name = "COUNT",
        default_value_t = 16
    )]
    pub max_channel_combinations: usize,

    /// Host mapping sizes `<h2c>,<c2h>` for the stream tests.
    #[arg(long = "stream-mapping-size", alias = "stream_mapping_size", value_name = "H2C,C2H",
          default_value = "0x40000000,0x40000000", value_parser = c_int_pair_parser("stream_mapping_size"))]
    pub stream_mapping_size: (u64, u64),

    /// Ring sizes `<h2c>,<c2h>` for the fixed-buffer stream tests.
    #[arg(long = "stream-num-descriptors", alias = "stream_num_descriptors", value_name = "H2C,C2H",
          default_value = "64,64", value_parser = c_int_pair_parser("stream_num_descriptors"))]
    pub stream_num_descriptors: (u64, u64),

    /// Variable-transfer lengths `<h2c>,<c2h>`.
    #[arg(long = "transfer-length", alias = "transfer_length", value_name = "H2C,C2H",
          default_value = "0x10000000,0x10000000", value_parser = c_int_pair_parser("transfer_length"))]
    pub transfer_length: (u64, u64),

    /// Alignment of C2H stream buffers and transfers.
    #[arg(long = "stream-axi-width-bytes", alias = "stream_axi_width_bytes", value_name = "BYTES",
          default_value = "16", value_parser = c_int_parser("stream_axi_width_bytes"))]
    pub stream_axi_width_bytes: u64,

    /// Comma-separated tests to run (default all five).
    #[arg(long = "enabled-tests", alias = "enabled_tests", value_name = "NAMES")]
    pub enabled_tests: Option<String>,

    /// Test at most this many bytes of card memory (CI-sized runs).
    #[arg(long = "card-memory-limit", alias = "card_memory_limit", value_name = "SIZE",
          value_parser = c_int_parser("card_memory_limit"))]
    pub card_memory_limit: Option<u64>,

    /// Iterations per test (default: until 2^32 words have been tested).
    #[arg(long, value_name = "COUNT")]
    pub iterations: Option<u64>,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

impl DmaBridgeOptions {
    /// Checks the values; the enabled tests in run order, or the original's message.
    pub fn enabled_tests(&self) -> Result<Vec<&'static str>, String> {
        if self.max_buffer_size == 0 || self.max_buffer_size > MAX_LENGTH_FIELD {
            return Err(format!("Invalid max_buffer_size {}", self.max_buffer_size));
        }
        let (h, c) = self.stream_mapping_size;
        if h < 4 || c < 4 || h % 4 != 0 || c % 4 != 0 {
            return Err("stream_mapping_size not a multiple of words".into());
        }
        let (h, c) = self.stream_num_descriptors;
        if h == 0 || c == 0 {
            return Err(format!("Invalid stream_num_descriptors {h},{c}"));
        }
        let (h, c) = self.transfer_length;
        if h == 0 || c == 0 {
            return Err(format!("Invalid transfer_length {h},{c}"));
        }
        if self.stream_axi_width_bytes == 0 {
            return Err("Invalid stream_axi_width_bytes 0".into());
        }
        match &self.enabled_tests {
            None => Ok(TEST_NAMES.to_vec()),
            Some(list) => {
                let mut enabled = Vec::new();
                for name in list.split(',').filter(|s| !s.is_empty()) {
                    match TEST_NAMES.iter().find(|t| **t == name) {
                        Some(t) => enabled.push(*t),
                        None => {
                            return Err(format!("enabled_tests contains unknown test name {name}"))
                        }
                    }
                }
                Ok(TEST_NAMES
                    .iter()
                    .copied()
                    .filter(|t| enabled.contains(t))
                    .collect())
            }
        }
    }
}
