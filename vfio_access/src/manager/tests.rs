//! The manager on the host, without VFIO: the real socket, protocol, fd passing and event
//! loop, serving a fake device set whose containers are simulated IOMMUs. Clients are
//! threads of this process (sharing the simulated IOMMU, so their mappings are real to the
//! manager) or child processes (this test binary re-run), which can be SIGKILLed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use proptest::prelude::*;

use super::protocol::{DecodeError, Message, OpenReply, Status};
use super::server::{Control, ControlHandle, DeviceGrant, ManagedDevices, Server, ServerOptions};
use super::socket;
use super::ManagerLink;
use crate::dma::{BufferAllocation, DmaAccess};
use crate::domain::{DomainKind, IommuDomain};
use crate::error::VfioError;
use crate::filter::DmaCapability;
use crate::iova::{IovaAllocator, IovaRange};
use crate::location::PciLocation;
use crate::messages::{CollectedMessages, Messages};
use crate::sim::SimIommu;

// ---- codec ----

fn every_message() -> Vec<Message> {
    let loc = PciLocation::new(0x10, 0x2e, 0x1f, 7);
    vec![
        Message::Welcome { manager_pid: 77 },
        Message::Refused {
            manager_uid: 1000,
            client_uid: 1001,
        },
        Message::OpenDeviceRequest {
            location: loc,
            dma: DmaCapability::Bits(28),
            want_container: true,
        },
        Message::OpenDeviceReply(OpenReply {
            status: Status::Ok,
            container_id: 3,
            iommu_type: 3,
            group: 86,
            page_size: 4096,
        }),
        Message::CloseDeviceRequest { location: loc },
        Message::CloseDeviceReply {
            status: Status::NotHeld,
        },
        Message::AllocateIovaRequest {
            container_id: 1,
            dma: DmaCapability::A32,
            size: 1 << 40,
        },
        Message::AllocateIovaReply {
            status: Status::Ok,
            range: IovaRange::new(0x1_0000_0000, 0x1_0000_0fff),
        },
        Message::FreeIovaRequest {
            container_id: 0,
            range: IovaRange::new(0, u64::MAX),
        },
        Message::FreeIovaReply {
            status: Status::NoFreeIova,
        },
    ]
}

#[test]
fn every_message_round_trips_at_its_exact_length() {
    for m in every_message() {
        let bytes = m.encode();
        assert_eq!(
            Some(bytes.len()),
            super::protocol::length_of(m.id()),
            "{m:?}"
        );
        assert_eq!(Message::decode(&bytes), Ok(m));
    }
}

#[test]
fn every_length_error() {
    for len in 0..4 {
        assert_eq!(
            Message::decode(&vec![0; len]),
            Err(DecodeError::TooShort(len))
        );
    }
    assert_eq!(
        DecodeError::TooShort(3).to_string(),
        "Received message length 3 too short for msg_id"
    );
    for m in every_message() {
        let bytes = m.encode();
        let expected = bytes.len();
        let mut longer = bytes.clone();
        longer.push(0);
        for wrong in [&bytes[..expected - 1], &bytes[..4], &longer[..]] {
            if wrong.len() == expected {
                continue;
            }
            assert_eq!(
                Message::decode(wrong),
                Err(DecodeError::WrongLength {
                    id: m.id(),
                    len: wrong.len(),
                    expected
                }),
                "{m:?}"
            );
        }
    }
    for id in [10u32, 11, 0x8000_0000, u32::MAX] {
        let mut b = id.to_le_bytes().to_vec();
        b.extend_from_slice(&[0; 4]);
        let e = Message::decode(&b).unwrap_err();
        assert_eq!(e, DecodeError::UnknownId { id, len: 8 });
        assert_eq!(
            e.to_string(),
            format!("Invalid message ID {id} size 8 bytes")
        );
    }
}

