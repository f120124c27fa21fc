//! `test_primary [options] <exe> [args...] [-- <exe> [args...]]...`: opens the devices
//! once as the primary process and runs the secondaries against them (the logic is
//! `vfio_access::multiprocess::launch`): disjoint IOVA windows, BARs mapped before any
//! secondary starts, handed-over fds, Ctrl-C forwarding, per-secondary exit reporting.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use command_line::integer::parse_size;
use command_line::output_file::write_output_file;
use command_line::{cli, DeviceArgs};
use nite_or_lite_fury_tests::junit_report::{launch_failure_report, secondaries_report};
use nite_or_lite_fury_tests::launcher::FuryCatalog;
use vfio_access::multiprocess::{self, Launch, LaunchError, SecondaryReport, WindowMode};
use vfio_access::IdentityFilter;

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
    #[arg(long = "pci-id", value_name = "ID", value_parser = parse_pci_id)]
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

    /// Write a JUnit XML report to this file: one test case per secondary with its command
    /// line, duration, exit status or signal and captured output (which is still printed).
    #[arg(long = "junit", value_name = "FILE")]
    junit: Option<PathBuf>,

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

fn parse_pci_id(text: &str) -> Result<IdentityFilter, String> {
    multiprocess::parse_pci_id(text, &FuryCatalog)
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let exe = std::env::current_exe().ok();
        let windows = if args.no_iova_windows {
            WindowMode::Disabled
        } else if let Some(size) = args.iova_window {
            WindowMode::Size(size)
        } else {
            WindowMode::EqualShares
        };
        let request = Launch {
            open: args.devices.open_options(),
            simulation: args.devices.simulation(),
            pci_ids: args.pci_ids,
            windows,
            show_fds: args.show_fds,
            command: args.command,
            beside: exe.as_deref().and_then(|p| p.parent()).map(Into::into),
            path_var: std::env::var_os("PATH"),
            capture_output: args.junit.is_some(),
        };
        let started = Instant::now();
        let launched = multiprocess::launch(&request, &FuryCatalog);
        if let Some(path) = &args.junit {
            write_junit(path, &launched, started)?;
        }
        launched?;
        Ok(())
    })
}

/// Writes the JUnit report of the run, whatever its outcome (a run that could not start
/// its secondaries is one failed case).
fn write_junit(
    path: &std::path::Path,
    launched: &Result<Vec<SecondaryReport>, LaunchError>,
    started: Instant,
) -> anyhow::Result<()> {
    let elapsed = started.elapsed();
    let report = match launched {
        Ok(reports) | Err(LaunchError::SecondariesFailed { reports, .. }) => {
            secondaries_report(reports, elapsed)
        }
        Err(e) => launch_failure_report(&e.to_string(), elapsed),
    };
    let xml = report
        .to_string()
        .map_err(|e| anyhow::anyhow!("JUnit report {}: {e}", path.display()))?;
    write_output_file(path, xml.as_bytes(), &[])?;
    Ok(())
}
