//! AXI DMA (PG021) registers used in Direct Register mode (designs_after_seed.md §4.7):
//! the MM2S block at 0x00 and the S2MM block at 0x30 have the same layout.

/// Offset of the MM2S (memory to stream) block in the AXI DMA frame.
pub const MM2S_BLOCK: u64 = 0x00;
/// Offset of the S2MM (stream to memory) block.
pub const S2MM_BLOCK: u64 = 0x30;

/// DMA control register.
pub const DMACR: u64 = 0x00;
/// DMA status register.
pub const DMASR: u64 = 0x04;
/// Source (MM2S) / destination (S2MM) address, low word.
pub const ADDRESS_LO: u64 = 0x18;
/// Address, high word (33-bit addresses in this design).
pub const ADDRESS_HI: u64 = 0x1C;
/// Transfer length in bytes; writing a non-zero value starts the transfer.
pub const LENGTH: u64 = 0x28;

/// DMACR bit 0: run/stop.
pub const DMACR_RS: u32 = 1 << 0;
/// DMACR bit 2: soft reset of the whole AXI DMA, self-clearing.
pub const DMACR_RESET: u32 = 1 << 2;

/// DMASR bit 0: the channel is halted.
pub const DMASR_HALTED: u32 = 1 << 0;
/// DMASR bit 1: idle; in Direct mode, the transfer is complete.
pub const DMASR_IDLE: u32 = 1 << 1;

/// The largest transfer the program uses: the 26-bit length register's maximum rounded
/// down to the 64-byte alignment this design needs (no data realignment engine).
pub const MAX_TRANSFER_BYTES: u64 = 0x3FF_FFC0;

/// Bytes of the frame holding both blocks (BAR 0 + 0x2000 in TEF1001_ddr3_throughput).
pub const FRAME_BYTES: u64 = 0x2000;
