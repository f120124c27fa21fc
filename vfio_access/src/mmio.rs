//! The one register-access interface every driver uses. A real BAR mapping and a simulated
//! device both implement [`RegisterSpace`]; drivers only ever see an [`Mmio`] window.

use std::fmt;
use std::sync::Arc;

/// Width of one register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessWidth {
    U8,
    U16,
    U32,
    U64,
}

impl AccessWidth {
    pub const fn bytes(self) -> u64 {
        match self {
            AccessWidth::U8 => 1,
            AccessWidth::U16 => 2,
            AccessWidth::U32 => 4,
            AccessWidth::U64 => 8,
        }
    }

    pub const fn mask(self) -> u64 {
        match self {
            AccessWidth::U8 => 0xff,
            AccessWidth::U16 => 0xffff,
            AccessWidth::U32 => 0xffff_ffff,
            AccessWidth::U64 => u64::MAX,
        }
    }
}

/// Something that answers register reads and writes: a mapped BAR or a device model.
///
/// Callers guarantee `offset + width <= size()` and natural alignment; [`Mmio`] checks both.
pub trait RegisterSpace: Send + Sync {
    fn size(&self) -> u64;
    fn read(&self, offset: u64, width: AccessWidth) -> u64;
    fn write(&self, offset: u64, width: AccessWidth, value: u64);
}

/// A window onto a register space: "BAR n from offset x, length y".
///
/// Cheap to clone. An access outside the window, or misaligned, is a driver bug and panics
/// with the offending offset; windows built from user input are checked by [`Mmio::window`].
#[derive(Clone)]
pub struct Mmio {
    space: Arc<dyn RegisterSpace>,
    base: u64,
    len: u64,
}

impl fmt::Debug for Mmio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mmio")
            .field("base", &format_args!("0x{:x}", self.base))
            .field("len", &format_args!("0x{:x}", self.len))
            .finish()
    }
}

impl Mmio {
    /// A window covering the whole space.
    pub fn new(space: Arc<dyn RegisterSpace>) -> Self {
        let len = space.size();
        Self {
            space,
            base: 0,
            len,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Offset of this window inside its register space.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// A sub-window, or None when `offset + len` does not fit in this window.
    pub fn window(&self, offset: u64, len: u64) -> Option<Mmio> {
        let end = offset.checked_add(len)?;
        (end <= self.len).then(|| Mmio {
            space: Arc::clone(&self.space),
            base: self.base + offset,
            len,
        })
    }

    fn check(&self, offset: u64, width: AccessWidth) -> u64 {
        let n = width.bytes();
        assert!(
            offset % n == 0 && offset.checked_add(n).is_some_and(|e| e <= self.len),
            "register access of {n} bytes at offset 0x{offset:x} outside window of 0x{:x} bytes (or misaligned)",
            self.len
        );
        self.base + offset
    }

    pub fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        let at = self.check(offset, width);
        self.space.read(at, width) & width.mask()
    }

    pub fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        let at = self.check(offset, width);
        self.space.write(at, width, value & width.mask())
    }

    pub fn read8(&self, offset: u64) -> u8 {
        self.read(offset, AccessWidth::U8) as u8
    }
    pub fn read16(&self, offset: u64) -> u16 {
        self.read(offset, AccessWidth::U16) as u16
    }
    pub fn read32(&self, offset: u64) -> u32 {
        self.read(offset, AccessWidth::U32) as u32
    }
    pub fn write8(&self, offset: u64, value: u8) {
        self.write(offset, AccessWidth::U8, value.into())
    }
    pub fn write16(&self, offset: u64, value: u16) {
        self.write(offset, AccessWidth::U16, value.into())
    }
    pub fn write32(&self, offset: u64, value: u32) {
        self.write(offset, AccessWidth::U32, value.into())
    }

    /// A read that changes the device's state: pops an entry off a receive FIFO, or
    /// clears status bits that are clear-on-read. The bus access is the same as
    /// [`read`](Self::read); the separate name exists so that such reads stand out where
    /// they are made: one may never be repeated, reordered, issued speculatively or added
    /// for display or debugging (each one consumes data), unlike a plain register read.
    pub fn read_with_side_effect(&self, offset: u64, width: AccessWidth) -> u64 {
        self.read(offset, width)
    }

