//! The user-access (USR_ACCESSE2) build timestamp: day 31:27, month 26:23, year - 2000
//! 22:17, hour 16:12, minute 11:6, second 5:0. Printed day first, as the tools always did.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildTimestamp(pub u32);

impl BuildTimestamp {
    pub fn day(self) -> u32 {
        self.0 >> 27
    }
    pub fn month(self) -> u32 {
        (self.0 >> 23) & 0xf
    }
    pub fn year(self) -> u32 {
        2000 + ((self.0 >> 17) & 0x3f)
    }
    pub fn hour(self) -> u32 {
        (self.0 >> 12) & 0x1f
    }
    pub fn minute(self) -> u32 {
        (self.0 >> 6) & 0x3f
    }
    pub fn second(self) -> u32 {
        self.0 & 0x3f
    }
}

impl fmt::Display for BuildTimestamp {
    /// `DD/MM/YYYY hh:mm:ss`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
            self.day(),
            self.month(),
            self.year(),
            self.hour(),
            self.minute(),
            self.second()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_logged_timestamps() {
        assert_eq!(
            BuildTimestamp(0xC131_0413).to_string(),
            "24/02/2024 16:16:19"
        );
        assert_eq!(
            BuildTimestamp(0xC131_0A5B).to_string(),
            "24/02/2024 16:41:27"
        );
        assert_eq!(BuildTimestamp(0).to_string(), "00/00/2000 00:00:00");
        assert_eq!(BuildTimestamp(u32::MAX).to_string().len(), 19);
    }
}
