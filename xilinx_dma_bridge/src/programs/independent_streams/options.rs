//! The options of `test_dma_bridge_independent_streams` (designs_after_seed.md §4.3).

use std::time::Duration;

use vfio_access::PciLocation;

use crate::options::{c_int_parser, parse_seconds, TimeoutArgs};

/// The options of `test_dma_bridge_independent_streams` besides the device selection.
#[derive(clap::Args, Debug, Clone)]
pub struct IndependentStreamsOptions {
    /// Select one H2C stream: `<domain>:<bus>:<dev>.<func>,<h2c_channel_id>`. Repeatable;
    /// also adds the device to those opened. With any stream selected, only the selected
    /// streams are tested.
    #[arg(long = "h2c-stream-device", alias = "h2c_stream_device", value_name = "DEVICE,H2C",
          value_parser = stream_device_parser("h2c_stream_device"))]
    pub h2c_stream_device: Vec<(PciLocation, u8)>,

    /// Select one C2H stream: `<domain>:<bus>:<dev>.<func>,<c2h_channel_id>`. Repeatable.
    #[arg(long = "c2h-stream-device", alias = "c2h_stream_device", value_name = "DEVICE,C2H",
          value_parser = stream_device_parser("c2h_stream_device"))]
    pub c2h_stream_device: Vec<(PciLocation, u8)>,

    /// `<domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]...`: AXI4-Stream Switch
    /// routing for a device (designs_after_seed.md §2.6); repeatable; does not restrict the
    /// devices opened. Routes do not choose the streams tested.
    #[arg(long = "device_routing", alias = "device-routing", value_name = "SPEC")]
    pub device_routing: Vec<String>,

    /// Host mapping per stream, in bytes (>= 4, a multiple of 4).
    #[arg(long = "stream-mapping-size", alias = "stream_mapping_size", value_name = "SIZE",
          default_value = "0x40000000", value_parser = c_int_parser("stream_mapping_size"))]
    pub stream_mapping_size: u64,

    /// Descriptors (buffers) per ring, 1..1023.
    #[arg(long = "stream-num-descriptors", alias = "stream_num_descriptors", value_name = "COUNT",
          default_value = "64", value_parser = c_int_parser("stream_num_descriptors"))]
    pub stream_num_descriptors: u64,

    /// Allocate every stream's DMA mappings in the IOMMU container of the first selected
    /// stream's device (with `--isolate-iommu-groups` the other groups then fail).
    #[arg(
        long = "use-one-container-for-mappings",
        alias = "use_one_container_for_mappings"
    )]
    pub use_one_container_for_mappings: bool,

    /// Stop by itself after this many seconds (finite, >= 0; default: run until Ctrl-C).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub duration: Option<Duration>,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

/// `<location>,<decimal channel>`; anything else is `Invalid <option> <arg>`.
pub fn parse_stream_device(option: &str, text: &str) -> Result<(PciLocation, u8), String> {
    let invalid = || format!("Invalid {option} {text}");
    let (loc, ch) = text.rsplit_once(',').ok_or_else(invalid)?;
    let location: PciLocation = loc.parse().map_err(|_| invalid())?;
    if ch.is_empty() || !ch.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let channel: u8 = ch.parse().map_err(|_| invalid())?;
    Ok((location, channel))
}

fn stream_device_parser(
    option: &'static str,
) -> impl Fn(&str) -> Result<(PciLocation, u8), String> + Clone {
    move |text| parse_stream_device(option, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_device_syntax() {
        assert_eq!(
            parse_stream_device("h2c_stream_device", "0000:15:00.0,1"),
            Ok((PciLocation::new(0, 0x15, 0, 0), 1))
        );
        for bad in [
            "0000:15:00.0",
            "0000:15:00.0,",
            "0000:15:00.0,x",
            "0000:15:00.0,-1",
            "0:15:00.0,1,2",
            "zz,0",
        ] {
            assert_eq!(
                parse_stream_device("c2h_stream_device", bad),
                Err(format!("Invalid c2h_stream_device {bad}"))
            );
        }
    }
}
