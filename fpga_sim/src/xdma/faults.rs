//! Fault injection (xilinx_dma_bridge.md 10.4): one-shot faults armed on a channel, from tests through
//! [`XdmaModel::inject_fault`](super::XdmaModel::inject_fault) or, for tools run as
//! separate processes, through the [`XDMA_FAULT_ENV`] environment variable.

use std::fmt;
use std::str::FromStr;

/// Environment variable read when a model is created: a comma-separated list of
/// `<fault>:<h2c|c2h><channel>[@<n>]`, e.g. `stall:h2c0`, `corrupt_word:c2h1@5`,
/// `descriptor_error:c2h1`, `iommu_fault:h2c0`. For `corrupt_word` `<n>` is the index of
/// the 32-bit word (counted from the channel's first byte moved) to corrupt; for the other
/// faults it is the number of descriptors to let through before the fault (default 0).
pub const XDMA_FAULT_ENV: &str = "FPGA_SIM_XDMA_FAULT";

/// Transfer direction of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    H2C,
    C2H,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::H2C => "h2c",
            Direction::C2H => "c2h",
        })
    }
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The descriptor completes with a descriptor error (status bit 19, unsupported
    /// request): the completed-count writeback carries STS_ERR and the engine stops.
    DescriptorError,
    /// The engine never completes the descriptor, and Busy never clears, even after Run is
    /// cleared (a hung engine; finalisation times out).
    Stall,
    /// The 32-bit word with this index (counted over the bytes the channel moves from the
    /// moment the fault is armed) is inverted on its way through the channel.
    CorruptWord(u64),
    /// The descriptor fetch is refused by the IOMMU, as if the descriptor IOVA were not
    /// mapped: status 0x80010 (unsupported request + magic stopped), engine stopped.
    IommuFault,
}

/// A fault armed on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdmaFault {
    pub direction: Direction,
    pub channel: u8,
    pub kind: FaultKind,
    /// Descriptors to let through before the fault hits (not used by `CorruptWord`).
    pub after_descriptors: u64,
}

impl XdmaFault {
    pub fn new(direction: Direction, channel: u8, kind: FaultKind) -> Self {
        Self {
            direction,
            channel,
            kind,
            after_descriptors: 0,
        }
    }
}

/// Why a fault specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid XDMA fault specification '{0}' (expected <descriptor_error|stall|corrupt_word|iommu_fault>:<h2c|c2h><channel>[@<n>])")]
pub struct FaultSpecError(pub String);

impl FromStr for XdmaFault {
    type Err = FaultSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || FaultSpecError(text.to_string());
        let (kind, rest) = text.trim().split_once(':').ok_or_else(bad)?;
        let (chan, n) = match rest.split_once('@') {
            Some((c, n)) => (c, Some(n.parse::<u64>().map_err(|_| bad())?)),
            None => (rest, None),
        };
        let (direction, num) = if let Some(n) = chan.strip_prefix("h2c") {
            (Direction::H2C, n)
        } else if let Some(n) = chan.strip_prefix("c2h") {
            (Direction::C2H, n)
        } else {
            return Err(bad());
        };
        let channel: u8 = num.parse().ok().filter(|&c| c < 4).ok_or_else(bad)?;
        let kind = match kind {
            "descriptor_error" => FaultKind::DescriptorError,
            "stall" => FaultKind::Stall,
            "corrupt_word" => FaultKind::CorruptWord(n.unwrap_or(0)),
            "iommu_fault" => FaultKind::IommuFault,
            _ => return Err(bad()),
        };
        let after_descriptors = match kind {
            FaultKind::CorruptWord(_) => 0,
            _ => n.unwrap_or(0),
        };
        Ok(Self {
            direction,
            channel,
            kind,
            after_descriptors,
        })
    }
}

/// Parses the value of [`XDMA_FAULT_ENV`].
pub fn parse_fault_list(text: &str) -> Result<Vec<XdmaFault>, FaultSpecError> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f: XdmaFault = "corrupt_word:c2h1@5".parse().unwrap();
        assert_eq!(f.kind, FaultKind::CorruptWord(5));
        assert_eq!((f.direction, f.channel), (Direction::C2H, 1));
        let l = parse_fault_list("stall:h2c0,iommu_fault:c2h0@3").unwrap();
        assert_eq!(l[0].kind, FaultKind::Stall);
        assert_eq!(l[1].after_descriptors, 3);
        assert!("stall:x0".parse::<XdmaFault>().is_err());
        assert!("stall:h2c7".parse::<XdmaFault>().is_err());
        assert!("boom:h2c0".parse::<XdmaFault>().is_err());
    }
}
