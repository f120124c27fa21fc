//! The manager's messages and their encoding: one message per seqpacket datagram, a 32-bit
//! id first, then a fixed body; every message has one exact length, checked before any
//! field is read (vfio_access.md §7.3 keeps: boundaries, exact lengths, fds with the open
//! reply). Little-endian fields, no padding ambiguity: the layout is ours, not C's.
//!
//! | Id | Message | Direction | Body | Length |
//! |---|---|---|---|---|
//! | 0 | Welcome | m→c | manager PID u32 | 8 |
//! | 1 | Refused | m→c | manager uid u32, client uid u32 | 12 |
//! | 2 | OpenDeviceRequest | c→m | location (8), DMA capability u32, want container u32 | 20 |
//! | 3 | OpenDeviceReply | m→c | status u32, container id u32, IOMMU type u32, group u32, IOVA page size u64; fds: device, then container if asked | 28 |
//! | 4 | CloseDeviceRequest | c→m | location (8) | 12 |
//! | 5 | CloseDeviceReply | m→c | status u32 | 8 |
//! | 6 | AllocateIovaRequest | c→m | container id u32, DMA capability u32, size u64 | 20 |
//! | 7 | AllocateIovaReply | m→c | status u32, pad u32, start u64, inclusive end u64 | 28 |
//! | 8 | FreeIovaRequest | c→m | container id u32, pad u32, start u64, inclusive end u64 | 28 |
//! | 9 | FreeIovaReply | m→c | status u32 | 8 |
//!
//! A location is domain u32, bus, device, function u8 and a zero pad byte. A DMA
//! capability is 0 none, 1 32-bit, 2 64-bit, 0x100 + n for n address bits (1..=64).

use crate::filter::DmaCapability;
use crate::iova::IovaRange;
use crate::location::PciLocation;

/// Longest message (any longer datagram is invalid whatever its id).
pub const MAX_MESSAGE: usize = 28;

/// Status of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// The device is not one the manager manages.
    NotManaged,
    /// The manager could not open the device / unknown container id.
    Failed,
    /// No free IOVA range of that size reachable by the device.
    NoFreeIova,
    /// The range is not exactly one allocation of this client / a device it does not use.
    NotHeld,
}

impl Status {
    fn code(self) -> u32 {
        match self {
            Status::Ok => 0,
            Status::NotManaged => 1,
            Status::Failed => 2,
            Status::NoFreeIova => 3,
            Status::NotHeld => 4,
        }
    }
    fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Status::Ok,
            1 => Status::NotManaged,
            2 => Status::Failed,
            3 => Status::NoFreeIova,
            4 => Status::NotHeld,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenReply {
    pub status: Status,
    pub container_id: u32,
    pub iommu_type: u32,
    pub group: u32,
    pub page_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Welcome {
        manager_pid: u32,
    },
    Refused {
        manager_uid: u32,
        client_uid: u32,
    },
    OpenDeviceRequest {
        location: PciLocation,
        dma: DmaCapability,
        want_container: bool,
    },
    OpenDeviceReply(OpenReply),
    CloseDeviceRequest {
        location: PciLocation,
    },
    CloseDeviceReply {
        status: Status,
    },
    AllocateIovaRequest {
        container_id: u32,
        dma: DmaCapability,
        size: u64,
    },
    AllocateIovaReply {
        status: Status,
        range: IovaRange,
    },
    FreeIovaRequest {
        container_id: u32,
        range: IovaRange,
    },
    FreeIovaReply {
        status: Status,
    },
}

/// Why a datagram is not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("Received message length {0} too short for msg_id")]
    TooShort(usize),
    #[error("Invalid message ID {id} size {len} bytes")]
    UnknownId { id: u32, len: usize },
    #[error("Invalid message ID {id} size {len} bytes (expected {expected})")]
    WrongLength {
        id: u32,
        len: usize,
        expected: usize,
    },
    #[error("Invalid {field} 0x{value:x} in message ID {id}")]
    BadField {
        id: u32,
        field: &'static str,
        value: u64,
    },
}

/// The exact length of message `id`, None for an unknown id.
pub fn length_of(id: u32) -> Option<usize> {
    Some(match id {
        0 => 8,
        1 => 12,
        2 => 20,
        3 => 28,
        4 => 12,
        5 => 8,
        6 => 20,
        7 => 28,
        8 => 28,
        9 => 8,
        _ => return None,
    })
}

fn dma_code(dma: DmaCapability) -> u32 {
    match dma {
        DmaCapability::None => 0,
        DmaCapability::A32 => 1,
        DmaCapability::A64 => 2,
        DmaCapability::Bits(b) => 0x100 + u32::from(b),
    }
}

fn dma_from_code(code: u32) -> Option<DmaCapability> {
    Some(match code {
        0 => DmaCapability::None,
        1 => DmaCapability::A32,
        2 => DmaCapability::A64,
        c if (0x101..=0x140).contains(&c) => DmaCapability::Bits((c - 0x100) as u8),
        _ => return None,
    })
}

impl Message {
    pub fn id(&self) -> u32 {
        match self {
            Message::Welcome { .. } => 0,
            Message::Refused { .. } => 1,
            Message::OpenDeviceRequest { .. } => 2,
            Message::OpenDeviceReply(_) => 3,
            Message::CloseDeviceRequest { .. } => 4,
            Message::CloseDeviceReply { .. } => 5,
            Message::AllocateIovaRequest { .. } => 6,
            Message::AllocateIovaReply { .. } => 7,
            Message::FreeIovaRequest { .. } => 8,
            Message::FreeIovaReply { .. } => 9,
        }
    }

