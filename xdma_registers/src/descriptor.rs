//! The in-memory structures the engine reads and writes (xilinx_dma_bridge.md §3): the
//! 32-byte descriptor, the poll-mode completed-count writeback and the C2H stream
//! writeback. [`Descriptor::write_to`] is the one place descriptors are written.

use vfio_access::DmaBuffer;

/// Size and alignment of one descriptor (§3.1).
pub const DESCRIPTOR_BYTES: usize = 32;
/// Control word bits [31:16].
pub const MAGIC: u32 = 0xAD4B_0000;
const MAGIC_MASK: u32 = 0xFFFF_0000;
/// Control word bits [13:8]: always 0 here (no adjacent descriptors).
const NEXT_ADJACENT_MASK: u32 = 0x3F << 8;

/// Largest value of the 28-bit length field.
pub const MAX_LENGTH_FIELD: u64 = 0x0FFF_FFFF;
/// Largest length the ring driver puts in one descriptor (the largest multiple of the
/// 64-byte cache line, §3.1).
pub const MAX_DESCRIPTOR_LEN: u64 = 0x0FFF_FFC0;

/// Field offsets inside a descriptor.
const CONTROL: usize = 0x00;
const LENGTH: usize = 0x04;
const SOURCE: usize = 0x08;
const DESTINATION: usize = 0x10;
const NEXT: usize = 0x18;

/// Descriptors needed for a transfer of `len` bytes by the ring driver (at least one).
pub fn descriptors_for(len: u64) -> u64 {
    len.div_ceil(MAX_DESCRIPTOR_LEN).max(1)
}

/// The control flags of a descriptor (control word bits [7:0]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DescriptorFlags {
    /// Bit 0: stop fetching after this descriptor.
    pub stop: bool,
    /// Bit 1: report completion (poll-mode writeback).
    pub completed: bool,
    /// Bit 4: end of packet (H2C stream).
    pub eop: bool,
}

impl DescriptorFlags {
    const STOP: u32 = 1 << 0;
    const COMPLETED: u32 = 1 << 1;
    const EOP: u32 = 1 << 4;

    /// Only COMPLETED, as every ring descriptor.
    pub const fn completed() -> Self {
        Self {
            stop: false,
            completed: true,
            eop: false,
        }
    }

    pub const fn with_eop(self, eop: bool) -> Self {
        Self { eop, ..self }
    }

    pub const fn bits(self) -> u32 {
        (if self.stop { Self::STOP } else { 0 })
            | (if self.completed { Self::COMPLETED } else { 0 })
            | (if self.eop { Self::EOP } else { 0 })
    }

    pub const fn from_bits(bits: u32) -> Self {
        Self {
            stop: bits & Self::STOP != 0,
            completed: bits & Self::COMPLETED != 0,
            eop: bits & Self::EOP != 0,
        }
    }
}

/// One descriptor (§3.1). Addresses are what the card is given: host IOVAs, card (AXI)
/// addresses or, for a C2H stream descriptor, the source is the IOVA of its 8-byte stream
/// writeback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Descriptor {
    pub flags: DescriptorFlags,
    /// Bytes; only bits [27:0] are used.
    pub length: u32,
    pub source: u64,
    pub destination: u64,
    /// IOVA of the next descriptor (0 at the end of a linear chain).
    pub next: u64,
}

impl Descriptor {
    /// The control word: magic, no adjacent descriptors, the flags.
    pub const fn control_word(&self) -> u32 {
        MAGIC | self.flags.bits()
    }

    /// Writes the whole descriptor at byte `offset` of `buffer` (which must be 32-byte
    /// aligned in IOVA space).
    pub fn write_to(&self, buffer: &DmaBuffer, offset: usize) {
        buffer.write_u32(offset + CONTROL, self.control_word());
        buffer.write_u32(offset + LENGTH, self.length);
        buffer.write_u64(offset + SOURCE, self.source);
        buffer.write_u64(offset + DESTINATION, self.destination);
        buffer.write_u64(offset + NEXT, self.next);
    }

