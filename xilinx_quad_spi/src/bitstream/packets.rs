//! UG470 configuration packets: header decoding and the parse algorithm that turns
//! the words after the sync word into a packet list per SLR.

use std::borrow::Cow;

use super::commands;
use super::error::ParseError;
use super::registers;
use super::words::{find_sync, read_word, word_at, BitstreamSource, SYNC_WORD};

/// Multi-SLR devices have at most this many super logic regions.
pub const MAX_SLRS: usize = 4;

/// Packet opcode (header bits 28:27).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    /// No operation.
    Nop,
    /// Register read.
    Read,
    /// Register write.
    Write,
    /// Reserved encoding.
    Reserved,
}

impl Opcode {
    /// Decodes the 2-bit opcode field.
    pub fn from_bits(bits: u32) -> Self {
        match bits & 3 {
            0 => Opcode::Nop,
            1 => Opcode::Read,
            2 => Opcode::Write,
            _ => Opcode::Reserved,
        }
    }

    /// The raw field value.
    pub fn bits(self) -> u8 {
        match self {
            Opcode::Nop => 0,
            Opcode::Read => 1,
            Opcode::Write => 2,
            Opcode::Reserved => 3,
        }
    }

    /// Name used in the report.
    pub fn name(self) -> &'static str {
        match self {
            Opcode::Nop => "NOP",
            Opcode::Read => "read",
            Opcode::Write => "write",
            Opcode::Reserved => "reserved",
        }
    }
}

/// Header type field (bits 31:29) of a packet header word.
pub fn header_type(word: u32) -> u8 {
    (word >> 29) as u8
}

/// One configuration packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// 1 or 2.
    pub header_type: u8,
    /// Operation.
    pub opcode: Opcode,
    /// Register address (Type 1 bits 26:13; for Type 2 the preceding Type 1's).
    pub register: u16,
    /// Data words following the header.
    pub word_count: u32,
    /// Byte offset of the first data word in the data.
    pub data_offset: usize,
}

impl Packet {
    /// Whether this is a Type 1 NOP.
    pub fn is_type1_nop(&self) -> bool {
        self.header_type == 1 && self.opcode == Opcode::Nop
    }

    /// Whether this is a Type 1 write to `register`, of any length.
    pub fn is_type1_write_to(&self, register: u16) -> bool {
        self.header_type == 1 && self.opcode == Opcode::Write && self.register == register
    }

    /// Whether this is a Type 1 write of exactly one word to `register`.
    pub fn is_single_write_to(&self, register: u16) -> bool {
        self.is_type1_write_to(register) && self.word_count == 1
    }
}

/// Packets of one super logic region (a single-die device has exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slr {
    /// Byte index of this SLR's sync word in the data.
    pub sync_index: usize,
    /// Packets in bitstream order.
    pub packets: Vec<Packet>,
    /// Whether a DESYNC command ended this SLR's configuration.
    pub end_of_configuration: bool,
}

/// Result of parsing: the packet lists plus the data they point into. Packets
/// collected before an error are kept so the report can still show them.
#[derive(Debug, Clone)]
pub struct ParsedBitstream<'a> {
    data: Cow<'a, [u8]>,
    slrs: Vec<Slr>,
    length: usize,
    error: Option<ParseError>,
}

