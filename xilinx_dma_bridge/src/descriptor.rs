//! The 32-byte DMA descriptor and the writebacks (fact sheet section 3), as offsets into
//! DMA memory.

/// Size and alignment of one descriptor.
pub const DESCRIPTOR_BYTES: usize = 32;
pub const MAGIC: u32 = 0xAD4B_0000;
pub const CONTROL_STOP: u32 = 1 << 0;
pub const CONTROL_COMPLETED: u32 = 1 << 1;
pub const CONTROL_EOP: u32 = 1 << 4;

/// Largest value of the 28-bit length field.
pub const MAX_LENGTH_FIELD: u64 = 0x0FFF_FFFF;
/// Largest length the ring driver puts in one descriptor (a multiple of 64 bytes).
pub const MAX_DESCRIPTOR_LEN: u64 = 0x0FFF_FFC0;

/// Field offsets.
pub const OFF_CONTROL: usize = 0x00;
pub const OFF_LENGTH: usize = 0x04;
pub const OFF_SRC: usize = 0x08;
pub const OFF_DST: usize = 0x10;
pub const OFF_NEXT: usize = 0x18;

/// Completed-count writeback.
pub const WB_STS_ERR: u32 = 1 << 31;
pub const WB_COUNT_MASK: u32 = 0x00FF_FFFF;

/// C2H stream writeback (8 bytes per descriptor).
pub const STREAM_WB_BYTES: usize = 8;
pub const STREAM_WB_MAGIC: u32 = 0x52B4_0000;
pub const STREAM_WB_MAGIC_MASK: u32 = 0xFFFF_0000;
pub const STREAM_WB_EOP: u32 = 1;

/// Descriptors needed for a transfer of `len` bytes (at least one).
pub fn descriptors_for(len: u64) -> u64 {
    len.div_ceil(MAX_DESCRIPTOR_LEN).max(1)
}
