//! What `test_primary` needs beyond `vfio_access::multiprocess`: which devices the primary
//! opens (the FPGA design filters plus `--pci-id` devices), the simulated boards under
//! `--sim`, and turning the command line's secondaries into executables.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use fpga_sim::board::{build_boards, BoardListError, BoardOptions, PlacedBoard};
use vfio_access::multiprocess::{resolve_executable, split_secondaries, Secondary};
use vfio_access::sim::SimBoard;
use vfio_access::{edu, DmaCapability, IdMatch, IdentityFilter, PciIdentity, SimSelection};

/// The identity filters of the FPGA designs, in matching order (the design table).
pub fn design_filters() -> Vec<IdentityFilter> {
    identify_design::designs::design_filters()
}

/// Simulated boards of the FPGA designs for a `--sim` choice. Items of a board list that
/// name `edu` devices are left to [`sim_boards`].
pub fn design_sim_boards(selection: &SimSelection) -> Result<Vec<SimBoard>, BoardListError> {
    let list = match selection {
        SimSelection::Default => None,
        SimSelection::Boards(list) => {
            let designs: Vec<&str> = list
                .split(',')
                .filter(|item| !item.trim().to_ascii_lowercase().starts_with("edu"))
                .collect();
            if designs.is_empty() {
                return Ok(Vec::new());
            }
            Some(designs.join(","))
        }
    };
    Ok(build_boards(list.as_deref(), &BoardOptions::from_env())?
        .iter()
        .map(PlacedBoard::sim_board)
        .collect())
}

/// Known DMA address widths of non-FPGA devices opened with `--pci-id`.
fn known_dma_capability(vendor: u16, device: u16) -> DmaCapability {
    match (vendor, device) {
        (edu::VENDOR_ID, edu::DEVICE_ID) => edu::DMA_CAPABILITY,
        // Unknown devices: assume 32-bit DMA, so that windows stay reachable.
        _ => DmaCapability::A32,
    }
}

/// Parses `--pci-id <vendor>:<device>[:<subvendor>:<subdevice>]` (hex).
pub fn parse_pci_id(text: &str) -> Result<IdentityFilter, String> {
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
    let mut f = IdentityFilter::vendor_device(v, d, known_dma_capability(v, d));
    if let Some((sv, sd)) = sub {
        f.subsystem_vendor_id = IdMatch::Value(sv);
        f.subsystem_device_id = IdMatch::Value(sd);
    }
    Ok(f)
}

/// Simulated boards for the `--pci-id` filters (edu boards when a filter matches edu) and
/// the FPGA designs.
pub fn sim_boards(
    selection: &SimSelection,
    pci_ids: &[IdentityFilter],
) -> Result<Vec<SimBoard>, BoardListError> {
    let edu_identity = PciIdentity {
        vendor_id: edu::VENDOR_ID,
        device_id: edu::DEVICE_ID,
        subsystem_vendor_id: 0x1af4,
        subsystem_device_id: 0x1100,
    };
    let mut boards = design_sim_boards(selection)?;
    if pci_ids.iter().any(|f| f.matches(&edu_identity)) {
        boards.extend(edu::sim_boards(selection));
    }
    Ok(boards)
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
