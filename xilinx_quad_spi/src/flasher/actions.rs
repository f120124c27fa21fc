//! Dump, program, verify and erase of the one selected design's flash, under its lock.

use std::io::Write;
use std::path::Path;

use identify_design::IdentifiedDesign;
use vfio_access::{signals, Device};

use super::recovery::RecoveryStore;
use super::{
    finish_locked, lock_flash, open_flash, FlashAction, FlashRequest, FlasherError, FlasherOutput,
};
use crate::bitstream::{device_name, idcode_for_part, LoadedBitstream};
use crate::flash::SpiFlash;
use crate::output_file::{check_not_an_input, write_output_file};
use crate::programming::{
    erase_range, program_image_with_backup, read_range, rewrite_sector, verify_image,
    FlashProgress, ImageError,
};

/// Runs a dump, program, verify or erase.
pub(super) fn run_action(
    design: &IdentifiedDesign,
    device: &Device,
    request: &FlashRequest,
    output: &mut FlasherOutput<'_>,
) -> Result<(), FlasherError> {
    // The image is loaded and checked before the flash is touched.
    let image = match &request.action {
        FlashAction::Program(path) => Some(load_for_program(path, design, request, output.out)?),
        FlashAction::Verify(path) => Some(load(path)?),
        _ => None,
    };
    if let FlashAction::Dump(path) = &request.action {
        // Fail before reading the whole flash.
        check_not_an_input(path, &[])?;
    }
    let store = RecoveryStore::for_device(device);
    let lock = lock_flash(device, output.diagnostics)?;
    let result = (|| {
        let mut flash = open_flash(design, device, output.out)?;
        writeln!(
            output.out,
            "{} at {}: {} ({} bytes)",
            design.name(),
            design.location,
            flash.info().name(),
            flash.info().size_bytes
        )?;
        let destructive = request.action.is_destructive();
        if destructive {
            // From here Ctrl-C stops at the next page or sector (before: it just exits).
            signals::interrupt_flag();
            restore_kept_sectors(&mut flash, &store, output.out)?;
        } else {
            note_kept_sectors(&store, output.diagnostics)?;
        }
        let mut progress = StopOnSignal {
            inner: &mut *output.progress,
        };
        match (&request.action, &image) {
            (FlashAction::Program(path), Some(file)) => program(
                path,
                file,
                request,
                &mut flash,
                &store,
                &mut progress,
                output.out,
            ),
            (FlashAction::Verify(path), Some(file)) => {
                verify(path, file, request, &mut flash, &mut progress)
            }
            (FlashAction::Dump(path), _) => dump(path, request, &mut flash, &mut progress),
            _ => erase(request, &mut flash, &mut progress),
        }
    })();
    let line = finish_locked(lock, result)?;
    writeln!(output.out, "{line}")?;
    Ok(())
}

/// Progress that also stops on SIGINT/SIGTERM.
struct StopOnSignal<'a> {
    inner: &'a mut dyn FlashProgress,
}

impl FlashProgress for StopOnSignal<'_> {
    fn start(&mut self, phase: &str, total: u64) {
        self.inner.start(phase, total)
    }
    fn advance(&mut self, n: u64) {
        self.inner.advance(n)
    }
    fn finish(&mut self) {
        self.inner.finish()
    }
    fn stop_requested(&mut self) -> bool {
        self.inner.stop_requested() || signals::interrupted()
    }
}

