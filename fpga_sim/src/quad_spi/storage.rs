//! The flash array, kept in memory in 64 KiB blocks loaded on first touch, and written
//! through to a file so a program in one process is seen by the next.
//!
//! The file holds the bitwise complement of the flash contents: a new file of the flash's
//! size is sparse (all zeros, i.e. all 0xFF erased flash) and costs nothing on disk until
//! something is programmed. Only the touched bytes are written back (one page per page
//! program, one sector per erase).
//!
//! Another process may change the file: [`FlashStorage::reload`] (called when the flash
//! lock is taken) drops what this process cached. A file that cannot be written (read-only
//! or full directory) latches the first [`StorageError`] and stops writing: the flash
//! model turns it into a failed program or erase, and the lock release reports it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes per lazily loaded block.
const BLOCK: usize = 64 * 1024;

/// Why the simulated flash contents did not reach their file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("simulated flash storage {}: {action}: {reason}", .path.display())]
pub struct StorageError {
    pub path: PathBuf,
    pub action: &'static str,
    /// The OS error text.
    pub reason: String,
}

impl StorageError {
    fn new(path: &Path, action: &'static str, e: &std::io::Error) -> Self {
        Self {
            path: path.to_path_buf(),
            action,
            reason: e.to_string(),
        }
    }
}

/// The contents a new storage file starts with.
pub(crate) type InitialImage = Arc<dyn Fn() -> Vec<u8> + Send + Sync>;

pub(crate) struct FlashStorage {
    size: usize,
    path: Option<PathBuf>,
    /// Contents written into a new (or wrongly sized) file, or into memory-only storage.
    initial: InitialImage,
    opened: bool,
    file: Option<File>,
    /// The file could not be opened for writing (why).
    unwritable: Option<StorageError>,
    /// The first failed write since the last reload.
    error: Option<StorageError>,
    blocks: Vec<Option<Box<[u8]>>>,
}

