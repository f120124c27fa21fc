//! 7-series / UltraScale / UltraScale+ configuration bitstreams (UG470 packets):
//! loading `.bit`, `.bin` and Intel HEX `.mcs` files, parsing the packets from a
//! file or from SPI flash contents, and the text report of the original tools.
//!
//! Typical use:
//!
//! ```no_run
//! use xilinx_quad_spi::bitstream::LoadedBitstream;
//! let file = LoadedBitstream::load_file("design.bit")?;
//! let (parsed, report) = file.report("design.bit");
//! print!("{report}");
//! let flash_image: &[u8] = file.payload();
//! let idcode = parsed.idcode();
//! # Ok::<(), xilinx_quad_spi::bitstream::LoadError>(())
//! ```

pub mod bin_conversion;
pub mod bit_header;
pub mod commands;
pub mod data_block;
pub mod error;
pub mod flash;
pub mod idcode;
pub mod json;
pub mod load;
pub mod mcs;
pub mod multiboot;
pub mod packets;
pub mod registers;
pub mod report;
pub mod timestamp;
pub mod words;

pub use bin_conversion::{bit_to_bin, BinConversionError};
pub use bit_header::{build_bit_file, BitHeader};
pub use error::{BitHeaderError, LoadError, McsError, ParseError};
pub use flash::{parse_flash, FlashParse};
pub use idcode::{device_name, idcode_for_part, IDCODE_TABLE};
pub use load::{BitstreamFormat, LoadedBitstream};
pub use multiboot::{golden_image_line, multiboot_address};
pub use packets::{parse_bitstream, parse_from_source, Opcode, Packet, ParsedBitstream, Slr};
pub use report::{render_report, status_line, ReportSource};
pub use timestamp::UsrAccessTimestamp;
pub use words::{FlashSource, SYNC_WORD};
