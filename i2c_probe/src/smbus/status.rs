//! SMBus message status values and their fixed description texts.

use std::fmt;

/// Outcome of one SMBus message, as reported in `PMBus command ... failed due to ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmbusStatus {
    Success,
    /// No ACK for the first address byte (no device).
    WriteAddressNack,
    /// NACK of the command code or of a write-block byte.
    WriteDataNack,
    /// NACK of the address after the repeated START.
    ReadAddressNack,
    /// Received PEC differs from the one computed over the message.
    ReadIncorrectPec {
        actual: u8,
        expected: u8,
    },
    /// Block count 0 or above the maximum (also used for an unexpected paged-read size and
    /// an unsupported VOUT_MODE).
    InvalidBlockByteCount {
        count: u8,
    },
}

impl SmbusStatus {
    /// The fixed description text of the status.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::WriteAddressNack => "write address NACK",
            Self::WriteDataNack => "write data NACK",
            Self::ReadAddressNack => "read address NACK",
            Self::ReadIncorrectPec { .. } => "read incorrect PEC",
            Self::InvalidBlockByteCount { .. } => "invalid block byte count",
        }
    }
}

impl fmt::Display for SmbusStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}
