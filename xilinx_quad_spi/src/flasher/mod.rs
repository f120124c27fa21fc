//! The `quad_spi_flasher` tool logic: identify the configuration flash of each FPGA
//! design and report the bitstream stored in it (the original behaviour), or dump,
//! program, verify or erase it. Output goes to the writers the binary gives.
//!
//! Every flash operation holds the device's flash lock (vfio_access::peripheral_lock,
//! waiting with a message on the diagnostics writer), so two processes never drive one
//! flash at once; a simulated flash is reloaded after the lock is taken and its storage
//! checked before it is released.
//!
//! Programming parses the image first and refuses an image for a different FPGA, whose
//! `.bit` header names another part than its IDCODE (unless `--force`), or that does not
//! fit, before anything is erased; it then erases only the sectors that differ (keeping
//! bytes outside the image in a recovery file, [`recovery`]), programs only the pages that
//! differ, and verifies by reading back. Ctrl-C stops program and erase at the next page or
//! sector. `--program` and `--erase` need a confirmation (`--yes`, or a terminal).

mod actions;
mod error;
pub mod recovery;
mod report;

use std::io::Write;
use std::path::PathBuf;

use identify_design::{IdentifiedDesign, OpenedDesigns};
use vfio_access::peripheral_lock::{self, lock_peripheral, LockPolicy, PeripheralLock};
use vfio_access::Device;

use crate::flash::SpiFlash;
use crate::programming::FlashProgress;

pub use error::FlasherError;

/// What the tool was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashAction {
    /// Identification and the bitstream report for every design with a flash.
    Report,
    Dump(PathBuf),
    Program(PathBuf),
    Verify(PathBuf),
    Erase,
}

impl FlashAction {
    fn is_destructive(&self) -> bool {
        matches!(self, FlashAction::Program(_) | FlashAction::Erase)
    }
}

/// The request: an action and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashRequest {
    pub action: FlashAction,
    /// Flash address (default 0).
    pub offset: Option<u64>,
    /// Bytes for dump / erase (default: to the end of the flash).
    pub length: Option<u64>,
    /// Program an image that does not parse or is for another FPGA.
    pub force: bool,
}

/// How a destructive action gets its go-ahead.
pub enum Confirmation<'a> {
    /// `--yes`.
    Given,
    /// Ask (a terminal): the callback shows the question and says whether it was confirmed.
    Ask(&'a mut dyn FnMut(&str) -> bool),
    /// No `--yes` and nobody to ask (stdin is not a terminal): refuse.
    Unavailable,
}

/// Where the tool's output goes.
pub struct FlasherOutput<'a> {
    /// The report and result lines (stdout).
    pub out: &'a mut dyn Write,
    /// Waiting for a lock, notes about recovery files (stderr).
    pub diagnostics: &'a mut dyn Write,
    /// Progress of long operations.
    pub progress: &'a mut dyn FlashProgress,
}

/// Runs the request on the opened designs.
pub fn run_flasher(
    opened: &OpenedDesigns,
    request: &FlashRequest,
    confirmation: Confirmation<'_>,
    output: &mut FlasherOutput<'_>,
) -> Result<(), FlasherError> {
    if request.action == FlashAction::Report {
        // A report of nothing is still a report (README "Exit status"): say so, exit 0.
        if opened.designs.iter().all(|d| d.quad_spi.is_none()) {
            let hint = opened
                .devices
                .nothing_found_hint("FPGA design with a Quad SPI flash");
            writeln!(output.diagnostics, "{hint}")?;
            return Ok(());
        }
        return report::report_all(opened, output);
    }
    let (design, device) = single_design(opened)?;
    if request.action.is_destructive() {
        confirm(request, design, confirmation)?;
    }
    actions::run_action(design, device, request, output)
}

/// The one design an action applies to.
fn single_design(opened: &OpenedDesigns) -> Result<(&IdentifiedDesign, &Device), FlasherError> {
    let with_flash: Vec<_> = opened
        .iter()
        .filter(|(d, _)| d.quad_spi.is_some())
        .collect();
    match with_flash.as_slice() {
        [one] => Ok(*one),
        [] => Err(FlasherError::NoFlash(
            opened
                .devices
                .nothing_found_hint("FPGA design with a Quad SPI flash"),
        )),
        many => Err(FlasherError::SeveralFlashes(
            many.iter()
                .map(|(d, _)| format!("{} at {}", d.name(), d.location))
                .collect(),
        )),
    }
}

/// The question for a destructive action, asked before anything is opened.
fn confirm(
    request: &FlashRequest,
    design: &IdentifiedDesign,
    confirmation: Confirmation<'_>,
) -> Result<(), FlasherError> {
    let offset = request.offset.unwrap_or(0);
    let what = match (&request.action, request.length) {
        (FlashAction::Program(path), _) => {
            format!("Program {} at flash address 0x{offset:x}", path.display())
        }
        (_, Some(length)) => format!("Erase {length} bytes at flash address 0x{offset:x}"),
        (_, None) if offset == 0 => "Erase the whole flash".to_string(),
        (_, None) => format!("Erase the flash from address 0x{offset:x} to its end"),
    };
    let question = format!(
        "{what} of {} at {}? Type 'yes' to continue (or pass --yes): ",
        design.name(),
        design.location
    );
    let (verb, done) = match request.action {
        FlashAction::Program(_) => ("program", "programmed"),
        _ => ("erase", "erased"),
    };
    match confirmation {
        Confirmation::Given => Ok(()),
        Confirmation::Ask(ask) => match ask(&question) {
            true => Ok(()),
            false => Err(FlasherError::NotConfirmed { done }),
        },
        Confirmation::Unavailable => Err(FlasherError::ConfirmationUnavailable { verb }),
    }
}

/// Takes the flash lock of `device`, telling `diagnostics` whom it waits for.
fn lock_flash(
    device: &Device,
    diagnostics: &mut dyn Write,
) -> Result<PeripheralLock, FlasherError> {
    let description = device.description();
    let mut waiting = |holder: Option<u32>| {
        let holder = match holder {
            Some(pid) => format!("PID {pid}"),
            None => "another process".to_string(),
        };
        let _ = writeln!(
            diagnostics,
            "waiting for the flash of {description} held by {holder}"
        );
        let _ = diagnostics.flush();
    };
    Ok(lock_peripheral(
        device,
        peripheral_lock::FLASH,
        LockPolicy::Wait(&mut waiting),
    )?)
}

/// Initialises the controller and identifies the flash; the original's diagnostic lines
/// and, on failure, its error line go to `out`.
fn open_flash(
    design: &IdentifiedDesign,
    device: &Device,
    out: &mut dyn Write,
) -> Result<SpiFlash, FlasherError> {
    let frame = design.quad_spi.ok_or(FlasherError::NoQuadSpi)?;
    let mmio = frame.mmio(device).ok_or(FlasherError::FrameOutsideBar {
        bar: frame.bar,
        offset: frame.offset,
    })?;
    let mut log = |line: String| {
        let _ = writeln!(out, "{line}");
    };
    match SpiFlash::open(mmio, &mut log) {
        Ok(f) => Ok(f),
        Err(e) => {
            writeln!(out, "{e}")?;
            Err(FlasherError::ControllerInit)
        }
    }
}

/// Releases the lock; a simulated storage failure takes precedence over the operation's
/// own result (it is the cause of any failure the simulated flash reported).
fn finish_locked<T>(
    lock: PeripheralLock,
    result: Result<T, FlasherError>,
) -> Result<T, FlasherError> {
    match lock.release() {
        Err(e) => Err(e.into()),
        Ok(()) => result,
    }
}
