//! The random halves of the elements (designs_after_seed.md §4.5): from /dev/random, as the
//! original does without a hardware random instruction (this port has none: `unsafe` is
//! confined to `vfio_access`).

use std::fs::File;
use std::io::Read;

#[derive(Debug, thiserror::Error)]
pub enum RandomError {
    #[error("Failed to open /dev/random: {0}")]
    Open(#[source] std::io::Error),
    #[error("Only read {0} out of8 bytes from /dev/random")]
    Short(usize),
}

/// A source of 64-bit random values.
pub struct RandomSource {
    file: File,
}

impl RandomSource {
    pub fn open() -> Result<Self, RandomError> {
        File::open("/dev/random")
            .map(|file| Self { file })
            .map_err(RandomError::Open)
    }

    pub fn next_u64(&mut self) -> Result<u64, RandomError> {
        let mut bytes = [0u8; 8];
        let mut got = 0;
        while got < bytes.len() {
            match self.file.read(&mut bytes[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        if got < bytes.len() {
            return Err(RandomError::Short(got));
        }
        Ok(u64::from_le_bytes(bytes))
    }
}
