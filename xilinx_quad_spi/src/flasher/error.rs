//! Why a `quad_spi_flasher` run failed: one line each (the binary prints the cause chain).

use std::path::PathBuf;

use vfio_access::peripheral_lock::PeripheralLockError;

use crate::bitstream::LoadError;
use crate::output_file::OutputFileError;
use crate::programming::ImageError;

#[derive(Debug, thiserror::Error)]
pub enum FlasherError {
    /// The hint says how to bind a board or choose simulated ones.
    #[error("{0}")]
    NoFlash(String),
    #[error("{} designs with a Quad SPI flash are open ({}); select one with -d <location>", .0.len(), .0.join(", "))]
    SeveralFlashes(Vec<String>),
    #[error("design has no Quad SPI block")]
    NoQuadSpi,
    #[error("Quad SPI frame at BAR {bar} offset 0x{offset:x} is outside the device's BAR")]
    FrameOutsideBar { bar: u8, offset: u64 },
    /// The controller's own message was written to the output first.
    #[error("Failed to initialise Quad SPI controller")]
    ControllerInit,
    #[error("{0} flash device(s) could not be initialised")]
    ReportFailures(usize),
    #[error(transparent)]
    Lock(#[from] PeripheralLockError),
    #[error("not {done}: the answer was not 'yes'")]
    NotConfirmed { done: &'static str },
    #[error("refusing to {verb} without --yes: stdin is not a terminal to confirm on")]
    ConfirmationUnavailable { verb: &'static str },
    #[error("cannot load {}", .path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: LoadError,
    },
    /// Refused before anything was erased; the text says why and how to override.
    #[error("{0}")]
    ImageRefused(String),
    #[error("offset 0x{offset:x} is beyond the {size}-byte flash")]
    OffsetBeyondEnd { offset: u64, size: u64 },
    #[error("range 0x{offset:x}+0x{length:x} is not within the {size}-byte flash")]
    BadRange { offset: u64, length: u64, size: u64 },
    #[error("programming {} failed{}", .path.display(), kept_until_next_run(.kept))]
    Program {
        path: PathBuf,
        /// Where bytes outside the image are kept, if any sector needed it.
        kept: Option<PathBuf>,
        #[source]
        source: ImageError,
    },
    #[error("verifying {} failed", .path.display())]
    Verify {
        path: PathBuf,
        #[source]
        source: ImageError,
    },
    #[error("verify of {} failed: {mismatches} of {compared} bytes differ, first at flash address 0x{first:x} (flash 0x{found:02x}, file 0x{expected:02x})", .path.display())]
    VerifyMismatch {
        path: PathBuf,
        mismatches: u64,
        compared: u64,
        first: u64,
        found: u8,
        expected: u8,
    },
    #[error("reading flash")]
    Read(#[source] ImageError),
    #[error(transparent)]
    Output(#[from] OutputFileError),
    #[error("erase failed")]
    Erase(#[source] ImageError),
    /// Ctrl-C (SIGINT/SIGTERM) stopped program or erase at a page or sector boundary.
    #[error("{action} {detail}; the flash is left incomplete: run the same command again to finish{}", kept_note(.kept))]
    Interrupted {
        action: &'static str,
        /// "interrupted during program after 12 of 400 pages"
        detail: String,
        /// Where bytes outside the image are kept, if any sector needed it.
        kept: Option<PathBuf>,
    },
    #[error("restoring the sector at 0x{start:x} from {} failed", .path.display())]
    Restore {
        start: u64,
        path: PathBuf,
        #[source]
        source: ImageError,
    },
    #[error("recovery file {}: {reason}", .path.display())]
    RecoveryFile { path: PathBuf, reason: String },
    #[error("writing output failed")]
    Write(#[from] std::io::Error),
}

fn kept_note(kept: &Option<PathBuf>) -> String {
    match kept {
        Some(dir) => format!(
            " (bytes outside the image are kept in {} and put back first)",
            dir.display()
        ),
        None => String::new(),
    }
}

fn kept_until_next_run(kept: &Option<PathBuf>) -> String {
    match kept {
        Some(dir) => format!(
            " (bytes outside the image are kept in {} and put back by the next --program or --erase)",
            dir.display()
        ),
        None => String::new(),
    }
}
