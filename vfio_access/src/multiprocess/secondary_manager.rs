//! `test_primary`'s in-process manager: the same server as `vfio_multi_process_manager`
//! (crate::manager::server) and the same [`SharedIovaSpace`](super::SharedIovaSpace) of
//! each container, serving the IOVA requests of the secondaries over one socket pair each.
//! So the IOVA windows, the allocation and the clean-up of a secondary that ended (however
//! it ended) are one implementation for both (issue #13). Devices are still handed over
//! by fd inheritance ([`Handover`](super::Handover)); a secondary opens none through it.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::domain::IommuDomain;
use crate::error::{Result, VfioError};
use crate::filter::DmaCapability;
use crate::iova::IovaRange;
use crate::location::PciLocation;
use crate::manager::protocol::Status;
use crate::manager::{
    socket, ClientEnd, Control, ControlHandle, DeviceGrant, ManagedDevices, Server, ServerOptions,
};
use crate::messages::Messages;
use crate::multiprocess::ClientId;

/// The fd (in a secondary) of its connection to the primary's in-process manager.
pub const MANAGER_FD_ENV: &str = "FPGA_SIO_SECONDARY_MANAGER";

/// The containers a primary hands over, by their index in the handover.
struct HandedContainers(Vec<Arc<IommuDomain>>);

impl ManagedDevices for HandedContainers {
    fn open(
        &mut self,
        location: PciLocation,
        _dma: DmaCapability,
        _messages: &Messages,
    ) -> std::result::Result<DeviceGrant, (Status, String)> {
        Err((
            Status::NotManaged,
            format!("A secondary asked test_primary to open {location}: devices are handed over, not opened"),
        ))
    }
    fn close(&mut self, _location: PciLocation, _messages: &Messages) {}
    fn domain(&self, container_id: u32) -> Option<Arc<IommuDomain>> {
        self.0.get(container_id as usize).cloned()
    }
    fn domains(&self) -> Vec<Arc<IommuDomain>> {
        self.0.clone()
    }
    // The primary keeps its containers until it closes them.
    fn disable_unused(&mut self, _messages: &Messages) {}
}

/// The running in-process manager and each secondary's end of its connection.
pub(crate) struct SecondaryManager {
    control: ControlHandle,
    thread: JoinHandle<()>,
    clients: Vec<ClientId>,
    /// The secondaries' ends, until each is started.
    child_ends: Vec<Option<OwnedFd>>,
}

impl SecondaryManager {
    /// Serves `domains` (in handover order) to one client per window; each client's
    /// allocations stay inside its window.
    pub fn start(
        domains: Vec<Arc<IommuDomain>>,
        windows: &[Option<IovaRange>],
        names: &[String],
        messages: Messages,
    ) -> Result<Self> {
        let mut server = Server::new(
            HandedContainers(domains.clone()),
            ServerOptions {
                once: false,
                messages,
            },
        );
        let mut clients = Vec::with_capacity(windows.len());
        let mut child_ends = Vec::with_capacity(windows.len());
        for (i, window) in windows.iter().enumerate() {
            let (ours, theirs) =
                socket::pair().map_err(|e| VfioError::sys("socketpair(AF_UNIX)", e))?;
            let name = names.get(i).cloned().unwrap_or_default();
            let id = server
                .add_client(ours, format!("secondary {} {name}", i + 1))
                .ok_or_else(|| {
                    VfioError::Other(format!("more than {} secondaries", socket::MAX_CLIENTS))
                })?;
            if let Some(w) = window {
                for d in &domains {
                    d.with_space(|s| s.set_window(id, *w));
                }
            }
            clients.push(id);
            child_ends.push(Some(theirs));
        }
        let control = server
            .control()
            .map_err(|e| VfioError::Other(format!("in-process manager: {e}")))?;
        let thread = std::thread::spawn(move || {
            let _ = server.run();
        });
        Ok(Self {
            control,
            thread,
            clients,
            child_ends,
        })
    }

    /// The fd secondary `index` inherits (valid until [`started`](Self::started)).
    pub fn child_fd(&self, index: usize) -> Option<RawFd> {
        self.child_ends
            .get(index)?
            .as_ref()
            .map(|fd| fd.as_raw_fd())
    }

    /// Secondary `index` was started (or failed to start): the primary's copy of its end
    /// is closed, so that its exit ends the connection.
    pub fn started(&mut self, index: usize) {
        if let Some(end) = self.child_ends.get_mut(index) {
            end.take();
        }
    }

    /// Secondary `index` was reaped: what it left is unmapped and freed (waits for the
    /// server to finish).
    pub fn ended(&self, index: usize) -> ClientEnd {
        let (tx, rx) = std::sync::mpsc::channel();
        self.control.send(Control::End {
            client: self.clients[index],
            done: tx,
        });
        rx.recv().unwrap_or_default()
    }

    pub fn stop(self) {
        self.control.send(Control::Stop);
        let _ = self.thread.join();
    }
}
