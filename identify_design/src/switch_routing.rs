//! The work of `xilinx_axi_stream_switch_set_routing` (designs_after_seed.md §2.8): apply
//! the requested routing to every identified design that has an AXI4-Stream Switch.

use std::io::Write;

use xilinx_axi_stream_switch::{requested_routing, DeviceRoutings, RouteUpdate, RoutingError};

use crate::open::OpenedDesigns;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetRoutingOptions {
    /// Write and commit even when the routes are unchanged (a soft reset of the switch).
    pub force_update: bool,
    /// Apply each design's default table (even when some route is already enabled).
    pub default_routing: bool,
}

/// Applies the routing and reports each device on `out`; returns how many devices were
/// processed. A port out of range for the design found is an error (the tool exits 1).
pub fn set_switch_routing(
    opened: &OpenedDesigns,
    routings: &DeviceRoutings,
    options: SetRoutingOptions,
    out: &mut impl Write,
) -> Result<usize, RoutingError> {
    let none = DeviceRoutings::default();
    let routings = if options.default_routing {
        &none
    } else {
        routings
    };
    let mut processed = 0;
    for (design, device) in opened.iter() {
        let routed = design.routed_design(device);
        let Some(switch) = &routed.switch else {
            continue;
        };
        let Some(requested) = requested_routing(&routed, routings)? else {
            continue;
        };
        let what = if options.force_update {
            switch.set_routes(&requested.routes)?;
            "update forced"
        } else {
            match switch.update_routes(&requested.routes)? {
                RouteUpdate::Updated => "updated",
                RouteUpdate::Unchanged => "unchanged",
            }
        };
        writeln!(out, "{}", routed.routes_line(what))?;
        processed += 1;
    }
    if processed == 0 {
        writeln!(
            out,
            "No devices processed, the devices specified on the command line either:"
        )?;
        writeln!(out, "- Don't exist")?;
        writeln!(out, "- Don't have a AXI4-Stream Switch")?;
    }
    Ok(processed)
}
