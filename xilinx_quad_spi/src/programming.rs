//! Whole-image operations on an identified flash: read (dump), differential program
//! with read-back verification, compare, and erase, with progress reporting.
//!
//! Programming reads the sectors the image touches, erases only sectors where some bit
//! must go from 0 to 1, programs only pages whose contents differ, and verifies the image
//! by reading it back. Bytes of touched sectors outside the image are preserved: before
//! such a sector is erased its contents go to a [`SectorBackup`] (a recovery file, see
//! `flasher::recovery`), discarded only once the sector is rewritten and verified.
//!
//! Erase and program stop at a sector or page boundary when [`FlashProgress::stop_requested`]
//! says so (Ctrl-C), with [`ImageError::Interrupted`].

use crate::flash::{FlashError, SpiFlash};

/// Bytes per read transaction in whole-image operations (progress granularity).
pub const READ_CHUNK: usize = 256 * 1024;

/// Receives progress of long operations.
pub trait FlashProgress {
    /// A phase starts (`"read"`, `"erase"`, `"program"`, `"verify"`), covering `total`
    /// units (bytes; sectors for erase).
    fn start(&mut self, phase: &str, total: u64);
    /// `n` more units done.
    fn advance(&mut self, n: u64);
    /// The phase is over.
    fn finish(&mut self);
    /// Whether to stop at the next sector or page boundary.
    fn stop_requested(&mut self) -> bool {
        false
    }
}

/// Keeps the contents of sectors that hold bytes outside an image while they are erased
/// and rewritten.
pub trait SectorBackup {
    /// Keeps `contents`, the sector at `start`, durably, before it is erased.
    fn save(&mut self, start: u64, contents: &[u8]) -> std::io::Result<()>;
    /// The sector at `start` was rewritten and verified: its copy is no longer needed.
    fn discard(&mut self, start: u64) -> std::io::Result<()>;
}

/// No backup (in-memory only; for tests and scratch flashes).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSectorBackup;

impl SectorBackup for NoSectorBackup {
    fn save(&mut self, _start: u64, _contents: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn discard(&mut self, _start: u64) -> std::io::Result<()> {
        Ok(())
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFlashProgress;

impl FlashProgress for NoFlashProgress {
    fn start(&mut self, _phase: &str, _total: u64) {}
    fn advance(&mut self, _n: u64) {}
    fn finish(&mut self) {}
}

/// Image operation failures.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Flash(#[from] FlashError),
    #[error("{len} bytes at 0x{address:x} do not fit in the {size}-byte flash")]
    DoesNotFit { address: u64, len: u64, size: u64 },
    #[error("empty image")]
    Empty,
    #[error("range 0x{address:x}+0x{len:x} is not aligned to erase sectors (sector at 0x{sector_start:x} is {sector_size} bytes)")]
    NotSectorAligned {
        address: u64,
        len: u64,
        sector_start: u64,
        sector_size: u64,
    },
    #[error("verify failed: {mismatches} bytes differ, first at 0x{first:x} (flash 0x{found:02x}, image 0x{expected:02x})")]
    VerifyFailed {
        mismatches: u64,
        first: u64,
        found: u8,
        expected: u8,
    },
    #[error("keeping the contents of the sector at 0x{start:x} failed, nothing of it was erased: {source}")]
    Backup {
        start: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("{len} bytes at 0x{start:x} are not one erase sector of this flash")]
    SectorMismatch { start: u64, len: u64 },
    #[error("interrupted during {phase} after {done} of {total} {units}")]
    Interrupted {
        phase: &'static str,
        done: u64,
        total: u64,
        units: &'static str,
    },
}

/// Result of [`program_image`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgramSummary {
    pub sectors_erased: u64,
    pub pages_written: u64,
    pub bytes_verified: u64,
}

/// Result of [`verify_image`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifySummary {
    pub bytes_compared: u64,
    pub mismatches: u64,
    /// First differing address with the flash and image bytes.
    pub first_mismatch: Option<(u64, u8, u8)>,
}

/// Result of [`erase_range`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EraseSummary {
    pub sectors_erased: u64,
    pub sectors_already_blank: u64,
}

fn check_fits(flash: &SpiFlash, address: u64, len: u64) -> Result<(), ImageError> {
    let size = flash.info().size_bytes;
    if address.checked_add(len).is_none_or(|e| e > size) {
        return Err(ImageError::DoesNotFit { address, len, size });
    }
    Ok(())
}

