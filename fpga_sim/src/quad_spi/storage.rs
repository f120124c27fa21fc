//! The flash array, kept in memory in 64 KiB blocks loaded on first touch, and written
//! through to a file so a program in one process is seen by the next.
//!
//! The file holds the bitwise complement of the flash contents: a new file of the flash's
//! size is sparse (all zeros, i.e. all 0xFF erased flash) and costs nothing on disk until
//! something is programmed. Only the touched bytes are written back (one page per page
//! program, one sector per erase).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// Bytes per lazily loaded block.
const BLOCK: usize = 64 * 1024;

pub(crate) struct FlashStorage {
    size: usize,
    path: Option<PathBuf>,
    /// Contents written into a new (or wrongly sized) file, or into memory-only storage.
    initial: Option<Box<dyn FnOnce() -> Vec<u8> + Send>>,
    opened: bool,
    file: Option<File>,
    blocks: Vec<Option<Box<[u8]>>>,
}

impl FlashStorage {
    pub(crate) fn new(
        size: usize,
        path: Option<PathBuf>,
        initial: Box<dyn FnOnce() -> Vec<u8> + Send>,
    ) -> Self {
        Self {
            size,
            path,
            initial: Some(initial),
            opened: false,
            file: None,
            blocks: (0..size.div_ceil(BLOCK)).map(|_| None).collect(),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// First use: open (or create and initialise) the backing file, or fill memory.
    fn open(&mut self) {
        if self.opened {
            return;
        }
        self.opened = true;
        let initial = self.initial.take();
        if let Some(path) = self.path.clone() {
            match self.open_file(&path) {
                Ok((file, fresh)) => {
                    self.file = Some(file);
                    if fresh {
                        if let Some(init) = initial {
                            let image = init();
                            self.write_range(0, &image);
                        }
                    }
                    return;
                }
                Err(e) => eprintln!(
                    "warning: simulated flash storage {} unusable ({e}); contents kept in memory only",
                    path.display()
                ),
            }
        }
        if let Some(init) = initial {
            let image = init();
            self.write_range(0, &image);
        }
    }

    fn open_file(&self, path: &PathBuf) -> std::io::Result<(File, bool)> {
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

    /// Replaces `data.len()` bytes at `address` (clipped to the array) and writes them through.
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
        if let Some(f) = &self.file {
            let inverted: Vec<u8> = data[..end - address].iter().map(|b| !b).collect();
            if let Err(e) = f.write_all_at(&inverted, address as u64) {
                eprintln!("warning: simulated flash storage write failed: {e}");
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