impl FlashStorage {
    pub(crate) fn new(size: usize, path: Option<PathBuf>, initial: InitialImage) -> Self {
        Self {
            size,
            path,
            initial,
            opened: false,
            file: None,
            unwritable: None,
            error: None,
            blocks: (0..size.div_ceil(BLOCK)).map(|_| None).collect(),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The first write failure since the last reload.
    pub(crate) fn error(&self) -> Option<&StorageError> {
        self.error.as_ref()
    }

    /// Forgets everything cached: the next access reads the file again (another process
    /// may have programmed it), and a latched error is cleared.
    pub(crate) fn reload(&mut self) {
        self.opened = false;
        self.file = None;
        self.unwritable = None;
        self.error = None;
        self.blocks.iter_mut().for_each(|b| *b = None);
    }

    /// First use: open (or create and initialise) the backing file, or fill memory.
    fn open(&mut self) {
        if self.opened {
            return;
        }
        self.opened = true;
        let Some(path) = self.path.clone() else {
            self.fill_memory();
            return;
        };
        match self.open_file(&path) {
            Ok((file, fresh)) => {
                self.file = Some(file);
                if fresh {
                    let image = (self.initial)();
                    self.write_range(0, &image);
                }
            }
            Err(e) => {
                self.unwritable = Some(StorageError::new(&path, "cannot open for writing", &e));
                // Still show what the file holds, if it can be read.
                match File::open(&path) {
                    Ok(f) if f.metadata().map(|m| m.len()).ok() == Some(self.size as u64) => {
                        self.file = Some(f)
                    }
                    _ => self.fill_memory(),
                }
            }
        }
    }

    /// Memory-only contents: the initial image on erased flash.
    fn fill_memory(&mut self) {
        let image = (self.initial)();
        for index in 0..self.blocks.len() {
            let start = index * BLOCK;
            let len = BLOCK.min(self.size - start);
            let mut data = vec![0xFF; len];
            if let Some(src) = image.get(start..) {
                let n = src.len().min(len);
                data[..n].copy_from_slice(&src[..n]);
            }
            self.blocks[index] = Some(data.into_boxed_slice());
        }
    }

    fn open_file(&self, path: &Path) -> std::io::Result<(File, bool)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let len = file.metadata()?.len();
        if len == self.size as u64 {
            return Ok((file, false));
        }
        // New, or left by a different part: start again from erased flash.
        file.set_len(0)?;
        file.set_len(self.size as u64)?;
        Ok((file, true))
    }

    fn block(&mut self, index: usize) -> &mut [u8] {
        self.open();
        let size = self.size;
        let file = self.file.as_ref();
        let slot = &mut self.blocks[index];
        slot.get_or_insert_with(|| {
            let start = index * BLOCK;
            let len = BLOCK.min(size - start);
            let mut data = vec![0u8; len];
            match file {
                Some(f) => {
                    if f.read_exact_at(&mut data, start as u64).is_err() {
                        data.fill(0);
                    }
                    data.iter_mut().for_each(|b| *b = !*b);
                }
                None => data.fill(0xFF),
            }
            data.into_boxed_slice()
        })
    }

    /// One byte; addresses wrap at the end of the array.
    pub(crate) fn read_byte(&mut self, address: usize) -> u8 {
        let a = address % self.size;
        self.block(a / BLOCK)[a % BLOCK]
    }

    /// Copies `out.len()` bytes from `address` (no wrap; callers stay inside the array).
    pub(crate) fn read_into(&mut self, address: usize, out: &mut [u8]) {
        let mut done = 0;
        while done < out.len() {
            let a = address + done;
            if a >= self.size {
                out[done..].fill(0xFF);
                return;
            }
            let off = a % BLOCK;
            let block = self.block(a / BLOCK);
            let n = (block.len() - off).min(out.len() - done);
            out[done..done + n].copy_from_slice(&block[off..off + n]);
            done += n;
        }
    }

    /// Replaces `data.len()` bytes at `address` (clipped to the array) and writes them
    /// through; a failure is latched (the first one), and later writes stay in memory.
    pub(crate) fn write_range(&mut self, address: usize, data: &[u8]) {
        let end = address.saturating_add(data.len()).min(self.size);
        if address >= end {
            return;
        }
        let mut a = address;
        while a < end {
            let off = a % BLOCK;
            let block = self.block(a / BLOCK);
            let n = (block.len() - off).min(end - a);
            block[off..off + n].copy_from_slice(&data[a - address..a - address + n]);
            a += n;
        }
        if self.error.is_some() {
            return;
        }
        if let Some(e) = &self.unwritable {
            self.error = Some(e.clone());
            return;
        }
        if let (Some(f), Some(path)) = (&self.file, &self.path) {
            let inverted: Vec<u8> = data[..end - address].iter().map(|b| !b).collect();
            if let Err(e) = f.write_all_at(&inverted, address as u64) {
                self.error = Some(StorageError::new(path, "write failed", &e));
            }
        }
    }

    /// Programs `data` at `address`: each bit can only go from 1 to 0.
    pub(crate) fn and_range(&mut self, address: usize, data: &[u8]) {
        let end = address.saturating_add(data.len()).min(self.size);
        if address >= end {
            return;
        }
        let mut merged = vec![0u8; end - address];
        self.read_into(address, &mut merged);
        merged.iter_mut().zip(data).for_each(|(m, d)| *m &= d);
        self.write_range(address, &merged);
    }

    /// Sets `len` bytes at `address` to 0xFF.
    pub(crate) fn erase_range(&mut self, address: usize, len: usize) {
        let end = address.saturating_add(len).min(self.size);
        if address < end {
            self.write_range(address, &vec![0xFF; end - address]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn erased() -> InitialImage {
        Arc::new(Vec::new)
    }

    fn running_as_root() -> bool {
        // Root ignores file permissions: the read-only cases cannot be provoked.
        std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
            .unwrap_or(false)
    }

    #[test]
    fn reload_sees_another_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.flash");
        let mut a = FlashStorage::new(0x20000, Some(path.clone()), erased());
        let mut b = FlashStorage::new(0x20000, Some(path), erased());
        assert_eq!(b.read_byte(0x10), 0xFF);
        a.and_range(0x10, &[0x12]);
        // b cached the block before a wrote it.
        assert_eq!(b.read_byte(0x10), 0xFF);
        b.reload();
        assert_eq!(b.read_byte(0x10), 0x12);
        assert!(a.error().is_none() && b.error().is_none());
    }

    #[test]
    fn unusable_path_keeps_contents_in_memory_and_latches_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: no process, root included, can write it.
        let path = dir.path().join("f.flash");
        std::fs::create_dir(&path).unwrap();
        let image: InitialImage = Arc::new(|| vec![0x5A; 3]);
        let mut s = FlashStorage::new(0x20000, Some(path.clone()), image);
        assert_eq!(s.read_byte(2), 0x5A);
        assert_eq!(s.read_byte(3), 0xFF);
        assert!(s.error().is_none(), "reading is not a failure");
        s.and_range(0x10, &[0]);
        s.and_range(0x20, &[0]);
        let e = s.error().cloned().unwrap();
        assert_eq!(
            e.to_string(),
            format!(
                "simulated flash storage {}: cannot open for writing: Is a directory (os error 21)",
                path.display()
            )
        );
    }

    #[test]
    fn read_only_file_reads_but_latches_one_write_error() {
        if running_as_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.flash");
        let mut s = FlashStorage::new(0x20000, Some(path.clone()), erased());
        s.and_range(0x100, &[0x00]);
        drop(s);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let mut s = FlashStorage::new(0x20000, Some(path.clone()), erased());
        assert_eq!(s.read_byte(0x100), 0x00, "contents still readable");
        assert!(s.error().is_none());
        s.erase_range(0, 0x1000);
        s.erase_range(0x1000, 0x1000);
        let e = s.error().cloned().unwrap();
        assert_eq!(e.path, path);
        assert!(
            e.to_string()
                .contains("cannot open for writing: Permission denied"),
            "{e}"
        );
        s.reload();
        assert!(s.error().is_none());
        assert_eq!(
            s.read_byte(0x100),
            0x00,
            "the failed erase never reached the file"
        );
    }
}
