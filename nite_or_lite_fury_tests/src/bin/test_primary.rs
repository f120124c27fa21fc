//! `test_primary [options] <exe> [args...] [-- <exe> [args...]]...`: opens the devices
//! once as the primary process and runs the secondaries against them (see
//! `vfio_access::multiprocess`): disjoint IOVA windows, BARs mapped before any secondary
//! starts, handed-over fds, Ctrl-C forwarding, per-secondary exit reporting.

use std::ffi::OsString;

use anyhow::{bail, Result};
use clap::Parser;
use nite_or_lite_fury_tests::launcher;
use vfio_access::multiprocess::{self, parse_size, PrimaryOptions, WindowMode};
use vfio_access::{cli, DeviceArgs, IdentityFilter, Session};

/// Run several test programs (secondaries) on the same VFIO devices: this primary opens
/// the devices once and hands each secondary the container, group and device fds and its
/// own IOVA window.
///
/// Secondaries are separated by `--`. An executable with a `/` is a path; a bare name (or
/// the `crate/tool` form) is looked up next to test_primary, then on PATH.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,

    /// Also open devices that are not FPGA designs: <vendor>:<device>[:<subvendor>:<subdevice>]
    /// in hex (e.g. 1234:11e8 for QEMU's edu). May be repeated.
    #[arg(long = "pci-id", value_name = "ID", value_parser = launcher::parse_pci_id)]
    pci_ids: Vec<IdentityFilter>,

    /// Size of each secondary's IOVA window (e.g. 64M, 1G, 0x100000). Default: equal shares
    /// of the IOVA space below the smallest device address limit.
    #[arg(long = "iova-window", value_name = "SIZE", value_parser = parse_size)]
    iova_window: Option<u64>,

    /// Debug: give the secondaries no IOVA windows, so they collide as in the original
    /// design (negative control).
    #[arg(long = "no-iova-windows", conflicts_with = "iova_window")]
    no_iova_windows: bool,

    /// Print the container/group/device fds and this process's open fds before launching.
    #[arg(long = "show-fds")]
    show_fds: bool,

    /// Secondary processes: <exe> [args...] [-- <exe> [args...]]...
    #[arg(
        value_name = "SECONDARY",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<OsString>,
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| run(args))
}

fn run(args: Args) -> Result<()> {
    let exe = std::env::current_exe().ok();
    let beside = exe.as_deref().and_then(|p| p.parent());
    let secondaries =
        launcher::resolve_secondaries(&args.command, beside, std::env::var_os("PATH").as_deref())
            .map_err(anyhow::Error::msg)?;
    let mut filters = launcher::design_filters();
    filters.extend(args.pci_ids.iter().copied());
    let options = args.devices.open_options();
    let simulation = args.devices.simulation();
    let session = match &simulation {
        Some(sel) => Session::open_sim(
            launcher::sim_boards(sel, &args.pci_ids)?,
            &options,
            &filters,
        )?,
        None => Session::open(&options, &filters)?,
    };
    let windows = if args.no_iova_windows {
        WindowMode::Disabled
    } else if let Some(size) = args.iova_window {
        WindowMode::Size(size)
    } else {
        WindowMode::EqualShares
    };
    let reports = multiprocess::run(
        &session,
        &secondaries,
        &PrimaryOptions {
            windows,
            show_fds: args.show_fds,
            simulation,
        },
    )?;
    let failed = reports.iter().filter(|r| !r.succeeded()).count();
    if failed > 0 {
        bail!("{failed} of {} secondary processes failed", reports.len());
    }
    Ok(())
}
