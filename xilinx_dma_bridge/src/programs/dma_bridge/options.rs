//! The options of `test_dma_bridge` and their checks.

use xdma_registers::descriptor::MAX_LENGTH_FIELD;

use crate::options::{c_int_pair_parser, c_int_parser, decimal_parser, LongTimeoutArgs};
use crate::programs::memory_overrides::MemoryOverrides;

/// The tests, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestName {
    MemoryFixedBuffers,
    StreamFixedBuffers,
    StreamFixedBuffersC2hContinuous,
    MemoryVariableTransfers,
    StreamVariableTransfers,
    MemoryHostChunks,
}

impl TestName {
    pub const ALL: [TestName; 6] = [
        TestName::MemoryFixedBuffers,
        TestName::StreamFixedBuffers,
        TestName::StreamFixedBuffersC2hContinuous,
        TestName::MemoryVariableTransfers,
        TestName::StreamVariableTransfers,
        TestName::MemoryHostChunks,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            TestName::MemoryFixedBuffers => "memory_fixed_buffers",
            TestName::StreamFixedBuffers => "stream_fixed_buffers",
            TestName::StreamFixedBuffersC2hContinuous => "stream_fixed_buffers_c2h_continuous",
            TestName::MemoryVariableTransfers => "memory_variable_transfers",
            TestName::StreamVariableTransfers => "stream_variable_transfers",
            TestName::MemoryHostChunks => "memory_host_chunks",
        }
    }

    /// A test of AXI4-Stream designs (else of memory-mapped ones).
    pub const fn is_stream(self) -> bool {
        matches!(
            self,
            TestName::StreamFixedBuffers
                | TestName::StreamFixedBuffersC2hContinuous
                | TestName::StreamVariableTransfers
        )
    }
}

/// The options of `test_dma_bridge` besides the device selection.
#[derive(clap::Args, Debug, Clone)]
pub struct DmaBridgeOptions {
    /// Devices with a DMA bridge get 32-bit-only DMA capability (IOVAs < 4 GiB).
    #[arg(long)]
    pub a32: bool,

    /// Maximum fixed buffer size, 4..0x0FFFFFFF (rounded down to whole words).
    #[arg(long = "max-buffer-size", alias = "max_buffer_size", value_name = "SIZE",
          default_value = "0x8000000", value_parser = c_int_parser("max_buffer_size"))]
    pub max_buffer_size: u64,

    /// Cap on H2C/C2H combinations tested per test (at least 1).
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

    /// Alignment of C2H stream buffers and transfers: the AXI4-Stream data width, a power
    /// of two of at least 4.
    #[arg(long = "stream-axi-width-bytes", alias = "stream_axi_width_bytes", value_name = "BYTES",
          default_value = "16", value_parser = c_int_parser("stream_axi_width_bytes"))]
    pub stream_axi_width_bytes: u64,

    /// Host buffer of memory_host_chunks = card memory / this divisor (decimal, at least 1).
    #[arg(long = "host-buffer-divisor", alias = "host_buffer_divisor", value_name = "DIVISOR",
          default_value = "4", value_parser = decimal_parser("host_buffer_divisor"))]
    pub host_buffer_divisor: u64,

    /// Overrides the AXI base address of every memory-mapped design's card memory, to test
    /// less of it or to investigate accessing non-existent memory.
    #[arg(long = "dma-bridge-memory-base-address", alias = "dma_bridge_memory_base_address",
          value_name = "ADDRESS", value_parser = c_int_parser("dma_bridge_memory_base_address"))]
    pub dma_bridge_memory_base_address: Option<u64>,

    /// Overrides the card memory size of every memory-mapped design (non-zero).
    #[arg(long = "dma-bridge-memory-size-bytes", alias = "dma_bridge_memory_size_bytes",
          value_name = "SIZE", value_parser = c_int_parser("dma_bridge_memory_size_bytes"))]
    pub dma_bridge_memory_size_bytes: Option<u64>,

    /// `<domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]...`: AXI4-Stream Switch
    /// routing for a device (domain decimal); unspecified master ports are left disabled.
    /// May be used more than once; does not restrict the devices opened
    /// (designs_after_seed.md §2.6).
    #[arg(long = "device_routing", alias = "device-routing", value_name = "SPEC")]
    pub device_routing: Vec<String>,

    /// Comma-separated tests to run (default all six).
    #[arg(long = "enabled-tests", alias = "enabled_tests", value_name = "NAMES")]
    pub enabled_tests: Option<String>,

    /// Test at most this many bytes of card memory (CI-sized runs; at least 4).
    #[arg(long = "card-memory-limit", alias = "card_memory_limit", value_name = "SIZE",
          value_parser = c_int_parser("card_memory_limit"))]
    pub card_memory_limit: Option<u64>,

    /// Iterations per test, at least 1 (default: until 2^32 words have been tested).
    #[arg(long, value_name = "COUNT")]
    pub iterations: Option<u64>,

    #[command(flatten)]
    pub timeout: LongTimeoutArgs,
}

impl DmaBridgeOptions {
    /// The card memory overrides every memory-mapped design gets.
    pub fn memory_overrides(&self) -> MemoryOverrides {
        MemoryOverrides {
            base_address: self.dma_bridge_memory_base_address,
            size_bytes: self.dma_bridge_memory_size_bytes,
        }
    }

    /// Checks the values; the enabled tests in run order, or the line saying what is
    /// wrong (the original's messages where it had one).
    pub fn checked_tests(&self) -> Result<Vec<TestName>, String> {
        if self.max_buffer_size < 4 || self.max_buffer_size > MAX_LENGTH_FIELD {
            return Err(format!("Invalid max_buffer_size {}", self.max_buffer_size));
        }
        if self.max_channel_combinations == 0 {
            return Err("Invalid max_channel_combinations 0 (nothing would be tested)".into());
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
        let w = self.stream_axi_width_bytes;
        if w < 4 || !w.is_power_of_two() {
            return Err(format!(
                "Invalid stream_axi_width_bytes {w} (the AXI4-Stream width: a power of two of at least 4 bytes)"
            ));
        }
        if let Some(l) = self.card_memory_limit.filter(|&l| l < 4) {
            return Err(format!(
                "Invalid card_memory_limit {l} (must be at least one word, 4)"
            ));
        }
        if self.host_buffer_divisor == 0 {
            return Err("Invalid host_buffer_divisor 0".into());
        }
        if self.dma_bridge_memory_size_bytes == Some(0) {
            return Err("Invalid dma_bridge_memory_size_bytes 0".into());
        }
        if self.iterations == Some(0) {
            return Err("Invalid iterations 0 (nothing would be tested)".into());
        }
        match &self.enabled_tests {
            None => Ok(TestName::ALL.to_vec()),
            Some(list) => {
                let mut enabled = Vec::new();
                for name in list.split(',').filter(|s| !s.is_empty()) {
                    match TestName::ALL.iter().find(|t| t.name() == name) {
                        Some(t) => enabled.push(*t),
                        None => {
                            return Err(format!("enabled_tests contains unknown test name {name}"))
                        }
                    }
                }
                if enabled.is_empty() {
                    return Err(format!(
                        "enabled_tests names no test (nothing would be tested): '{list}'"
                    ));
                }
                Ok(TestName::ALL
                    .iter()
                    .copied()
                    .filter(|t| enabled.contains(t))
                    .collect())
            }
        }
    }
}
