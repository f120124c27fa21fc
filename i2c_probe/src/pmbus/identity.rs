//! Device-independent PMBus report lines: CAPABILITY, PMBUS_REVISION, MFR_ID/MFR_MODEL,
//! WRITE_PROTECT.

use super::commands::{CAPABILITY_PEC, CAPABILITY_SMBALERT};

/// `  PMBus capability=0x.. :<pec>  Max bus speed=<speed><alert>`
pub fn capability_line(capability: u8) -> String {
    let pec = if capability & CAPABILITY_PEC != 0 {
        " PEC supported"
    } else {
        ""
    };
    let speed = match (capability >> 5) & 0x3 {
        0 => "100 kHz",
        1 => "400 kHz",
        _ => "unknown",
    };
    let alert = if capability & CAPABILITY_SMBALERT != 0 {
        "  SMBALERT# supported"
    } else {
        ""
    };
    format!("  PMBus capability={capability:#04x} :{pec}  Max bus speed={speed}{alert}")
}

fn revision_text(nibble: u8) -> &'static str {
    match nibble {
        0 => "1.0",
        1 => "1.1",
        2 => "1.2",
        _ => "unknown",
    }
}

/// `  PMBus revision=0x.. : Part I revision <r1>  Part II revision <r2>`
pub fn revision_line(revision: u8) -> String {
    format!(
        "  PMBus revision={revision:#04x} : Part I revision {}  Part II revision {}",
        revision_text(revision >> 4),
        revision_text(revision & 0x0f)
    )
}

/// `  MFR_ID=<id>  MFR_MODEL=<model>`; the raw bytes are printed as they are (non-UTF-8
/// bytes are replaced, which cannot happen with ASCII identifiers).
pub fn id_model_line(mfr_id: &[u8], mfr_model: &[u8]) -> String {
    format!(
        "  MFR_ID={}  MFR_MODEL={}",
        String::from_utf8_lossy(mfr_id),
        String::from_utf8_lossy(mfr_model)
    )
}

/// Text of a WRITE_PROTECT value (typos and spacing are part of the expected output).
pub fn write_protect_text(value: u8) -> &'static str {
    match value {
        0x80 => "Disable all writes except to the WRITE_PROTECT, PAGE, MFR_EE_UNLOCK and STORE_USER_ALL command",
        0x40 => "Disable all writes except to the WRITE_PROTECT, PAGE, MFR_EE_UNLOCK, MFR_CLEAR_PEAKS, STORE_USER_ALL, OPERATION and CLEAR_FAULTS command. Individual fault bits can be cleared by writing a 1 to the respective bits in the STATUS registers.",
        0x20 => "Disable all writes except to the WRITE_PROTECT, OPERATION, MFR_EE_UNLOCK, MFR_CLEAR_PEAKS, CLEAR_FAULTS, PAGE, ON_OFF_CONFIG, VOUT_COMMAND and STORE_USER_ ALL. Individual fault bits can be cleared by writing a 1 to the respective bits in the STATUS registers.",
        0x00 => "Enable writes to all commands",
        _ => "unknown",
    }
}

/// `  WRITE_PROTECT=0x.. : <text>`
pub fn write_protect_line(value: u8) -> String {
    format!(
        "  WRITE_PROTECT={value:#04x} : {}",
        write_protect_text(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_variants() {
        assert_eq!(
            capability_line(0xb0),
            "  PMBus capability=0xb0 : PEC supported  Max bus speed=400 kHz  SMBALERT# supported"
        );
        assert_eq!(
            capability_line(0x00),
            "  PMBus capability=0x00 :  Max bus speed=100 kHz"
        );
        assert_eq!(
            capability_line(0x40),
            "  PMBus capability=0x40 :  Max bus speed=unknown"
        );
    }

    #[test]
    fn revision_variants() {
        assert_eq!(
            revision_line(0x22),
            "  PMBus revision=0x22 : Part I revision 1.2  Part II revision 1.2"
        );
        assert_eq!(
            revision_line(0x13),
            "  PMBus revision=0x13 : Part I revision 1.1  Part II revision unknown"
        );
    }

    #[test]
    fn write_protect_variants() {
        assert_eq!(
            write_protect_line(0),
            "  WRITE_PROTECT=0x00 : Enable writes to all commands"
        );
        assert!(write_protect_text(0x20).contains("STORE_USER_ ALL."));
        assert_eq!(write_protect_text(0x11), "unknown");
    }
}
