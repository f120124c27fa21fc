//! The XDMA register map as software uses it (xilinx_dma_bridge.md §2): where each block
//! sits in the DMA BAR, the registers of each block and their bit fields, and the decoding
//! of the channel Status register into names.

/// The DMA register window every channel maps (xilinx_dma_bridge.md §2.1: 64 KiB).
pub const DMA_BAR_WINDOW: u64 = 0x1_0000;

/// Channels per direction the IP can have (IDs 0..3).
pub const MAX_CHANNELS: u8 = 4;

/// Maximum descriptor credits outstanding on one channel (§2.4: 10-bit register).
pub const MAX_CREDITS: u32 = 1023;

/// A block of the DMA BAR: BAR offset bits [15:12] (§2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    H2cChannel = 0,
    C2hChannel = 1,
    H2cSgdma = 4,
    C2hSgdma = 5,
    SgdmaCommon = 6,
}

impl Target {
    /// The target number the block's Identifier carries.
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// Base of the block for `channel` (bits [11:8]; ignored by non-per-channel blocks,
    /// which alias every 0x100).
    pub const fn base(self, channel: u8) -> u64 {
        ((self as u64) << 12) | ((channel as u64) << 8)
    }
}

/// The Identifier register at offset 0x00 of every block (§2.2).
pub mod identifier {
    pub const OFFSET: u64 = 0x00;
    /// [31:20]: 0x1FC for the DMA/Bridge Subsystem for PCI Express.
    pub const SUBSYSTEM_SHIFT: u32 = 20;
    pub const SUBSYSTEM_MASK: u32 = 0xFFF;
    pub const SUBSYSTEM_ID: u32 = 0x1FC;
    /// [19:16]: the block's target number.
    pub const TARGET_SHIFT: u32 = 16;
    pub const TARGET_MASK: u32 = 0xF;
    /// [15]: per-channel blocks, 1 = AXI4-Stream, 0 = AXI4 memory mapped.
    pub const STREAM: u32 = 1 << 15;
    /// [11:8]: per-channel blocks, the channel number.
    pub const CHANNEL_SHIFT: u32 = 8;
    pub const CHANNEL_MASK: u32 = 0xF;

    /// The fields of one Identifier value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Fields {
        pub subsystem: u32,
        pub target: u32,
        pub stream: bool,
        pub channel: u32,
    }

    pub const fn decode(value: u32) -> Fields {
        Fields {
            subsystem: (value >> SUBSYSTEM_SHIFT) & SUBSYSTEM_MASK,
            target: (value >> TARGET_SHIFT) & TARGET_MASK,
            stream: value & STREAM != 0,
            channel: (value >> CHANNEL_SHIFT) & CHANNEL_MASK,
        }
    }
}

/// H2C / C2H Channel block registers (§2.3).
pub mod channel {
    pub const CONTROL: u64 = 0x04;
    pub const CONTROL_W1S: u64 = 0x08;
    pub const CONTROL_W1C: u64 = 0x0C;
    /// RW1C; a read does not clear it.
    pub const STATUS: u64 = 0x40;
    pub const COMPLETED_COUNT: u64 = 0x48;
    pub const ALIGNMENTS: u64 = 0x4C;
    /// Poll-mode writeback address, low word (high word at +4).
    pub const POLL_WRITEBACK_ADDRESS: u64 = 0x88;
}

/// Control register bits, identical in the RW, W1S and W1C views (§2.3).
pub mod control {
    pub const RUN: u32 = 1 << 0;
    pub const IE_DESCRIPTOR_STOPPED: u32 = 1 << 1;
    pub const IE_DESCRIPTOR_COMPLETED: u32 = 1 << 2;
    pub const IE_ALIGN_MISMATCH: u32 = 1 << 3;
    pub const IE_MAGIC_STOPPED: u32 = 1 << 4;
    pub const IE_INVALID_LENGTH: u32 = 1 << 5;
    pub const IE_IDLE_STOPPED: u32 = 1 << 6;
    /// [13:9] all five read-error log enables.
    pub const IE_READ_ERROR: u32 = 0x1F << 9;
    /// [18:14] all five write-error log enables (H2C only in the original).
    pub const IE_WRITE_ERROR: u32 = 0x1F << 14;
    /// [23:19] all five descriptor-error log enables.
    pub const IE_DESCRIPTOR_ERROR: u32 = 0x1F << 19;
    pub const NON_INCREMENTING_ADDRESS: u32 = 1 << 25;
    pub const POLL_MODE_WRITEBACK: u32 = 1 << 26;
    pub const STREAM_WRITEBACK_DISABLE: u32 = 1 << 27;

    /// Error logging enables every channel gets.
    pub const ERROR_ENABLES_C2H: u32 = IE_DESCRIPTOR_ERROR
        | IE_READ_ERROR
        | IE_INVALID_LENGTH
        | IE_MAGIC_STOPPED
        | IE_ALIGN_MISMATCH;
    pub const ERROR_ENABLES_H2C: u32 = ERROR_ENABLES_C2H | IE_WRITE_ERROR;

    /// The values written to Control (RW) at initialisation, Run clear: 0x04FFFE38 and
    /// 0x04F83E38 (§2.3).
    pub const INIT_H2C: u32 = POLL_MODE_WRITEBACK | ERROR_ENABLES_H2C;
    pub const INIT_C2H: u32 = POLL_MODE_WRITEBACK | ERROR_ENABLES_C2H;
}

