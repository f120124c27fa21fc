//! `.bit` → `.bin` conversion: the flash image is the bitstream after the `.bit`
//! header, unchanged (no byte swapping or bit reversal), so Vivado's hardware tools
//! can program a configuration memory from it.

use super::error::ParseError;
use super::load::{BitstreamFormat, LoadedBitstream};

/// Why a file is not converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinConversionError {
    /// The bitstream does not parse to the end of configuration.
    #[error("{name} is not a valid bitstream: {reason}")]
    NotValid {
        /// Input name.
        name: String,
        /// The parse error.
        reason: ParseError,
    },
    /// Intel HEX input needs no conversion.
    #[error("{name} is a Intel HEX file, no conversion needed as the Vivado Hardware Tools can program a configuration memory device from this file type")]
    IntelHex {
        /// Input name.
        name: String,
    },
    /// Raw input is already a `.bin`.
    #[error("{name} is already a .bin file, no conversion needed")]
    AlreadyBin {
        /// Input name.
        name: String,
    },
}

/// The `.bin` contents for a valid `.bit` file: its payload after the header.
pub fn bit_to_bin(loaded: &LoadedBitstream) -> Result<&[u8], BinConversionError> {
    let name = loaded.name().to_string();
    if let Some(reason) = loaded.parse().error().cloned() {
        return Err(BinConversionError::NotValid { name, reason });
    }
    match loaded.format() {
        BitstreamFormat::Bit => Ok(loaded.payload()),
        BitstreamFormat::IntelHex => Err(BinConversionError::IntelHex { name }),
        BitstreamFormat::Bin => Err(BinConversionError::AlreadyBin { name }),
    }
}
