//! Which stream channels a DMA program pairs on a design: "configure routing for a device"
//! (designs_after_seed.md §2.5) turned into (H2C, C2H) pairs, one per enabled route in
//! route order, H2C = the route's slave port and C2H = its master port (§2.7).

use std::io::Write;

use xilinx_axi_stream_switch::{configure_routing, DeviceRoutings, Route, RoutingError};

use crate::designs::DmaDesign;

/// The routing of a design could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StreamRoutingError {
    /// The sheet's exact line (`No routing available for device <bdf> design <name>`, or a
    /// port outside of range): the program prints it on stdout and exits with status 1.
    #[error(transparent)]
    Refused(RoutingError),
    /// The switch or the report writer failed.
    #[error("configuring the AXI4-Stream Switch routing")]
    Failed(#[source] RoutingError),
}

impl From<RoutingError> for StreamRoutingError {
    fn from(e: RoutingError) -> Self {
        match e {
            RoutingError::NoRouting { .. }
            | RoutingError::MasterPortOutOfRange { .. }
            | RoutingError::SlavePortOutOfRange { .. } => StreamRoutingError::Refused(e),
            other => StreamRoutingError::Failed(other),
        }
    }
}

/// The (H2C, C2H) pairs of the enabled routes, in order.
pub fn pairs_of_routes(routes: &[Route]) -> Vec<(u8, u8)> {
    routes
        .iter()
        .filter(|r| r.enabled)
        .map(|r| (r.slave_port, r.master_port))
        .collect()
}

/// Configures the routing of `d` (writing `Device <bdf> design <name> routes updated` to
/// `out` when the switch was written) and returns the routes to use.
pub fn configure_design_routing(
    d: &DmaDesign,
    routings: &DeviceRoutings,
    out: &mut dyn Write,
) -> Result<Vec<Route>, StreamRoutingError> {
    let routed = d.design.routed_design(d.device);
    let mut out = out;
    Ok(configure_routing(&routed, routings, &mut out)?)
}

/// [`configure_design_routing`] as stream pairs.
pub fn stream_pairs(
    d: &DmaDesign,
    routings: &DeviceRoutings,
    out: &mut dyn Write,
) -> Result<Vec<(u8, u8)>, StreamRoutingError> {
    Ok(pairs_of_routes(&configure_design_routing(
        d, routings, out,
    )?))
}

/// Parses the `--device_routing` values (designs_after_seed.md §2.6); the error is the
/// sheet's stderr line.
pub fn parse_device_routings(values: &[String]) -> Result<DeviceRoutings, String> {
    DeviceRoutings::parse(values.iter().map(String::as_str)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_routes_become_pairs_slave_to_master_in_order() {
        let routes = [
            Route::enabled(0, 1),
            Route::disabled(1),
            Route::enabled(2, 0),
        ];
        assert_eq!(pairs_of_routes(&routes), vec![(1, 0), (0, 2)]);
        assert!(pairs_of_routes(&[Route::disabled(0)]).is_empty());
    }
}