fn load(path: &Path) -> Result<LoadedBitstream, FlasherError> {
    LoadedBitstream::load_file(path).map_err(|source| FlasherError::Load {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads an image to program and refuses, before anything is opened, one that does not
/// parse, whose `.bit` header names another part than its IDCODE, or that is for another
/// FPGA than the design's (each overridable with `--force`, with a warning).
fn load_for_program(
    path: &Path,
    design: &IdentifiedDesign,
    request: &FlashRequest,
    out: &mut dyn Write,
) -> Result<LoadedBitstream, FlasherError> {
    let file = load(path)?;
    let parsed = file.parse();
    let name = path.display();
    let mut refuse_or_warn = |msg: String| -> Result<(), FlasherError> {
        if !request.force {
            return Err(FlasherError::ImageRefused(format!(
                "{msg}; nothing was erased (use --force to program it anyway)"
            )));
        }
        writeln!(out, "Warning: {msg}; programming it because of --force")?;
        Ok(())
    };
    if !parsed.is_valid() {
        let why = parsed
            .error()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "no end of configuration (DESYNC) found".into());
        refuse_or_warn(format!("{name} is not a valid bitstream ({why})"))?;
    }
    if let (Some(header), Some(found)) = (file.bit_header(), parsed.idcode()) {
        match idcode_for_part(&header.part_name) {
            Some(named) if named != found => refuse_or_warn(format!(
                "{name}: its .bit header names part {} (IDCODE 0x{named:08X}) but its configuration data is for {} (IDCODE 0x{found:08X})",
                header.part_name,
                device_name(found).unwrap_or("an unknown device")
            ))?,
            _ => {}
        }
    }
    let part = design.design.info().fpga_part;
    match (parsed.idcode(), idcode_for_part(part)) {
        (Some(found), Some(want)) if found != want => refuse_or_warn(format!(
            "{name} is for {} (IDCODE 0x{found:08X}) but {} has a {part} (IDCODE 0x{want:08X})",
            device_name(found).unwrap_or("an unknown device"),
            design.name()
        ))?,
        (None, _) if !request.force => {
            return Err(FlasherError::ImageRefused(format!(
                "{name} has no IDCODE write, so it cannot be checked against {}; nothing was erased (use --force to program it anyway)",
                design.name()
            )));
        }
        _ => {}
    }
    drop(parsed);
    Ok(file)
}

/// Puts back every sector an interrupted run kept, before anything else is written.
fn restore_kept_sectors(
    flash: &mut SpiFlash,
    store: &RecoveryStore,
    out: &mut dyn Write,
) -> Result<(), FlasherError> {
    let pending = store.pending().map_err(|e| FlasherError::RecoveryFile {
        path: store.dir().to_path_buf(),
        reason: format!("cannot list: {e}"),
    })?;
    for kept in pending {
        let contents = std::fs::read(&kept.path).map_err(|e| FlasherError::RecoveryFile {
            path: kept.path.clone(),
            reason: e.to_string(),
        })?;
        rewrite_sector(flash, kept.start, &contents).map_err(|source| FlasherError::Restore {
            start: kept.start,
            path: kept.path.clone(),
            source,
        })?;
        std::fs::remove_file(&kept.path).map_err(|e| FlasherError::RecoveryFile {
            path: kept.path.clone(),
            reason: format!("restored, but cannot remove it: {e}"),
        })?;
        writeln!(
            out,
            "Restored the sector at flash address 0x{:x} ({} bytes) kept by an interrupted run in {}",
            kept.start,
            contents.len(),
            kept.path.display()
        )?;
    }
    Ok(())
}

/// Read-only actions leave kept sectors alone, but say they exist.
fn note_kept_sectors(
    store: &RecoveryStore,
    diagnostics: &mut dyn Write,
) -> Result<(), FlasherError> {
    for kept in store.pending().unwrap_or_default() {
        writeln!(
            diagnostics,
            "note: {} holds the sector at flash address 0x{:x} as it was before an interrupted run; the next --program or --erase puts it back",
            kept.path.display(),
            kept.start
        )?;
    }
    Ok(())
}

/// The recovery directory, if it holds sectors of this device.
fn kept_dir(store: &RecoveryStore) -> Option<std::path::PathBuf> {
    store
        .pending()
        .is_ok_and(|p| !p.is_empty())
        .then(|| store.dir().to_path_buf())
}

/// The one-line error for an interrupted program or erase.
fn interrupted(
    e: &ImageError,
    action: &'static str,
    store: Option<&RecoveryStore>,
) -> FlasherError {
    FlasherError::Interrupted {
        action,
        detail: e.to_string(),
        kept: store.and_then(kept_dir),
    }
}

fn program(
    path: &Path,
    file: &LoadedBitstream,
    request: &FlashRequest,
    flash: &mut SpiFlash,
    store: &RecoveryStore,
    progress: &mut dyn FlashProgress,
    out: &mut dyn Write,
) -> Result<String, FlasherError> {
    let image = file.payload();
    let offset = request.offset.unwrap_or(0);
    let size = flash.info().size_bytes;
    let name = path.display();
    if offset
        .checked_add(image.len() as u64)
        .is_none_or(|e| e > size)
    {
        return Err(FlasherError::ImageRefused(format!(
            "{name}: {} bytes at 0x{offset:x} do not fit in the {size}-byte flash; nothing was erased",
            image.len()
        )));
    }
    writeln!(
        out,
        "Programming {} bytes from {name} at flash address 0x{offset:x}",
        image.len()
    )?;
    out.flush()?;
    let mut backup = store.clone();
    let summary = program_image_with_backup(flash, offset, image, progress, &mut backup).map_err(
        |e| match e {
            ImageError::Interrupted { .. } => interrupted(&e, "--program", Some(store)),
            source => FlasherError::Program {
                path: path.to_path_buf(),
                kept: kept_dir(store),
                source,
            },
        },
    )?;
    Ok(format!(
        "Sectors erased: {}  Pages written: {}  Bytes verified: {}",
        summary.sectors_erased, summary.pages_written, summary.bytes_verified
    ))
}

fn verify(
    path: &Path,
    file: &LoadedBitstream,
    request: &FlashRequest,
    flash: &mut SpiFlash,
    progress: &mut dyn FlashProgress,
) -> Result<String, FlasherError> {
    let image = file.payload();
    let offset = request.offset.unwrap_or(0);
    let s =
        verify_image(flash, offset, image, progress).map_err(|source| FlasherError::Verify {
            path: path.to_path_buf(),
            source,
        })?;
    match s.first_mismatch {
        None => Ok(format!(
            "Verified {} bytes of {} at flash address 0x{offset:x}: identical",
            s.bytes_compared,
            path.display()
        )),
        Some((first, found, expected)) => Err(FlasherError::VerifyMismatch {
            path: path.to_path_buf(),
            mismatches: s.mismatches,
            compared: s.bytes_compared,
            first,
            found,
            expected,
        }),
    }
}

fn range(request: &FlashRequest, flash: &SpiFlash) -> Result<(u64, u64), FlasherError> {
    let size = flash.info().size_bytes;
    let offset = request.offset.unwrap_or(0);
    if offset >= size {
        return Err(FlasherError::OffsetBeyondEnd { offset, size });
    }
    let length = request.length.unwrap_or(size - offset);
    if length == 0 || offset.checked_add(length).is_none_or(|e| e > size) {
        return Err(FlasherError::BadRange {
            offset,
            length,
            size,
        });
    }
    Ok((offset, length))
}

fn dump(
    path: &Path,
    request: &FlashRequest,
    flash: &mut SpiFlash,
    progress: &mut dyn FlashProgress,
) -> Result<String, FlasherError> {
    let (offset, length) = range(request, flash)?;
    let data = read_range(flash, offset, length, progress).map_err(FlasherError::Read)?;
    write_output_file(path, &data, &[])?;
    Ok(format!(
        "Wrote {length} bytes from flash address 0x{offset:x} to {}",
        path.display()
    ))
}

fn erase(
    request: &FlashRequest,
    flash: &mut SpiFlash,
    progress: &mut dyn FlashProgress,
) -> Result<String, FlasherError> {
    let (offset, length) = range(request, flash)?;
    let s = erase_range(flash, offset, length, progress).map_err(|e| match e {
        ImageError::Interrupted { .. } => interrupted(&e, "--erase", None),
        e => FlasherError::Erase(e),
    })?;
    Ok(format!(
        "Sectors erased: {}  Sectors already blank: {}",
        s.sectors_erased, s.sectors_already_blank
    ))
}
