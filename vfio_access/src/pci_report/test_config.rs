//! Hand-built config spaces for the decoder tests.

/// A config space under construction, 4 KiB, little-endian registers.
#[derive(Clone)]
pub struct ConfigImage {
    pub bytes: Vec<u8>,
    last_cap: Option<usize>,
    last_ext: Option<usize>,
}

impl ConfigImage {
    /// A type-0 function with `vendor:device`, capability list enabled when caps are added.
    pub fn new(vendor: u16, device: u16) -> Self {
        let mut c = Self {
            bytes: vec![0; 4096],
            last_cap: None,
            last_ext: None,
        };
        c.put16(0, vendor);
        c.put16(2, device);
        c
    }

    pub fn put8(&mut self, off: usize, v: u8) -> &mut Self {
        self.bytes[off] = v;
        self
    }

    pub fn put16(&mut self, off: usize, v: u16) -> &mut Self {
        self.bytes[off..off + 2].copy_from_slice(&v.to_le_bytes());
        self
    }

    pub fn put32(&mut self, off: usize, v: u32) -> &mut Self {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
        self
    }

    /// Links a standard capability `id` at `off` into the list, with its 16-bit flags word.
    pub fn cap(&mut self, off: usize, id: u8, flags: u16) -> &mut Self {
        let status = u16::from_le_bytes([self.bytes[6], self.bytes[7]]) | 0x10;
        self.put16(6, status);
        match self.last_cap {
            None => self.bytes[0x34] = off as u8,
            Some(prev) => self.bytes[prev + 1] = off as u8,
        }
        self.bytes[off] = id;
        self.bytes[off + 1] = 0;
        self.put16(off + 2, flags);
        self.last_cap = Some(off);
        self
    }

    /// Links an extended capability `id` version `version` at `off` (>= 0x100).
    pub fn ext_cap(&mut self, off: usize, id: u16, version: u8) -> &mut Self {
        if let Some(prev) = self.last_ext {
            let h = u32::from_le_bytes(self.bytes[prev..prev + 4].try_into().unwrap());
            self.put32(prev, (h & 0x000f_ffff) | ((off as u32) << 20));
        }
        self.put32(off, u32::from(id) | (u32::from(version) << 16));
        self.last_ext = Some(off);
        self
    }

    /// The first `len` bytes (64 = what a normal user reads, 256, 4096).
    pub fn truncated(&self, len: usize) -> Vec<u8> {
        self.bytes[..len].to_vec()
    }
}
