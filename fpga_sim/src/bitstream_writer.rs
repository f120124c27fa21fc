//! Generates valid 7-series / UltraScale configuration bitstreams for simulated flash.
//!
//! Written from the UG470/UG570 packet format: 32-bit big-endian words; bus-width
//! detection pattern and sync word; Type 1 packets (header type 001, opcode, 14-bit
//! register address, 11-bit word count) and Type 2 packets (header type 010, 27-bit
//! word count, continuing the previous Type 1 register). The packet sequence mirrors
//! an uncompressed Vivado bitstream: set-up registers, one FDRI Type 1 + Type 2 write
//! of the frame data, CRC check, start-up commands and DESYNC, then trailing NOPs.
//!
//! Output is deterministic (same spec, same bytes) and small by default, because the
//! simulated boards keep it in their simulated flash.

use std::fmt;

/// Configuration sync word.
pub const SYNC_WORD: u32 = 0xAA99_5566;
/// Type 1 NOP packet header.
pub const NOP: u32 = 0x2000_0000;
/// Bus width auto-detection words that precede the sync word.
pub const BUS_WIDTH_WORDS: [u32; 2] = [0x0000_00BB, 0x1122_0044];

/// Configuration register addresses used by the writer.
mod reg {
    pub const CRC: u32 = 0x00;
    pub const FAR: u32 = 0x01;
    pub const FDRI: u32 = 0x02;
    pub const CMD: u32 = 0x04;
    pub const CTL0: u32 = 0x05;
    pub const MASK: u32 = 0x06;
    pub const COR0: u32 = 0x09;
    pub const IDCODE: u32 = 0x0C;
    pub const AXSS: u32 = 0x0D;
    pub const COR1: u32 = 0x0E;
    pub const WBSTAR: u32 = 0x10;
    pub const TIMER: u32 = 0x11;
    pub const RBCRC_SW: u32 = 0x13;
    pub const CTL1: u32 = 0x18;
    pub const BSPI: u32 = 0x1F;
}

/// CMD register codes used by the writer.
mod cmd {
    pub const NULL: u32 = 0x00;
    pub const WCFG: u32 = 0x01;
    pub const DGHIGH_LFRM: u32 = 0x03;
    pub const START: u32 = 0x05;
    pub const RCRC: u32 = 0x07;
    pub const SWITCH: u32 = 0x09;
    pub const GRESTORE: u32 = 0x0A;
    pub const DESYNC: u32 = 0x0D;
    pub const IPROG: u32 = 0x0F;
    pub const BSPI_READ: u32 = 0x12;
}

/// Largest Type 1 word count (11 bits).
const TYPE1_MAX_WORDS: usize = 0x7FF;
/// Largest Type 2 word count (27 bits).
const TYPE2_MAX_WORDS: usize = 0x07FF_FFFF;

/// Device family, which sets the frame size and a few register values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceFamily {
    /// Spartan/Artix/Kintex/Virtex-7 and Zynq-7000.
    Series7,
    /// Kintex/Virtex UltraScale.
    UltraScale,
    /// UltraScale+ (Artix/Kintex/Virtex, Zynq MPSoC/RFSoC, Alveo).
    UltraScalePlus,
}

impl DeviceFamily {
    /// Family from an IDCODE: bits 27:21 give the family code (0x1B 7-series,
    /// 0x1C UltraScale, 0x24/0x25 UltraScale+, as in Xilinx IDCODE values).
    pub fn from_idcode(idcode: u32) -> Self {
        match (idcode >> 21) & 0x7F {
            0x1C => DeviceFamily::UltraScale,
            0x24..=0x26 => DeviceFamily::UltraScalePlus,
            _ => DeviceFamily::Series7,
        }
    }

    /// Words per configuration frame.
    pub fn frame_words(self) -> usize {
        match self {
            DeviceFamily::Series7 => 101,
            DeviceFamily::UltraScale => 123,
            DeviceFamily::UltraScalePlus => 93,
        }
    }

    /// Dummy 0xFF words before the bus-width pattern (sync at 0x30 or 0x50).
    fn dummy_words(self) -> usize {
        match self {
            DeviceFamily::Series7 => 8,
            DeviceFamily::UltraScale | DeviceFamily::UltraScalePlus => 16,
        }
    }

    /// BSPI register value: x4 bus width, quad-output read opcode (3- or 4-byte).
    fn default_bspi(self) -> u32 {
        match self {
            DeviceFamily::Series7 => 0x0000_026B,
            DeviceFamily::UltraScale | DeviceFamily::UltraScalePlus => 0x0000_066C,
        }
    }
}

