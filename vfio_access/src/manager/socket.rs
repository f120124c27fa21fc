//! The manager's transport: an abstract Unix `SOCK_SEQPACKET` socket (message boundaries
//! kept, a peer's exit seen as end of file), one [`Message`] per datagram, fds passed with
//! SCM_RIGHTS, and the peer's credentials (SO_PEERCRED).

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    self, sockopt, AddressFamily, Backlog, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag,
    SockType, UnixAddr,
};

use super::protocol::{length_of, DecodeError, Message, MAX_MESSAGE};

/// The abstract socket name (vfio_access.md §7.3).
pub const DEFAULT_SOCKET_NAME: &str = "VFIO_MULTI_PROCESS_MANAGER";

/// Overrides the abstract socket name: to run a second, independent manager (and its
/// clients) side by side with the default one, e.g. in tests.
pub const SOCKET_ENV: &str = "FPGA_SIO_MANAGER_SOCKET";

/// Most fds any message carries (the open reply: device and container).
pub const MAX_FDS: usize = 2;

/// Connections a manager serves at once (vfio_access.md §7.3: 64).
pub const MAX_CLIENTS: usize = 64;

/// The abstract name in use: [`SOCKET_ENV`] when set and not empty, else the default.
pub fn socket_name() -> String {
    std::env::var(SOCKET_ENV)
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_SOCKET_NAME.to_string())
}

fn address(name: &str) -> Result<UnixAddr, Errno> {
    UnixAddr::new_abstract(name.as_bytes())
}

fn seqpacket(nonblocking: bool) -> Result<OwnedFd, Errno> {
    let mut flags = SockFlag::SOCK_CLOEXEC;
    if nonblocking {
        flags |= SockFlag::SOCK_NONBLOCK;
    }
    socket::socket(AddressFamily::Unix, SockType::SeqPacket, flags, None)
}

/// A non-blocking listening socket bound to the abstract `name`. EADDRINUSE: another
/// manager listens there.
pub fn listen(name: &str) -> Result<OwnedFd, Errno> {
    let fd = seqpacket(true)?;
    socket::bind(fd.as_raw_fd(), &address(name)?)?;
    socket::listen(&fd, Backlog::new(MAX_CLIENTS as i32)?)?;
    Ok(fd)
}

/// A blocking connection to the manager listening at `name`. ECONNREFUSED: none listens.
pub fn connect(name: &str) -> Result<OwnedFd, Errno> {
    let fd = seqpacket(false)?;
    loop {
        match socket::connect(fd.as_raw_fd(), &address(name)?) {
            Err(Errno::EINTR) => continue,
            other => return other.map(|()| fd),
        }
    }
}

/// A connected pair (an in-process manager and one child), both close-on-exec and
/// blocking; the caller makes its own end non-blocking if it serves it.
pub fn pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    socket::socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
}

/// Accepts one pending connection, non-blocking and close-on-exec.
pub fn accept(listener: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    let fd = socket::accept4(
        listener.as_raw_fd(),
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
    )?;
    // SAFETY: accept4 just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The peer's (pid, uid) as the kernel recorded them at connect (or socketpair) time.
pub fn peer(fd: BorrowedFd<'_>) -> Result<(u32, u32), Errno> {
    let c = socket::getsockopt(&fd, sockopt::PeerCredentials)?;
    Ok((c.pid() as u32, c.uid()))
}

/// Why a send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The peer does not read (non-blocking send found its queue full).
    WouldBlock,
    Failed(Errno),
    /// The datagram was cut (never for seqpacket; checked anyway).
    Short {
        sent: usize,
        len: usize,
    },
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::WouldBlock => f.write_str("the peer does not read its messages"),
            SendError::Failed(e) => write!(f, "sendmsg() failed : {}", e.desc()),
            SendError::Short { sent, len } => {
                write!(f, "sendmsg() only sent {sent} out of {len} bytes")
            }
        }
    }
}

/// Sends one message with `fds` attached. `nonblocking`: never wait for the peer.
pub fn send(
    fd: BorrowedFd<'_>,
    message: &Message,
    fds: &[RawFd],
    nonblocking: bool,
) -> Result<(), SendError> {
    let bytes = message.encode();
    let iov = [IoSlice::new(&bytes)];
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &rights };
    let mut flags = MsgFlags::MSG_NOSIGNAL;
    if nonblocking {
        flags |= MsgFlags::MSG_DONTWAIT;
    }
    loop {
        match socket::sendmsg::<()>(fd.as_raw_fd(), &iov, cmsgs, flags, None) {
            Ok(n) if n == bytes.len() => return Ok(()),
            Ok(n) => {
                return Err(SendError::Short {
                    sent: n,
                    len: bytes.len(),
                })
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Err(SendError::WouldBlock),
            Err(e) => return Err(SendError::Failed(e)),
        }
    }
}

/// One datagram received.
#[derive(Debug)]
pub enum Received {
    Message(Message, Vec<OwnedFd>),
    /// Not a valid message (the fds that came with it are closed when dropped).
    Invalid(DecodeError, Vec<OwnedFd>),
    /// More fds than any message carries were sent (the kernel dropped the rest).
    TooManyFds,
    /// End of file: the peer closed or exited.
    Closed,
}

/// Receives one datagram. EAGAIN when a non-blocking socket has none.
pub fn recv(fd: BorrowedFd<'_>) -> Result<Received, Errno> {
    // One byte more than the longest message, so that a longer datagram is seen as such
    // (it is cut, and MSG_TRUNC says so).
    let mut buf = [0u8; MAX_MESSAGE + 1];
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    loop {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let r = socket::recvmsg::<()>(
            fd.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC | MsgFlags::MSG_TRUNC,
        );
        let msg = match r {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(m) => m,
        };
        let mut fds = Vec::new();
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(raw) = c {
                for r in raw {
                    // SAFETY: the kernel just installed this fd for us (SCM_RIGHTS); we are
                    // its only owner.
                    fds.push(unsafe { OwnedFd::from_raw_fd(r) });
                }
            }
        }
        if msg.flags.contains(MsgFlags::MSG_CTRUNC) {
            return Ok(Received::TooManyFds);
        }
        // With MSG_TRUNC the kernel reports the datagram's real length even when cut.
        let len = msg.bytes;
        if len == 0 {
            return Ok(Received::Closed);
        }
        if len > buf.len() {
            let id = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
            let e = match length_of(id) {
                Some(expected) => DecodeError::WrongLength { id, len, expected },
                None => DecodeError::UnknownId { id, len },
            };
            return Ok(Received::Invalid(e, fds));
        }
        return Ok(match Message::decode(&buf[..len]) {
            Ok(m) => Received::Message(m, fds),
            Err(e) => Received::Invalid(e, fds),
        });
    }
}