/// Reads `len` bytes from `address` in chunks, reporting progress.
pub fn read_range(
    flash: &mut SpiFlash,
    address: u64,
    len: u64,
    progress: &mut dyn FlashProgress,
) -> Result<Vec<u8>, ImageError> {
    check_fits(flash, address, len)?;
    let mut out = vec![0u8; len as usize];
    progress.start("read", len);
    for (i, chunk) in out.chunks_mut(READ_CHUNK).enumerate() {
        flash.read(address + (i * READ_CHUNK) as u64, chunk)?;
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(out)
}

/// The erase sectors covering [address, address + len): (start, size) in order.
fn sectors_covering(flash: &SpiFlash, address: u64, len: u64) -> Vec<(u64, u64)> {
    let mut sectors = Vec::new();
    let end = address + len;
    let mut at = address;
    while at < end {
        match flash.info().sector_at(at) {
            Some((start, size, _)) => {
                sectors.push((start, size));
                at = start + size;
            }
            None => break,
        }
    }
    sectors
}

/// Programs `image` at `address`: erase only sectors needing it, program only differing
/// pages, then verify by reading back. Refuses an image that does not fit before touching
/// the flash. Bytes outside the image in erased sectors are kept in memory only.
pub fn program_image(
    flash: &mut SpiFlash,
    address: u64,
    image: &[u8],
    progress: &mut dyn FlashProgress,
) -> Result<ProgramSummary, ImageError> {
    program_image_with_backup(flash, address, image, progress, &mut NoSectorBackup)
}

/// [`program_image`], keeping each sector that holds bytes outside the image (other than
/// erased ones) in `backup` before anything is erased, until it is rewritten and verified.
pub fn program_image_with_backup(
    flash: &mut SpiFlash,
    address: u64,
    image: &[u8],
    progress: &mut dyn FlashProgress,
    backup: &mut dyn SectorBackup,
) -> Result<ProgramSummary, ImageError> {
    if image.is_empty() {
        return Err(ImageError::Empty);
    }
    let len = image.len() as u64;
    check_fits(flash, address, len)?;
    let sectors = sectors_covering(flash, address, len);
    let (first, last) = match (sectors.first(), sectors.last()) {
        (Some(f), Some(l)) => (f.0, l.0 + l.1),
        _ => return Err(ImageError::Empty),
    };
    // Current contents of the touched sectors, and what they should become.
    let current = read_range(flash, first, last - first, progress)?;
    let mut desired = current.clone();
    let off = (address - first) as usize;
    desired[off..off + image.len()].copy_from_slice(image);

    let mut summary = ProgramSummary::default();
    let mut erased = vec![false; sectors.len()];
    let to_erase: Vec<usize> = sectors
        .iter()
        .enumerate()
        .filter(|(_, (start, size))| {
            let a = (start - first) as usize;
            let r = a..a + *size as usize;
            current[r.clone()]
                .iter()
                .zip(&desired[r])
                .any(|(c, d)| c & d != *d)
        })
        .map(|(i, _)| i)
        .collect();
    // Sectors whose bytes outside the image would be lost by the erase: kept first.
    let image_range = address..address + len;
    let backed_up: Vec<usize> = to_erase
        .iter()
        .copied()
        .filter(|&i| {
            let (start, size) = sectors[i];
            (start..start + size)
                .filter(|a| !image_range.contains(a))
                .any(|a| current[(a - first) as usize] != 0xFF)
        })
        .collect();
    for &i in &backed_up {
        let (start, size) = sectors[i];
        let a = (start - first) as usize;
        backup
            .save(start, &current[a..a + size as usize])
            .map_err(|source| ImageError::Backup { start, source })?;
    }
    progress.start("erase", to_erase.len() as u64);
    for (done, &i) in to_erase.iter().enumerate() {
        if progress.stop_requested() {
            progress.finish();
            return Err(ImageError::Interrupted {
                phase: "erase",
                done: done as u64,
                total: to_erase.len() as u64,
                units: "sectors",
            });
        }
        flash.erase_sector(sectors[i].0)?;
        erased[i] = true;
        summary.sectors_erased += 1;
        progress.advance(1);
    }
    progress.finish();

    // Pages to program: in erased sectors, every page not all 0xFF; elsewhere pages
    // that differ (which only need 1 -> 0 bits).
    let page = flash.info().page_size as usize;
    let mut pages = Vec::new();
    for (i, &(start, size)) in sectors.iter().enumerate() {
        let a = (start - first) as usize;
        for p in (a..a + size as usize).step_by(page) {
            let want = &desired[p..p + page];
            let needed = if erased[i] {
                want.iter().any(|&b| b != 0xFF)
            } else {
                want != &current[p..p + page]
            };
            if needed {
                pages.push(p);
            }
        }
    }
    progress.start("program", (pages.len() * page) as u64);
    for (done, &p) in pages.iter().enumerate() {
        if progress.stop_requested() {
            progress.finish();
            return Err(ImageError::Interrupted {
                phase: "program",
                done: done as u64,
                total: pages.len() as u64,
                units: "pages",
            });
        }
        flash.program_page(first + p as u64, &desired[p..p + page])?;
        summary.pages_written += 1;
        progress.advance(page as u64);
    }
    progress.finish();

    let check = verify_image(flash, address, image, progress)?;
    if let Some((at, found, expected)) = check.first_mismatch {
        return Err(ImageError::VerifyFailed {
            mismatches: check.mismatches,
            first: at,
            found,
            expected,
        });
    }
    // The kept bytes too, before their copies go.
    for &i in &backed_up {
        let (start, size) = sectors[i];
        let a = (start - first) as usize;
        verify_contents(flash, start, &desired[a..a + size as usize])?;
        backup
            .discard(start)
            .map_err(|source| ImageError::Backup { start, source })?;
    }
    summary.bytes_verified = check.bytes_compared;
    Ok(summary)
}

/// Fails unless the flash at `address` holds exactly `want`.
fn verify_contents(flash: &mut SpiFlash, address: u64, want: &[u8]) -> Result<(), ImageError> {
    let check = verify_image(flash, address, want, &mut NoFlashProgress)?;
    match check.first_mismatch {
        None => Ok(()),
        Some((first, found, expected)) => Err(ImageError::VerifyFailed {
            mismatches: check.mismatches,
            first,
            found,
            expected,
        }),
    }
}

/// Puts a whole sector back as `contents` (a kept copy): erase, program every page that
/// is not blank, verify.
pub fn rewrite_sector(flash: &mut SpiFlash, start: u64, contents: &[u8]) -> Result<(), ImageError> {
    let size = match flash.info().sector_at(start) {
        Some((s, size, _)) if s == start => size,
        _ => 0,
    };
    if size == 0 || contents.len() as u64 != size {
        return Err(ImageError::SectorMismatch {
            start,
            len: contents.len() as u64,
        });
    }
    flash.erase_sector(start)?;
    let page = flash.info().page_size as usize;
    for (i, chunk) in contents.chunks(page).enumerate() {
        if chunk.iter().any(|&b| b != 0xFF) {
            flash.program_page(start + (i * page) as u64, chunk)?;
        }
    }
    verify_contents(flash, start, contents)
}

/// Compares the flash at `address` with `image`.
pub fn verify_image(
    flash: &mut SpiFlash,
    address: u64,
    image: &[u8],
    progress: &mut dyn FlashProgress,
) -> Result<VerifySummary, ImageError> {
    if image.is_empty() {
        return Err(ImageError::Empty);
    }
    check_fits(flash, address, image.len() as u64)?;
    let mut summary = VerifySummary::default();
    let mut buf = vec![0u8; READ_CHUNK.min(image.len())];
    progress.start("verify", image.len() as u64);
    for (i, want) in image.chunks(READ_CHUNK).enumerate() {
        let at = address + (i * READ_CHUNK) as u64;
        let got = &mut buf[..want.len()];
        flash.read(at, got)?;
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            if g != w {
                summary.mismatches += 1;
                if summary.first_mismatch.is_none() {
                    summary.first_mismatch = Some((at + k as u64, *g, *w));
                }
            }
        }
        summary.bytes_compared += want.len() as u64;
        progress.advance(want.len() as u64);
    }
    progress.finish();
    Ok(summary)
}

