//! The command-line plumbing every fpga_sio tool shares, kept out of the libraries:
//!
//! - [`DeviceArgs`]: the device options every tool flattens into its clap parser, turned
//!   into `vfio_access` [`OpenOptions`](vfio_access::OpenOptions) and a
//!   [`SimSelection`](vfio_access::SimSelection).
//! - [`cli`]: parsing with one-line errors, and running a tool body with a one-line failure.
//! - [`ConsoleMessages`]: prints the messages of the VFIO layer as the tools always have.
//! - [`integer`]: the one C-style (`strtoul` base 0) integer parser, and sizes.
//! - [`machine_output`]: `--json` and `--json-summary <file>` (docs/json_schema.md).
//! - [`output_file`]: writing a user's file atomically (temporary name + rename).

pub mod cli;
mod console;
mod device_args;
pub mod integer;
pub mod machine_output;
pub mod output_file;

pub use console::ConsoleMessages;
pub use device_args::{parse_sim_selection, DeviceArgs, SIM_NOTICE_ENV};
pub use machine_output::{JsonArgs, JsonSummaryArgs};
