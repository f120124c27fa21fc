//! A vfio-user server for the simulated boards: one `fpga_sim` board served as a PCI
//! function to a vfio-user client (QEMU's `vfio-user-pci`), on the rust-vmm `vfio_user`
//! crate's server side. The protocol is the crate's; this crate is the device.
//!
//! - [`board_choice`]: which board (`<design>[@<location>]`, one entry of a `--sim` list).
//! - [`backend`]: the device: regions, config space, reset, interrupts.
//! - [`client_memory`]: the client's DMA mappings as the models' host memory.
//! - [`serve`]: listen on a socket, serve one client until it disconnects.

pub mod backend;
pub mod board_choice;
pub mod client_memory;

use std::path::{Path, PathBuf};

pub use backend::{AccessCounts, BoardBackend, EventLog};
pub use board_choice::{choose_board, BoardChoiceError};
pub use client_memory::{ClientMemory, DmaMapError, DmaPermissions};

/// Why serving ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        #[source]
        source: vfio_user::Error,
    },
    #[error("vfio-user connection on {path} failed: {source}")]
    Connection {
        path: PathBuf,
        #[source]
        source: vfio_user::Error,
    },
}

/// Listens on `socket` (which must not exist; removed again when done), calls `listening`
/// once the socket accepts connections, and serves one client until it disconnects.
pub fn serve(
    backend: &mut BoardBackend,
    socket: &Path,
    listening: impl FnOnce(),
) -> Result<(), ServeError> {
    let server = vfio_user::Server::new(socket, true, backend.irqs(), backend.regions()).map_err(
        |source| ServeError::Listen {
            path: socket.to_path_buf(),
            source,
        },
    )?;
    listening();
    server
        .run(backend)
        .map_err(|source| ServeError::Connection {
            path: socket.to_path_buf(),
            source,
        })
}