/// Status register bits (§2.3). Bits 9 and 10 mean different things per direction.
pub mod status {
    pub const BUSY: u32 = 1 << 0;
    pub const DESCRIPTOR_STOPPED: u32 = 1 << 1;
    pub const DESCRIPTOR_COMPLETED: u32 = 1 << 2;
    pub const ALIGN_MISMATCH: u32 = 1 << 3;
    pub const MAGIC_STOPPED: u32 = 1 << 4;
    pub const INVALID_LENGTH: u32 = 1 << 5;
    pub const IDLE_STOPPED: u32 = 1 << 6;
    pub const DESCRIPTOR_ERROR_UNSUPPORTED_REQUEST: u32 = 1 << 19;
}

/// The Alignments register (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alignments {
    /// [23:16], bytes.
    pub addr_alignment: u32,
    /// [15:8], bytes.
    pub len_granularity: u32,
    /// [7:0].
    pub num_address_bits: u32,
}

impl Alignments {
    pub const fn decode(value: u32) -> Self {
        Self {
            addr_alignment: (value >> 16) & 0xFF,
            len_granularity: (value >> 8) & 0xFF,
            num_address_bits: value & 0xFF,
        }
    }
}

/// H2C / C2H SGDMA block registers (§2.4).
pub mod sgdma {
    /// First descriptor address, low word (high word at +4).
    pub const DESCRIPTOR_ADDRESS: u64 = 0x80;
    /// Extra adjacent descriptors after the first, [5:0].
    pub const DESCRIPTOR_ADJACENT: u64 = 0x88;
    /// Write adds credits; read returns the credits remaining, [9:0].
    pub const DESCRIPTOR_CREDITS: u64 = 0x8C;
}

/// SGDMA Common block registers (§2.5); each holds one bit per channel, see
/// [`DmaDirection::common_bit`](crate::DmaDirection::common_bit).
pub mod sgdma_common {
    pub const DESCRIPTOR_CONTROL: u64 = 0x10;
    /// Halt descriptor fetches (W1S) of the channels whose bits are written.
    pub const DESCRIPTOR_CONTROL_W1S: u64 = 0x14;
    pub const DESCRIPTOR_CONTROL_W1C: u64 = 0x18;
    pub const CREDIT_MODE_ENABLE: u64 = 0x20;
    pub const CREDIT_MODE_ENABLE_W1S: u64 = 0x24;
    pub const CREDIT_MODE_ENABLE_W1C: u64 = 0x28;
    /// C2H channel bits start at bit 16.
    pub const C2H_BIT_SHIFT: u32 = 16;
}

/// Status bit names; bits 9 and 10 differ per direction.
const STATUS_NAMES: &[(u32, &str, &str)] = &[
    (23, "descriptor error: unexpected completion", ""),
    (22, "descriptor error: header EP", ""),
    (21, "descriptor error: parity error", ""),
    (20, "descriptor error: completer abort", ""),
    (19, "descriptor error: unsupported request", ""),
    (15, "write error: slave error", ""),
    (14, "write error: decode error", ""),
    (13, "read error: unexpected completion", ""),
    (12, "read error: header EP", ""),
    (11, "read error: parity error", ""),
    (10, "read error: completer abort", "read error: slave error"),
    (
        9,
        "read error: unsupported request",
        "read error: decode error",
    ),
    (6, "idle stopped", ""),
    (5, "invalid length", ""),
    (4, "magic stopped", ""),
    (3, "align mismatch", ""),
    (2, "descriptor completed", ""),
    (1, "descriptor stopped", ""),
    (0, "busy", ""),
];

/// The names of the bits set in a Status value, `, `-separated (`none` when 0); `c2h`
/// selects the C2H meaning of bits 9 and 10.
pub fn status_names(status: u32, c2h: bool) -> String {
    let mut names: Vec<String> = STATUS_NAMES
        .iter()
        .filter(|(bit, _, _)| status & (1 << bit) != 0)
        .map(|(_, h2c_name, c2h_name)| {
            if c2h && !c2h_name.is_empty() {
                (*c2h_name).to_string()
            } else {
                (*h2c_name).to_string()
            }
        })
        .collect();
    let known: u32 = STATUS_NAMES.iter().map(|(b, _, _)| 1u32 << b).sum();
    if status & !known != 0 {
        names.push(format!("reserved 0x{:x}", status & !known));
    }
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_control_values_are_the_original_ones() {
        assert_eq!(control::INIT_H2C, 0x04FF_FE38);
        assert_eq!(control::INIT_C2H, 0x04F8_3E38);
    }

    #[test]
    fn block_bases() {
        assert_eq!(Target::H2cChannel.base(0), 0x0000);
        assert_eq!(Target::C2hChannel.base(1), 0x1100);
        assert_eq!(Target::C2hSgdma.base(3), 0x5300);
        assert_eq!(Target::SgdmaCommon.base(0), 0x6000);
    }

    #[test]
    fn identifier_and_alignment_fields() {
        let f = identifier::decode(0x1FC5_8105);
        assert_eq!(
            (f.subsystem, f.target, f.stream, f.channel),
            (0x1FC, 5, true, 1)
        );
        let a = Alignments::decode(0x0001_0140);
        assert_eq!(
            (a.addr_alignment, a.len_granularity, a.num_address_bits),
            (1, 1, 64)
        );
    }

    #[test]
    fn decodes_observed_iommu_fault_status() {
        assert_eq!(
            status_names(0x80010, false),
            "descriptor error: unsupported request, magic stopped"
        );
        assert_eq!(status_names(0x1, true), "busy");
        assert_eq!(status_names(0x200, true), "read error: decode error");
        assert_eq!(status_names(0, false), "none");
        assert_eq!(status_names(1 << 30, false), "reserved 0x40000000");
    }
}