/// Strings of a Vivado `.bit` file header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitFileHeader {
    /// Design name with attributes, e.g. `top;COMPRESS=FALSE;UserID=0XFFFFFFFF;Version=2024.2`.
    pub design_name: String,
    /// Part name without `xc`, e.g. `7a200tfbg484`.
    pub part_name: String,
    /// `YYYY/MM/DD`.
    pub date: String,
    /// `HH:MM:SS`.
    pub time: String,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstreamSpec {
    /// IDCODE written to the IDCODE register (revision nibble normally zero).
    pub idcode: u32,
    /// Configuration frames of payload; one extra pad frame is always appended.
    pub frames: usize,
    /// Value written to AXSS (USR_ACCESS), e.g. a build timestamp; none if `None`.
    pub usr_access: Option<u32>,
    /// `.bit` header to put in front; raw `.bin` output if `None`.
    pub bit_header: Option<BitFileHeader>,
    /// BSPI register value; the family default if `None`.
    pub bspi: Option<u32>,
    /// Type 1 NOPs after DESYNC.
    pub trailing_nops: usize,
    /// A golden image: the flash address of the MultiBoot image to boot next, written to
    /// WBSTAR (instead of 0), with an IPROG command before DESYNC (UG470 MultiBoot; the
    /// lookup is designs_after_seed.md §5).
    pub multiboot_next: Option<u32>,
}

/// Default payload: 256 frames (~100 KiB for 7-series).
pub const DEFAULT_FRAMES: usize = 256;

impl BitstreamSpec {
    /// Raw bitstream for `idcode` with the default payload size and no timestamp.
    pub fn new(idcode: u32) -> Self {
        Self {
            idcode,
            frames: DEFAULT_FRAMES,
            usr_access: None,
            bit_header: None,
            bspi: None,
            trailing_nops: 64,
            multiboot_next: None,
        }
    }

    /// Makes this a golden image that reboots into the image at flash `address`.
    pub fn with_multiboot_next(mut self, address: u32) -> Self {
        self.multiboot_next = Some(address);
        self
    }

    /// Sets the number of payload frames.
    pub fn with_frames(mut self, frames: usize) -> Self {
        self.frames = frames;
        self
    }

    /// Sets the USR_ACCESS / AXSS value.
    pub fn with_usr_access(mut self, value: u32) -> Self {
        self.usr_access = Some(value);
        self
    }

    /// Adds a `.bit` header.
    pub fn with_bit_header(mut self, header: BitFileHeader) -> Self {
        self.bit_header = Some(header);
        self
    }
}

/// Why a spec cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitstreamWriterError {
    /// The frame data does not fit one Type 2 packet.
    #[error("{words} frame data words exceed the Type 2 packet limit of {TYPE2_MAX_WORDS}")]
    PayloadTooLarge {
        /// Words requested.
        words: usize,
    },
    /// The golden image reaches past the MultiBoot address.
    #[error("golden image of {golden_bytes} bytes overlaps the MultiBoot image at 0x{address:x}")]
    MultiBootOverlap {
        /// Bytes of the golden bitstream.
        golden_bytes: usize,
        /// Where the MultiBoot image was to go.
        address: u32,
    },
    /// A `.bit` header string is longer than its 16-bit length field allows.
    #[error(".bit header field '{field}' is {len} bytes, longer than 65534")]
    HeaderFieldTooLong {
        /// Field tag.
        field: char,
        /// Its length.
        len: usize,
    },
}

/// A generated bitstream.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedBitstream {
    /// The whole output: `.bit` file (header + bitstream) or raw bitstream.
    pub bytes: Vec<u8>,
    /// Offset of the raw bitstream in `bytes` (0 without a `.bit` header).
    pub payload_offset: usize,
    /// Byte index of the sync word within the raw bitstream.
    pub sync_index: usize,
    /// Configuration packets after the sync word (including trailing NOPs).
    pub packet_count: usize,
    /// Frame data words written through FDRI.
    pub frame_data_words: usize,
}

impl fmt::Debug for GeneratedBitstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedBitstream")
            .field("len", &self.bytes.len())
            .field("payload_offset", &self.payload_offset)
            .field("sync_index", &self.sync_index)
            .field("packet_count", &self.packet_count)
            .field("frame_data_words", &self.frame_data_words)
            .finish()
    }
}

