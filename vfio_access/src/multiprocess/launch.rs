//! Secondary command lines: splitting `a [args] -- b [args] -- ...`, finding each
//! executable, and starting it with exactly the handed-over fds made inheritable.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use super::handover::{Handover, SECONDARY_ENV};

/// One secondary as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryCommand {
    pub program: OsString,
    pub args: Vec<OsString>,
}

/// Splits `<exe> [args...] [-- <exe> [args...]]...` at every `--`. No fixed limit on the
/// number of secondaries or arguments; an empty command (leading, trailing or doubled
/// `--`) is an error.
pub fn split_secondaries<S: AsRef<OsStr>>(args: &[S]) -> Result<Vec<SecondaryCommand>, String> {
    if args.is_empty() {
        return Err("no secondary process given".into());
    }
    let mut out = Vec::new();
    for (i, group) in args.split(|a| a.as_ref() == "--").enumerate() {
        let Some((program, rest)) = group.split_first() else {
            return Err(format!(
                "secondary process {} is empty (a '--' with no command after it, or two in a row)",
                i + 1
            ));
        };
        out.push(SecondaryCommand {
            program: program.as_ref().to_os_string(),
            args: rest.iter().map(|a| a.as_ref().to_os_string()).collect(),
        });
    }
    Ok(out)
}

fn is_executable_file(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Finds a secondary's executable. A name with a `/` is a path (relative to the current
/// directory) when it exists; otherwise, as for a bare name, its last component (the
/// original's `crate/tool` form) is looked up in `beside` (the launcher's own directory)
/// first, then in each directory of `path_var` (`PATH`).
pub fn resolve_executable(
    name: &OsStr,
    beside: Option<&Path>,
    path_var: Option<&OsStr>,
) -> Option<PathBuf> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    if bytes.contains(&b'/') {
        let p = PathBuf::from(name);
        if is_executable_file(&p) {
            return Some(p);
        }
    }
    let base = Path::new(name).file_name()?;
    if let Some(dir) = beside {
        let p = dir.join(base);
        if is_executable_file(&p) {
            return Some(p);
        }
    }
    std::env::split_paths(path_var?)
        .map(|d| {
            if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d
            }
        })
        .map(|d| d.join(base))
        .find(|p| is_executable_file(p))
}

/// Starts `path` with `args` as a secondary: `argv[0]` is `name`, [`SECONDARY_ENV`] holds
/// `handover`, `env` adds variables (e.g. the simulation choice), the fds the handover
/// names lose close-on-exec in the child only, and SIGINT/SIGTERM are reset to their
/// default dispositions (a launcher started in the background may have them ignored).
pub fn spawn_secondary(
    name: &OsStr,
    path: &Path,
    args: &[OsString],
    handover: &Handover,
    env: &[(OsString, OsString)],
) -> std::io::Result<Child> {
    spawn_secondary_with(name, path, args, handover, env, &[])
}

/// [`spawn_secondary`] with `extra_fds` inherited too (the secondary's connection to the
/// primary's in-process manager).
pub fn spawn_secondary_with(
    name: &OsStr,
    path: &Path,
    args: &[OsString],
    handover: &Handover,
    env: &[(OsString, OsString)],
    extra_fds: &[std::os::fd::RawFd],
) -> std::io::Result<Child> {
    secondary_command(name, path, args, handover, env, extra_fds).spawn()
}

/// [`spawn_secondary_with`] with the secondary's stdout and stderr on pipes, for a primary
/// that captures them (`test_primary --junit`) and passes them on.
pub fn spawn_secondary_captured(
    name: &OsStr,
    path: &Path,
    args: &[OsString],
    handover: &Handover,
    env: &[(OsString, OsString)],
    extra_fds: &[std::os::fd::RawFd],
) -> std::io::Result<Child> {
    secondary_command(name, path, args, handover, env, extra_fds)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
}

/// The command [`spawn_secondary_with`] starts.
fn secondary_command(
    name: &OsStr,
    path: &Path,
    args: &[OsString],
    handover: &Handover,
    env: &[(OsString, OsString)],
    extra_fds: &[std::os::fd::RawFd],
) -> Command {
    let mut fds = handover.fds();
    fds.extend_from_slice(extra_fds);
    let mut cmd = Command::new(path);
    cmd.arg0(name).args(args);
    if handover.through_manager {
        cmd.env_remove(SECONDARY_ENV);
    } else {
        cmd.env(SECONDARY_ENV, handover.encode());
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (fcntl, sigaction via signal) on plain integers; it allocates
    // nothing (`fds` was built before the fork and is only read).
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &fds {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            Ok(())
        });
    }
    cmd
}
