//! The primary as the `test_primary` tool runs it: which devices it opens (the catalog's
//! filters plus `--pci-id` devices), real or simulated, resolving the secondaries' command
//! lines into executables, running them ([`run`](super::run)) and the verdict.
//!
//! What this crate cannot know (the FPGA design filters, the simulated boards of
//! `fpga_sim`, the DMA widths of known non-FPGA devices) comes from a [`DeviceCatalog`] the
//! binary passes in, so that `vfio_access` depends on neither `identify_design` nor
//! `fpga_sim`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::error::VfioError;
use crate::filter::{DmaCapability, IdMatch, IdentityFilter};
use crate::session::{OpenOptions, Session};
use crate::sim::{SimBoard, SimSelection};

use super::launch::{resolve_executable, split_secondaries};
use super::primary::{run, PrimaryOptions, Secondary, SecondaryReport, WindowMode};

/// The devices a launcher knows beyond what the command line names.
pub trait DeviceCatalog {
    /// The identity filters the primary always opens with (e.g. the FPGA designs), in
    /// matching order.
    fn filters(&self) -> Vec<IdentityFilter>;

    /// The DMA address width of a device given with `--pci-id`, when known (unknown
    /// devices are assumed to do 32-bit DMA, so that windows stay reachable).
    fn dma_capability(&self, vendor_id: u16, device_id: u16) -> Option<DmaCapability>;

    /// The simulated boards for a `--sim` choice, including boards matching the
    /// `--pci-id` filters `extra` when the catalog can simulate them.
    fn sim_boards(
        &self,
        selection: &SimSelection,
        extra: &[IdentityFilter],
    ) -> Result<Vec<SimBoard>, Box<dyn std::error::Error + Send + Sync>>;
}

/// Why a launch failed before or after running the secondaries.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The secondaries' command line is empty, malformed or names a missing executable.
    #[error("{0}")]
    Secondaries(String),
    /// The catalog refused the `--sim` choice.
    #[error("{0}")]
    SimBoards(Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Vfio(#[from] VfioError),
    /// Every secondary ran; some did not succeed (the reports say which).
    #[error("{failed} of {} secondary processes failed", reports.len())]
    SecondariesFailed {
        failed: usize,
        reports: Vec<SecondaryReport>,
    },
}

/// Parses `--pci-id <vendor>:<device>[:<subvendor>:<subdevice>]` (hex, optional `0x`),
/// with the DMA width `catalog` knows for the device (32-bit when unknown).
pub fn parse_pci_id(text: &str, catalog: &dyn DeviceCatalog) -> Result<IdentityFilter, String> {
    let bad = || {
        format!(
            "invalid PCI id '{text}': expected <vendor>:<device>[:<subvendor>:<subdevice>] in hex"
        )
    };
    let fields: Vec<u16> = text
        .split(':')
        .map(|f| {
            let f = f.trim_start_matches("0x");
            if f.is_empty() || f.len() > 4 {
                return Err(bad());
            }
            u16::from_str_radix(f, 16).map_err(|_| bad())
        })
        .collect::<Result<_, _>>()?;
    let (v, d, sub) = match fields.as_slice() {
        [v, d] => (*v, *d, None),
        [v, d, sv, sd] => (*v, *d, Some((*sv, *sd))),
        _ => return Err(bad()),
    };
    let dma = catalog.dma_capability(v, d).unwrap_or(DmaCapability::A32);
    let mut f = IdentityFilter::vendor_device(v, d, dma);
    if let Some((sv, sd)) = sub {
        f.subsystem_vendor_id = IdMatch::Value(sv);
        f.subsystem_device_id = IdMatch::Value(sd);
    }
    Ok(f)
}

/// Splits the secondaries' command lines and finds each executable (next to `beside`
/// first, then on `path_var`).
pub fn resolve_secondaries<S: AsRef<OsStr>>(
    command: &[S],
    beside: Option<&Path>,
    path_var: Option<&OsStr>,
) -> Result<Vec<Secondary>, String> {
    split_secondaries(command)?
        .into_iter()
        .map(|c| {
            let path: PathBuf =
                resolve_executable(&c.program, beside, path_var).ok_or_else(|| {
                    format!(
                        "secondary executable {} not found{} or on PATH",
                        c.program.to_string_lossy(),
                        beside
                            .map(|d| format!(" next to test_primary ({})", d.display()))
                            .unwrap_or_default()
                    )
                })?;
            Ok(Secondary {
                name: c.program,
                path,
                args: c.args,
            })
        })
        .collect()
}

/// One `test_primary` run as the command line asked for it.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// How to open the devices (and where opening and the run report: `open.messages`).
    pub open: OpenOptions,
    /// Simulated boards instead of hardware, passed on to the secondaries.
    pub simulation: Option<SimSelection>,
    /// Devices to open besides the catalog's (`--pci-id`).
    pub pci_ids: Vec<IdentityFilter>,
    pub windows: WindowMode,
    /// Print the fd display before launching (`--show-fds`).
    pub show_fds: bool,
    /// `<exe> [args...] [-- <exe> [args...]]...`
    pub command: Vec<OsString>,
    /// Where secondaries are looked up first (the launcher's own directory).
    pub beside: Option<PathBuf>,
    /// The `PATH` to look them up on next.
    pub path_var: Option<OsString>,
    /// Capture each secondary's output for its report (`--junit`).
    pub capture_output: bool,
}

/// Resolves the secondaries, opens the devices (the catalog's filters and `pci_ids`; the
/// catalog's simulated boards under simulation), runs every secondary and returns their
/// reports when all succeeded.
pub fn launch(
    request: &Launch,
    catalog: &dyn DeviceCatalog,
) -> Result<Vec<SecondaryReport>, LaunchError> {
    let secondaries = resolve_secondaries(
        &request.command,
        request.beside.as_deref(),
        request.path_var.as_deref(),
    )
    .map_err(LaunchError::Secondaries)?;
    let mut filters = catalog.filters();
    filters.extend(request.pci_ids.iter().copied());
    // Found without connecting: a connection of the primary's own would count as a client
    // and end a `--once` manager before the secondaries connect.
    let external_manager = request
        .simulation
        .is_none()
        .then(|| crate::manager::startup::listener_holder(&crate::manager::socket_name()))
        .flatten();
    let session = match &request.simulation {
        None if external_manager.is_some() => Session::from_parts(Vec::new(), Vec::new()),
        Some(selection) => Session::open_sim(
            catalog
                .sim_boards(selection, &request.pci_ids)
                .map_err(LaunchError::SimBoards)?,
            &request.open,
            &filters,
        )?,
        None => Session::open(&request.open, &filters)?,
    };
    let reports = run(
        &session,
        &secondaries,
        &PrimaryOptions {
            windows: request.windows,
            show_fds: request.show_fds,
            simulation: request.simulation.clone(),
            messages: request.open.messages.clone(),
            external_manager,
            capture_output: request.capture_output,
        },
    )?;
    let failed = reports.iter().filter(|r| !r.succeeded()).count();
    if failed > 0 {
        return Err(LaunchError::SecondariesFailed { failed, reports });
    }
    Ok(reports)
}
