//! QEMU's `edu` teaching device (PCI 1234:11e8): register map, identity filter, and a
//! simulated model so that tools driving it also run without a QEMU guest (`--sim`).
//!
//! Facts from `shared/specs/qemu_vfio_testbed.md`: BAR0 (1 MiB) holds the registers below;
//! the device's DMA buffer is at device address 0x40000 (4096 bytes); DMA addresses are 28
//! bits; QEMU 7.2 rejects a DMA touching the buffer's last byte; a DMA completes after a
//! 100 ms (virtual) timer.

use std::sync::{Arc, Mutex};

use vfio_access::sim::{DmaPort, SimBarInfo, SimBoard, SimDevice};
use vfio_access::{
    AccessWidth, DmaCapability, IdentityFilter, PciIdentity, PciLocation, SimSelection,
};

pub const VENDOR_ID: u16 = 0x1234;
pub const DEVICE_ID: u16 = 0x11e8;
/// The edu device generates 28-bit DMA addresses.
pub const DMA_CAPABILITY: DmaCapability = DmaCapability::Bits(28);
pub const FILTER: IdentityFilter =
    IdentityFilter::vendor_device(VENDOR_ID, DEVICE_ID, DMA_CAPABILITY);

pub const BAR0_SIZE: u64 = 1 << 20;
/// Identification register: 0x010000ed (major 1, minor 0).
pub const REG_ID: u64 = 0x00;
pub const ID_VALUE: u32 = 0x0100_00ed;
/// Liveness: reads back the bitwise inverse of what was written.
pub const REG_LIVENESS: u64 = 0x04;
/// Factorial: write n, read n! (asynchronous; status bit 0 set while computing).
pub const REG_FACTORIAL: u64 = 0x08;
pub const REG_STATUS: u64 = 0x20;
pub const STATUS_COMPUTING: u32 = 1;
pub const REG_DMA_SRC: u64 = 0x80;
pub const REG_DMA_DST: u64 = 0x88;
pub const REG_DMA_COUNT: u64 = 0x90;
pub const REG_DMA_CMD: u64 = 0x98;
pub const DMA_CMD_START: u64 = 1;
/// Direction bit: 0 = RAM to device, 1 = device to RAM.
pub const DMA_CMD_TO_RAM: u64 = 2;
/// Device address of the edu's own DMA buffer.
pub const DMA_BUFFER: u64 = 0x4_0000;
pub const DMA_BUFFER_SIZE: u64 = 4096;

/// The factorial the device computes (32-bit wrapping, as QEMU's model).
pub fn factorial(n: u32) -> u32 {
    (1..=n).fold(1u32, |acc, k| acc.wrapping_mul(k))
}

#[derive(Default)]
struct EduState {
    liveness: u32,
    factorial: u32,
    dma_src: u64,
    dma_dst: u64,
    dma_count: u64,
    buffer: Vec<u8>,
    faults: u64,
}

/// A register-level model of `edu`: DMA completes at once through the simulated IOMMU.
pub struct SimEdu {
    state: Mutex<EduState>,
    port: Mutex<Option<DmaPort>>,
    /// QEMU's `dma_mask` property: host addresses are masked with it.
    dma_mask: u64,
}

impl Default for SimEdu {
    fn default() -> Self {
        Self::with_dma_mask_bits(DEFAULT_DMA_MASK_BITS)
    }
}

/// QEMU's default `dma_mask` of the edu device: 28 bits.
pub const DEFAULT_DMA_MASK_BITS: u8 = 28;

/// The DMA capability of an edu device whose `dma_mask` has `bits` bits.
pub fn dma_capability(bits: u8) -> DmaCapability {
    if bits >= 64 {
        DmaCapability::A64
    } else {
        DmaCapability::Bits(bits)
    }
}

/// The identity filter for edu devices with a `bits`-bit `dma_mask`.
pub fn filter(bits: u8) -> IdentityFilter {
    IdentityFilter::vendor_device(VENDOR_ID, DEVICE_ID, dma_capability(bits))
}

