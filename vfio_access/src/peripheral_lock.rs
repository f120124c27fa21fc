//! Cross-process locks on one peripheral of one device (the flash, the I2C bus, the XADC,
//! one DMA channel), so that two tools never drive it at the same time.
//!
//! A lock is `flock(LOCK_EX)` on an open lock file; the kernel releases it when the file is
//! closed, also when the holder dies, so there are no stale locks. The holder writes its
//! PID into the file so a second process can name it.
//!
//! Lock files:
//! - real devices: `/run/lock/fpga_sio/<dddd:bb:dd.f>.<peripheral>.lock`, falling back to
//!   `$XDG_RUNTIME_DIR/fpga_sio/` and then `<temp dir>/fpga_sio/` when a directory cannot
//!   hold the file (not writable, absent);
//! - simulated boards: `<state dir>/<dddd:bb:dd.f>.<peripheral>.lock`, in the directory the
//!   board keeps its persistent files in ([`SimDevice::state_dir`], `FPGA_SIO_SIM_DIR`),
//!   so tests with separate state directories never interfere. A simulated device with no
//!   state directory uses the real-device directories with a `sim-` prefix.
//!
//! Policies the tools use: flash, I2C and XADC wait (printing who they wait for); a DMA
//! channel refuses a second user.
//!
//! [`SimDevice::state_dir`]: crate::sim::SimDevice::state_dir

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::Device;

/// What to do when another process holds the lock.
pub enum LockPolicy<'a> {
    /// Fail at once with [`PeripheralLockError::Busy`].
    Refuse,
    /// Block until free; the callback is called once, before blocking, with the holder's PID
    /// (None if unknown), so the binary can print "waiting for ...".
    Wait(&'a mut dyn FnMut(Option<u32>)),
}

#[derive(Debug, thiserror::Error)]
pub enum PeripheralLockError {
    #[error("{device}: the {peripheral} is in use by {}", holder_text(*.holder_pid))]
    Busy {
        device: String,
        peripheral: String,
        holder_pid: Option<u32>,
    },
    #[error("{device}: cannot lock the {peripheral} with {} : {source}", .path.display())]
    Io {
        device: String,
        peripheral: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn holder_text(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("PID {pid}"),
        None => "another process".to_string(),
    }
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct PeripheralLock {
    file: Option<Flock<File>>,
    path: PathBuf,
}

impl PeripheralLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PeripheralLock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            // The PID goes before the lock does, so nobody reads a stale holder; the file
            // itself stays (removing it would let two processes lock different inodes).
            let _ = file.set_len(0);
            let _ = file.unlock();
        }
    }
}

/// Locks `peripheral` ("flash", "i2c", "xadc", "dma-h2c-<n>", "dma-c2h-<n>") of `device`.
pub fn lock_peripheral(
    device: &Device,
    peripheral: &str,
    policy: LockPolicy<'_>,
) -> Result<PeripheralLock, PeripheralLockError> {
    let sim_dir = device.sim_device().map(|d| d.state_dir());
    let name = format!("{}.{peripheral}.lock", device.location());
    let candidates: Vec<PathBuf> = match sim_dir {
        Some(Some(dir)) => vec![dir.join(&name)],
        Some(None) => runtime_dirs()
            .into_iter()
            .map(|d| d.join(format!("sim-{name}")))
            .collect(),
        None => runtime_dirs().into_iter().map(|d| d.join(&name)).collect(),
    };
    let mut last_error = None;
    for path in candidates {
        match open_lock_file(&path) {
            Ok(file) => {
                return lock_file(file, path, policy).map_err(|(path, source)| match source {
                    LockFailure::Busy(holder_pid) => PeripheralLockError::Busy {
                        device: device.description(),
                        peripheral: peripheral.to_string(),
                        holder_pid,
                    },
                    LockFailure::Io(source) => PeripheralLockError::Io {
                        device: device.description(),
                        peripheral: peripheral.to_string(),
                        path,
                        source,
                    },
                });
            }
            Err(e) => last_error = Some((path, e)),
        }
    }
    let (path, source) = last_error.unwrap_or_else(|| {
        (
            PathBuf::from(name),
            std::io::Error::other("no lock directory"),
        )
    });
    Err(PeripheralLockError::Io {
        device: device.description(),
        peripheral: peripheral.to_string(),
        path,
        source,
    })
}

/// Directories for lock files of real devices, in order of preference.
fn runtime_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/run/lock/fpga_sio")];
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(d).join("fpga_sio"));
    }
    dirs.push(std::env::temp_dir().join("fpga_sio"));
    dirs
}

