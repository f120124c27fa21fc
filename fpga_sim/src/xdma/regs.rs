//! Register offsets and bit fields of the XDMA blocks (PG195), as the model decodes them.

/// Block targets, address bits 15:12 of the DMA BAR.
pub const TARGET_H2C: u64 = 0;
pub const TARGET_C2H: u64 = 1;
pub const TARGET_H2C_SGDMA: u64 = 4;
pub const TARGET_C2H_SGDMA: u64 = 5;
pub const TARGET_SGDMA_COMMON: u64 = 6;

/// Channel register offsets.
pub const CH_CONTROL: u64 = 0x04;
pub const CH_CONTROL_W1S: u64 = 0x08;
pub const CH_CONTROL_W1C: u64 = 0x0C;
pub const CH_STATUS: u64 = 0x40;
pub const CH_STATUS_RC: u64 = 0x44;
pub const CH_COMPLETED: u64 = 0x48;
pub const CH_WB_LO: u64 = 0x88;
pub const CH_WB_HI: u64 = 0x8C;

/// SGDMA register offsets.
pub const SG_DSC_LO: u64 = 0x80;
pub const SG_DSC_HI: u64 = 0x84;
pub const SG_DSC_ADJ: u64 = 0x88;
pub const SG_CREDITS: u64 = 0x8C;

/// SGDMA common register offsets.
pub const COMMON_HALT: u64 = 0x10;
pub const COMMON_HALT_W1S: u64 = 0x14;
pub const COMMON_HALT_W1C: u64 = 0x18;
pub const COMMON_CREDIT: u64 = 0x20;
pub const COMMON_CREDIT_W1S: u64 = 0x24;
pub const COMMON_CREDIT_W1C: u64 = 0x28;

/// Control register bits.
pub const CTRL_RUN: u32 = 1 << 0;
pub const CTRL_IE_DESC_STOPPED: u32 = 1 << 1;
pub const CTRL_IE_DESC_COMPLETED: u32 = 1 << 2;
pub const CTRL_POLL_WB: u32 = 1 << 26;
pub const CTRL_MASK: u32 = 0x0FFF_FE7F;

/// Status register bits.
pub const ST_BUSY: u32 = 1 << 0;
pub const ST_DESC_STOPPED: u32 = 1 << 1;
pub const ST_DESC_COMPLETED: u32 = 1 << 2;
pub const ST_MAGIC_STOPPED: u32 = 1 << 4;
pub const ST_READ_UNSUPPORTED: u32 = 1 << 9;
pub const ST_READ_DECODE_C2H: u32 = 1 << 9;
pub const ST_WRITE_DECODE: u32 = 1 << 14;
pub const ST_DESC_UNSUPPORTED: u32 = 1 << 19;
/// Bits cleared by a rising edge of Run (1..=23).
pub const ST_CLEARED_ON_RUN: u32 = 0x00FF_FFFE;
/// Error bits whose OR is the writeback STS_ERR flag.
pub const ST_ERRORS: u32 = 0x00F8_FE38;

/// Descriptor fields.
pub const DESC_MAGIC: u32 = 0xAD4B;
pub const DESC_STOP: u32 = 1 << 0;
pub const DESC_COMPLETED: u32 = 1 << 1;
pub const DESC_EOP: u32 = 1 << 4;
pub const DESC_LEN_MASK: u32 = 0x0FFF_FFFF;
pub const STREAM_WB_MAGIC: u32 = 0x52B4_0000;

/// Credits register maximum.
pub const MAX_CREDITS: u32 = 1023;