#[test]
fn every_field_error() {
    let patch = |m: Message, at: usize, value: u32| {
        let mut b = m.encode();
        b[at..at + 4].copy_from_slice(&value.to_le_bytes());
        Message::decode(&b)
    };
    let open = every_message()[2];
    // DMA capability codes: 3, 0x100 (0 bits), 0x141 (65 bits) are invalid.
    for code in [3, 0xff, 0x100, 0x141] {
        assert!(
            matches!(
                patch(open, 12, code),
                Err(DecodeError::BadField {
                    field: "DMA capability",
                    ..
                })
            ),
            "{code:#x}"
        );
    }
    assert!(matches!(
        patch(open, 16, 2),
        Err(DecodeError::BadField {
            field: "container flag",
            ..
        })
    ));
    // The location's pad byte.
    assert!(matches!(
        patch(open, 8, 0x0100_1f2e),
        Err(DecodeError::BadField {
            field: "location pad",
            ..
        })
    ));
    let reply = every_message()[3];
    assert!(matches!(
        patch(reply, 4, 5),
        Err(DecodeError::BadField {
            field: "status",
            ..
        })
    ));
    let alloc_reply = every_message()[7];
    assert!(matches!(
        patch(alloc_reply, 8, 1),
        Err(DecodeError::BadField { field: "pad", .. })
    ));
    // An inverted range.
    let free = Message::FreeIovaRequest {
        container_id: 0,
        range: IovaRange::new(0x2000, 0x2fff),
    };
    let mut b = free.encode();
    b[20..28].copy_from_slice(&0x1fffu64.to_le_bytes());
    assert!(matches!(
        Message::decode(&b),
        Err(DecodeError::BadField {
            field: "IOVA range end",
            ..
        })
    ));
}

proptest! {
    #[test]
    fn decode_never_panics_and_accepts_only_exact_lengths(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(m) = Message::decode(&bytes) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }

    #[test]
    fn allocate_requests_round_trip(cid in any::<u32>(), size in any::<u64>(), bits in 1u8..=64) {
        let m = Message::AllocateIovaRequest { container_id: cid, dma: DmaCapability::Bits(bits), size };
        prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
    }
}

// ---- a manager serving fake devices ----

/// Two devices in container 0, one in container 1; "device fds" are /dev/null.
struct FakeDevices {
    domains: Vec<Arc<IommuDomain>>,
    devices: HashMap<PciLocation, (u32, OwnedFd)>,
    containers: Vec<OwnedFd>,
    open: HashMap<PciLocation, u32>,
}

const RANGE: IovaRange = IovaRange {
    start: 0x10_0000,
    end: 0x1ff_ffff,
};

fn dev(n: u8) -> PciLocation {
    PciLocation::new(0, 0, n, 0)
}

fn null() -> OwnedFd {
    std::fs::File::open("/dev/null").unwrap().into()
}

impl FakeDevices {
    fn new(iommus: [Arc<SimIommu>; 2]) -> Self {
        let domains = iommus
            .into_iter()
            .map(|i| IommuDomain::new(DomainKind::Sim(i), IovaAllocator::new(&[RANGE], 4096)))
            .collect();
        Self {
            domains,
            devices: [
                (dev(3), (0, null())),
                (dev(4), (0, null())),
                (dev(5), (1, null())),
            ]
            .into_iter()
            .collect(),
            containers: vec![null(), null()],
            open: HashMap::new(),
        }
    }
}

impl ManagedDevices for FakeDevices {
    fn open(
        &mut self,
        location: PciLocation,
        _dma: DmaCapability,
        _messages: &Messages,
    ) -> Result<DeviceGrant, (Status, String)> {
        let Some((cid, fd)) = self.devices.get(&location) else {
            return Err((
                Status::NotManaged,
                format!("Client requested device {location} which isn't being managed"),
            ));
        };
        *self.open.entry(location).or_default() += 1;
        Ok(DeviceGrant {
            device_fd: fd.as_raw_fd(),
            container_fd: self.containers[*cid as usize].as_raw_fd(),
            container_id: *cid,
            iommu_type: 3,
            group: u32::from(location.device),
            page_size: 4096,
        })
    }
    fn close(&mut self, location: PciLocation, _messages: &Messages) {
        self.open.remove(&location);
    }
    fn domain(&self, container_id: u32) -> Option<Arc<IommuDomain>> {
        self.domains.get(container_id as usize).cloned()
    }
    fn domains(&self) -> Vec<Arc<IommuDomain>> {
        self.domains.clone()
    }
    fn disable_unused(&mut self, messages: &Messages) {
        for (cid, d) in self.domains.iter().enumerate() {
            let busy = self.open.keys().any(|l| self.devices[l].0 == cid as u32);
            if busy {
                continue;
            }
            if let Some(r) = d.with_space(|s| s.reclaim(&[RANGE], 4096)) {
                if r.regions > 0 {
                    messages.warning(&format!(
                        "Disabling container is freeing {} IOVA regions of {} bytes",
                        r.regions, r.bytes
                    ));
                }
            }
        }
    }
}

