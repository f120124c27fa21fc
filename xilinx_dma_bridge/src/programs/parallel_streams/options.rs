//! The options of `test_dma_bridge_parallel_streams`.

use std::time::Duration;

use vfio_access::PciLocation;

use crate::options::{c_int_parser, parse_seconds, TimeoutArgs};

/// The options of `test_dma_bridge_parallel_streams` besides the device selection.
#[derive(clap::Args, Debug, Clone)]
pub struct ParallelStreamsOptions {
    /// Select one pair: `<domain>:<bus>:<dev>.<func>,<h2c_channel_id>`. Repeatable; also
    /// restricts which devices are opened.
    #[arg(long = "stream-device", alias = "stream_device", value_name = "DEVICE,H2C", value_parser = parse_stream_device)]
    pub stream_device: Vec<(PciLocation, u8)>,

    /// `<domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]...`: AXI4-Stream Switch
    /// routing for a device (domain decimal); unspecified master ports are left disabled.
    /// May be used more than once; does not restrict the devices opened
    /// (designs_after_seed.md §2.6).
    #[arg(long = "device_routing", alias = "device-routing", value_name = "SPEC")]
    pub device_routing: Vec<String>,

    /// Allocate every pair's DMA mappings in the IOMMU container of the first selected
    /// pair's device. With `--isolate-iommu-groups`, devices in other groups are then given
    /// IOVAs their container does not map and fail: it demonstrates the isolation
    /// (designs_after_seed.md §4.2).
    #[arg(
        long = "use-one-container-for-mappings",
        alias = "use_one_container_for_mappings"
    )]
    pub use_one_container_for_mappings: bool,

    /// Host mapping per direction per pair, in bytes (>= 4, a multiple of 4, and of 4
    /// times the descriptors so that every buffer holds whole words).
    #[arg(long = "stream-mapping-size", alias = "stream_mapping_size", value_name = "SIZE",
          default_value = "0x40000000", value_parser = c_int_parser("stream_mapping_size"))]
    pub stream_mapping_size: u64,

    /// Descriptors (buffers) per ring, 1..1023.
    #[arg(long = "stream-num-descriptors", alias = "stream_num_descriptors", value_name = "COUNT",
          default_value = "64", value_parser = c_int_parser("stream_num_descriptors"))]
    pub stream_num_descriptors: u64,

    /// Stop by itself after this many seconds (finite, >= 0; default: run until Ctrl-C).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub duration: Option<Duration>,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

/// `<location>,<h2c channel 0..3>`.
pub fn parse_stream_device(text: &str) -> Result<(PciLocation, u8), String> {
    let invalid = || format!("Invalid stream_device {text}");
    let (loc, ch) = text.rsplit_once(',').ok_or_else(invalid)?;
    let location: PciLocation = loc.parse().map_err(|_| invalid())?;
    let channel: u8 = ch.parse().ok().filter(|&c| c < 4).ok_or_else(invalid)?;
    Ok((location, channel))
}
