//! Raw bus reads needed by the decoders, described as data so that the bus side
//! (generic over `embedded_hal::i2c::I2c`, or the bit-banged driver) can be written
//! mechanically: perform the listed reads in order and fill the decoder's input struct.

/// One raw access on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRead {
    /// Plain I2C register read: Write(addr, [reg]) then Read(addr, len).
    /// `repeated_start` true: `S a+W reg Sr a+R data P`; false: `S a+W reg P S a+R data P`
    /// (needed by devices that cannot take a repeated START, e.g. the TEF1001 fan CPLD).
    Register {
        addr: u8,
        reg: u8,
        len: usize,
        repeated_start: bool,
    },
    /// Plain I2C write ending with STOP (e.g. the Si5338 PAGE_SEL write `[0xff, page]`).
    Write { addr: u8, bytes: Vec<u8> },
    /// SMBus read of `len` data bytes (1 = read byte, 2 = read word, low byte first).
    /// `pec`: PEC is clocked and checked when enabled for the address; false = never
    /// (CAPABILITY is read before PEC is enabled).
    SmbusRead {
        addr: u8,
        command: u8,
        len: usize,
        pec: bool,
    },
    /// SMBus block read (count byte first), count must be 1..=max.
    SmbusBlockRead {
        addr: u8,
        command: u8,
        max: u8,
        pec: bool,
    },
    /// PMBus PAGE_PLUS_READ (0x06): block-write/block-read process call with write
    /// block `[page, command]`; the returned count must equal `len`.
    PagedRead {
        addr: u8,
        page: u8,
        command: u8,
        len: u8,
        pec: bool,
    },
}
