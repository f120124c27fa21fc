//! Several processes sharing VFIO devices: a *primary* opens the container, the groups
//! and the devices and launches *secondaries* that adopt what they are handed.
//!
//! Why this shape (vfio_access.md §6, §7 and §12): a group file can be open only once (a
//! secondary opening it gets EBUSY), IOVA space belongs to the container (secondaries
//! allocating independently collide: EEXIST), and racing first mmaps of a BAR fail with
//! EBUSY. So:
//!
//! - The primary opens everything close-on-exec, maps every BAR once before any secondary
//!   starts ([`map_all_bars`]), gives each secondary a disjoint IOVA window inside the
//!   container's ranges and below the smallest device address limit ([`partition`]), and
//!   starts it with exactly the fds it needs made inheritable plus [`SECONDARY_ENV`]
//!   describing them ([`Handover`], [`spawn_secondary`]).
//! - `Session::open` in a secondary finds [`SECONDARY_ENV`] and adopts: it never opens a
//!   group, never sets up the container, uses the handed device fds and allocates IOVAs
//!   only in its window. `Session::open_sim` honours the window too.
//! - The secondaries' IOVAs come from an in-process manager (the server of
//!   `vfio_multi_process_manager`, one [`SharedIovaSpace`] per container), one socket pair
//!   per secondary ([`MANAGER_FD_ENV`]), inside each secondary's window. When a secondary
//!   ends, however it ends, what it still held is unmapped with its exact ranges ([`run`]).
//!   (Windows disabled or simulated: each secondary allocates by itself, and its whole
//!   window is unmapped.) The primary catches SIGINT/SIGTERM after forking and forwards them, so
//!   every secondary gets them even when not run from a terminal.
//! - [`launch`] is the whole `test_primary` run; what only the binary knows (design
//!   filters, simulated boards) comes in through a [`DeviceCatalog`].

mod adopt;
mod captured_output;
mod handover;
mod launch;
mod launcher;
mod primary;
mod secondary_manager;
mod shared_iova;
mod signals;
mod windows;

pub(crate) use adopt::{adopted, secondary_window, Adopted};
pub use captured_output::{SecondaryOutput, CAPTURE_LIMIT_BYTES};
pub use handover::{HandedContainer, HandedDevice, Handover, SECONDARY_ENV};
pub use launch::{
    resolve_executable, spawn_secondary, spawn_secondary_captured, spawn_secondary_with,
    split_secondaries, SecondaryCommand,
};
pub use launcher::{launch, parse_pci_id, resolve_secondaries, DeviceCatalog, Launch, LaunchError};
pub use primary::{
    fd_display, handover_for, map_all_bars, plan_windows, run, summary_line, PrimaryOptions,
    Secondary, SecondaryExit, SecondaryReport, WindowMode,
};
pub use secondary_manager::MANAGER_FD_ENV;
pub use shared_iova::{ClientId, Holder, Reclaim, Release, SharedIovaSpace, OWN};
pub use windows::partition;
