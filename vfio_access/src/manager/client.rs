//! A client's connection to a manager: found at start-up by connecting to the abstract
//! socket (no option needed; ECONNREFUSED means no manager, and the tools open devices
//! themselves), then every device open, IOVA allocation and release is a request.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock};

use nix::errno::Errno;

use super::protocol::{Message, OpenReply, Status};
use super::socket::{self, Received};
use crate::error::{Result, VfioError};
use crate::filter::DmaCapability;
use crate::iova::IovaRange;
use crate::location::PciLocation;

/// What the manager handed over with a successful open.
pub struct OpenedThroughManager {
    pub reply: OpenReply,
    pub device_fd: OwnedFd,
    /// Present when asked for.
    pub container_fd: Option<OwnedFd>,
}

/// One connection to a manager (requests are serialised: one outstanding at a time).
pub struct ManagerLink {
    fd: Mutex<OwnedFd>,
    /// The manager's PID from its welcome (None for an in-process manager).
    manager_pid: Option<u32>,
}

impl std::fmt::Debug for ManagerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ManagerLink(manager PID {:?})", self.manager_pid)
    }
}

fn protocol_error(text: String) -> VfioError {
    VfioError::Manager(text)
}

impl ManagerLink {
    /// Connects to the manager listening at `name`: None when none listens (ECONNREFUSED,
    /// or no such abstract name). A manager that refuses this process is an error.
    pub fn connect(name: &str) -> Result<Option<ManagerLink>> {
        let fd = match socket::connect(name) {
            Ok(fd) => fd,
            Err(Errno::ECONNREFUSED) | Err(Errno::ENOENT) => return Ok(None),
            Err(e) => return Err(VfioError::sys("connect()", e)),
        };
        let link = ManagerLink {
            fd: Mutex::new(fd),
            manager_pid: None,
        };
        match link.receive()? {
            (Message::Welcome { manager_pid }, fds) if fds.is_empty() => Ok(Some(ManagerLink {
                manager_pid: Some(manager_pid),
                ..link
            })),
            (
                Message::Refused {
                    manager_uid,
                    client_uid,
                },
                _,
            ) => {
                let (pid, _) = socket::peer(link.lock().as_fd()).unwrap_or((0, 0));
                Err(VfioError::ManagerRefused {
                    manager_pid: pid,
                    manager_uid,
                    client_uid,
                })
            }
            (m, _) => Err(protocol_error(format!(
                "Failed to received expected reply msg_id 0 from VFIO multi-process manager (got msg_id {})",
                m.id()
            ))),
        }
    }

    /// A connection made by an in-process manager (`test_primary`) and inherited.
    pub fn from_fd(fd: OwnedFd) -> ManagerLink {
        ManagerLink {
            fd: Mutex::new(fd),
            manager_pid: None,
        }
    }

    /// Ends the connection as a dying process would, leaving everything it holds.
    #[cfg(test)]
    pub(crate) fn shutdown(&self) {
        let _ = nix::sys::socket::shutdown(
            std::os::fd::AsRawFd::as_raw_fd(&*self.lock()),
            nix::sys::socket::Shutdown::Both,
        );
    }

