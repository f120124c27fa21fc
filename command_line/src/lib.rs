//! The command-line plumbing every fpga_sio tool shares, kept out of the libraries:
//!
//! - [`DeviceArgs`]: the device options every tool flattens into its clap parser, turned
//!   into `vfio_access` [`OpenOptions`](vfio_access::OpenOptions) and a
//!   [`SimSelection`](vfio_access::SimSelection).
//! - [`cli`]: parsing with one-line errors, and running a tool body with a one-line failure.
//! - [`ConsoleMessages`]: prints the messages of the VFIO layer as the tools always have.
//! - [`integer`]: the one C-style (`strtoul` base 0) integer parser, and sizes.

pub mod cli;
mod console;
mod device_args;
pub mod integer;

pub use console::ConsoleMessages;
pub use device_args::{parse_sim_selection, DeviceArgs, SIM_NOTICE_ENV};