/// Erases [address, address + len), which must start and end on sector boundaries;
/// sectors already blank are skipped.
pub fn erase_range(
    flash: &mut SpiFlash,
    address: u64,
    len: u64,
    progress: &mut dyn FlashProgress,
) -> Result<EraseSummary, ImageError> {
    check_fits(flash, address, len)?;
    let sectors = sectors_covering(flash, address, len);
    let misaligned = |(start, size): (u64, u64)| ImageError::NotSectorAligned {
        address,
        len,
        sector_start: start,
        sector_size: size,
    };
    if let Some(&f) = sectors.first() {
        if f.0 != address {
            return Err(misaligned(f));
        }
    }
    if let Some(&l) = sectors.last() {
        if l.0 + l.1 != address + len {
            return Err(misaligned(l));
        }
    }
    let mut summary = EraseSummary::default();
    let mut buf = Vec::new();
    let total = sectors.len() as u64;
    progress.start("erase", total);
    for (done, (start, size)) in sectors.into_iter().enumerate() {
        if progress.stop_requested() {
            progress.finish();
            return Err(ImageError::Interrupted {
                phase: "erase",
                done: done as u64,
                total,
                units: "sectors",
            });
        }
        buf.resize(size as usize, 0);
        flash.read(start, &mut buf)?;
        if buf.iter().all(|&b| b == 0xFF) {
            summary.sectors_already_blank += 1;
        } else {
            flash.erase_sector(start)?;
            summary.sectors_erased += 1;
        }
        progress.advance(1);
    }
    progress.finish();
    Ok(summary)
}
