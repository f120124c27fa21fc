//! XDMA register offsets and bits (fact sheet section 2) and the decoding of the channel
//! Status register into names.

/// The DMA register window every channel maps.
pub const DMA_BAR_WINDOW: u64 = 0x1_0000;

pub const SUBSYSTEM_ID: u32 = 0x1FC;

/// Block targets (BAR offset bits 15:12).
pub const TARGET_H2C_CHANNEL: u32 = 0;
pub const TARGET_C2H_CHANNEL: u32 = 1;
pub const TARGET_H2C_SGDMA: u32 = 4;
pub const TARGET_C2H_SGDMA: u32 = 5;
pub const TARGET_SGDMA_COMMON: u32 = 6;

/// Channel block registers.
pub const CH_IDENTIFIER: u64 = 0x00;
pub const CH_CONTROL: u64 = 0x04;
pub const CH_CONTROL_W1S: u64 = 0x08;
pub const CH_CONTROL_W1C: u64 = 0x0C;
pub const CH_STATUS: u64 = 0x40;
pub const CH_COMPLETED_COUNT: u64 = 0x48;
pub const CH_ALIGNMENTS: u64 = 0x4C;
pub const CH_POLL_WB_ADDR: u64 = 0x88;

/// SGDMA block registers.
pub const SG_DESCRIPTOR_ADDR: u64 = 0x80;
pub const SG_DESCRIPTOR_ADJACENT: u64 = 0x88;
pub const SG_DESCRIPTOR_CREDITS: u64 = 0x8C;

/// SGDMA common registers.
pub const COMMON_DSC_CONTROL_W1S: u64 = 0x14;
pub const COMMON_DSC_CONTROL_W1C: u64 = 0x18;
pub const COMMON_CREDIT_ENABLE_W1S: u64 = 0x24;
pub const COMMON_CREDIT_ENABLE_W1C: u64 = 0x28;

/// Control bits.
pub const CONTROL_RUN: u32 = 1 << 0;
/// Control values written at initialisation (fact sheet 2.3), Run clear.
pub const CONTROL_INIT_H2C: u32 = 0x04FF_FE38;
pub const CONTROL_INIT_C2H: u32 = 0x04F8_3E38;

/// Status bits.
pub const STATUS_BUSY: u32 = 1 << 0;

/// Maximum descriptor credits.
pub const MAX_CREDITS: u32 = 1023;

/// Base of a block inside the DMA BAR.
pub const fn block_base(target: u32, channel: u8) -> u64 {
    ((target as u64) << 12) | ((channel as u64) << 8)
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