struct Running {
    name: String,
    control: ControlHandle,
    stop_writer: OwnedFd,
    thread: JoinHandle<Server<FakeDevices>>,
    messages: Arc<CollectedMessages>,
    /// Every message, as it arrives.
    arrived: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
    iommus: [Arc<SimIommu>; 2],
}

/// Collects messages and forwards each to a channel (tests wait on them).
struct Forward {
    all: Arc<CollectedMessages>,
    tx: std::sync::Mutex<std::sync::mpsc::Sender<String>>,
}

impl crate::messages::MessageSink for Forward {
    fn message(&self, kind: crate::messages::MessageKind, text: &str) {
        crate::messages::MessageSink::message(self.all.as_ref(), kind, text);
        let _ = self.tx.lock().unwrap().send(text.to_string());
    }
}

fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "fpga_sio_manager_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn start(once: bool) -> Running {
    let iommus = [SimIommu::new(), SimIommu::new()];
    let messages = CollectedMessages::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut server = Server::new(
        FakeDevices::new(iommus.clone()),
        ServerOptions {
            once,
            messages: Messages::new(Forward {
                all: Arc::clone(&messages),
                tx: std::sync::Mutex::new(tx),
            }),
        },
    );
    let name = unique_name();
    server.listen_on(socket::listen(&name).unwrap());
    let (stop_reader, stop_writer) = nix::sys::socket::socketpair(
        nix::sys::socket::AddressFamily::Unix,
        nix::sys::socket::SockType::Datagram,
        None,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC | nix::sys::socket::SockFlag::SOCK_NONBLOCK,
    )
    .unwrap();
    server.stop_on(Box::new(stop_reader));
    let control = server.control().unwrap();
    let thread = std::thread::spawn(move || {
        server.run().unwrap();
        server
    });
    Running {
        name,
        control,
        stop_writer,
        thread,
        messages,
        arrived: std::sync::Mutex::new(rx),
        iommus,
    }
}

impl Running {
    fn link(&self) -> Arc<ManagerLink> {
        Arc::new(
            ManagerLink::connect(&self.name)
                .unwrap()
                .expect("manager listening"),
        )
    }
    /// Blocks until the manager reports a message containing `text`.
    fn wait_for(&self, text: &str) {
        let rx = self.arrived.lock().unwrap();
        while !rx.recv().expect("manager thread ended").contains(text) {}
    }
    fn finish(self) -> (Server<FakeDevices>, String) {
        let server = self.thread.join().unwrap();
        (server, self.messages.text())
    }
}

#[test]
fn no_manager_means_direct_mode() {
    assert!(ManagerLink::connect(&unique_name()).unwrap().is_none());
}

#[test]
fn open_passes_fds_and_unknown_devices_are_refused() {
    let m = start(true);
    let link = m.link();
    assert_eq!(link.manager_pid(), Some(std::process::id()));
    let opened = link
        .open_device(dev(3), DmaCapability::A64, true)
        .unwrap()
        .unwrap();
    assert_eq!(opened.reply.container_id, 0);
    assert!(opened.container_fd.is_some());
    let target = std::fs::read_link(format!("/proc/self/fd/{}", opened.device_fd.as_raw_fd()));
    assert_eq!(target.unwrap(), std::path::PathBuf::from("/dev/null"));
    let again = link
        .open_device(dev(4), DmaCapability::A64, false)
        .unwrap()
        .unwrap();
    assert!(again.container_fd.is_none());
    assert_eq!(
        link.open_device(dev(9), DmaCapability::A64, true)
            .unwrap()
            .err(),
        Some(Status::NotManaged)
    );
    link.close_device(dev(3)).unwrap();
    assert!(link.close_device(dev(3)).is_err(), "closing twice");
    drop(link);
    let (_, text) = m.finish();
    assert!(
        text.contains("Client requested device 0000:00:09.0 which isn't being managed"),
        "{text}"
    );
    assert!(
        text.contains("Request for client to close a device which the client isn't using"),
        "{text}"
    );
    assert!(
        text.contains("still had device 0000:00:04.0 open at client connection close"),
        "{text}"
    );
    assert!(text.ends_with("\nShutting down\n"), "{text}");
}