    /// A 32-bit [`read_with_side_effect`](Self::read_with_side_effect): one receive-FIFO
    /// entry (e.g. the Quad SPI DRR, the AXI IIC RX_FIFO).
    pub fn pop_u32(&self, offset: u64) -> u32 {
        self.read_with_side_effect(offset, AccessWidth::U32) as u32
    }

    /// A 64-bit register read as two 32-bit accesses, lower half first: a single 64-bit read
    /// of the XDMA registers returns all-ones on real hardware.
    pub fn read64_split(&self, offset: u64) -> u64 {
        let lo = self.read32(offset) as u64;
        let hi = self.read32(offset + 4) as u64;
        lo | (hi << 32)
    }

    /// A 64-bit register written as two 32-bit accesses, lower half first.
    pub fn write64_split(&self, offset: u64, value: u64) {
        self.write32(offset, value as u32);
        self.write32(offset + 4, (value >> 32) as u32);
    }

    /// A single 64-bit access, for devices that support it (e.g. QEMU's `edu`).
    pub fn read64(&self, offset: u64) -> u64 {
        self.read(offset, AccessWidth::U64)
    }
    pub fn write64(&self, offset: u64, value: u64) {
        self.write(offset, AccessWidth::U64, value)
    }
}

/// A plain memory-backed register space, for unit tests of drivers and tools.
pub struct MemorySpace {
    bytes: std::sync::Mutex<Vec<u8>>,
}

impl MemorySpace {
    pub fn new(size: usize) -> Self {
        Self {
            bytes: std::sync::Mutex::new(vec![0; size]),
        }
    }
}

impl RegisterSpace for MemorySpace {
    fn size(&self) -> u64 {
        self.bytes.lock().map(|b| b.len() as u64).unwrap_or(0)
    }
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        let b = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let mut v = [0u8; 8];
        let o = offset as usize;
        let n = width.bytes() as usize;
        v[..n].copy_from_slice(&b[o..o + n]);
        u64::from_le_bytes(v)
    }
    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        let mut b = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let o = offset as usize;
        let n = width.bytes() as usize;
        b[o..o + n].copy_from_slice(&value.to_le_bytes()[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_nest_and_check_bounds() {
        let m = Mmio::new(Arc::new(MemorySpace::new(0x4000)));
        let w = m.window(0x1000, 0x1000).unwrap();
        w.write32(0x10, 0xdead_beef);
        assert_eq!(m.read32(0x1010), 0xdead_beef);
        assert_eq!(m.read16(0x1012), 0xdead);
        assert_eq!(m.read8(0x1010), 0xef);
        w.write64_split(0x20, 0x1122_3344_5566_7788);
        assert_eq!(m.read32(0x1020), 0x5566_7788);
        assert_eq!(w.read64_split(0x20), 0x1122_3344_5566_7788);
        assert!(m.window(0x3000, 0x1001).is_none());
        assert!(m.window(u64::MAX, 2).is_none());
        let inner = w.window(0x800, 0x800).unwrap();
        assert_eq!(inner.base(), 0x1800);
    }

    /// A FIFO behind a register: each read pops one entry.
    struct Fifo(std::sync::Mutex<Vec<u32>>);

    impl RegisterSpace for Fifo {
        fn size(&self) -> u64 {
            4
        }
        fn read(&self, _offset: u64, _width: AccessWidth) -> u64 {
            let mut entries = self.0.lock().unwrap();
            if entries.is_empty() {
                0
            } else {
                entries.remove(0).into()
            }
        }
        fn write(&self, _offset: u64, _width: AccessWidth, _value: u64) {}
    }

    #[test]
    fn pops_consume_one_entry_each() {
        let m = Mmio::new(Arc::new(Fifo(std::sync::Mutex::new(vec![1, 2, 3]))));
        assert_eq!(m.pop_u32(0), 1);
        assert_eq!(m.read_with_side_effect(0, AccessWidth::U32), 2);
        assert_eq!(m.pop_u32(0), 3);
        assert_eq!(m.pop_u32(0), 0);
    }

    #[test]
    #[should_panic(expected = "outside window")]
    fn access_past_window_panics() {
        let m = Mmio::new(Arc::new(MemorySpace::new(0x100)));
        m.read32(0x100);
    }

    #[test]
    #[should_panic(expected = "misaligned")]
    fn misaligned_access_panics() {
        let m = Mmio::new(Arc::new(MemorySpace::new(0x100)));
        m.read32(0x2);
    }
}
