//! Recovery files: the contents of a flash sector that holds bytes outside the image being
//! programmed, written (and synced) before the sector is erased and removed once it is
//! rewritten and verified. A file left by an interrupted run (Ctrl-C, power loss, a
//! failure) is put back by the next `--program` or `--erase` of that device.
//!
//! Place: `<dir>/<dddd:bb:dd.f>.0x<sector address, 8 hex digits>.bin`, the raw sector,
//! where `<dir>` is `recovery/` in the simulated-state directory for simulated boards, else
//! `$XDG_STATE_HOME/fpga_sio/recovery`, else `~/.local/state/fpga_sio/recovery`, else
//! `<temp dir>/fpga_sio/recovery`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use vfio_access::Device;

use crate::programming::SectorBackup;

/// The recovery files of one device.
#[derive(Debug, Clone)]
pub struct RecoveryStore {
    dir: PathBuf,
    /// `dddd:bb:dd.f`, the file name prefix.
    device: String,
}

/// A sector kept by an interrupted run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptSector {
    pub start: u64,
    pub path: PathBuf,
}

/// The directory recovery files go to for `device`.
pub fn recovery_dir(device: &Device) -> PathBuf {
    if let Some(dir) = device.sim_device().and_then(|d| d.state_dir()) {
        return dir.join("recovery");
    }
    let env_dir = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env_dir("XDG_STATE_HOME") {
        return d.join("fpga_sio/recovery");
    }
    if let Some(h) = env_dir("HOME") {
        return h.join(".local/state/fpga_sio/recovery");
    }
    std::env::temp_dir().join("fpga_sio/recovery")
}

impl RecoveryStore {
    pub fn for_device(device: &Device) -> Self {
        Self::new(recovery_dir(device), &device.location().to_string())
    }

    pub fn new(dir: PathBuf, device: &str) -> Self {
        Self {
            dir,
            device: device.to_string(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file for the sector at `start`.
    pub fn path_for(&self, start: u64) -> PathBuf {
        self.dir.join(format!("{}.0x{start:08x}.bin", self.device))
    }

    /// The sectors kept by earlier runs, in address order.
    pub fn pending(&self) -> std::io::Result<Vec<KeptSector>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let prefix = format!("{}.0x", self.device);
        let mut kept = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(hex) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".bin"))
            else {
                continue;
            };
            if let Ok(start) = u64::from_str_radix(hex, 16) {
                kept.push(KeptSector {
                    start,
                    path: self.dir.join(name),
                });
            }
        }
        kept.sort_by_key(|k| k.start);
        Ok(kept)
    }
}

impl SectorBackup for RecoveryStore {
    /// Written to a temporary name, synced, renamed, and the directory synced: the copy
    /// exists on disk before the erase starts.
    fn save(&mut self, start: u64, contents: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path_for(start);
        let temp = path.with_extension("bin.tmp");
        let mut f = File::create(&temp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&temp, &path)?;
        File::open(&self.dir)?.sync_all()
    }

    fn discard(&mut self, start: u64) -> std::io::Result<()> {
        match std::fs::remove_file(self.path_for(start)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_sectors_are_pending_until_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RecoveryStore::new(dir.path().join("recovery"), "0000:30:00.0");
        assert_eq!(store.pending().unwrap(), []);
        store.save(0x30_0000, &[1, 2, 3]).unwrap();
        store.save(0x1000, &[4]).unwrap();
        // Another device's file is not ours.
        RecoveryStore::new(dir.path().join("recovery"), "0000:15:00.0")
            .save(0x0, &[5])
            .unwrap();
        let pending = store.pending().unwrap();
        assert_eq!(
            pending.iter().map(|k| k.start).collect::<Vec<_>>(),
            [0x1000, 0x30_0000]
        );
        assert_eq!(
            pending[1].path,
            dir.path().join("recovery/0000:30:00.0.0x00300000.bin")
        );
        assert_eq!(std::fs::read(&pending[1].path).unwrap(), [1, 2, 3]);
        store.discard(0x30_0000).unwrap();
        store.discard(0x30_0000).unwrap();
        assert_eq!(store.pending().unwrap().len(), 1);
    }
}
