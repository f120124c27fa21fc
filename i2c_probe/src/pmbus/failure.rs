//! The PMBus failure report: `  PMBus command 0x<cmd> failed due to <status>` plus detail.

use crate::smbus::status::SmbusStatus;
use std::fmt;

/// A failed SMBus message: the last command issued (0x06 for any paged read) and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PmbusFailure {
    pub command: u8,
    pub status: SmbusStatus,
}

impl PmbusFailure {
    pub fn new(command: u8, status: SmbusStatus) -> Self {
        Self { command, status }
    }
}

impl fmt::Display for PmbusFailure {
    /// The report line without its trailing newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  PMBus command {:#04x} failed due to {}",
            self.command, self.status
        )?;
        match self.status {
            SmbusStatus::ReadIncorrectPec { actual, expected } => write!(
                f,
                "  actual PEC byte={actual:#04x}  expected PEC byte={expected:#04x}"
            ),
            SmbusStatus::InvalidBlockByteCount { count } => write!(f, "  block byte count={count}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines() {
        let f = PmbusFailure::new(0x06, SmbusStatus::InvalidBlockByteCount { count: 1 });
        assert_eq!(
            f.to_string(),
            "  PMBus command 0x06 failed due to invalid block byte count  block byte count=1"
        );
        let f = PmbusFailure::new(
            0x98,
            SmbusStatus::ReadIncorrectPec {
                actual: 0x85,
                expected: 0x84,
            },
        );
        assert_eq!(
            f.to_string(),
            "  PMBus command 0x98 failed due to read incorrect PEC  actual PEC byte=0x85  expected PEC byte=0x84"
        );
        let f = PmbusFailure::new(0x19, SmbusStatus::WriteAddressNack);
        assert_eq!(
            f.to_string(),
            "  PMBus command 0x19 failed due to write address NACK"
        );
    }
}
