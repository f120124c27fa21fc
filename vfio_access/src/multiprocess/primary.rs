//! The primary side: one process opens the container, the groups and the devices, maps
//! every BAR once, gives each secondary its own IOVA window and exactly the fds it needs,
//! forwards SIGINT/SIGTERM, waits for every secondary, unmaps each secondary's window when
//! it ends, and reports exits as the original did.

use std::ffi::{OsStr, OsString};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::error::{Result, VfioError};
use crate::iova::IovaRange;
use crate::messages::Messages;
use crate::session::Session;
use crate::sim::{SimSelection, SIM_ENV, SIM_IOVA_PGSIZES, SIM_IOVA_RANGES};

use super::captured_output::{SecondaryCapture, SecondaryOutput};
use super::handover::{HandedContainer, HandedDevice, Handover};
use super::launch::{spawn_secondary_captured, spawn_secondary_with};
use super::secondary_manager::{SecondaryManager, MANAGER_FD_ENV};
use super::signals;
use super::windows::partition;

/// How secondaries' IOVA windows are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowMode {
    /// Equal shares of the space below the devices' smallest address limit.
    #[default]
    EqualShares,
    /// Windows of this many bytes (`--iova-window`).
    Size(u64),
    /// Debug only: no windows, every secondary allocates from the whole space (the
    /// original's collision, for a negative control).
    Disabled,
}

#[derive(Debug, Clone, Default)]
pub struct PrimaryOptions {
    pub windows: WindowMode,
    /// Print the fd display of the original (vfio_access.md §6.4) before launching.
    pub show_fds: bool,
    /// The simulation choice passed on to the secondaries through `FPGA_SIO_SIM`.
    pub simulation: Option<SimSelection>,
    /// Where the run reports secondaries started and ended, cleanup and the summary.
    pub messages: Messages,
    /// A `vfio_multi_process_manager` owns the devices (its listener, e.g.
    /// `/usr/local/bin/vfio_multi_process_manager PID 205`): the primary opens nothing and
    /// each secondary opens its devices and gets its IOVAs through the manager, whose one
    /// allocator per container keeps them apart (no windows needed).
    pub external_manager: Option<String>,
    /// Capture each secondary's stdout and stderr for its report (still passed on to this
    /// process's stdout and stderr); `test_primary --junit`.
    pub capture_output: bool,
}

/// A secondary ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secondary {
    /// As given on the command line (used in messages and as argv[0]).
    pub name: OsString,
    pub path: PathBuf,
    pub args: Vec<OsString>,
}