    pub fn manager_pid(&self) -> Option<u32> {
        self.manager_pid
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OwnedFd> {
        self.fd.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn receive(&self) -> Result<(Message, Vec<OwnedFd>)> {
        let fd = self.lock();
        match socket::recv(fd.as_fd()).map_err(|e| VfioError::sys("recvmsg()", e))? {
            Received::Message(m, fds) => Ok((m, fds)),
            Received::Invalid(e, _) => Err(protocol_error(format!(
                "invalid message from VFIO multi-process manager: {e}"
            ))),
            Received::TooManyFds => Err(protocol_error(
                "VFIO multi-process manager sent more fds than any message carries".into(),
            )),
            Received::Closed => Err(protocol_error(
                "VFIO multi-process manager closed the connection".into(),
            )),
        }
    }

    /// Sends `request` and waits for the reply with id `reply_id`.
    fn request(&self, request: Message, reply_id: u32) -> Result<(Message, Vec<OwnedFd>)> {
        {
            let fd = self.lock();
            socket::send(fd.as_fd(), &request, &[], false)
                .map_err(|e| protocol_error(e.to_string()))?;
        }
        let (reply, fds) = self.receive()?;
        if reply.id() != reply_id {
            return Err(protocol_error(format!(
                "Failed to received expected reply msg_id {reply_id} from VFIO multi-process manager (got msg_id {})",
                reply.id()
            )));
        }
        Ok((reply, fds))
    }

    /// Asks the manager to open `location`; Ok(Err(status)) when it refuses.
    pub fn open_device(
        &self,
        location: PciLocation,
        dma: DmaCapability,
        want_container: bool,
    ) -> Result<std::result::Result<OpenedThroughManager, Status>> {
        let (reply, mut fds) = self.request(
            Message::OpenDeviceRequest {
                location,
                dma,
                want_container,
            },
            3,
        )?;
        let Message::OpenDeviceReply(reply) = reply else {
            return Err(protocol_error("open reply of the wrong kind".into()));
        };
        if reply.status != Status::Ok {
            return Ok(Err(reply.status));
        }
        let expected = 1 + usize::from(want_container);
        if fds.len() != expected {
            return Err(protocol_error(format!(
                "VFIO multi-process manager passed {} fds with the open reply of {location}, expected {expected}",
                fds.len()
            )));
        }
        let container_fd = want_container.then(|| fds.remove(1));
        Ok(Ok(OpenedThroughManager {
            reply,
            device_fd: fds.remove(0),
            container_fd,
        }))
    }

    /// Tells the manager this process no longer uses `location` (its fd is closed).
    pub fn close_device(&self, location: PciLocation) -> Result<()> {
        let (reply, _) = self.request(Message::CloseDeviceRequest { location }, 5)?;
        match reply {
            Message::CloseDeviceReply { status: Status::Ok } => Ok(()),
            _ => Err(protocol_error(format!(
                "Manager failed to close device {location}"
            ))),
        }
    }

    /// An IOVA range of at least `size` bytes in container `container_id`, reachable by a
    /// device with `dma`.
    pub fn allocate_iova(
        &self,
        container_id: u32,
        dma: DmaCapability,
        size: u64,
    ) -> Result<IovaRange> {
        let (reply, _) = self.request(
            Message::AllocateIovaRequest {
                container_id,
                dma,
                size,
            },
            7,
        )?;
        let bits = match dma {
            DmaCapability::A32 => 32,
            DmaCapability::Bits(b) => u32::from(b),
            _ => 64,
        };
        match reply {
            Message::AllocateIovaReply {
                status: Status::Ok,
                range,
            } if range.size() >= size => Ok(range),
            Message::AllocateIovaReply {
                status: Status::NoFreeIova,
                ..
            } => Err(VfioError::NoFreeIova { size, bits }),
            other => Err(protocol_error(format!(
                "Indirect allocation of {size} bytes of IOVA in container {container_id} failed ({other:?})"
            ))),
        }
    }

    /// Gives back a range from [`allocate_iova`](Self::allocate_iova) (already unmapped).
    pub fn free_iova(&self, container_id: u32, range: IovaRange) -> Result<()> {
        let (reply, _) = self.request(
            Message::FreeIovaRequest {
                container_id,
                range,
            },
            9,
        )?;
        match reply {
            Message::FreeIovaReply { status: Status::Ok } => Ok(()),
            _ => Err(protocol_error(format!(
                "Indirect freeing of IOVA failed (start=0x{:x} end=0x{:x})",
                range.start, range.end
            ))),
        }
    }
}

/// This process's connection to the running manager, made on first use: None when no
/// manager runs. Connected once per process; the manager sees the process end when it
/// exits (however it exits).
pub fn running_manager() -> Result<Option<Arc<ManagerLink>>> {
    static LINK: OnceLock<std::result::Result<Option<Arc<ManagerLink>>, String>> = OnceLock::new();
    let state = LINK.get_or_init(|| {
        ManagerLink::connect(&socket::socket_name())
            .map(|l| l.map(Arc::new))
            .map_err(|e| e.to_string())
    });
    match state {
        Ok(l) => Ok(l.clone()),
        Err(e) => Err(VfioError::Manager(e.clone())),
    }
}