impl<'a> ParsedBitstream<'a> {
    /// True when the last SLR saw the end of configuration (DESYNC).
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }

    /// Why parsing failed, if it did.
    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    /// Bitstream length in bytes: the end of the last packet, counted from the start of
    /// the data (so including the padding before the sync word).
    pub fn length(&self) -> usize {
        self.length
    }

    /// Packets over all SLRs.
    pub fn packet_count(&self) -> usize {
        self.slrs.iter().map(|slr| slr.packets.len()).sum()
    }

    /// The SLRs found (empty when no sync word was found).
    pub fn slrs(&self) -> &[Slr] {
        &self.slrs
    }

    /// The data the packets point into.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The bitstream bytes up to the end of the last packet.
    pub fn bitstream_bytes(&self) -> &[u8] {
        self.data.get(..self.length).unwrap_or(&self.data)
    }

    /// Data word `index` of `packet` (None past the packet or the data).
    pub fn packet_word(&self, packet: &Packet, index: u32) -> Option<u32> {
        if index >= packet.word_count {
            return None;
        }
        let offset = packet
            .data_offset
            .checked_add(usize::try_from(index).ok()? * 4)?;
        word_at(&self.data, offset)
    }

    /// All packets of all SLRs in order.
    pub fn packets(&self) -> impl Iterator<Item = &Packet> {
        self.slrs.iter().flat_map(|slr| slr.packets.iter())
    }

    /// Value of the first single-word Type 1 write to `register`.
    pub fn first_register_write(&self, register: u16) -> Option<u32> {
        self.packets()
            .find(|p| p.is_single_write_to(register))
            .and_then(|p| self.packet_word(p, 0))
    }

    /// The device IDCODE the bitstream is built for (first IDCODE register write).
    pub fn idcode(&self) -> Option<u32> {
        self.first_register_write(registers::IDCODE)
    }

    /// The USR_ACCESS (AXSS) value, often a build timestamp.
    pub fn usr_access(&self) -> Option<u32> {
        self.first_register_write(registers::AXSS)
    }

    /// Converts into an owned value independent of the input buffer.
    pub fn into_owned(self) -> ParsedBitstream<'static> {
        ParsedBitstream {
            data: Cow::Owned(self.data.into_owned()),
            slrs: self.slrs,
            length: self.length,
            error: self.error,
        }
    }
}

/// Parses a bitstream held in memory (a file's payload, or flash contents).
pub fn parse_bitstream(data: &[u8]) -> ParsedBitstream<'_> {
    let mut source = data;
    let parse = parse_packets(&mut source);
    ParsedBitstream::from_parse(Cow::Borrowed(data), parse)
}

/// Parses from a lazily filled source; the result owns a copy of the bytes read.
pub fn parse_from_source<S: BitstreamSource>(source: &mut S) -> ParsedBitstream<'static> {
    let parse = parse_packets(source);
    ParsedBitstream::from_parse(Cow::Owned(source.data().to_vec()), parse)
}

impl<'a> ParsedBitstream<'a> {
    /// Joins packet lists with the data they point into.
    pub(super) fn from_parse(data: Cow<'a, [u8]>, parse: PacketParse) -> Self {
        ParsedBitstream {
            data,
            slrs: parse.slrs,
            length: parse.length,
            error: parse.error,
        }
    }
}

/// Packet lists without the data.
pub(super) struct PacketParse {
    slrs: Vec<Slr>,
    length: usize,
    error: Option<ParseError>,
}

/// What to do with a word seen after an SLR's DESYNC.
enum AfterDesync {
    /// A trailing NOP: record it without data.
    TrailingNop,
    /// Another sync word: a new SLR follows.
    NextSync,
    /// A Type 1 write in a multi-SLR bitstream: parse it normally.
    Continue,
    /// Anything else (typically erased flash) ends the bitstream without error.
    Stop,
}

fn classify_after_desync(word: u32, slr_index: usize) -> AfterDesync {
    let ptype = header_type(word);
    let opcode = Opcode::from_bits(word >> 27);
    if ptype == 1 && opcode == Opcode::Nop {
        AfterDesync::TrailingNop
    } else if word == SYNC_WORD && slr_index + 1 < MAX_SLRS {
        AfterDesync::NextSync
    } else if slr_index > 0 && ptype == 1 && opcode == Opcode::Write {
        // The last SLR of a multi-SLR bitstream carries start-up sequences for
        // the others after its own DESYNC.
        AfterDesync::Continue
    } else {
        AfterDesync::Stop
    }
}

