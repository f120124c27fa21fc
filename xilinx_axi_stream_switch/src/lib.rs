//! Driver for the Xilinx AXI4-Stream Switch (PG085, axis_switch v1.1) in register-controlled
//! routing mode, as used by the revision >= 1 stream-loopback designs
//! (designs_after_seed.md §2).
//!
//! - [`registers`]: the Control and MI_MUX registers.
//! - [`switch`]: reading, setting (unconditionally) and updating (only when changed) routes.
//! - [`device_routing`]: the `--device_routing <location>[,<master>:<slave>]...` option.
//! - [`requested_routing`]: which routing a program applies to a design (command line,
//!   else the design's default table) and "configure routing" (designs_after_seed.md §2.5).
//!
//! The library reads no design table: callers describe a design with
//! [`requested_routing::RoutedDesign`].

pub mod device_routing;
pub mod registers;
pub mod requested_routing;
pub mod switch;

pub use device_routing::{DeviceRouting, DeviceRoutingError, DeviceRoutings};
pub use requested_routing::{
    configure_routing, requested_routing, RequestedRouting, RoutedDesign, RoutingError,
    RoutingSource,
};
pub use switch::{AxiStreamSwitch, Route, RouteUpdate, SwitchError};
