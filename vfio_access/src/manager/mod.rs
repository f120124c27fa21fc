//! The multi-process manager (`vfio_multi_process_manager`, vfio_access.md §7.3): one
//! process owns the VFIO groups and containers; every other tool finds it at start-up by
//! itself ([`running_manager`]: an abstract Unix seqpacket socket) and opens devices, gets
//! IOVAs and releases them through it. With no manager running, tools open devices
//! themselves as before.
//!
//! - [`protocol`]: the messages and their exact-length encoding.
//! - [`socket`]: seqpacket transport, SCM_RIGHTS, SO_PEERCRED.
//! - [`client`]: a tool's side ([`ManagerLink`]); `Session::open` uses it by itself.
//! - [`server`]: the event loop, generic over what it serves ([`ManagedDevices`]); also run
//!   in-process by `test_primary` for its secondaries' IOVAs.
//! - [`VfioDevices`]: the VFIO groups, containers and devices the manager binary serves.
//!
//! Choices (vfio_access.md §7.1 #3, §7.2, §12 #6, #7; multiprocess_notes.txt §6):
//! - No first-mmap EBUSY race: the manager maps every BAR of a device itself when it opens
//!   the device fd, before any client receives that fd. The kernel's BAR reservation is per
//!   device and lasts until the device's last close, so no client's mmap (nor BAR
//!   read/write) ever takes the racy path. Chosen over exclusive access around each client's
//!   first mmap because it needs no extra round trip, cannot be held up by a client dying
//!   inside the critical section, and also covers other first BAR accesses.
//! - Dead clients: the manager unmaps each range the client still held with its exact
//!   original range (the kernel reports the bytes). If the kernel unmaps less (older
//!   kernels only let the mapping process unmap), the range stays allocated as an orphan
//!   and is reclaimed when its container is disabled; the manager says so.
//! - Simulated boards (`--sim`) are never served: they live inside each tool's process, so
//!   there is nothing to share. The manager refuses `--sim`, and a tool run with `--sim`
//!   never contacts a manager.

pub mod client;
pub mod protocol;
pub mod server;
pub mod socket;
pub mod startup;
#[cfg(test)]
mod tests;
mod vfio_devices;

pub use client::{running_manager, ManagerLink, OpenedThroughManager};
pub use server::{
    client_allowed, ClientEnd, Control, ControlHandle, DeviceGrant, ManagedDevices, Server,
    ServerOptions,
};
pub use socket::{socket_name, DEFAULT_SOCKET_NAME, SOCKET_ENV};
pub use vfio_devices::{ManagerStartError, VfioDevices};

use std::sync::Arc;

use crate::location::PciLocation;
use crate::messages::Messages;

/// A device opened through a manager: dropping it tells the manager (after the device's
/// own fd and BAR mappings are gone).
pub(crate) struct DeviceLease {
    pub link: Arc<ManagerLink>,
    pub location: PciLocation,
    pub messages: Messages,
}

impl Drop for DeviceLease {
    fn drop(&mut self) {
        if let Err(e) = self.link.close_device(self.location) {
            self.messages.error(&e.to_string());
        }
    }
}
