//! Identity checks of one channel's register blocks (xilinx_dma_bridge.md §4.5 steps 2-3),
//! channel discovery (§4.4), and the register accesses of one channel.

use std::fmt;

use vfio_access::{Device, Mmio};

use crate::register_map::{
    channel, control, identifier, sgdma, sgdma_common, status, Alignments, Target, DMA_BAR_WINDOW,
    MAX_CHANNELS,
};

/// Transfer direction of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DmaDirection {
    /// Host to card.
    H2C,
    /// Card to host.
    C2H,
}

impl DmaDirection {
    /// The channel block and SGDMA block targets of this direction.
    pub const fn targets(self) -> (Target, Target) {
        match self {
            DmaDirection::H2C => (Target::H2cChannel, Target::H2cSgdma),
            DmaDirection::C2H => (Target::C2hChannel, Target::C2hSgdma),
        }
    }

    /// The bit of `channel_id` in the SGDMA common registers (§2.5).
    pub const fn common_bit(self, channel_id: u8) -> u32 {
        match self {
            DmaDirection::H2C => 1 << channel_id,
            DmaDirection::C2H => 1 << (sgdma_common::C2H_BIT_SHIFT + channel_id as u32),
        }
    }

    /// The Control value written at initialisation (§2.3).
    pub const fn init_control(self) -> u32 {
        match self {
            DmaDirection::H2C => control::INIT_H2C,
            DmaDirection::C2H => control::INIT_C2H,
        }
    }

    pub const fn is_c2h(self) -> bool {
        matches!(self, DmaDirection::C2H)
    }

    /// `h2c` / `c2h`, as the 2023 programs print it.
    pub const fn lower_case(self) -> &'static str {
        match self {
            DmaDirection::H2C => "h2c",
            DmaDirection::C2H => "c2h",
        }
    }
}

impl fmt::Display for DmaDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DmaDirection::H2C => "H2C",
            DmaDirection::C2H => "C2H",
        })
    }
}

/// The DMA BAR is too small for the 64 KiB register window (§4.5 step 2; the original's
/// message has no closing bracket).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("BAR[{bar} size of 0x{size:x} too small for DMA/Bridge Subsystem for PCI Express")]
pub struct DmaWindowError {
    pub bar: u8,
    pub size: u64,
}

/// Maps the 64 KiB DMA window of BAR `bar`.
pub fn map_dma_window(device: &Device, bar: u8) -> Result<Mmio, DmaWindowError> {
    let size = device.bar_info(bar).map_or(0, |b| b.size);
    device
        .frame(bar, 0, DMA_BAR_WINDOW)
        .ok_or(DmaWindowError { bar, size })
}

fn interface_name(stream: bool) -> &'static str {
    if stream {
        "stream"
    } else {
        "memory mapped"
    }
}

/// A block's Identifier does not match the channel expected (§4.5 step 3 messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("For expected_submodule {target} unexpected subsystem ID 0x{subsystem:x}")]
    Subsystem { target: u32, subsystem: u32 },
    #[error("expected_submodule {target}, but actual_submodule {actual}")]
    Target { target: u32, actual: u32 },
    #[error(
        "For submodule {target} endpoint is AXI4 {}, but expected AXI4 {}",
        interface_name(*actual_stream),
        interface_name(!*actual_stream)
    )]
    Interface { target: u32, actual_stream: bool },
    #[error(
        "expected_submodule {target} actual_channel_id {actual} expected_channel_id {expected}"
    )]
    Channel {
        target: u32,
        actual: u32,
        expected: u8,
    },
}