impl SimEdu {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A model whose `dma_mask` has `bits` bits (QEMU `-device edu,dma_mask=...`).
    pub fn with_dma_mask_bits(bits: u8) -> Self {
        Self {
            state: Mutex::new(EduState {
                buffer: vec![0; DMA_BUFFER_SIZE as usize],
                ..EduState::default()
            }),
            port: Mutex::new(None),
            dma_mask: if bits >= 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            },
        }
    }

    /// DMA transfers refused (out of range or by the IOMMU).
    pub fn dma_faults(&self) -> u64 {
        self.lock().faults
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, EduState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run_dma(&self, s: &mut EduState, cmd: u64) {
        let mask = self.dma_mask;
        let count = s.dma_count;
        let to_ram = cmd & DMA_CMD_TO_RAM != 0;
        let dev = if to_ram { s.dma_src } else { s.dma_dst };
        let host = (if to_ram { s.dma_dst } else { s.dma_src }) & mask;
        // As QEMU 7.2: the range must lie inside the buffer and not touch its last byte.
        let inside = dev >= DMA_BUFFER
            && count > 0
            && dev
                .checked_add(count)
                .is_some_and(|e| e < DMA_BUFFER + DMA_BUFFER_SIZE);
        let port = self.port.lock().unwrap_or_else(|p| p.into_inner());
        let (Some(port), true) = (port.as_ref(), inside) else {
            s.faults += 1;
            return;
        };
        let off = (dev - DMA_BUFFER) as usize;
        let range = off..off + count as usize;
        let ok = if to_ram {
            port.write(host, &s.buffer[range]).is_ok()
        } else {
            port.read(host, &mut s.buffer[range]).is_ok()
        };
        if !ok {
            s.faults += 1;
        }
    }
}

impl SimDevice for SimEdu {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor_id: VENDOR_ID,
            device_id: DEVICE_ID,
            subsystem_vendor_id: 0x1af4,
            subsystem_device_id: 0x1100,
        }
    }
    fn class_code(&self) -> u32 {
        0x00_ff_00
    }
    fn revision(&self) -> u8 {
        0x10
    }
    fn bar(&self, index: u8) -> Option<SimBarInfo> {
        (index == 0).then_some(SimBarInfo {
            size: BAR0_SIZE,
            prefetchable: false,
            is_64bit: false,
        })
    }
    fn read(&self, bar: u8, offset: u64, width: AccessWidth) -> u64 {
        if bar != 0 || (offset < 0x80 && width != AccessWidth::U32) {
            return width.mask();
        }
        let s = self.lock();
        match offset {
            REG_ID => ID_VALUE.into(),
            REG_LIVENESS => (!s.liveness).into(),
            REG_FACTORIAL => s.factorial.into(),
            REG_STATUS => 0,
            REG_DMA_SRC => s.dma_src,
            REG_DMA_DST => s.dma_dst,
            REG_DMA_COUNT => s.dma_count,
            REG_DMA_CMD => 0,
            _ => width.mask(),
        }
    }
    fn write(&self, bar: u8, offset: u64, width: AccessWidth, value: u64) {
        if bar != 0 || (offset < 0x80 && width != AccessWidth::U32) {
            return;
        }
        let mut s = self.lock();
        match offset {
            REG_LIVENESS => s.liveness = value as u32,
            REG_FACTORIAL => s.factorial = factorial(value as u32),
            REG_DMA_SRC => s.dma_src = value,
            REG_DMA_DST => s.dma_dst = value,
            REG_DMA_COUNT => s.dma_count = value,
            REG_DMA_CMD if value & DMA_CMD_START != 0 => self.run_dma(&mut s, value),
            _ => {}
        }
    }
    fn attach_dma(&self, port: DmaPort) {
        *self.port.lock().unwrap_or_else(|p| p.into_inner()) = Some(port);
    }
    fn reset(&self) {
        let mut s = self.lock();
        *s = EduState {
            buffer: vec![0; DMA_BUFFER_SIZE as usize],
            faults: s.faults,
            ..EduState::default()
        };
    }
}

/// Simulated edu boards for a `--sim` choice: the default is the testbed's three devices
/// (0000:00:03.0, 04.0, 05.0 in IOMMU groups 3, 4, 5); a board list places one per `edu`
/// entry (`edu` or `edu@<location>`) and ignores the other designs.
pub fn sim_boards(selection: &SimSelection) -> Vec<SimBoard> {
    sim_boards_with_dma_mask(selection, DEFAULT_DMA_MASK_BITS)
}

/// [`sim_boards`] whose devices have a `bits`-bit `dma_mask`.
pub fn sim_boards_with_dma_mask(selection: &SimSelection, bits: u8) -> Vec<SimBoard> {
    let board = |location: PciLocation| SimBoard {
        location,
        iommu_group: u32::from(location.device),
        device: Arc::new(SimEdu::with_dma_mask_bits(bits)) as Arc<dyn SimDevice>,
    };
    match selection {
        SimSelection::Default => (3..=5)
            .map(|d| board(PciLocation::new(0, 0, d, 0)))
            .collect(),
        SimSelection::Boards(list) => {
            let mut next = 3u8;
            list.split(',')
                .filter_map(|item| {
                    let (design, at) = match item.trim().split_once('@') {
                        Some((d, l)) => (d, Some(l)),
                        None => (item.trim(), None),
                    };
                    if design != "edu" {
                        return None;
                    }
                    let location = match at {
                        Some(l) => l.parse().ok()?,
                        None => {
                            next = next.checked_add(1)?;
                            PciLocation::new(0, 0, next - 1, 0)
                        }
                    };
                    Some(board(location))
                })
                .collect()
        }
    }
}
