//! The manager's event loop: accepts clients (own uid or root only), answers their
//! requests without ever waiting on one of them, and when a client ends — however it ends —
//! unmaps the IOVA ranges it still held and closes the devices it still had open.
//!
//! What devices are served comes from a [`ManagedDevices`]: the VFIO groups the
//! `vfio_multi_process_manager` opened ([`super::VfioDevices`]), or the containers a
//! `test_primary` hands to its secondaries (which open no devices through it). The IOVA
//! bookkeeping is the domains' [`SharedIovaSpace`](crate::multiprocess::SharedIovaSpace),
//! the one implementation both use.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::protocol::{Message, OpenReply, Status};
use super::socket::{self, Received, SendError, MAX_CLIENTS};
use crate::domain::IommuDomain;
use crate::filter::DmaCapability;
use crate::location::PciLocation;
use crate::messages::Messages;
use crate::multiprocess::{ClientId, Release};

/// What a successful open hands the client (fds stay owned by the devices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceGrant {
    pub device_fd: RawFd,
    pub container_fd: RawFd,
    pub container_id: u32,
    pub iommu_type: u32,
    pub group: u32,
    pub page_size: u64,
}

/// The devices and containers a manager serves.
pub trait ManagedDevices: Send {
    /// Opens `location` for one more client (the first opens the device fd; later ones
    /// merge their DMA capability). Err: the reply status and the line explaining it.
    fn open(
        &mut self,
        location: PciLocation,
        dma: DmaCapability,
        messages: &Messages,
    ) -> Result<DeviceGrant, (Status, String)>;

    /// No client uses `location` any more.
    fn close(&mut self, location: PciLocation, messages: &Messages);

    /// The domain of container `container_id`.
    fn domain(&self, container_id: u32) -> Option<Arc<IommuDomain>>;

    /// Every container's domain, by container id.
    fn domains(&self) -> Vec<Arc<IommuDomain>>;

    /// Tears down containers none of whose devices is open (after closes).
    fn disable_unused(&mut self, messages: &Messages);
}

/// Requests to a running server from the process it runs in.
pub enum Control {
    /// Treat `client` as ended (its process was reaped): read what it already sent,
    /// then clean up; the result is sent on `done`.
    End {
        client: ClientId,
        done: Sender<ClientEnd>,
    },
    /// Stop serving now.
    Stop,
}

/// What ending a client did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEnd {
    pub client: ClientId,
    /// IOVA ranges still held, over all containers.
    pub release: Release,
    /// Devices it still had open.
    pub devices: Vec<PciLocation>,
}

/// How a server runs.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Stop the first time the client count returns to zero (`--once`).
    pub once: bool,
    /// Where the manager reports clients, refusals, clean-ups.
    pub messages: Messages,
}

/// What a poll found readable.
struct Ready {
    listener: bool,
    stop: bool,
    control: bool,
    clients: Vec<ClientId>,
}

struct Client {
    fd: OwnedFd,
    /// ` PID <pid> <exe>`-style, without the leading space: `PID 12 /usr/bin/tool`.
    description: String,
    devices: BTreeSet<PciLocation>,
    /// Accepted on the listener: its arrival, departure and clean-up are reported (an
    /// in-process manager's owner reports those itself, from the [`ClientEnd`]).
    announce: bool,
}

/// One manager: its listening socket (none for an in-process manager), its clients and
/// the devices it serves.
pub struct Server<D: ManagedDevices> {
    devices: D,
    options: ServerOptions,
    listener: Option<OwnedFd>,
    /// Readable: SIGINT arrived (a signalfd), or anything else meaning "stop when idle".
    stop: Option<Box<dyn AsFd + Send>>,
    control: Option<(Receiver<Control>, OwnedFd)>,
    clients: BTreeMap<ClientId, Client>,
    users: HashMap<PciLocation, BTreeSet<ClientId>>,
    ended: HashMap<ClientId, ClientEnd>,
    waiting: HashMap<ClientId, Sender<ClientEnd>>,
    stopping: bool,
    served: bool,
    uid: u32,
}

