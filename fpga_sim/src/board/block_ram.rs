//! Block RAM that keeps its contents in a file, so that what one process writes through a
//! BAR is seen by the next one, until the simulated board is "power cycled"
//! ([`BlockRamStore::power_cycle`], or deleting the file).
//!
//! Writes go through to the file at once (positioned writes on an open handle), so the
//! contents survive however the process ends. If the file cannot be used the memory is
//! kept in this process only, and [`BlockRamStore::storage_error`] says why.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use vfio_access::mmio::AccessWidth;

use crate::peripheral::Peripheral;

struct Contents {
    bytes: Vec<u8>,
    file: Option<File>,
}

/// The block RAM of one board (all its BARs, at their AXI addresses).
pub struct BlockRamStore {
    path: Option<PathBuf>,
    contents: Mutex<Contents>,
    storage_error: Mutex<Option<String>>,
}

impl BlockRamStore {
    /// `size` bytes, loaded from `path` when it holds a previous run's contents of that size
    /// (anything else counts as powered off: zeros).
    pub fn open(path: Option<PathBuf>, size: usize) -> Arc<Self> {
        let mut bytes = vec![0u8; size];
        let mut error = None;
        let file = path
            .as_deref()
            .and_then(|p| match Self::open_file(p, &mut bytes) {
                Ok(f) => Some(f),
                Err(e) => {
                    error = Some(format!("{}: {e}", p.display()));
                    None
                }
            });
        Arc::new(Self {
            path,
            contents: Mutex::new(Contents { bytes, file }),
            storage_error: Mutex::new(error),
        })
    }

    fn open_file(path: &Path, bytes: &mut [u8]) -> std::io::Result<File> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if file.metadata()?.len() == bytes.len() as u64 {
            file.read_exact(bytes)?;
        } else {
            file.set_len(0)?;
            file.set_len(bytes.len() as u64)?;
        }
        Ok(file)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Contents> {
        self.contents.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The backing file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Why the contents are not persisted, if they are not.
    pub fn storage_error(&self) -> Option<String> {
        self.storage_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn size(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Power off and on: the memory (and its file) is all zeros again.
    pub fn power_cycle(&self) {
        let mut c = self.lock();
        c.bytes.fill(0);
        let len = c.bytes.len() as u64;
        if let Some(f) = &c.file {
            let cleared = f.set_len(0).and_then(|_| f.set_len(len));
            if let Err(e) = cleared {
                *self.storage_error.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(format!("power cycle: {e}"));
            }
        }
    }

    /// Bytes at an AXI address (test hook).
    pub fn read_bytes(&self, address: usize, len: usize) -> Vec<u8> {
        let c = self.lock();
        c.bytes
            .get(address..address.saturating_add(len))
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    fn read(&self, address: u64, width: AccessWidth) -> u64 {
        let c = self.lock();
        let n = width.bytes() as usize;
        let mut v = [0u8; 8];
        let a = address as usize;
        if let Some(src) = c.bytes.get(a..a + n) {
            v[..n].copy_from_slice(src);
        }
        u64::from_le_bytes(v)
    }

    fn write(&self, address: u64, width: AccessWidth, value: u64) {
        let mut c = self.lock();
        let n = width.bytes() as usize;
        let a = address as usize;
        let data = &value.to_le_bytes()[..n];
        let Some(dst) = c.bytes.get_mut(a..a + n) else {
            return;
        };
        dst.copy_from_slice(data);
        if let Some(f) = &c.file {
            if let Err(e) = f.write_all_at(data, address) {
                let mut error = self.storage_error.lock().unwrap_or_else(|p| p.into_inner());
                // The first failure says it; later writes would only repeat it.
                if error.is_none() {
                    let path = self.path.as_deref().unwrap_or(Path::new("?"));
                    *error = Some(format!("{}: write failed: {e}", path.display()));
                }
            }
        }
    }
}

/// One BAR's view of the store, starting at `axi_address`.
pub struct BlockRamWindow {
    pub store: Arc<BlockRamStore>,
    pub axi_address: u64,
}

impl Peripheral for BlockRamWindow {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        self.store.read(self.axi_address + offset, width)
    }
    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        self.store.write(self.axi_address + offset, width, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_persist_until_power_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.blkram");
        let s = BlockRamStore::open(Some(path.clone()), 0x1000);
        s.write(0x10, AccessWidth::U32, 0xdead_beef);
        drop(s);
        let s = BlockRamStore::open(Some(path.clone()), 0x1000);
        assert_eq!(s.read(0x10, AccessWidth::U32), 0xdead_beef);
        assert!(s.storage_error().is_none());
        s.power_cycle();
        assert_eq!(s.read(0x10, AccessWidth::U32), 0);
        drop(s);
        let s = BlockRamStore::open(Some(path), 0x1000);
        assert_eq!(s.read(0x10, AccessWidth::U32), 0);
    }
}
