//! What the manager binary does before serving: refuse to start when another manager
//! listens (naming its PID), turn SIGINT into a readable fd, and go to the background with
//! `--daemon` only once it is ready (so a client started right after the command returns
//! finds it).

use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::socket;
use crate::error::{Result, VfioError};
use crate::real::holder_of;

/// The process listening on the abstract socket `name`, from `/proc/net/unix` (without
/// connecting to it: a connection would count as a client of a `--once` manager).
pub fn listener_holder(name: &str) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/unix").ok()?;
    let wanted = format!("@{name}");
    // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = listening.
    let inode = table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() >= 8 && f[7] == wanted && f[3] == "00010000").then(|| f[6].to_string())
    })?;
    Some(holder_of(std::path::Path::new(&format!(
        "socket:[{inode}]"
    ))))
}

/// Listens on `name`; another manager there is an error naming it.
pub fn listen_once(name: &str) -> Result<OwnedFd> {
    match socket::listen(name) {
        Ok(fd) => Ok(fd),
        Err(Errno::EADDRINUSE) => Err(VfioError::Manager(format!(
            "Unable to listen on @{name} as a VFIO multi-process manager already listens there: {}",
            listener_holder(name).unwrap_or_else(|| "another process".into())
        ))),
        Err(e) => Err(VfioError::sys(format!("bind/listen (@{name})"), e)),
    }
}

/// SIGINT blocked and delivered through the returned fd (readable when one arrived).
pub fn sigint_fd() -> Result<Box<dyn AsFd + Send>> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.thread_block()
        .map_err(|e| VfioError::sys("sigprocmask(SIGINT)", e))?;
    let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| VfioError::sys("signalfd(SIGINT)", e))?;
    Ok(Box::new(fd))
}

/// In the background child: tells the waiting parent that start-up succeeded.
pub struct Ready(Option<OwnedFd>);

impl Ready {
    /// The foreground case (no `--daemon`): nothing to tell.
    pub fn foreground() -> Self {
        Ready(None)
    }

    pub fn signal(mut self) {
        if let Some(fd) = self.0.take() {
            let _ = nix::unistd::write(&fd, b"R");
        }
    }
}

/// Which side of [`daemonize`] this is.
pub enum Daemon {
    /// The foreground process after the child reported (true: ready; false: it ended
    /// first, having printed why). It should exit at once.
    Parent { ready: bool },
    /// The background manager: carry on, then [`Ready::signal`].
    Child(Ready),
}

/// `--daemon`: forks; the parent waits until the child calls [`Ready::signal`] (or ends);
/// the child, in its own session, carries on with start-up and keeps stdout/stderr. Call
/// before any thread starts and before the listening socket exists (so that its
/// credentials name the child).
pub fn daemonize() -> Result<Daemon> {
    let (read_end, write_end) = nix::unistd::pipe().map_err(|e| VfioError::sys("pipe()", e))?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: called while the process is single-threaded (documented requirement), so the
    // child may run arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.map_err(|e| VfioError::sys("fork()", e))? {
        nix::unistd::ForkResult::Parent { .. } => {
            drop(write_end);
            let mut byte = [0u8; 1];
            let mut reader = std::fs::File::from(read_end);
            let ready = matches!(reader.read(&mut byte), Ok(1));
            Ok(Daemon::Parent { ready })
        }
        nix::unistd::ForkResult::Child => {
            drop(read_end);
            let _ = nix::unistd::setsid();
            Ok(Daemon::Child(Ready(Some(write_end))))
        }
    }
}