/// Who may be served: the manager's own user, or root (SO_PEERCRED).
pub fn client_allowed(manager_uid: u32, client_uid: u32) -> bool {
    client_uid == manager_uid || client_uid == 0
}

fn describe(pid: u32) -> String {
    match std::fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(exe) => format!("PID {pid} {}", exe.display()),
        Err(_) => format!("PID {pid}"),
    }
}

/// The sending end of a [`Server::control`] channel.
pub struct ControlHandle {
    tx: Sender<Control>,
    wake: OwnedFd,
}

impl ControlHandle {
    pub fn send(&self, control: Control) {
        let _ = self.tx.send(control);
        let _ = nix::unistd::write(&self.wake, &[1]);
    }
}

impl<D: ManagedDevices> Server<D> {
    pub fn new(devices: D, options: ServerOptions) -> Self {
        Self {
            devices,
            options,
            listener: None,
            stop: None,
            control: None,
            clients: BTreeMap::new(),
            users: HashMap::new(),
            ended: HashMap::new(),
            waiting: HashMap::new(),
            stopping: false,
            served: false,
            uid: nix::unistd::geteuid().as_raw(),
        }
    }

    /// Accept clients on `listener` (from [`socket::listen`]).
    pub fn listen_on(&mut self, listener: OwnedFd) {
        self.listener = Some(listener);
    }

    /// Stop once no client remains when `fd` becomes readable (e.g. a SIGINT signalfd).
    pub fn stop_on(&mut self, fd: Box<dyn AsFd + Send>) {
        self.stop = Some(fd);
    }