impl GeneratedBitstream {
    /// The raw bitstream (what a flash holds at the configuration address).
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(self.payload_offset..).unwrap_or_default()
    }
}

/// Configuration CRC as UG470 describes it: CRC-32C (Castagnoli, reflected) over each
/// register write as 37 bits, the 32 data bits followed by the 5 address bits, LSB first.
#[derive(Debug, Default, Clone, Copy)]
struct ConfigCrc(u32);

impl ConfigCrc {
    const POLY_REFLECTED: u64 = 0x82F6_3B78;

    fn update(&mut self, register: u32, data: u32) {
        let mut value = (u64::from(register & 0x1F) << 32) | u64::from(data);
        let mut crc = u64::from(self.0);
        for _ in 0..37 {
            if (value ^ crc) & 1 != 0 {
                crc = (crc >> 1) ^ Self::POLY_REFLECTED;
            } else {
                crc >>= 1;
            }
            value >>= 1;
        }
        self.0 = crc as u32;
    }
}

/// Accumulates words and counts packets.
struct Writer {
    words: Vec<u32>,
    packets: usize,
    crc: ConfigCrc,
}

impl Writer {
    fn type1_header(opcode: u32, register: u32, count: usize) -> u32 {
        debug_assert!(count <= TYPE1_MAX_WORDS);
        (1 << 29) | (opcode << 27) | ((register & 0x3FFF) << 13) | (count as u32 & 0x7FF)
    }

    fn nops(&mut self, count: usize) {
        for _ in 0..count {
            self.words.push(NOP);
            self.packets += 1;
        }
    }

    /// Type 1 write of one word; keeps the running CRC like the device does.
    fn write(&mut self, register: u32, value: u32) {
        self.words.push(Self::type1_header(2, register, 1));
        self.words.push(value);
        self.packets += 1;
        match (register, value) {
            (reg::CMD, cmd::RCRC) => self.crc = ConfigCrc::default(),
            (reg::CRC, _) => self.crc = ConfigCrc::default(),
            _ => self.crc.update(register, value),
        }
    }

    fn command(&mut self, code: u32) {
        self.write(reg::CMD, code);
    }

    /// Writes the expected CRC so the (simulated) device's check passes.
    fn crc_check(&mut self) {
        let value = self.crc.0;
        self.write(reg::CRC, value);
    }

    /// FDRI Type 1 header with no data, then one Type 2 write of all frame data.
    fn frame_data(&mut self, data: &[u32]) {
        self.words.push(Self::type1_header(2, reg::FDRI, 0));
        self.words
            .push((2 << 29) | (2 << 27) | (data.len() as u32 & 0x07FF_FFFF));
        self.packets += 2;
        for word in data {
            self.crc.update(reg::FDRI, *word);
        }
        self.words.extend_from_slice(data);
    }
}

/// Deterministic frame contents: a xorshift sequence seeded from the IDCODE, with the
/// final (pad) frame zero as in real bitstreams.
fn frame_payload(idcode: u32, frames: usize, frame_words: usize) -> Vec<u32> {
    let mut state = idcode ^ 0x9E37_79B9;
    let mut data = Vec::with_capacity((frames + 1) * frame_words);
    for _ in 0..frames * frame_words {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        data.push(state);
    }
    data.resize((frames + 1) * frame_words, 0);
    data
}