#[test]
fn iova_is_allocated_per_container_and_freed_only_by_its_holder() {
    let m = start(true);
    let (a, b) = (m.link(), m.link());
    // b uses a device in each container, so that neither is disabled before b ends.
    for d in [dev(3), dev(5)] {
        assert!(b.open_device(d, DmaCapability::A64, true).unwrap().is_ok());
    }
    let ra = a.allocate_iova(0, DmaCapability::A64, 1).unwrap();
    assert_eq!(ra.size(), 4096);
    let rb = b.allocate_iova(0, DmaCapability::A64, 0x2000).unwrap();
    assert!(ra.end < rb.start || rb.end < ra.start, "{ra:?} {rb:?}");
    // Container 1 is a separate space: the same IOVA may be handed out again.
    assert_eq!(b.allocate_iova(1, DmaCapability::A64, 1).unwrap(), ra);
    assert!(b.free_iova(0, ra).is_err(), "b does not hold ra");
    assert!(matches!(
        a.allocate_iova(0, DmaCapability::A64, 1 << 40),
        Err(VfioError::NoFreeIova { .. })
    ));
    assert!(a.allocate_iova(7, DmaCapability::A64, 1).is_err());
    a.free_iova(0, ra).unwrap();
    drop((a, b));
    let (server, text) = m.finish();
    assert!(
        text.contains("Out of range container_id 7 received"),
        "{text}"
    );
    assert!(text.contains(&format!(
        "Client attempted to free VFIO region start=0x{:x} end=0x{:x} which isn't covered by its existing allocations",
        ra.start, ra.end
    )), "{text}");
    // b ended holding two ranges (one per container): both given back.
    assert!(
        text.contains("still had 2 IOVA regions with 12288 bytes allocated"),
        "{text}"
    );
    for d in server.devices().domains() {
        assert_eq!(d.free_iova_ranges(), vec![RANGE]);
    }
}

#[test]
fn a_client_sending_garbage_is_closed_and_others_are_still_served() {
    let m = start(false);
    let good = m.link();
    let raw = socket::connect(&m.name).unwrap();
    assert!(matches!(
        socket::recv(raw.as_fd()).unwrap(),
        socket::Received::Message(Message::Welcome { .. }, _)
    ));
    nix::sys::socket::send(
        raw.as_raw_fd(),
        b"\x06\0\0\0garbage",
        nix::sys::socket::MsgFlags::empty(),
    )
    .unwrap();
    assert!(matches!(
        socket::recv(raw.as_fd()).unwrap(),
        socket::Received::Closed
    ));
    // A reply id is only reported; the connection stays (and the next request is answered).
    let raw2 = socket::connect(&m.name).unwrap();
    let _ = socket::recv(raw2.as_fd()).unwrap();
    socket::send(
        raw2.as_fd(),
        &Message::FreeIovaReply { status: Status::Ok },
        &[],
        false,
    )
    .unwrap();
    // A client sending fds is closed too.
    let raw3 = socket::connect(&m.name).unwrap();
    let _ = socket::recv(raw3.as_fd()).unwrap();
    let n = null();
    socket::send(
        raw3.as_fd(),
        &Message::CloseDeviceRequest { location: dev(3) },
        &[n.as_raw_fd()],
        false,
    )
    .unwrap();
    assert!(matches!(
        socket::recv(raw3.as_fd()).unwrap(),
        socket::Received::Closed
    ));
    // A datagram longer than any message.
    let raw4 = socket::connect(&m.name).unwrap();
    let _ = socket::recv(raw4.as_fd()).unwrap();
    nix::sys::socket::send(
        raw4.as_raw_fd(),
        &[2u8; 300],
        nix::sys::socket::MsgFlags::empty(),
    )
    .unwrap();
    assert!(matches!(
        socket::recv(raw4.as_fd()).unwrap(),
        socket::Received::Closed
    ));
    assert!(good.allocate_iova(0, DmaCapability::A32, 1).is_ok());
    let r = ManagerLink::from_fd(raw2);
    assert!(r.allocate_iova(0, DmaCapability::A32, 1).is_ok());
    drop((good, r, raw, raw3, raw4));
    m.control.send(Control::Stop);
    let (_, text) = m.finish();
    assert!(
        text.contains("Invalid message ID 6 size 11 bytes (expected 20)"),
        "{text}"
    );
    assert!(
        text.contains("Received unexpected message ID 9 for manager"),
        "{text}"
    );
    assert!(text.contains("it sent 1 fds with message ID 4"), "{text}");
    assert!(
        text.contains("Invalid message ID 33686018 size 300 bytes"),
        "{text}"
    );
}

