//! Pure decoders: already-read raw values in, the exact report text out.
//!
//! Each section renderer returns the text as printed, every line ending with `\n`;
//! sections whose header is preceded by an empty line start with `\n`.

pub mod fan_cpld;
pub mod jc42;
pub mod ltm4676a;
pub mod pci_vendor;
pub mod si5338;
pub mod spd_common;
pub mod spd_ddr3;
pub mod spd_ddr4;
pub mod spd_file;
pub mod spd_json;
