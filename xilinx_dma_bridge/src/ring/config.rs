//! The caller-supplied configuration of one ring channel (xilinx_dma_bridge.md §4.2), with
//! enums where the original used sentinel values (card memory size 0 meaning stream,
//! bytes per buffer 0 meaning variable transfers, a negative timeout meaning none).

use std::time::Duration;

use xdma_registers::DmaDirection;

/// The user interface of the channel's AXI side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelInterface {
    /// AXI4-Stream (the loopback designs).
    Stream,
    /// AXI4 memory mapped: `card_memory_size` bytes of card memory from AXI address
    /// `card_memory_base`.
    MemoryMapped {
        card_memory_size: u64,
        card_memory_base: u64,
    },
}

impl ChannelInterface {
    /// Memory mapped over `card_memory_size` bytes from AXI address 0.
    pub const fn memory(card_memory_size: u64) -> Self {
        ChannelInterface::MemoryMapped {
            card_memory_size,
            card_memory_base: 0,
        }
    }

    pub const fn is_stream(self) -> bool {
        matches!(self, ChannelInterface::Stream)
    }
}

/// How the ring's descriptors map to host (and card) memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferLayout {
    /// Descriptors are filled per transfer ([`DmaChannel::populate_mm_transfer`] and
    /// [`DmaChannel::populate_stream_transfer`]).
    ///
    /// [`DmaChannel::populate_mm_transfer`]: super::DmaChannel::populate_mm_transfer
    /// [`DmaChannel::populate_stream_transfer`]: super::DmaChannel::populate_stream_transfer
    Variable,
    /// One buffer of `bytes_per_buffer` per descriptor, consecutive from the given start
    /// offsets of the host data mapping and (memory mapped) of the card memory.
    Fixed {
        bytes_per_buffer: u64,
        host_start_offset: u64,
        card_start_offset: u64,
    },
}

impl BufferLayout {
    /// Fixed buffers from offset 0 on both sides.
    pub const fn fixed(bytes_per_buffer: u64) -> Self {
        BufferLayout::Fixed {
            bytes_per_buffer,
            host_start_offset: 0,
            card_start_offset: 0,
        }
    }

    /// The fixed buffer size, if fixed.
    pub const fn bytes_per_buffer(self) -> Option<u64> {
        match self {
            BufferLayout::Variable => None,
            BufferLayout::Fixed {
                bytes_per_buffer, ..
            } => Some(bytes_per_buffer),
        }
    }
}

/// Configuration of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub interface: ChannelInterface,
    pub buffers: BufferLayout,
    /// Raises the address alignment used for validation (tests pass 1).
    pub min_size_alignment: u64,
    /// Ring size: 1..=1023, or more in C2H continuous mode.
    pub num_descriptors: u32,
    pub direction: DmaDirection,
    pub channel_id: u8,
    /// C2H stream only: credits disabled, the engine loops round the ring by itself.
    pub c2h_stream_continuous: bool,
    /// Per-transfer timeout, measured from the most recent start; `None` waits forever.
    pub timeout: Option<Duration>,
    /// Index of the BAR holding the DMA registers.
    pub bar_index: u8,
}

impl ChannelConfig {
    /// A configuration with the usual defaults: variable transfers, one descriptor,
    /// timeout 10 s, min alignment 1.
    pub fn new(
        direction: DmaDirection,
        channel_id: u8,
        interface: ChannelInterface,
        bar_index: u8,
    ) -> Self {
        Self {
            interface,
            buffers: BufferLayout::Variable,
            min_size_alignment: 1,
            num_descriptors: 1,
            direction,
            channel_id,
            c2h_stream_continuous: false,
            timeout: Some(Duration::from_secs(10)),
            bar_index,
        }
    }
}
