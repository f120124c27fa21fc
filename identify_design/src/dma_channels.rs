//! Discovery of the XDMA channels a design has, from the identifier registers (PG195):
//! a channel exists when its channel block, its SGDMA block and the SGDMA common block
//! all carry the identifier; discovery stops at the first missing channel.

use vfio_access::Mmio;

const SUBSYSTEM_ID: u32 = 0x1FC;
const SGDMA_COMMON: u64 = 0x6000;
const ALIGNMENTS: u64 = 0x4C;
/// The IP has at most four channels per direction.
const MAX_CHANNELS: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    H2C,
    C2H,
}

impl Direction {
    fn targets(self) -> (u32, u32) {
        match self {
            Direction::H2C => (0, 4),
            Direction::C2H => (1, 5),
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::H2C => "H2C",
            Direction::C2H => "C2H",
        })
    }
}

/// One discovered channel and its alignment register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaChannel {
    pub direction: Direction,
    pub channel: u8,
    pub addr_alignment: u32,
    pub len_granularity: u32,
    pub address_bits: u32,
}

fn identifier_ok(value: u32, target: u32, per_channel: Option<(bool, u8)>) -> bool {
    let base = value >> 20 == SUBSYSTEM_ID && (value >> 16) & 0xf == target;
    match per_channel {
        None => base,
        Some((stream, channel)) => {
            base && ((value >> 15) & 1 == 1) == stream && (value >> 8) & 0xf == u32::from(channel)
        }
    }
}

/// The H2C channels then the C2H channels of the DMA control BAR `regs` (which must be at
/// least 64 KiB; a smaller window gives no channels).
pub fn discover_channels(regs: &Mmio, stream: bool) -> Vec<DmaChannel> {
    let mut found = Vec::new();
    if regs.len() < 0x1_0000 {
        return found;
    }
    let common_ok = identifier_ok(regs.read32(SGDMA_COMMON), 6, None);
    for direction in [Direction::H2C, Direction::C2H] {
        let (channel_target, sgdma_target) = direction.targets();
        for channel in 0..MAX_CHANNELS {
            let block = (u64::from(channel_target) << 12) | (u64::from(channel) << 8);
            let sgdma = (u64::from(sgdma_target) << 12) | (u64::from(channel) << 8);
            let per_channel = Some((stream, channel));
            if !(identifier_ok(regs.read32(block), channel_target, per_channel)
                && identifier_ok(regs.read32(sgdma), sgdma_target, per_channel)
                && common_ok)
            {
                break;
            }
            let a = regs.read32(block + ALIGNMENTS);
            found.push(DmaChannel {
                direction,
                channel,
                addr_alignment: (a >> 16) & 0xff,
                len_granularity: (a >> 8) & 0xff,
                address_bits: a & 0xff,
            });
        }
    }
    found
}