    /// A request a client sends (the manager answers only these).
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            Message::OpenDeviceRequest { .. }
                | Message::CloseDeviceRequest { .. }
                | Message::AllocateIovaRequest { .. }
                | Message::FreeIovaRequest { .. }
        )
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = Writer(Vec::with_capacity(MAX_MESSAGE));
        b.u32(self.id());
        match *self {
            Message::Welcome { manager_pid } => b.u32(manager_pid),
            Message::Refused {
                manager_uid,
                client_uid,
            } => {
                b.u32(manager_uid);
                b.u32(client_uid)
            }
            Message::OpenDeviceRequest {
                location,
                dma,
                want_container,
            } => {
                b.location(location);
                b.u32(dma_code(dma));
                b.u32(want_container.into())
            }
            Message::OpenDeviceReply(r) => {
                b.u32(r.status.code());
                b.u32(r.container_id);
                b.u32(r.iommu_type);
                b.u32(r.group);
                b.u64(r.page_size)
            }
            Message::CloseDeviceRequest { location } => b.location(location),
            Message::CloseDeviceReply { status } | Message::FreeIovaReply { status } => {
                b.u32(status.code())
            }
            Message::AllocateIovaRequest {
                container_id,
                dma,
                size,
            } => {
                b.u32(container_id);
                b.u32(dma_code(dma));
                b.u64(size)
            }
            Message::AllocateIovaReply { status, range } => {
                b.u32(status.code());
                b.u32(0);
                b.u64(range.start);
                b.u64(range.end)
            }
            Message::FreeIovaRequest {
                container_id,
                range,
            } => {
                b.u32(container_id);
                b.u32(0);
                b.u64(range.start);
                b.u64(range.end)
            }
        }
        debug_assert_eq!(Some(b.0.len()), length_of(self.id()));
        b.0
    }

    /// Decodes one datagram: the length must be exactly the id's, and every field valid.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        if bytes.len() < 4 {
            return Err(DecodeError::TooShort(bytes.len()));
        }
        let mut r = Reader { bytes, at: 0 };
        let id = r.u32();
        let len = bytes.len();
        let expected = length_of(id).ok_or(DecodeError::UnknownId { id, len })?;
        if len != expected {
            return Err(DecodeError::WrongLength { id, len, expected });
        }
        let bad = |field: &'static str, value: u64| DecodeError::BadField { id, field, value };
        let status = |code: u32| Status::from_code(code).ok_or(bad("status", code.into()));
        let dma = |code: u32| dma_from_code(code).ok_or(bad("DMA capability", code.into()));
        let zero = |field: &'static str, v: u32| {
            if v == 0 {
                Ok(())
            } else {
                Err(bad(field, v.into()))
            }
        };
        let range = |start: u64, end: u64| {
            if start <= end {
                Ok(IovaRange::new(start, end))
            } else {
                Err(bad("IOVA range end", end))
            }
        };
        Ok(match id {
            0 => Message::Welcome {
                manager_pid: r.u32(),
            },
            1 => Message::Refused {
                manager_uid: r.u32(),
                client_uid: r.u32(),
            },
            2 => {
                let location = r.location().map_err(|v| bad("location pad", v))?;
                let d = dma(r.u32())?;
                let want = r.u32();
                if want > 1 {
                    return Err(bad("container flag", want.into()));
                }
                Message::OpenDeviceRequest {
                    location,
                    dma: d,
                    want_container: want == 1,
                }
            }
            3 => Message::OpenDeviceReply(OpenReply {
                status: status(r.u32())?,
                container_id: r.u32(),
                iommu_type: r.u32(),
                group: r.u32(),
                page_size: r.u64(),
            }),
            4 => Message::CloseDeviceRequest {
                location: r.location().map_err(|v| bad("location pad", v))?,
            },
            5 => Message::CloseDeviceReply {
                status: status(r.u32())?,
            },
            6 => Message::AllocateIovaRequest {
                container_id: r.u32(),
                dma: dma(r.u32())?,
                size: r.u64(),
            },
            7 => {
                let s = status(r.u32())?;
                zero("pad", r.u32())?;
                let (start, end) = (r.u64(), r.u64());
                Message::AllocateIovaReply {
                    status: s,
                    range: range(start, end)?,
                }
            }
            8 => {
                let container_id = r.u32();
                zero("pad", r.u32())?;
                let (start, end) = (r.u64(), r.u64());
                Message::FreeIovaRequest {
                    container_id,
                    range: range(start, end)?,
                }
            }
            9 => Message::FreeIovaReply {
                status: status(r.u32())?,
            },
            _ => return Err(DecodeError::UnknownId { id, len }),
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes())
    }
    fn location(&mut self, l: PciLocation) {
        self.u32(l.domain);
        self.0.extend_from_slice(&[l.bus, l.device, l.function, 0]);
    }
}

/// Reads fields of a datagram whose length was checked against the id first.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        // The length was validated for the id, so the slice is there; a short one (a bug)
        // reads as zeros rather than panicking.
        if let Some(s) = self.bytes.get(self.at..self.at + N) {
            out.copy_from_slice(s);
        }
        self.at += N;
        out
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    /// A location; Err(pad byte) when the pad is not zero.
    fn location(&mut self) -> Result<PciLocation, u64> {
        let domain = self.u32();
        let [bus, device, function, pad] = self.take::<4>();
        if pad != 0 {
            return Err(pad.into());
        }
        Ok(PciLocation::new(domain, bus, device, function))
    }
}
