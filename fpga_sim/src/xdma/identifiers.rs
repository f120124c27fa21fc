//! Identifier (offset 0x00) and alignment (offset 0x4C) registers of the XDMA blocks.

use super::XdmaConfig;

/// Block targets, address bits 15:12 of the DMA BAR.
const H2C: u64 = 0;
const C2H: u64 = 1;
const H2C_SGDMA: u64 = 4;
const C2H_SGDMA: u64 = 5;
const SGDMA_COMMON: u64 = 6;

/// IP version field of the identifier registers (the drivers never check it).
const VERSION: u32 = 0x06;

/// Alignment register: address alignment 1, transfer length granularity 1, 64 address bits.
const ALIGNMENTS: u32 = 0x0001_0140;

/// The identifier or alignment register at `offset`, if it is one of those.
pub fn read(config: &XdmaConfig, offset: u64) -> Option<u32> {
    let target = (offset >> 12) & 0xf;
    let channel = (offset >> 8) & 0xf;
    let reg = offset & 0xff;
    let channels = match target {
        H2C | H2C_SGDMA => u64::from(config.h2c_channels),
        C2H | C2H_SGDMA => u64::from(config.c2h_channels),
        SGDMA_COMMON => 1,
        _ => return None,
    };
    // Channels beyond the configured count carry no valid identifier.
    if channel >= channels {
        return Some(0);
    }
    let per_channel = target != SGDMA_COMMON;
    match reg {
        0x00 => {
            let stream = if per_channel && config.stream {
                0x8000
            } else {
                0
            };
            let chan = if per_channel {
                (channel as u32) << 8
            } else {
                0
            };
            Some(0x1FC0_0000 | ((target as u32) << 16) | stream | chan | VERSION)
        }
        0x4C if target == H2C || target == C2H => Some(ALIGNMENTS),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_values_follow_pg195() {
        let c = XdmaConfig {
            h2c_channels: 2,
            c2h_channels: 2,
            stream: true,
            card_memory_bytes: 0,
            user_logic: Default::default(),
        };
        assert_eq!(read(&c, 0x0000), Some(0x1FC0_8006));
        assert_eq!(read(&c, 0x1100), Some(0x1FC1_8106));
        assert_eq!(read(&c, 0x5100), Some(0x1FC5_8106));
        assert_eq!(read(&c, 0x6000), Some(0x1FC6_0006));
        assert_eq!(read(&c, 0x0200), Some(0), "third channel absent");
        assert_eq!(read(&c, 0x104C), Some(ALIGNMENTS));
    }
}