fn check_identifier(
    bar: &Mmio,
    base: u64,
    target: Target,
    per_channel: Option<(bool, u8)>,
) -> Result<(), IdentityError> {
    let id = identifier::decode(bar.read32(base + identifier::OFFSET));
    let target = target.number();
    if id.subsystem != identifier::SUBSYSTEM_ID {
        return Err(IdentityError::Subsystem {
            target,
            subsystem: id.subsystem,
        });
    }
    if id.target != target {
        return Err(IdentityError::Target {
            target,
            actual: id.target,
        });
    }
    if let Some((stream, channel)) = per_channel {
        if id.stream != stream {
            return Err(IdentityError::Interface {
                target,
                actual_stream: id.stream,
            });
        }
        if id.channel != u32::from(channel) {
            return Err(IdentityError::Channel {
                target,
                actual: id.channel,
                expected: channel,
            });
        }
    }
    Ok(())
}

/// The checked register blocks of one channel in the DMA window, its alignments, and the
/// register accesses the drivers make.
#[derive(Debug, Clone)]
pub struct ChannelBlocks {
    pub direction: DmaDirection,
    pub channel_id: u8,
    /// The 64 KiB DMA window.
    pub bar: Mmio,
    pub channel_base: u64,
    pub sgdma_base: u64,
    pub common_base: u64,
    pub alignments: Alignments,
}

impl ChannelBlocks {
    /// Checks the identity of the channel's blocks (channel, SGDMA, SGDMA common) and
    /// reads its Alignments register.
    pub fn check(
        bar: &Mmio,
        direction: DmaDirection,
        channel_id: u8,
        stream: bool,
    ) -> Result<Self, IdentityError> {
        let (channel_target, sgdma_target) = direction.targets();
        let channel_base = channel_target.base(channel_id);
        let sgdma_base = sgdma_target.base(channel_id);
        let common_base = Target::SgdmaCommon.base(0);
        let per_channel = Some((stream, channel_id));
        check_identifier(bar, channel_base, channel_target, per_channel)?;
        check_identifier(bar, sgdma_base, sgdma_target, per_channel)?;
        check_identifier(bar, common_base, Target::SgdmaCommon, None)?;
        let alignments = Alignments::decode(bar.read32(channel_base + channel::ALIGNMENTS));
        Ok(Self {
            direction,
            channel_id,
            bar: bar.clone(),
            channel_base,
            sgdma_base,
            common_base,
            alignments,
        })
    }

    /// The Stream bit of the channel block's Identifier.
    pub fn identifier_says_stream(&self) -> bool {
        identifier::decode(self.bar.read32(self.channel_base + identifier::OFFSET)).stream
    }

    fn common_bit(&self) -> u32 {
        self.direction.common_bit(self.channel_id)
    }

    pub fn status(&self) -> u32 {
        self.bar.read32(self.channel_base + channel::STATUS)
    }

    pub fn is_busy(&self) -> bool {
        self.status() & status::BUSY != 0
    }

    pub fn control(&self) -> u32 {
        self.bar.read32(self.channel_base + channel::CONTROL)
    }

    /// Writes the whole Control register (RW view).
    pub fn write_control(&self, value: u32) {
        self.bar
            .write32(self.channel_base + channel::CONTROL, value);
    }

    pub fn set_run(&self) {
        self.bar
            .write32(self.channel_base + channel::CONTROL_W1S, control::RUN);
    }

    pub fn clear_run(&self) {
        self.bar
            .write32(self.channel_base + channel::CONTROL_W1C, control::RUN);
    }

    /// Poll-mode writeback address, low word then high word (§2.6).
    pub fn writeback_address(&self) -> u64 {
        self.bar
            .read64_split(self.channel_base + channel::POLL_WRITEBACK_ADDRESS)
    }

    pub fn set_writeback_address(&self, iova: u64) {
        self.bar
            .write64_split(self.channel_base + channel::POLL_WRITEBACK_ADDRESS, iova);
    }

    /// First descriptor address (low then high word) and 0 adjacent descriptors.
    pub fn set_first_descriptor(&self, iova: u64) {
        self.bar
            .write64_split(self.sgdma_base + sgdma::DESCRIPTOR_ADDRESS, iova);
        self.bar
            .write32(self.sgdma_base + sgdma::DESCRIPTOR_ADJACENT, 0);
    }