#[test]
fn sigint_waits_for_connected_clients() {
    let m = start(false);
    let link = m.link();
    nix::unistd::write(&m.stop_writer, &[1]).unwrap();
    m.wait_for("Manager will shutdown once there are no connected clients");
    // Still served after the stop request.
    let r = link.allocate_iova(0, DmaCapability::A64, 1).unwrap();
    link.free_iova(0, r).unwrap();
    drop(link);
    let (server, text) = m.finish();
    assert_eq!(server.client_count(), 0);
    assert!(
        text.contains("\nManager will shutdown once there are no connected clients\n"),
        "{text}"
    );
    assert!(text.ends_with("disconnected\n\nShutting down\n"), "{text}");
}

/// Several threads at once: allocate, map into the shared simulated IOMMU, some free,
/// some vanish holding their buffers. Afterwards nothing is mapped and nothing leaked.
#[test]
fn concurrent_clients_leak_nothing() {
    let m = start(true);
    let mut threads = Vec::new();
    for t in 0..12u32 {
        let link = m.link();
        let iommu = Arc::clone(&m.iommus[(t % 2) as usize]);
        threads.push(std::thread::spawn(move || {
            // A device of its container keeps the container enabled while it runs.
            let device = if t % 2 == 0 { dev(3) } else { dev(5) };
            let opened = link.open_device(device, DmaCapability::A64, true).unwrap();
            assert!(opened.is_ok());
            let domain = IommuDomain::managed(
                DomainKind::Sim(iommu),
                Arc::clone(&link),
                t % 2,
                4096,
                crate::DmaAddressing::Iommu,
            );
            let mut kept = Vec::new();
            for i in 0..20usize {
                let b = domain
                    .allocate(
                        4096 * (1 + i % 3),
                        DmaCapability::A64,
                        DmaAccess::READ_WRITE,
                        BufferAllocation::Heap,
                        Messages::default(),
                    )
                    .unwrap();
                if i % 4 == 0 {
                    kept.push(b);
                }
            }
            if t % 3 == 0 {
                // Dies holding mappings: the connection ends, the buffers are never
                // unmapped by this "process"; the manager must unmap them.
                link.shutdown();
                std::mem::forget(kept);
            }
            drop(domain);
            drop(link);
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let iommus = m.iommus.clone();
    let (server, text) = m.finish();
    for (i, d) in server.devices().domains().iter().enumerate() {
        assert_eq!(d.free_iova_ranges(), vec![RANGE], "container {i}\n{text}");
        assert_eq!(iommus[i].mapping_count(), 0, "container {i}");
    }
    // Four threads (0, 3, 6, 9) ended holding 5 buffers of 4, 8, 12, 4 and 8 KiB.
    assert_eq!(
        text.matches("still had 5 IOVA regions with 36864 bytes")
            .count(),
        4,
        "{text}"
    );
    assert_eq!(
        text.matches("Unmapped 36864 bytes left mapped by client")
            .count(),
        4,
        "{text}"
    );
    assert!(!text.contains("did not unmap"), "{text}");
}

// ---- clients in other processes ----

const CHILD_ENV: &str = "FPGA_SIO_MANAGER_TEST_CHILD";

/// Not a test by itself: the body of a child client when [`CHILD_ENV`] is set.
#[test]
fn child_client() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let name = std::env::var(super::SOCKET_ENV).unwrap();
    match role.as_str() {
        "hold" => {
            let link = ManagerLink::connect(&name).unwrap().unwrap();
            let r = link.allocate_iova(0, DmaCapability::A64, 0x3000).unwrap();
            println!("READY 0x{:x}", r.start);
            loop {
                std::thread::park();
            }
        }
        "other_uid" => {
            nix::unistd::setgid(nix::unistd::Gid::from_raw(65534)).unwrap();
            nix::unistd::setuid(nix::unistd::Uid::from_raw(65534)).unwrap();
            let e = ManagerLink::connect(&name).expect_err("refused");
            println!("REFUSED {e}");
        }
        "listen" => {
            let _listener = socket::listen(&name).unwrap();
            println!("READY");
            loop {
                std::thread::park();
            }
        }
        _ => panic!("unknown role {role}"),
    }
}

fn child(role: &str, name: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "manager::tests::child_client",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, role)
        .env(super::SOCKET_ENV, name)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The rest of the first stdout line of `child` containing `prefix`; the remaining output
/// is drained by a thread (so the child never writes into a closed pipe).
fn line_starting(child: &mut std::process::Child, prefix: &str) -> String {
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    loop {
        let line = lines.next().expect("child ended early").unwrap();
        // libtest prints `test <name> ... ` before the test's own output, on the same line.
        if let Some(at) = line.find(prefix) {
            std::thread::spawn(move || lines.for_each(drop));
            return line[at + prefix.len()..].trim().to_string();
        }
    }
}

#[test]
fn a_sigkilled_client_is_cleaned_up_and_its_space_reused() {
    let m = start(true);
    let mut c = child("hold", &m.name);
    let start_iova = line_starting(&mut c, "READY");
    c.kill().unwrap();
    c.wait().unwrap();
    let (server, text) = m.finish();
    // The child mapped nothing in this process's simulated IOMMU: the unmap reports 0 bytes,
    // as a kernel refusing another process's unmap would, so the range is orphaned and then
    // reclaimed when the container is disabled.
    assert!(
        text.contains(
            "still had 1 IOVA regions with 12288 bytes allocated at client connection close"
        ),
        "{text}"
    );
    assert!(
        text.contains("The kernel did not unmap 1 IOVA regions of 12288 bytes"),
        "{text}"
    );
    assert!(
        text.contains("Disabling container is freeing 1 IOVA regions of 12288 bytes"),
        "{text}"
    );
    assert_eq!(start_iova, format!("0x{:x}", RANGE.start));
    let d = server.devices().domain(0).unwrap();
    assert_eq!(d.free_iova_ranges(), vec![RANGE]);
}

#[test]
fn a_client_of_another_uid_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("a_client_of_another_uid_is_refused: needs root to run a client as another uid; not run");
        return;
    }
    let m = start(false);
    let mut c = child("other_uid", &m.name);
    let refused = line_starting(&mut c, "REFUSED");
    assert!(c.wait().unwrap().success());
    m.control.send(Control::Stop);
    let (_, text) = m.finish();
    assert_eq!(
        refused,
        format!(
            "VFIO multi-process manager PID {} refused this process: it serves only uid 0 and root, this process runs as uid 65534",
            std::process::id()
        )
    );
    assert!(
        text.contains("it runs as uid 65534, this manager serves only uid 0 and root"),
        "{text}"
    );
}

#[test]
fn a_second_manager_is_refused_naming_the_first() {
    let name = unique_name();
    let mut c = child("listen", &name);
    line_starting(&mut c, "READY");
    let e = super::startup::listen_once(&name).unwrap_err().to_string();
    c.kill().unwrap();
    c.wait().unwrap();
    assert!(
        e.starts_with(&format!(
            "Unable to listen on @{name} as a VFIO multi-process manager already listens there: "
        )) && e.ends_with(&format!(" PID {}", c.id())),
        "{e}"
    );
    // Once it is gone, the name is free again.
    assert!(super::startup::listen_once(&name).is_ok());
}
