//! Which routing a program applies to a design, and "configure routing for a device" as
//! every DMA program does it (designs_after_seed.md §2.5).

use std::io::{self, Write};

use vfio_access::PciLocation;

use crate::device_routing::DeviceRoutings;
use crate::switch::{AxiStreamSwitch, Route, RouteUpdate, SwitchError};

/// What the routing selection needs to know about one opened design.
#[derive(Debug, Clone)]
pub struct RoutedDesign<'a> {
    pub location: PciLocation,
    pub name: &'a str,
    /// The design's switch; None when it has none (0 ports).
    pub switch: Option<AxiStreamSwitch>,
    /// The design's default routing table as `(master_port, slave_port)`, in table order
    /// (empty: no default). Designs without a switch use it only to name channel pairs.
    pub default_routes: &'a [(u8, u8)],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutingSource {
    /// A `--device_routing` entry named the device.
    CommandLine,
    /// The design's default table.
    Default,
}

/// The routing requested for a design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedRouting {
    pub source: RoutingSource,
    /// Command line: one entry per master port in port order. Default: the table.
    pub routes: Vec<Route>,
}

#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("master_port {master_port} outside of range for device {location} design {name}")]
    MasterPortOutOfRange {
        master_port: u32,
        location: PciLocation,
        name: String,
    },
    #[error("slave_port {slave_port} outside of range for device {location} design {name}")]
    SlavePortOutOfRange {
        slave_port: u32,
        location: PciLocation,
        name: String,
    },
    #[error("No routing available for device {location} design {name}")]
    NoRouting { location: PciLocation, name: String },
    #[error(transparent)]
    Switch(#[from] SwitchError),
    #[error("writing the routing report failed: {0}")]
    Output(#[from] io::Error),
}

impl RoutedDesign<'_> {
    fn ports(&self) -> (u8, u8) {
        self.switch
            .as_ref()
            .map_or((0, 0), |s| (s.master_ports(), s.slave_ports()))
    }

    fn defaults(&self) -> Vec<Route> {
        self.default_routes
            .iter()
            .map(|&(m, s)| Route::enabled(m, s))
            .collect()
    }

    /// `Device <bdf> design <name> routes <what>`.
    pub fn routes_line(&self, what: &str) -> String {
        format!(
            "Device {} design {} routes {what}",
            self.location, self.name
        )
    }
}

/// The requested routing (§2.5 steps 1-3): the first `--device_routing` entry for the
/// device, else the default table, else None. Range errors are the sheet's messages.
pub fn requested_routing(
    design: &RoutedDesign,
    routings: &DeviceRoutings,
) -> Result<Option<RequestedRouting>, RoutingError> {
    if let Some(entry) = routings.for_location(design.location) {
        let (masters, slaves) = design.ports();
        let mut routes: Vec<Route> = (0..masters).map(Route::disabled).collect();
        for &(m, s) in &entry.routes {
            if m >= u32::from(masters) {
                return Err(RoutingError::MasterPortOutOfRange {
                    master_port: m,
                    location: design.location,
                    name: design.name.to_string(),
                });
            }
            if s >= u32::from(slaves) {
                return Err(RoutingError::SlavePortOutOfRange {
                    slave_port: s,
                    location: design.location,
                    name: design.name.to_string(),
                });
            }
            // Both fit in u8: they are below the port counts.
            routes[m as usize] = Route::enabled(m as u8, s as u8);
        }
        return Ok(Some(RequestedRouting {
            source: RoutingSource::CommandLine,
            routes,
        }));
    }
    if design.default_routes.is_empty() {
        return Ok(None);
    }
    Ok(Some(RequestedRouting {
        source: RoutingSource::Default,
        routes: design.defaults(),
    }))
}

/// Configure routing for a device (§2.5), as the DMA programs do before their stream
/// tests. Returns the routing to test (H2C = slave port, C2H = master port of every
/// enabled route, in order). Writes `Device <bdf> design <name> routes updated` to `out`
/// when the switch was written. No routing is [`RoutingError::NoRouting`]: the programs
/// print it and exit with status 1.
pub fn configure_routing(
    design: &RoutedDesign,
    routings: &DeviceRoutings,
    out: &mut impl Write,
) -> Result<Vec<Route>, RoutingError> {
    let Some(requested) = requested_routing(design, routings)? else {
        return Err(RoutingError::NoRouting {
            location: design.location,
            name: design.name.to_string(),
        });
    };
    let Some(switch) = &design.switch else {
        // Revision-0 loopback and CRC64 designs: the table only names the channel pairs.
        return Ok(requested.routes);
    };
    if requested.source == RoutingSource::Default {
        let current = switch.read_routes();
        if current.iter().any(|r| r.enabled) {
            // Someone (e.g. xilinx_axi_stream_switch_set_routing) chose routes: keep them.
            return Ok(current);
        }
    }
    if switch.update_routes(&requested.routes)? == RouteUpdate::Updated {
        writeln!(out, "{}", design.routes_line("updated"))?;
    }
    Ok(requested.routes)
}