/// Opens (creating) the lock file and its directory. A shared directory we create is
/// world-writable and sticky, like /run/lock, so that other users can lock too.
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        if !dir.is_dir() {
            std::fs::create_dir_all(dir)?;
            if dir.starts_with("/run/lock") || dir.starts_with(std::env::temp_dir()) {
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777));
            }
        }
    }
    // Not truncated on open: the file may belong to the current holder.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o666)
        .open(path)
}

enum LockFailure {
    Busy(Option<u32>),
    Io(std::io::Error),
}

fn lock_file(
    file: File,
    path: PathBuf,
    policy: LockPolicy<'_>,
) -> Result<PeripheralLock, (PathBuf, LockFailure)> {
    let locked = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(locked) => locked,
        Err((mut file, Errno::EWOULDBLOCK)) => {
            let holder = read_holder_pid(&mut file);
            match policy {
                LockPolicy::Refuse => return Err((path, LockFailure::Busy(holder))),
                LockPolicy::Wait(notify) => {
                    notify(holder);
                    blocking_lock(file).map_err(|e| (path.clone(), LockFailure::Io(e)))?
                }
            }
        }
        Err((_, e)) => return Err((path, LockFailure::Io(e.into()))),
    };
    let mut lock = PeripheralLock {
        file: Some(locked),
        path,
    };
    if let Some(file) = lock.file.as_mut() {
        let pid = format!("{}\n", std::process::id());
        let written = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()));
        if let Err(e) = written {
            let path = lock.path.clone();
            return Err((path, LockFailure::Io(e)));
        }
    }
    Ok(lock)
}

/// Blocks for the lock. A signal handler installed with SA_RESTART (crate::signals)
/// restarts flock; one without it interrupts it, and then the wait goes on unless the
/// interrupt flag says the user asked to stop.
fn blocking_lock(file: File) -> std::io::Result<Flock<File>> {
    let mut file = file;
    loop {
        match Flock::lock(file, FlockArg::LockExclusive) {
            Ok(locked) => return Ok(locked),
            Err((f, Errno::EINTR)) if !crate::signals::interrupted() => file = f,
            Err((_, e)) => return Err(e.into()),
        }
    }
}

