//! Channel identity checks (fact sheet 4.5 steps 2-3) and channel discovery (4.4).

use std::fmt;

use vfio_access::{Device, Mmio};

use crate::registers::*;

/// Transfer direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    H2C,
    C2H,
}

impl Direction {
    fn targets(self) -> (u32, u32) {
        match self {
            Direction::H2C => (TARGET_H2C_CHANNEL, TARGET_H2C_SGDMA),
            Direction::C2H => (TARGET_C2H_CHANNEL, TARGET_C2H_SGDMA),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::H2C => "H2C",
            Direction::C2H => "C2H",
        })
    }
}

/// The mapped register blocks of one channel and its alignment register.
#[derive(Debug, Clone)]
pub struct ChannelRegisters {
    pub direction: Direction,
    pub channel_id: u8,
    /// The 64 KiB DMA window.
    pub bar: Mmio,
    pub channel_base: u64,
    pub sgdma_base: u64,
    pub common_base: u64,
    pub addr_alignment: u32,
    pub len_granularity: u32,
    pub num_address_bits: u32,
}

fn interface(stream: bool) -> &'static str {
    if stream {
        "stream"
    } else {
        "memory mapped"
    }
}

/// Maps the DMA window of `bar_index`: the message of 4.5 step 2 when the BAR is too small.
pub fn map_dma_window(device: &Device, bar_index: u8) -> Result<Mmio, String> {
    let size = device.bar_info(bar_index).map_or(0, |b| b.size);
    device.frame(bar_index, 0, DMA_BAR_WINDOW).ok_or_else(|| {
        format!(
            "BAR[{bar_index} size of 0x{size:x} too small for DMA/Bridge Subsystem for PCI Express"
        )
    })
}

fn check_identifier(
    bar: &Mmio,
    base: u64,
    target: u32,
    per_channel: Option<(bool, u8)>,
) -> Result<(), String> {
    let id = bar.read32(base + CH_IDENTIFIER);
    let subsystem = id >> 20;
    if subsystem != SUBSYSTEM_ID {
        return Err(format!(
            "For expected_submodule {target} unexpected subsystem ID 0x{subsystem:x}"
        ));
    }
    let actual = (id >> 16) & 0xf;
    if actual != target {
        return Err(format!(
            "expected_submodule {target}, but actual_submodule {actual}"
        ));
    }
    if let Some((stream, channel)) = per_channel {
        let is_stream = (id >> 15) & 1 == 1;
        if is_stream != stream {
            return Err(format!(
                "For submodule {target} endpoint is AXI4 {}, but expected AXI4 {}",
                interface(is_stream),
                interface(stream)
            ));
        }
        let actual_channel = (id >> 8) & 0xf;
        if actual_channel != u32::from(channel) {
            return Err(format!(
                "expected_submodule {target} actual_channel_id {actual_channel} expected_channel_id {channel}"
            ));
        }
    }
    Ok(())
}

/// Checks the identity of one channel's blocks in the DMA window and reads its alignments.
pub fn channel_registers(
    bar: &Mmio,
    direction: Direction,
    channel_id: u8,
    stream: bool,
) -> Result<ChannelRegisters, String> {
    let (channel_target, sgdma_target) = direction.targets();
    let channel_base = block_base(channel_target, channel_id);
    let sgdma_base = block_base(sgdma_target, channel_id);
    let common_base = block_base(TARGET_SGDMA_COMMON, 0);
    check_identifier(
        bar,
        channel_base,
        channel_target,
        Some((stream, channel_id)),
    )?;
    check_identifier(bar, sgdma_base, sgdma_target, Some((stream, channel_id)))?;
    check_identifier(bar, common_base, TARGET_SGDMA_COMMON, None)?;
    let a = bar.read32(channel_base + CH_ALIGNMENTS);
    Ok(ChannelRegisters {
        direction,
        channel_id,
        bar: bar.clone(),
        channel_base,
        sgdma_base,
        common_base,
        addr_alignment: (a >> 16) & 0xff,
        len_granularity: (a >> 8) & 0xff,
        num_address_bits: a & 0xff,
    })
}

/// The channels found in each direction.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    pub h2c: Vec<ChannelRegisters>,
    pub c2h: Vec<ChannelRegisters>,
}

/// Counts channels by trying IDs 0..3 for H2C then C2H, stopping at the first whose
/// identity checks fail. Read-only: safe while channels are active.
pub fn discover_channels(device: &Device, bar_index: u8, stream: bool) -> Channels {
    let Ok(bar) = map_dma_window(device, bar_index) else {
        return Channels::default();
    };
    discover_in(&bar, stream)
}

/// [`discover_channels`] on an already mapped DMA window.
pub fn discover_in(bar: &Mmio, stream: bool) -> Channels {
    let find = |direction| {
        (0..4u8)
            .map_while(|ch| channel_registers(bar, direction, ch, stream).ok())
            .collect()
    };
    Channels {
        h2c: find(Direction::H2C),
        c2h: find(Direction::C2H),
    }
}

/// The display table of 4.4.
pub fn format_channel_table(channels: &Channels) -> String {
    let mut s = String::from("  Channel ID  addr_alignment  len_granularity  num_address_bits\n");
    for c in channels.h2c.iter().chain(channels.c2h.iter()) {
        s += &format!(
            "{:>10} {}{:>16}{:>17}{:>18}\n",
            c.direction.to_string(),
            c.channel_id,
            c.addr_alignment,
            c.len_granularity,
            c.num_address_bits
        );
    }
    s
}

/// The C2H channel a stream test pairs with H2C channel `h2c` (cross-wired loopback:
/// 0 -> 1, 1 -> 0): `h - 1` for odd `h`, else `(h + 1) mod num_c2h`.
pub fn stream_partner(h2c: u8, num_c2h: usize) -> u8 {
    if h2c % 2 == 1 {
        h2c - 1
    } else if num_c2h == 0 {
        0
    } else {
        ((usize::from(h2c) + 1) % num_c2h) as u8
    }
}