    /// Credits remaining.
    pub fn credits(&self) -> u32 {
        self.bar.read32(self.sgdma_base + sgdma::DESCRIPTOR_CREDITS)
    }

    /// Adds `n` credits (at most 1023 outstanding).
    pub fn add_credits(&self, n: u32) {
        self.bar
            .write32(self.sgdma_base + sgdma::DESCRIPTOR_CREDITS, n);
    }

    /// Halts (or resumes) descriptor fetches of this channel.
    pub fn set_fetch_halted(&self, halted: bool) {
        let at = if halted {
            sgdma_common::DESCRIPTOR_CONTROL_W1S
        } else {
            sgdma_common::DESCRIPTOR_CONTROL_W1C
        };
        self.bar.write32(self.common_base + at, self.common_bit());
    }

    /// Enables (or disables, which also clears the credits) credit mode for this channel.
    pub fn set_credit_mode(&self, enabled: bool) {
        let at = if enabled {
            sgdma_common::CREDIT_MODE_ENABLE_W1S
        } else {
            sgdma_common::CREDIT_MODE_ENABLE_W1C
        };
        self.bar.write32(self.common_base + at, self.common_bit());
    }
}

/// The channels found in each direction.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    pub h2c: Vec<ChannelBlocks>,
    pub c2h: Vec<ChannelBlocks>,
}

impl Channels {
    /// H2C channels then C2H channels.
    pub fn iter(&self) -> impl Iterator<Item = &ChannelBlocks> {
        self.h2c.iter().chain(self.c2h.iter())
    }
}

/// Counts channels by trying IDs 0..3 for H2C then C2H, stopping at the first whose
/// identity checks fail (§4.4). Read-only: safe while channels are active. A window
/// smaller than 64 KiB has no channels.
pub fn discover_channels(bar: &Mmio, stream: bool) -> Channels {
    if bar.len() < DMA_BAR_WINDOW {
        return Channels::default();
    }
    let find = |direction| {
        (0..MAX_CHANNELS)
            .map_while(|ch| ChannelBlocks::check(bar, direction, ch, stream).ok())
            .collect()
    };
    Channels {
        h2c: find(DmaDirection::H2C),
        c2h: find(DmaDirection::C2H),
    }
}

/// The header of the channel table (§4.4).
pub const CHANNEL_TABLE_HEADER: &str =
    "  Channel ID  addr_alignment  len_granularity  num_address_bits";

/// One row of the channel table, e.g. `       H2C 0               1                1                64`.
pub fn channel_table_row(c: &ChannelBlocks) -> String {
    format!(
        "       {} {}  {:>14}  {:>15}  {:>16}",
        c.direction,
        c.channel_id,
        c.alignments.addr_alignment,
        c.alignments.len_granularity,
        c.alignments.num_address_bits
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_messages_are_the_original_ones() {
        assert_eq!(
            IdentityError::Interface {
                target: 1,
                actual_stream: false
            }
            .to_string(),
            "For submodule 1 endpoint is AXI4 memory mapped, but expected AXI4 stream"
        );
        assert_eq!(
            IdentityError::Channel {
                target: 5,
                actual: 0,
                expected: 1
            }
            .to_string(),
            "expected_submodule 5 actual_channel_id 0 expected_channel_id 1"
        );
        assert_eq!(
            DmaWindowError {
                bar: 2,
                size: 0x1000
            }
            .to_string(),
            "BAR[2 size of 0x1000 too small for DMA/Bridge Subsystem for PCI Express"
        );
    }

    #[test]
    fn common_bits() {
        assert_eq!(DmaDirection::H2C.common_bit(2), 0x4);
        assert_eq!(DmaDirection::C2H.common_bit(1), 0x2_0000);
    }
}