fn read_holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::sync::Arc;

    use crate::filter::{DmaCapability, IdentityFilter, PciIdentity};
    use crate::location::PciLocation;
    use crate::mmio::AccessWidth;
    use crate::sim::{SimBarInfo, SimBoard, SimDevice};
    use crate::{OpenOptions, Session};

    /// A register-less simulated device keeping its state in `dir`.
    struct Stateful {
        dir: Option<PathBuf>,
    }

    impl SimDevice for Stateful {
        fn identity(&self) -> PciIdentity {
            PciIdentity {
                vendor_id: 0x10ee,
                device_id: 0x7011,
                subsystem_vendor_id: 0x10ee,
                subsystem_device_id: 0x0007,
            }
        }
        fn bar(&self, index: u8) -> Option<SimBarInfo> {
            (index == 0).then_some(SimBarInfo {
                size: 0x1000,
                prefetchable: false,
                is_64bit: false,
            })
        }
        fn read(&self, _: u8, _: u64, _: AccessWidth) -> u64 {
            0
        }
        fn write(&self, _: u8, _: u64, _: AccessWidth, _: u64) {}
        fn state_dir(&self) -> Option<PathBuf> {
            self.dir.clone()
        }
    }

    fn session(dir: Option<&Path>) -> Session {
        let location: PciLocation = "0000:31:00.0".parse().unwrap();
        let board = SimBoard {
            location,
            iommu_group: 31,
            device: Arc::new(Stateful {
                dir: dir.map(Path::to_path_buf),
            }),
        };
        let filter = IdentityFilter::vendor_device(0x10ee, 0x7011, DmaCapability::None);
        Session::open_sim(vec![board], &OpenOptions::default(), &[filter]).unwrap()
    }

    fn refuse(device: &Device) -> Result<PeripheralLock, PeripheralLockError> {
        lock_peripheral(device, "flash", LockPolicy::Refuse)
    }

    #[test]
    fn simulated_lock_lives_in_the_state_dir_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(Some(dir.path()));
        let device = &s.devices()[0];
        let first = refuse(device).unwrap();
        assert_eq!(first.path(), dir.path().join("0000:31:00.0.flash.lock"));
        let pid = std::fs::read_to_string(first.path()).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());

        // A second open of the same file is a second lock, even in this process.
        match refuse(device) {
            Err(e @ PeripheralLockError::Busy { .. }) => {
                let PeripheralLockError::Busy { holder_pid, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(*holder_pid, Some(std::process::id()));
                assert_eq!(
                    e.to_string(),
                    format!(
                        "0000:31:00.0 (10ee:7011): the flash is in use by PID {}",
                        std::process::id()
                    )
                );
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        // Another peripheral of the same device is independent.
        let i2c = lock_peripheral(device, "i2c", LockPolicy::Refuse).unwrap();
        drop(i2c);

        drop(first);
        let again = refuse(device).unwrap();
        drop(again);
    }

    #[test]
    fn separate_state_dirs_do_not_interfere() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (sa, sb) = (session(Some(a.path())), session(Some(b.path())));
        let _la = refuse(&sa.devices()[0]).unwrap();
        let _lb = refuse(&sb.devices()[0]).unwrap();
    }

    #[test]
    fn wait_calls_back_once_then_blocks_until_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let s = session(Some(&path));
        let held = refuse(&s.devices()[0]).unwrap();

        let (waiting_tx, waiting_rx) = mpsc::channel();
        let (acquired_tx, acquired_rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let s = session(Some(&path));
            let mut calls = 0;
            let mut notify = |pid: Option<u32>| {
                calls += 1;
                waiting_tx.send(pid).unwrap();
            };
            let lock = lock_peripheral(&s.devices()[0], "flash", LockPolicy::Wait(&mut notify));
            acquired_tx.send(()).unwrap();
            let lock = lock.unwrap();
            let pid = std::fs::read_to_string(lock.path()).unwrap();
            (calls, pid)
        });
        // The callback runs before blocking and names us as the holder.
        assert_eq!(waiting_rx.recv().unwrap(), Some(std::process::id()));
        assert!(acquired_rx.try_recv().is_err(), "acquired while held");
        drop(held);
        acquired_rx.recv().unwrap();
        let (calls, pid) = waiter.join().unwrap();
        assert_eq!(calls, 1);
        assert_eq!(pid.trim(), std::process::id().to_string());
    }

    #[test]
    fn wait_does_not_call_back_when_free() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(Some(dir.path()));
        let mut calls = 0;
        let mut notify = |_: Option<u32>| calls += 1;
        let lock = lock_peripheral(&s.devices()[0], "xadc", LockPolicy::Wait(&mut notify));
        assert!(lock.is_ok());
        drop(lock);
        assert_eq!(calls, 0);
    }

    #[test]
    fn dropping_clears_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(Some(dir.path()));
        let lock = refuse(&s.devices()[0]).unwrap();
        let path = lock.path().to_path_buf();
        drop(lock);
        assert_eq!(std::fs::read_to_string(path).unwrap(), "");
    }

    #[test]
    fn unwritable_state_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not_a_dir");
        std::fs::write(&file, b"").unwrap();
        let s = session(Some(&file));
        match refuse(&s.devices()[0]) {
            Err(e @ PeripheralLockError::Io { .. }) => {
                assert!(e.to_string().contains("cannot lock the flash"), "{e}")
            }
            other => panic!("expected Io, got {other:?}"),
        }
    }

    #[test]
    fn sim_device_without_state_dir_uses_a_sim_prefixed_runtime_file() {
        let s = session(None);
        let lock = lock_peripheral(&s.devices()[0], "dma-h2c-0", LockPolicy::Refuse).unwrap();
        let name = lock
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(name, "sim-0000:31:00.0.dma-h2c-0.lock");
    }

    const CHILD_ENV: &str = "FPGA_SIO_LOCK_TEST_CHILD_DIR";

    /// Run as a child by `another_process_holding_the_lock_is_named`: takes the lock,
    /// says so on stdout, holds it until stdin closes.
    #[test]
    #[ignore = "run as a child by another_process_holding_the_lock_is_named"]
    fn child_lock_holder() {
        let dir = std::env::var_os(CHILD_ENV).expect("run as a child only");
        let s = session(Some(Path::new(&dir)));
        let _lock = refuse(&s.devices()[0]).unwrap();
        println!("LOCKED");
        std::io::stdout().flush().unwrap();
        let mut rest = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut rest);
    }

    #[test]
    fn another_process_holding_the_lock_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "peripheral_lock::tests::child_lock_holder",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert_ne!(out.read_line(&mut line).unwrap(), 0, "child ended first");
            if line.trim() == "LOCKED" {
                break;
            }
        }
        let s = session(Some(dir.path()));
        let device = &s.devices()[0];
        match refuse(device) {
            Err(PeripheralLockError::Busy { holder_pid, .. }) => {
                assert_eq!(holder_pid, Some(child.id()))
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        // The callback runs before blocking: closing the child's stdin there makes it
        // release, and the wait ends when it has.
        let mut stdin = child.stdin.take();
        let mut seen = None;
        let mut notify = |pid: Option<u32>| {
            seen = Some(pid);
            drop(stdin.take());
        };
        let lock = lock_peripheral(device, "flash", LockPolicy::Wait(&mut notify)).unwrap();
        assert_eq!(seen, Some(Some(child.id())));
        assert!(child.wait().unwrap().success());
        drop(lock);
    }
}
