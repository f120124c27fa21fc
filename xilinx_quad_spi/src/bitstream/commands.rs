//! CMD register command codes (UG470).

/// Null command.
pub const NULL: u32 = 0x00;
/// Write configuration data.
pub const WCFG: u32 = 0x01;
/// Multiple frame write.
pub const MFW: u32 = 0x02;
/// Last frame: deassert GHIGH_B.
pub const DGHIGH_LFRM: u32 = 0x03;
/// Read configuration data.
pub const RCFG: u32 = 0x04;
/// Begin the startup sequence.
pub const START: u32 = 0x05;
/// Reset CAPTURE.
pub const RCAP: u32 = 0x06;
/// Reset the CRC register.
pub const RCRC: u32 = 0x07;
/// Assert GHIGH_B.
pub const AGHIGH: u32 = 0x08;
/// Switch the configuration clock frequency.
pub const SWITCH: u32 = 0x09;
/// Pulse GRESTORE.
pub const GRESTORE: u32 = 0x0A;
/// Begin the shutdown sequence.
pub const SHUTDOWN: u32 = 0x0B;
/// Pulse GCAPTURE.
pub const GCAPTURE: u32 = 0x0C;
/// Reset the DALIGN signal: end of configuration.
pub const DESYNC: u32 = 0x0D;
/// Reserved code.
pub const RESERVED: u32 = 0x0E;
/// Internal PROG (warm boot).
pub const IPROG: u32 = 0x0F;
/// Calculate CRC.
pub const CRCC: u32 = 0x10;
/// Reload the watchdog timer.
pub const LTIMER: u32 = 0x11;
/// BPI/SPI re-initiate bitstream read.
pub const BSPI_READ: u32 = 0x12;
/// Switch to negative-edge clocking.
pub const FALL_EDGE: u32 = 0x13;

/// Names indexed by command code (0x00..=0x13).
const NAMES: [&str; 20] = [
    "NULL",
    "WCFG",
    "MFW",
    "DGHIGH_LFRM",
    "RCFG",
    "START",
    "RCAP",
    "RCRC",
    "AGHIGH",
    "SWITCH",
    "GRESTORE",
    "SHUTDOWN",
    "GCAPTURE",
    "DESYNC",
    "RESERVED",
    "IPROG",
    "CRCC",
    "LTIMER",
    "BSPI_READ",
    "FALL_EDGE",
];

/// Name of a command code, or `None` for an undocumented one.
pub fn command_name(code: u32) -> Option<&'static str> {
    usize::try_from(code)
        .ok()
        .and_then(|index| NAMES.get(index))
        .copied()
}

/// Command as shown in the report: undocumented codes become `unknown (0x<hex>)`.
pub fn command_display(code: u32) -> String {
    match command_name(code) {
        Some(name) => name.to_string(),
        None => format!("unknown (0x{code:x})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_codes() {
        assert_eq!(command_display(DESYNC), "DESYNC");
        assert_eq!(command_display(BSPI_READ), "BSPI_READ");
        assert_eq!(command_display(FALL_EDGE), "FALL_EDGE");
        assert_eq!(command_display(NULL), "NULL");
        // Seen in a KU060 bitstream, undocumented.
        assert_eq!(command_display(0x15), "unknown (0x15)");
        assert_eq!(command_display(u32::MAX), "unknown (0xffffffff)");
    }
}