/// Builds the packets after the sync word.
fn write_packets(spec: &BitstreamSpec, family: DeviceFamily, frame_data: &[u32]) -> Writer {
    let mut w = Writer {
        words: Vec::with_capacity(frame_data.len() + 256),
        packets: 0,
        crc: ConfigCrc::default(),
    };
    w.nops(1);
    w.write(reg::BSPI, spec.bspi.unwrap_or(family.default_bspi()));
    w.command(cmd::BSPI_READ);
    w.nops(1);
    w.write(reg::TIMER, 0);
    w.write(reg::WBSTAR, spec.multiboot_next.unwrap_or(0));
    w.command(cmd::NULL);
    w.nops(1);
    w.command(cmd::RCRC);
    w.nops(2);
    if let Some(value) = spec.usr_access {
        w.write(reg::AXSS, value);
    }
    w.write(reg::RBCRC_SW, 0);
    w.write(reg::COR0, 0x0200_3FE5);
    w.write(reg::COR1, 0);
    w.write(reg::IDCODE, spec.idcode);
    w.command(cmd::SWITCH);
    w.nops(1);
    w.write(reg::MASK, 0x0000_0401);
    w.write(reg::CTL0, 0x0000_0501);
    w.write(reg::MASK, 0x0000_1000);
    w.write(reg::CTL1, 0x0000_1000);
    w.nops(8);
    // Configuration data: FAR, WCFG, then all frames through FDRI.
    w.write(reg::FAR, 0);
    w.command(cmd::WCFG);
    w.nops(1);
    w.frame_data(frame_data);
    w.crc_check();
    w.nops(2);
    // Start-up.
    w.command(cmd::GRESTORE);
    w.nops(1);
    w.command(cmd::DGHIGH_LFRM);
    w.write(reg::MASK, 0x0000_1000);
    w.write(reg::CTL1, 0);
    w.nops(100);
    w.command(cmd::START);
    w.nops(1);
    w.write(reg::FAR, 0x03BE_0000);
    w.write(reg::MASK, 0x0000_0501);
    w.write(reg::CTL0, 0x0000_0501);
    w.crc_check();
    w.nops(2);
    if spec.multiboot_next.is_some() {
        w.command(cmd::IPROG);
        w.nops(1);
    }
    w.command(cmd::DESYNC);
    w.nops(spec.trailing_nops);
    w
}

/// Appends a `.bit` header ('a'..'d' strings, 'e' length) for a bitstream of `len` bytes.
fn bit_header(header: &BitFileHeader, len: usize) -> Result<Vec<u8>, BitstreamWriterError> {
    const PREAMBLE: [u8; 13] = [
        0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x00, 0x00, 0x01,
    ];
    let mut out = PREAMBLE.to_vec();
    for (tag, text) in [
        ('a', &header.design_name),
        ('b', &header.part_name),
        ('c', &header.date),
        ('d', &header.time),
    ] {
        let field_len = u16::try_from(text.len() + 1).map_err(|_| {
            BitstreamWriterError::HeaderFieldTooLong {
                field: tag,
                len: text.len(),
            }
        })?;
        out.push(tag as u8);
        out.extend_from_slice(&field_len.to_be_bytes());
        out.extend_from_slice(text.as_bytes());
        out.push(0);
    }
    out.push(b'e');
    // Frame data is capped by the Type 2 limit (512 MiB), so the length fits 32 bits.
    out.extend_from_slice(&(len as u32).to_be_bytes());
    Ok(out)
}

/// A flash image holding a golden bitstream at address 0 that reboots (WBSTAR + IPROG)
/// into `multiboot` at `address`, erased (0xFF) in between: raw bitstreams, `.bit`
/// headers dropped.
pub fn golden_and_multiboot_image(
    golden: &BitstreamSpec,
    multiboot: &BitstreamSpec,
    address: u32,
) -> Result<Vec<u8>, BitstreamWriterError> {
    let golden = generate(&golden.clone().with_multiboot_next(address))?;
    let next = generate(multiboot)?;
    let mut image = golden.payload().to_vec();
    let at = address as usize;
    if image.len() > at {
        return Err(BitstreamWriterError::MultiBootOverlap {
            golden_bytes: image.len(),
            address,
        });
    }
    image.resize(at, 0xFF);
    image.extend_from_slice(next.payload());
    Ok(image)
}

