//! The options of `test_dma_descriptor_credits`.

use super::RING;
use crate::options::{parse_c_int, TimeoutArgs};

/// The options of `test_dma_descriptor_credits` besides the device selection.
#[derive(clap::Args, Debug, Clone)]
pub struct CreditsOptions {
    /// Add offsets to the IOVAs given to the card (to provoke IOMMU faults):
    /// `<descriptors_iova_offset>,<h2c_data_iova_offset>,<c2h_data_iova_offset>`.
    #[arg(short = 'o', value_name = "OFFSETS", value_parser = parse_offsets)]
    pub iova_offsets: Option<[u64; 3]>,

    /// `<domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]...`: AXI4-Stream Switch
    /// routing for a device (designs_after_seed.md §2.6); repeatable; does not restrict
    /// the devices opened.
    #[arg(
        short = 's',
        long = "device_routing",
        alias = "device-routing",
        value_name = "SPEC"
    )]
    pub device_routing: Vec<String>,

    /// Devices with a DMA bridge get 32-bit-only DMA capability (IOVAs < 4 GiB).
    #[arg(short = '3')]
    pub a32: bool,

    /// Run the VFIO reset test first.
    #[arg(short = 'r')]
    pub reset_test: bool,

    /// Cap on the total descriptors of the memory-mapped ring test (default 3 * 1023).
    #[arg(long = "mm-descriptors", alias = "mm_descriptors", value_name = "COUNT",
          default_value_t = 3 * RING, value_parser = clap::value_parser!(u64).range(1..))]
    pub mm_descriptors: u64,

    /// Messages per stream ring test (default 3069).
    #[arg(long = "stream-messages", alias = "stream_messages", value_name = "COUNT",
          default_value_t = 3 * RING, value_parser = clap::value_parser!(u64).range(1..))]
    pub stream_messages: u64,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

/// `<descriptors>,<h2c_data>,<c2h_data>` IOVA offsets.
pub fn parse_offsets(text: &str) -> Result<[u64; 3], String> {
    let invalid = || format!("Invalid IOVA offsets {text}");
    let parts: Vec<u64> = text
        .split(',')
        .map(|p| parse_c_int(p).ok_or_else(invalid))
        .collect::<Result<_, _>>()?;
    parts.try_into().map_err(|_| invalid())
}