    /// Reads back the descriptor at byte `offset` of `buffer`; `None` if its magic is wrong.
    pub fn read_from(buffer: &DmaBuffer, offset: usize) -> Option<Self> {
        let control = buffer.read_u32(offset + CONTROL);
        if control & MAGIC_MASK != MAGIC || control & NEXT_ADJACENT_MASK != 0 {
            return None;
        }
        Some(Self {
            flags: DescriptorFlags::from_bits(control & 0xFF),
            length: buffer.read_u32(offset + LENGTH) & MAX_LENGTH_FIELD as u32,
            source: buffer.read_u64(offset + SOURCE),
            destination: buffer.read_u64(offset + DESTINATION),
            next: buffer.read_u64(offset + NEXT),
        })
    }
}

/// The 4-byte poll-mode completed-count writeback (§3.2).
pub mod completed_count {
    /// Bytes reserved for it (one 64-byte sub-allocation in the original).
    pub const BYTES: usize = 4;
    /// Bit 31: OR of the channel's error status bits.
    pub const STS_ERR: u32 = 1 << 31;
    /// [23:0]: the completed count, a 24-bit wrapping counter.
    pub const COUNT_MASK: u32 = 0x00FF_FFFF;

    /// Descriptors completed between two writeback counts, modulo 2^24.
    pub const fn newly_completed(count: u32, last_count: u32) -> u32 {
        count.wrapping_sub(last_count) & COUNT_MASK
    }
}

/// The 8-byte C2H stream writeback of each C2H stream descriptor (§3.3).
pub mod stream_writeback {
    use vfio_access::DmaBuffer;

    pub const BYTES: usize = 8;
    pub const MAGIC: u32 = 0x52B4_0000;
    pub const MAGIC_MASK: u32 = 0xFFFF_0000;
    pub const EOP: u32 = 1;

    /// One C2H stream writeback as read from host memory.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct StreamWriteback {
        /// Word 0: magic, EOP in bit 0.
        pub magic_status: u32,
        /// Word 1: bytes written for the descriptor.
        pub length: u32,
    }

    impl StreamWriteback {
        pub fn read_from(buffer: &DmaBuffer, offset: usize) -> Self {
            Self {
                magic_status: buffer.read_u32(offset),
                length: buffer.read_u32(offset + 4),
            }
        }

        /// Clears it so that a later lap cannot be mistaken for this one.
        pub fn clear(buffer: &DmaBuffer, offset: usize) {
            buffer.write_u64(offset, 0);
        }

        pub fn magic_ok(&self) -> bool {
            self.magic_status & MAGIC_MASK == MAGIC
        }

        pub fn eop(&self) -> bool {
            self.magic_status & EOP != 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_and_control_word() {
        let d = Descriptor {
            flags: DescriptorFlags::completed().with_eop(true),
            ..Descriptor::default()
        };
        assert_eq!(d.control_word(), 0xAD4B_0012);
        let stop = DescriptorFlags {
            stop: true,
            completed: true,
            eop: false,
        };
        assert_eq!(stop.bits(), 3);
        assert_eq!(DescriptorFlags::from_bits(0x13), stop.with_eop(true));
    }

    #[test]
    fn completed_count_wraps_at_24_bits() {
        assert_eq!(completed_count::newly_completed(2, 0xFF_FFFE), 4);
        assert_eq!(completed_count::newly_completed(5, 5), 0);
        assert_eq!(
            completed_count::newly_completed(completed_count::STS_ERR | 1, 0),
            1
        );
    }

    #[test]
    fn descriptor_counts() {
        assert_eq!(descriptors_for(0), 1);
        assert_eq!(descriptors_for(MAX_DESCRIPTOR_LEN), 1);
        assert_eq!(descriptors_for(0x4000_0000), 5);
    }
}