/// Generates the bitstream described by `spec`.
pub fn generate(spec: &BitstreamSpec) -> Result<GeneratedBitstream, BitstreamWriterError> {
    let family = DeviceFamily::from_idcode(spec.idcode);
    let words = spec
        .frames
        .checked_add(1)
        .and_then(|f| f.checked_mul(family.frame_words()))
        .filter(|w| *w <= TYPE2_MAX_WORDS)
        .ok_or(BitstreamWriterError::PayloadTooLarge {
            words: spec
                .frames
                .saturating_add(1)
                .saturating_mul(family.frame_words()),
        })?;
    let frame_data = frame_payload(spec.idcode, spec.frames, family.frame_words());
    debug_assert_eq!(frame_data.len(), words);

    let mut preamble = vec![0xFFFF_FFFF; family.dummy_words()];
    preamble.extend_from_slice(&BUS_WIDTH_WORDS);
    preamble.extend_from_slice(&[0xFFFF_FFFF, 0xFFFF_FFFF, SYNC_WORD]);
    let sync_index = (preamble.len() - 1) * 4;
    let packets = write_packets(spec, family, &frame_data);

    let mut raw = Vec::with_capacity((preamble.len() + packets.words.len()) * 4);
    for word in preamble.iter().chain(packets.words.iter()) {
        raw.extend_from_slice(&word.to_be_bytes());
    }
    let (bytes, payload_offset) = match &spec.bit_header {
        Some(header) => {
            let mut out = bit_header(header, raw.len())?;
            let offset = out.len();
            out.extend_from_slice(&raw);
            (out, offset)
        }
        None => (raw, 0),
    };
    Ok(GeneratedBitstream {
        bytes,
        payload_offset,
        sync_index,
        packet_count: packets.packets,
        frame_data_words: words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(bytes: &[u8], index: usize) -> u32 {
        u32::from_be_bytes(bytes[index..index + 4].try_into().unwrap())
    }

    #[test]
    fn families_from_idcodes() {
        assert_eq!(
            DeviceFamily::from_idcode(0x0363_6093),
            DeviceFamily::Series7
        );
        assert_eq!(
            DeviceFamily::from_idcode(0x0372_7093),
            DeviceFamily::Series7
        );
        assert_eq!(
            DeviceFamily::from_idcode(0x0391_9093),
            DeviceFamily::UltraScale
        );
        assert_eq!(
            DeviceFamily::from_idcode(0x04A6_2093),
            DeviceFamily::UltraScalePlus
        );
        assert_eq!(
            DeviceFamily::from_idcode(0x0484_A093),
            DeviceFamily::UltraScalePlus
        );
    }

    #[test]
    fn raw_layout_7series() {
        let out = generate(&BitstreamSpec::new(0x0363_6093).with_frames(4)).unwrap();
        let raw = out.payload();
        assert_eq!(out.payload_offset, 0);
        assert_eq!(out.sync_index, 0x30);
        assert_eq!(word(raw, 0x20), 0x0000_00BB);
        assert_eq!(word(raw, 0x24), 0x1122_0044);
        assert_eq!(word(raw, 0x30), SYNC_WORD);
        assert_eq!(word(raw, 0x34), NOP);
        // Write 1 word to BSPI, then the value.
        assert_eq!(word(raw, 0x38), 0x3003_E001);
        assert_eq!(word(raw, 0x3C), 0x0000_026B);
        assert_eq!(out.frame_data_words, 5 * 101);
        // Ends with trailing NOPs, preceded somewhere by DESYNC.
        assert_eq!(word(raw, raw.len() - 4), NOP);
        assert_eq!(raw.len() % 4, 0);
    }

    #[test]
    fn deterministic_and_sized() {
        let spec = BitstreamSpec::new(0x04A6_2093)
            .with_frames(10)
            .with_usr_access(0xC131_0A5B);
        let a = generate(&spec).unwrap();
        let b = generate(&spec).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.sync_index, 0x50);
        assert_eq!(a.frame_data_words, 11 * 93);
        let default = generate(&BitstreamSpec::new(0x0364_C093)).unwrap();
        assert!(default.bytes.len() < 300 * 1024, "{}", default.bytes.len());
    }

    #[test]
    fn bit_header_prefix() {
        let header = BitFileHeader {
            design_name: "sim;COMPRESS=FALSE".into(),
            part_name: "7k160tfbg676".into(),
            date: "2024/12/21".into(),
            time: "09:00:40".into(),
        };
        let out = generate(
            &BitstreamSpec::new(0x0364_C093)
                .with_frames(1)
                .with_bit_header(header),
        )
        .unwrap();
        assert_eq!(&out.bytes[13..16], &[b'a', 0, 19]);
        let len_at = out.payload_offset - 4;
        assert_eq!(word(&out.bytes, len_at) as usize, out.payload().len());
        assert_eq!(out.bytes[len_at - 1], b'e');
    }

    #[test]
    fn oversized_payload_is_an_error() {
        let err = generate(&BitstreamSpec::new(0x0363_6093).with_frames(usize::MAX)).unwrap_err();
        assert!(matches!(err, BitstreamWriterError::PayloadTooLarge { .. }));
    }

    #[test]
    fn crc_changes_with_data() {
        let mut a = ConfigCrc::default();
        let mut b = ConfigCrc::default();
        a.update(reg::IDCODE, 0x0363_6093);
        b.update(reg::IDCODE, 0x0363_6092);
        assert_ne!(a.0, b.0);
        let mut c = ConfigCrc::default();
        c.update(reg::COR0, 0x0363_6093);
        assert_ne!(a.0, c.0, "address bits take part");
    }
}