/// How a secondary ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondaryExit {
    Exited(i32),
    Signalled(i32),
    /// It could not be started (exec failure): the message.
    NotStarted(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryReport {
    pub name: String,
    pub pid: Option<u32>,
    pub exit: SecondaryExit,
    pub window: Option<IovaRange>,
    /// Bytes the primary found still mapped in the window and unmapped.
    pub unmapped_bytes: u64,
    /// The arguments after the executable, as given.
    pub args: Vec<String>,
    /// From start to the primary seeing its end (None if it did not start).
    pub duration: Option<Duration>,
    /// What it wrote, when [`PrimaryOptions::capture_output`] asked for it.
    pub output: Option<SecondaryOutput>,
}

impl SecondaryReport {
    pub fn succeeded(&self) -> bool {
        self.exit == SecondaryExit::Exited(0)
    }
}

/// Maps every BAR of every device once, so that no two secondaries race on a BAR's first
/// mmap (vfio_access.md §7.1 #3). Returns how many BARs were mapped.
pub fn map_all_bars(session: &Session) -> Result<usize> {
    let mut n = 0;
    for d in session.devices() {
        for bar in 0..6u8 {
            match d.bar(bar) {
                Ok(_) => n += 1,
                Err(VfioError::BarUnavailable { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(n)
}

/// IOVA ranges, page size and address limit the windows are cut from: the intersection of
/// the domains' ranges (the simulated layout when nothing is open in simulation), below
/// the smallest address limit of the DMA-capable devices (4 GiB when none does DMA).
fn iova_space(session: &Session, simulated: bool) -> (Vec<IovaRange>, u64, u64) {
    let limit = session
        .devices()
        .iter()
        .filter_map(|d| d.dma_capability().max_iova())
        .min()
        .unwrap_or(0xffff_ffff);
    let domains = session.domains();
    if domains.is_empty() {
        return if simulated {
            (
                SIM_IOVA_RANGES.to_vec(),
                1 << SIM_IOVA_PGSIZES.trailing_zeros(),
                limit,
            )
        } else {
            (Vec::new(), 4096, limit)
        };
    }
    let mut ranges = domains[0].free_iova_ranges();
    let mut page = domains[0].iova_page_size();
    for d in &domains[1..] {
        let other = d.free_iova_ranges();
        ranges = ranges
            .iter()
            .flat_map(|a| other.iter().filter_map(|b| a.intersect(b)))
            .collect();
        page = page.max(d.iova_page_size());
    }
    (ranges, page, limit)
}

/// One window per secondary (all None when disabled).
pub fn plan_windows(
    session: &Session,
    simulated: bool,
    mode: WindowMode,
    count: usize,
) -> Result<Vec<Option<IovaRange>>> {
    let (ranges, page, limit) = iova_space(session, simulated);
    if ranges.is_empty() && session.devices().is_empty() {
        // Nothing opened: there is no IOVA space to share (and nothing to map into).
        return Ok(vec![None; count]);
    }
    let size = match mode {
        WindowMode::Disabled => return Ok(vec![None; count]),
        WindowMode::EqualShares => None,
        WindowMode::Size(s) => Some(s),
    };
    Ok(partition(&ranges, limit, page, count, size)?
        .into_iter()
        .map(Some)
        .collect())
}

/// What every secondary is handed (the window is filled in per secondary).
pub fn handover_for(session: &Session, simulated: bool) -> Handover {
    let mut h = Handover {
        simulated,
        ..Handover::default()
    };
    if simulated {
        return h;
    }
    for d in session.devices() {
        let (Some(real), Some(group), Some(container)) =
            (d.real_device(), d.real_group(), d.domain().container())
        else {
            continue;
        };
        let cfd = container.fd().as_raw_fd();
        let index = match h.containers.iter().position(|c| c.fd == cfd) {
            Some(i) => i,
            None => {
                h.containers.push(HandedContainer {
                    fd: cfd,
                    iommu_type: container.iommu_type(),
                });
                h.containers.len() - 1
            }
        };
        h.devices.push(HandedDevice {
            location: d.location(),
            group: d.iommu_group(),
            group_fd: group.fd().as_raw_fd(),
            device_fd: real.fd().as_raw_fd(),
            container: index,
        });
    }
    h
}

/// The domains of the containers in [`handover_for`]'s order (the container index a
/// secondary names is its position here).
fn handed_domains(session: &Session) -> Vec<std::sync::Arc<crate::domain::IommuDomain>> {
    let mut out: Vec<std::sync::Arc<crate::domain::IommuDomain>> = Vec::new();
    let mut fds: Vec<i32> = Vec::new();
    for d in session.devices() {
        let (Some(_), Some(_), Some(container)) =
            (d.real_device(), d.real_group(), d.domain().container())
        else {
            continue;
        };
        let fd = container.fd().as_raw_fd();
        if !fds.contains(&fd) {
            fds.push(fd);
            out.push(std::sync::Arc::clone(d.domain()));
        }
    }
    out
}

/// The fd display of vfio_access.md §6.4: `container_fd=<n>`, one line per device, then this
/// process's open fds.
pub fn fd_display(session: &Session) -> String {
    let h = handover_for(session, false);
    let mut out = String::new();
    for c in &h.containers {
        out += &format!("container_fd={}\n", c.fd);
    }
    for d in &h.devices {
        out += &format!(
            "  {} : group_fd={} device_fd={}\n",
            d.location, d.group_fd, d.device_fd
        );
    }
    let pid = std::process::id();
    let name = std::fs::read_to_string("/proc/self/comm")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "primary".into());
    out += &format!("Contents of /proc/{pid}/fd in {name}:\n");
    let mut fds: Vec<(i32, String)> = std::fs::read_dir("/proc/self/fd")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let n: i32 = e.file_name().to_str()?.parse().ok()?;
                    let target = std::fs::read_link(e.path()).ok()?;
                    let t = target.display().to_string();
                    // The directory being listed is not one of ours.
                    (!(t.starts_with("/proc/") && t.ends_with("/fd"))).then_some((n, t))
                })
                .collect()
        })
        .unwrap_or_default();
    fds.sort();
    for (n, t) in fds {
        out += &format!("  fd {n} -> {t}\n");
    }
    out
}

fn describe_window(w: Option<IovaRange>) -> String {
    match w {
        Some(w) => format!("IOVA window 0x{:x}-0x{:x}", w.start, w.end),
        None => "no IOVA window (windows disabled)".into(),
    }
}

/// The summary line of vfio_access.md §6.3.
pub fn summary_line(reports: &[SecondaryReport]) -> String {
    let failed = reports.iter().filter(|r| !r.succeeded()).count();
    if failed == 0 {
        format!("All {} child processed exited successfully", reports.len())
    } else {
        format!(
            "{failed} out of {} child processes had non-successful exit",
            reports.len()
        )
    }
}

/// Reports what the in-process manager unmapped for a secondary that ended.
fn report_release(
    end: &crate::manager::ClientEnd,
    name: &str,
    window: Option<IovaRange>,
    messages: &Messages,
) -> u64 {
    let r = &end.release;
    let (start, last) = window.map_or((0, 0), |w| (w.start, w.end));
    if r.unmapped_bytes > 0 {
        messages.warning(&format!(
            "Unmapped {} bytes left mapped in IOVA window 0x{start:x}-0x{last:x} of secondary {name}",
            r.unmapped_bytes
        ));
    }
    if r.orphaned_regions > 0 {
        messages.warning(&format!(
            "The kernel did not unmap {} IOVA regions of {} bytes left by secondary {name}: they stay allocated until test_primary closes the container",
            r.orphaned_regions, r.orphaned_bytes
        ));
    }
    for e in &r.errors {
        messages.warning(&format!("Secondary {name}: {e}"));
    }
    r.unmapped_bytes
}

/// Unmaps whatever is left in `window` in every domain of the session.
fn clean_window(
    session: &Session,
    name: &str,
    window: Option<IovaRange>,
    messages: &Messages,
) -> u64 {
    let Some(w) = window else { return 0 };
    let mut total = 0;
    for d in session.domains() {
        match d.unmap_window(w) {
            Ok(n) => total += n,
            Err(e) => messages.warning(&format!("Secondary {name}: {e}")),
        }
    }
    if total > 0 {
        messages.warning(&format!(
            "Unmapped {total} bytes left mapped in IOVA window 0x{:x}-0x{:x} of secondary {name}",
            w.start, w.end
        ));
    }
    total
}

/// Runs the secondaries against the opened `session`: maps the BARs, plans windows,
/// catches SIGINT/SIGTERM (to forward them), starts every secondary, waits for all, cleans
/// each ended secondary's window and reports the exit lines and the summary to
/// `options.messages`. Returns one report per secondary, in command-line order.
///
/// The signal handlers are in place before the first secondary starts, so a signal that
/// arrives once any secondary runs is forwarded to every secondary (the children start
/// with default dispositions: `spawn_secondary` resets them and `exec` drops handlers).
pub fn run(
    session: &Session,
    secondaries: &[Secondary],
    options: &PrimaryOptions,
) -> Result<Vec<SecondaryReport>> {
    let simulated = options.simulation.is_some();
    let messages = &options.messages;
    let (windows, base) = match &options.external_manager {
        Some(holder) => {
            messages.progress(&format!(
                "VFIO multi-process manager {holder} owns the devices: each secondary opens its devices through it"
            ));
            let base = Handover {
                through_manager: true,
                ..Handover::default()
            };
            (vec![None; secondaries.len()], base)
        }
        None => {
            map_all_bars(session)?;
            let windows = plan_windows(session, simulated, options.windows, secondaries.len())?;
            (windows, handover_for(session, simulated))
        }
    };
    if options.show_fds {
        messages.progress(fd_display(session).trim_end_matches('\n'));
    }
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    if let Some(sel) = &options.simulation {
        env.push((SIM_ENV.into(), sel.env_value().into()));
        if session
            .domains()
            .iter()
            .any(|d| d.addressing() == crate::DmaAddressing::SimulatedPhysical)
        {
            env.push((crate::sim::SIM_NOIOMMU_ENV.into(), "1".into()));
        }
    }
    // The secondaries' IOVAs come from this process's in-process manager (the same server
    // and IOVA bookkeeping as vfio_multi_process_manager), inside their windows. Not for
    // simulated runs (each secondary simulates its own boards) nor with windows disabled
    // (the debug collision).
    let mut manager =
        if !simulated && options.windows != WindowMode::Disabled && !base.containers.is_empty() {
            let names: Vec<String> = secondaries
                .iter()
                .map(|s| s.name.to_string_lossy().into_owned())
                .collect();
            Some(SecondaryManager::start(
                handed_domains(session),
                &windows,
                &names,
                messages.clone(),
            )?)
        } else {
            None
        };
    signals::install_forwarding()?;
    let mut reports: Vec<SecondaryReport> = Vec::with_capacity(secondaries.len());
    let mut running: Vec<(usize, Child, Instant)> = Vec::new();
    let mut captures: Vec<Option<SecondaryCapture>> = std::iter::repeat_with(|| None)
        .take(secondaries.len())
        .collect();
    for (i, s) in secondaries.iter().enumerate() {
        let name = s.name.to_string_lossy().into_owned();
        let handover = Handover {
            window: windows[i],
            ..base.clone()
        };
        // The secondary writes to the same terminal: what was reported comes first.
        messages.flush();
        let mut report = SecondaryReport {
            name: name.clone(),
            pid: None,
            exit: SecondaryExit::NotStarted(String::new()),
            window: windows[i],
            unmapped_bytes: 0,
            args: s
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            duration: None,
            output: None,
        };
        let manager_fd = manager.as_ref().and_then(|m| m.child_fd(i));
        let mut child_env = env.clone();
        if let Some(fd) = manager_fd {
            child_env.push((MANAGER_FD_ENV.into(), fd.to_string().into()));
        }
        let spawn = if options.capture_output {
            spawn_secondary_captured
        } else {
            spawn_secondary_with
        };
        let spawned = spawn(
            OsStr::new(&s.name),
            &s.path,
            &s.args,
            &handover,
            &child_env,
            manager_fd.as_slice(),
        );
        let started_at = Instant::now();
        if let Some(m) = manager.as_mut() {
            m.started(i);
        }
        match spawned {
            Ok(mut child) => {
                report.pid = Some(child.id());
                if options.capture_output {
                    match SecondaryCapture::of_child(&mut child) {
                        Ok(c) => captures[i] = Some(c),
                        Err(e) => messages.warning(&format!(
                            "Output of secondary {name} is not captured: {}",
                            errno_text(&e)
                        )),
                    }
                }
                messages.progress(&format!(
                    "Started secondary {} {name} PID {} with {}",
                    i + 1,
                    child.id(),
                    describe_window(windows[i])
                ));
                running.push((i, child, started_at));
            }
            Err(e) => {
                let msg = format!("execv ({}) failed : {}", s.path.display(), errno_text(&e));
                messages.error(&msg);
                report.exit = SecondaryExit::NotStarted(msg);
            }
        }
        reports.push(report);
    }
    while !running.is_empty() {
        for sig in signals::take_signals_to_forward() {
            for (_, child, _) in &running {
                let pid = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::kill(pid, sig);
            }
        }
        let mut still = Vec::with_capacity(running.len());
        for (i, mut child, started_at) in running {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let r = &mut reports[i];
                    r.duration = Some(started_at.elapsed());
                    if let Some(c) = captures[i].take() {
                        r.output = Some(c.finish(OUTPUT_END_WAIT));
                    }
                    r.exit = match (status.code(), status.signal()) {
                        (Some(c), _) => SecondaryExit::Exited(c),
                        (None, Some(s)) => SecondaryExit::Signalled(s),
                        (None, None) => SecondaryExit::Exited(-1),
                    };
                    match r.exit {
                        SecondaryExit::Exited(0) => {}
                        SecondaryExit::Exited(c) => messages
                            .warning(&format!("Secondary {} exited with status {c}", r.name)),
                        SecondaryExit::Signalled(s) => messages
                            .warning(&format!("Secondary {} killed with signal {s}", r.name)),
                        SecondaryExit::NotStarted(_) => {}
                    }
                    r.unmapped_bytes = match &manager {
                        Some(m) => report_release(&m.ended(i), &r.name, r.window, messages),
                        None => clean_window(session, &r.name, r.window, messages),
                    };
                }
                Ok(None) => still.push((i, child, started_at)),
                Err(e) => {
                    messages.warning(&format!(
                        "waitpid for secondary {} failed : {e}",
                        reports[i].name
                    ));
                    reports[i].exit = SecondaryExit::NotStarted(e.to_string());
                }
            }
        }
        running = still;
        if !running.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    if let Some(m) = manager {
        m.stop();
    }
    signals::restore_default_handlers();
    messages.progress(&summary_line(&reports));
    Ok(reports)
}

/// How long, after a secondary ended, its captured output may take to reach end of file
/// (a process it left running may hold the pipes open).
const OUTPUT_END_WAIT: Duration = Duration::from_secs(2);

fn errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}