    /// A channel for [`Control`] requests from other threads.
    pub fn control(&mut self) -> std::io::Result<ControlHandle> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (ours, theirs) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Datagram,
            None,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC | nix::sys::socket::SockFlag::SOCK_NONBLOCK,
        )?;
        self.control = Some((rx, ours));
        Ok(ControlHandle { tx, wake: theirs })
    }

    /// Serves an already connected socket (an in-process manager's child): returns its
    /// client id. `description` names it in messages.
    pub fn add_client(&mut self, fd: OwnedFd, description: String) -> Option<ClientId> {
        let id = self.free_id()?;
        let _ = nix::fcntl::fcntl(
            fd.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        self.clients.insert(
            id,
            Client {
                fd,
                description,
                devices: BTreeSet::new(),
                announce: false,
            },
        );
        self.served = true;
        Some(id)
    }

    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    pub fn devices(&self) -> &D {
        &self.devices
    }

    fn free_id(&self) -> Option<ClientId> {
        (1..=MAX_CLIENTS as ClientId).find(|id| !self.clients.contains_key(id))
    }

    fn messages(&self) -> &Messages {
        &self.options.messages
    }

    /// Serves until stopped: a stop request (SIGINT) with no client left, `--once` with
    /// the count back to zero, or [`Control::Stop`].
    pub fn run(&mut self) -> std::io::Result<()> {
        loop {
            if self.clients.is_empty() && (self.stopping || (self.options.once && self.served)) {
                self.messages().progress("\nShutting down");
                return Ok(());
            }
            let ready = match self.wait() {
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
                Ok(r) => r,
            };
            if ready.stop {
                self.drain_stop();
                if !self.stopping && !self.clients.is_empty() {
                    self.messages()
                        .progress("\nManager will shutdown once there are no connected clients");
                }
                self.stopping = true;
            }
            for id in ready.clients {
                self.serve(id, 16);
            }
            if ready.listener {
                self.accept_all();
            }
            if ready.control && self.handle_control() {
                return Ok(());
            }
        }
    }

    /// Waits until the listener, the stop fd, the control channel or a client is readable.
    fn wait(&self) -> Result<Ready, Errno> {
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(ids.len() + 3);
        let l = self.listener.as_ref().map(|f| {
            fds.push(PollFd::new(f.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        let s = self.stop.as_ref().map(|f| {
            fds.push(PollFd::new(f.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        let c = self.control.as_ref().map(|(_, f)| {
            fds.push(PollFd::new(f.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        let first_client = fds.len();
        for id in &ids {
            fds.push(PollFd::new(self.clients[id].fd.as_fd(), PollFlags::POLLIN));
        }
        poll(&mut fds, PollTimeout::NONE)?;
        let ready = |i: usize| {
            fds[i].revents().is_some_and(|r| {
                r.intersects(
                    PollFlags::POLLIN
                        | PollFlags::POLLHUP
                        | PollFlags::POLLERR
                        | PollFlags::POLLNVAL,
                )
            })
        };
        Ok(Ready {
            listener: l.is_some_and(ready),
            stop: s.is_some_and(ready),
            control: c.is_some_and(ready),
            clients: ids
                .iter()
                .enumerate()
                .filter(|(k, _)| ready(first_client + k))
                .map(|(_, id)| *id)
                .collect(),
        })
    }

    fn drain_stop(&mut self) {
        if let Some(fd) = &self.stop {
            let mut buf = [0u8; 128];
            let _ = nix::unistd::read(fd.as_fd().as_raw_fd(), &mut buf);
        }
    }

    /// Returns true on a stop request.
    fn handle_control(&mut self) -> bool {
        let Some((rx, wake)) = &self.control else {
            return false;
        };
        let mut buf = [0u8; 64];
        while nix::unistd::read(wake.as_raw_fd(), &mut buf).is_ok_and(|n| n > 0) {}
        let requests: Vec<Control> = rx.try_iter().collect();
        for request in requests {
            match request {
                Control::Stop => return true,
                Control::End { client, done } => {
                    if self.clients.contains_key(&client) {
                        // What it sent before it ended is still answered (to no one).
                        self.serve(client, usize::MAX);
                    }
                    if self.clients.contains_key(&client) {
                        self.disconnect(client, None);
                    }
                    match self.ended.remove(&client) {
                        Some(end) => {
                            let _ = done.send(end);
                        }
                        None => {
                            self.waiting.insert(client, done);
                        }
                    }
                }
            }
        }
        false
    }

    fn accept_all(&mut self) {
        loop {
            let Some(listener) = &self.listener else {
                return;
            };
            let fd = match socket::accept(listener.as_fd()) {
                Ok(fd) => fd,
                Err(Errno::EAGAIN) => return,
                Err(Errno::EINTR) => continue,
                Err(Errno::ECONNABORTED) => {
                    self.messages().warning("Client exited before accept()");
                    continue;
                }
                Err(e) => {
                    self.messages()
                        .error(&format!("accept() failed : {}", e.desc()));
                    return;
                }
            };
            let (pid, uid) = match socket::peer(fd.as_fd()) {
                Ok(p) => p,
                Err(e) => {
                    self.messages().warning(&format!(
                        "SO_PEERCRED of a new client failed : {}",
                        e.desc()
                    ));
                    continue;
                }
            };
            let description = describe(pid);
            if !client_allowed(self.uid, uid) {
                self.messages().warning(&format!(
                    "Refused client {description}: it runs as uid {uid}, this manager serves only uid {} and root",
                    self.uid
                ));
                let _ = socket::send(
                    fd.as_fd(),
                    &Message::Refused {
                        manager_uid: self.uid,
                        client_uid: uid,
                    },
                    &[],
                    true,
                );
                continue;
            }
            let welcome = Message::Welcome {
                manager_pid: std::process::id(),
            };
            if socket::send(fd.as_fd(), &welcome, &[], true).is_err() {
                self.messages()
                    .warning(&format!("Client {description} exited before its welcome"));
                continue;
            }
            match self.add_client(fd, description.clone()) {
                Some(id) => {
                    if let Some(c) = self.clients.get_mut(&id) {
                        c.announce = true;
                    }
                    self.messages()
                        .progress(&format!("Client {id} {description} connected"))
                }
                None => self.messages().warning(&format!(
                    "Unable to accept new client {description} as the client table ({MAX_CLIENTS}) is full"
                )),
            }
        }
    }

    /// Reads and answers at most `budget` messages of `id` (fairness: one busy client does
    /// not starve the others); closes it on end of file or a bad message.
    fn serve(&mut self, id: ClientId, budget: usize) {
        for _ in 0..budget {
            let Some(client) = self.clients.get(&id) else {
                return;
            };
            let received = match socket::recv(client.fd.as_fd()) {
                Ok(r) => r,
                Err(Errno::EAGAIN) => return,
                Err(e) => {
                    self.disconnect(id, Some(format!("recvmsg() failed : {}", e.desc())));
                    return;
                }
            };
            let (message, fds) = match received {
                Received::Closed => {
                    self.disconnect(id, None);
                    return;
                }
                Received::Invalid(e, _) => {
                    self.disconnect(id, Some(e.to_string()));
                    return;
                }
                Received::TooManyFds => {
                    self.disconnect(id, Some("it sent fds".into()));
                    return;
                }
                Received::Message(m, fds) => (m, fds),
            };
            if !fds.is_empty() {
                self.disconnect(
                    id,
                    Some(format!(
                        "it sent {} fds with message ID {}",
                        fds.len(),
                        message.id()
                    )),
                );
                return;
            }
            let Some((reply, pass)) = self.answer(id, message) else {
                continue;
            };
            let Some(client) = self.clients.get(&id) else {
                return;
            };
            match socket::send(client.fd.as_fd(), &reply, &pass, true) {
                Ok(()) => {}
                // It has gone: the end of file that follows cleans up.
                Err(SendError::Failed(Errno::EPIPE))
                | Err(SendError::Failed(Errno::ECONNRESET)) => {}
                Err(e) => {
                    self.disconnect(id, Some(format!("reply failed: {e}")));
                    return;
                }
            }
        }
    }

    /// The reply to one message (None: no reply).
    fn answer(&mut self, id: ClientId, message: Message) -> Option<(Message, Vec<RawFd>)> {
        let messages = self.options.messages.clone();
        match message {
            Message::OpenDeviceRequest {
                location,
                dma,
                want_container,
            } => {
                let reply = match self.devices.open(location, dma, &messages) {
                    Ok(grant) => {
                        self.users.entry(location).or_default().insert(id);
                        if let Some(c) = self.clients.get_mut(&id) {
                            c.devices.insert(location);
                        }
                        let mut pass = vec![grant.device_fd];
                        if want_container {
                            pass.push(grant.container_fd);
                        }
                        return Some((
                            Message::OpenDeviceReply(OpenReply {
                                status: Status::Ok,
                                container_id: grant.container_id,
                                iommu_type: grant.iommu_type,
                                group: grant.group,
                                page_size: grant.page_size,
                            }),
                            pass,
                        ));
                    }
                    Err((status, why)) => {
                        messages.warning(&why);
                        OpenReply {
                            status,
                            container_id: 0,
                            iommu_type: 0,
                            group: 0,
                            page_size: 0,
                        }
                    }
                };
                Some((Message::OpenDeviceReply(reply), Vec::new()))
            }
            Message::CloseDeviceRequest { location } => {
                let used = self
                    .clients
                    .get_mut(&id)
                    .is_some_and(|c| c.devices.remove(&location));
                if !used {
                    messages.warning(
                        "Request for client to close a device which the client isn't using",
                    );
                    return Some((
                        Message::CloseDeviceReply {
                            status: Status::NotHeld,
                        },
                        Vec::new(),
                    ));
                }
                self.release_device(id, location);
                self.devices.disable_unused(&messages);
                Some((Message::CloseDeviceReply { status: Status::Ok }, Vec::new()))
            }
            Message::AllocateIovaRequest {
                container_id,
                dma,
                size,
            } => {
                let result = self
                    .devices
                    .domain(container_id)
                    .map(|d| d.with_space(|s| s.allocate(id, size, dma).ok()).flatten());
                let reply = match result {
                    None => {
                        messages.warning(&format!(
                            "Out of range container_id {container_id} received"
                        ));
                        (Status::Failed, crate::iova::IovaRange::new(0, 0))
                    }
                    Some(None) => (Status::NoFreeIova, crate::iova::IovaRange::new(0, 0)),
                    Some(Some(range)) => (Status::Ok, range),
                };
                Some((
                    Message::AllocateIovaReply {
                        status: reply.0,
                        range: reply.1,
                    },
                    Vec::new(),
                ))
            }
            Message::FreeIovaRequest {
                container_id,
                range,
            } => {
                let freed = self
                    .devices
                    .domain(container_id)
                    .and_then(|d| d.with_space(|s| s.free(id, range)))
                    .unwrap_or(false);
                if !freed {
                    messages.warning(&format!(
                        "Client attempted to free VFIO region start=0x{:x} end=0x{:x} which isn't covered by its existing allocations",
                        range.start, range.end
                    ));
                }
                Some((
                    Message::FreeIovaReply {
                        status: if freed { Status::Ok } else { Status::NotHeld },
                    },
                    Vec::new(),
                ))
            }
            other => {
                messages.warning(&format!(
                    "Received unexpected message ID {} for manager",
                    other.id()
                ));
                None
            }
        }
    }

    fn release_device(&mut self, id: ClientId, location: PciLocation) {
        let now_unused = self.users.get_mut(&location).is_some_and(|u| {
            u.remove(&id);
            u.is_empty()
        });
        if now_unused {
            self.users.remove(&location);
            let messages = self.options.messages.clone();
            self.devices.close(location, &messages);
        }
    }

    /// Ends client `id`: unmaps what it still held, closes its devices, reports.
    fn disconnect(&mut self, id: ClientId, why: Option<String>) {
        let Some(client) = self.clients.remove(&id) else {
            return;
        };
        let messages = self.options.messages.clone();
        let who = &client.description;
        if let Some(why) = why {
            messages.warning(&format!("Closing connection of client {who}: {why}"));
        }
        let mut release = Release::default();
        for domain in self.devices.domains() {
            let r = domain
                .with_space(|s| s.release(id, |range| domain.unmap_exact(range)))
                .unwrap_or_default();
            release.regions += r.regions;
            release.bytes += r.bytes;
            release.unmapped_bytes += r.unmapped_bytes;
            release.orphaned_regions += r.orphaned_regions;
            release.orphaned_bytes += r.orphaned_bytes;
            release.errors.extend(r.errors);
        }
        if release.regions > 0 && client.announce {
            messages.warning(&format!(
                "Client {who} still had {} IOVA regions with {} bytes allocated at client connection close",
                release.regions, release.bytes
            ));
            if release.unmapped_bytes > 0 {
                messages.warning(&format!(
                    "Unmapped {} bytes left mapped by client {who}",
                    release.unmapped_bytes
                ));
            }
            if release.orphaned_regions > 0 {
                messages.warning(&format!(
                    "The kernel did not unmap {} IOVA regions of {} bytes of client {who} (only the mapping process may): they stay allocated until their container is disabled",
                    release.orphaned_regions, release.orphaned_bytes
                ));
            }
        }
        for location in &client.devices {
            messages.warning(&format!(
                "Client {who} still had device {location} open at client connection close"
            ));
            self.release_device(id, *location);
        }
        self.devices.disable_unused(&messages);
        if client.announce {
            messages.progress(&format!("Client {id} {who} disconnected"));
        }
        let end = ClientEnd {
            client: id,
            release,
            devices: client.devices.into_iter().collect(),
        };
        match self.waiting.remove(&id) {
            Some(done) => {
                let _ = done.send(end);
            }
            // Kept for a later Control::End (an in-process manager only).
            None if self.control.is_some() => {
                self.ended.insert(id, end);
            }
            None => {}
        }
    }
}
