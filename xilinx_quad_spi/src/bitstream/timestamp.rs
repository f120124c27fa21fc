//! USR_ACCESS / AXSS build timestamp (bitstream option USR_ACCESS=TIMESTAMP).

use std::fmt;

/// Fields of a USR_ACCESS timestamp. Values are shown as stored, without range checks,
/// because the register may hold an arbitrary user value rather than a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsrAccessTimestamp {
    /// Day of month (bits 31:27).
    pub day: u8,
    /// Month (bits 26:23).
    pub month: u8,
    /// Full year: 2000 + bits 22:17.
    pub year: u16,
    /// Hour (bits 16:12).
    pub hour: u8,
    /// Minute (bits 11:6).
    pub minute: u8,
    /// Second (bits 5:0).
    pub second: u8,
}

/// Extracts `width` bits starting at `shift`; the result always fits in a u8.
fn field(value: u32, shift: u32, width: u32) -> u8 {
    ((value >> shift) & ((1 << width) - 1)) as u8
}

impl UsrAccessTimestamp {
    /// Decodes a 32-bit USR_ACCESS value.
    pub fn decode(value: u32) -> Self {
        Self {
            day: field(value, 27, 5),
            month: field(value, 23, 4),
            year: 2000 + u16::from(field(value, 17, 6)),
            hour: field(value, 12, 5),
            minute: field(value, 6, 6),
            second: field(value, 0, 6),
        }
    }

    /// Encodes the fields back into a USR_ACCESS value; fields are truncated to their
    /// widths and years before 2000 are treated as 2000.
    pub fn encode(&self) -> u32 {
        let year = u32::from(self.year.saturating_sub(2000)) & 0x3F;
        (u32::from(self.day & 0x1F) << 27)
            | (u32::from(self.month & 0x0F) << 23)
            | (year << 17)
            | (u32::from(self.hour & 0x1F) << 12)
            | (u32::from(self.minute & 0x3F) << 6)
            | u32::from(self.second & 0x3F)
    }
}

impl fmt::Display for UsrAccessTimestamp {
    /// `DD/MM/YYYY hh:mm:ss`, day first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
            self.day, self.month, self.year, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_recorded_values() {
        let cases = [
            (0x322E_072A, "06/04/2023 00:28:42"),
            (0xC131_0A5B, "24/02/2024 16:41:27"),
            (0xC131_17E2, "24/02/2024 17:31:34"),
            (0xCE2E_9784, "25/12/2023 09:30:04"),
            (0xAE30_9559, "21/12/2024 09:21:25"),
        ];
        for (value, text) in cases {
            let ts = UsrAccessTimestamp::decode(value);
            assert_eq!(ts.to_string(), text, "{value:08X}");
            assert_eq!(ts.encode(), value, "{value:08X} round trip");
        }
    }
}