/// The parse algorithm: sync search, then packets until the data ends or an error.
pub(super) fn parse_packets<S: BitstreamSource>(source: &mut S) -> PacketParse {
    let mut result = PacketParse {
        slrs: Vec::new(),
        length: 0,
        error: None,
    };
    if !source.fill_to(1) {
        result.error = Some(ParseError::Empty);
        return result;
    }
    let mut search_from = 0;
    loop {
        let Some(sync_index) = find_sync(source, search_from) else {
            result.error = Some(ParseError::NoSyncWord);
            return result;
        };
        let slr_index = result.slrs.len();
        result.slrs.push(Slr {
            sync_index,
            packets: Vec::new(),
            end_of_configuration: false,
        });
        let Some(slr) = result.slrs.last_mut() else {
            return result;
        };
        match parse_slr(source, slr, slr_index, sync_index + 4, &mut result.length) {
            SlrEnd::Data(error) => {
                result.error = error;
                return result;
            }
            SlrEnd::NextSync(position) => search_from = position,
        }
    }
}

/// How an SLR's packet list ended.
enum SlrEnd {
    /// No more packets: `None` when configuration completed, else the error.
    Data(Option<ParseError>),
    /// A sync word after DESYNC: search for the next SLR from this byte position.
    NextSync(usize),
}

/// Parses the packets of one SLR starting at `position` (just after its sync word).
fn parse_slr<S: BitstreamSource>(
    source: &mut S,
    slr: &mut Slr,
    slr_index: usize,
    mut position: usize,
    length: &mut usize,
) -> SlrEnd {
    // Register of the last Type 1 header, when it directly precedes this packet.
    let mut previous_type1: Option<u16> = None;
    loop {
        let Some(word) = read_word(source, position) else {
            return SlrEnd::Data(finish(slr));
        };
        let header_index = position;
        position += 4;

        if slr.end_of_configuration {
            match classify_after_desync(word, slr_index) {
                AfterDesync::TrailingNop => {
                    slr.packets.push(Packet {
                        header_type: 1,
                        opcode: Opcode::Nop,
                        register: 0,
                        word_count: 0,
                        data_offset: position,
                    });
                    *length = position;
                    continue;
                }
                AfterDesync::NextSync => return SlrEnd::NextSync(position),
                AfterDesync::Continue => slr.end_of_configuration = false,
                AfterDesync::Stop => return SlrEnd::Data(None),
            }
        }

        let ptype = header_type(word);
        let opcode = Opcode::from_bits(word >> 27);
        let (register, word_count) = match ptype {
            1 => (((word >> 13) & 0x3FFF) as u16, word & 0x7FF),
            2 => match previous_type1 {
                Some(register) => (register, word & 0x07FF_FFFF),
                None => {
                    return SlrEnd::Data(Some(ParseError::Type2WithoutType1 {
                        word,
                        index: header_index,
                    }))
                }
            },
            other => {
                return SlrEnd::Data(Some(ParseError::UnknownPacketType {
                    header_type: other,
                    word,
                    index: header_index,
                }))
            }
        };

        let data_offset = position;
        let data_bytes = word_count as usize * 4;
        let end = data_offset.saturating_add(data_bytes);
        if !source.fill_to(end) {
            let available = source.data().len().saturating_sub(data_offset) / 4;
            return SlrEnd::Data(Some(ParseError::TruncatedPacket {
                available: available as u64,
                needed: u64::from(word_count),
                header_type: ptype,
                opcode: opcode.bits(),
                data_offset,
            }));
        }
        let packet = Packet {
            header_type: ptype,
            opcode,
            register,
            word_count,
            data_offset,
        };
        if packet.is_single_write_to(registers::CMD)
            && word_at(source.data(), data_offset) == Some(commands::DESYNC)
        {
            slr.end_of_configuration = true;
        }
        slr.packets.push(packet);
        previous_type1 = (ptype == 1).then_some(register);
        position = end;
        *length = position;
    }
}

/// End of data: success only if this SLR's configuration ended.
fn finish(slr: &Slr) -> Option<ParseError> {
    (!slr.end_of_configuration).then_some(ParseError::EndedBeforeDesync)
}
