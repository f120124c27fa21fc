//! The XDMA model at register level, through a test-only simulated device that exposes it
//! as BAR 0, opened through `Session::open_sim` (so DMA goes through the simulated IOMMU).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fpga_sim::peripheral::Peripheral;
use fpga_sim::xdma::{Direction, FaultKind, XdmaConfig, XdmaFault, XdmaModel, XDMA_BAR_SIZE};
use vfio_access::mmio::AccessWidth;
use vfio_access::sim::{DmaPort, SimBarInfo, SimBoard, SimDevice};
use vfio_access::{
    DmaAccess, DmaBuffer, DmaCapability, IdentityFilter, Mmio, OpenOptions, PciIdentity,
    PciLocation, Session,
};

struct XdmaOnly(Arc<XdmaModel>);

impl SimDevice for XdmaOnly {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor_id: 0x10ee,
            device_id: 0x7024,
            subsystem_vendor_id: 0x0002,
            subsystem_device_id: 0x0003,
        }
    }
    fn bar(&self, index: u8) -> Option<SimBarInfo> {
        (index == 0).then_some(SimBarInfo {
            size: XDMA_BAR_SIZE,
            prefetchable: false,
            is_64bit: false,
        })
    }
    fn read(&self, _bar: u8, offset: u64, width: AccessWidth) -> u64 {
        self.0.read(offset, width)
    }
    fn write(&self, _bar: u8, offset: u64, width: AccessWidth, value: u64) {
        self.0.write(offset, width, value)
    }
    fn attach_dma(&self, port: DmaPort) {
        self.0.attach_dma(port)
    }
    fn reset(&self) {
        self.0.reset()
    }
}

fn open(config: XdmaConfig) -> (Session, Arc<XdmaModel>) {
    let model = XdmaModel::new(config);
    let board = SimBoard {
        location: PciLocation::new(0, 3, 0, 0),
        iommu_group: 7,
        device: Arc::new(XdmaOnly(Arc::clone(&model))),
    };
    let filter = IdentityFilter::vendor_device(0x10ee, 0x7024, DmaCapability::A64);
    let session = Session::open_sim(vec![board], &OpenOptions::default(), &[filter]).unwrap();
    (session, model)
}

const MAGIC: u32 = 0xAD4B_0000;

/// Writes a descriptor at `index` of `ring`.
fn descriptor(
    ring: &DmaBuffer,
    index: usize,
    control: u32,
    len: u32,
    src: u64,
    dst: u64,
    next: u64,
) {
    let d = index * 32;
    ring.write_u32(d, MAGIC | control);
    ring.write_u32(d + 4, len);
    ring.write_u64(d + 8, src);
    ring.write_u64(d + 16, dst);
    ring.write_u64(d + 24, next);
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::yield_now();
    }
}

/// Starts a linear chain at `ring` on channel `base` (0x0000 H2C 0, 0x1000 C2H 0, ...).
fn run_chain(bar: &Mmio, block: u64, ring: &DmaBuffer, wb: &DmaBuffer) {
    let sgdma = block + 0x4000;
    bar.write64_split(sgdma + 0x80, ring.iova());
    bar.write64_split(block + 0x88, wb.iova());
    wb.write_u32(0, 0);
    bar.write32(block + 0x04, 0x04FF_FE38);
    bar.write32(block + 0x08, 1);
}

#[test]
fn memory_mapped_round_trip_and_registers() {
    let (session, model) = open(XdmaConfig {
        h2c_channels: 2,
        c2h_channels: 2,
        stream: false,
        card_memory_bytes: 8 << 30,
        user_logic: Default::default(),
    });
    let dev = &session.devices()[0];
    let bar = dev.bar(0).unwrap();
    // 64-bit reads return all-ones; identifiers as PG195.
    assert_eq!(bar.read64(0x0000), u64::MAX);
    assert_eq!(bar.read32(0x1100) >> 8, 0x1FC101);
    assert_eq!(bar.read32(0x0200), 0, "third channel absent");
    let data = dev.alloc_dma(0x30000, DmaAccess::READ_WRITE).unwrap();
    let ring = dev.alloc_dma(4096, DmaAccess::READ_WRITE).unwrap();
    let wb = dev.alloc_dma(4096, DmaAccess::READ_WRITE).unwrap();
    for i in 0..0x10000 / 4 {
        data.write_u32(i * 4, i as u32 ^ 0xA5A5_0000);
    }
    // H2C: two chained descriptors into card memory near the 8 GiB end.
    let card = (8u64 << 30) - 0x10000;
    descriptor(&ring, 0, 0, 0x8000, data.iova(), card, ring.iova() + 32);
    descriptor(
        &ring,
        1,
        0x3,
        0x8000,
        data.iova() + 0x8000,
        card + 0x8000,
        0,
    );
    run_chain(&bar, 0x0000, &ring, &wb);
    wait_for("H2C completion", || wb.read_u32(0) == 2);
    wait_for("H2C idle", || bar.read32(0x0040) & 1 == 0);
    assert_eq!(bar.read32(0x0048), 2);
    bar.write32(0x000C, 1);
    // C2H back into the second half of the buffer.
    descriptor(&ring, 2, 0x3, 0x10000, card, data.iova() + 0x20000, 0);
    bar.write64_split(0x5080, ring.iova() + 64);
    bar.write64_split(0x1088, wb.iova() + 64);
    bar.write32(0x1004, 0x04F8_3E38);
    bar.write32(0x1008, 1);
    wait_for("C2H completion", || wb.read_u32(64) == 1);
    let mut a = vec![0u8; 0x10000];
    let mut b = vec![0u8; 0x10000];
    data.read_bytes(0, &mut a);
    data.read_bytes(0x20000, &mut b);
    assert_eq!(a, b);
    assert!(
        model.card_memory_allocated() <= 2 << 20,
        "card memory is sparse"
    );
    // Credits accumulate only in credit mode, saturate at 1023, clear when it is disabled.
    bar.write32(0x6024, 1 << 1);
    bar.write32(0x6014, 1 << 1);
    bar.write32(0x418C, 1000);
    bar.write32(0x418C, 100);
    assert_eq!(bar.read32(0x418C), 1023);
    bar.write32(0x6028, 1 << 1);
    assert_eq!(bar.read32(0x418C), 0);
    // Reset returns the registers to 0.
    bar.write64_split(0x0188, 0xFEED_ABBA_DEAD_BEEF);
    dev.reset().unwrap();
    assert_eq!(bar.read64_split(0x0188), 0);
    assert_eq!(bar.read32(0x0004), 0);
    assert_eq!(bar.read32(0x6010), 0);
}

#[test]
fn stream_loopback_with_writebacks_and_faults() {
    let (session, model) = open(XdmaConfig {
        h2c_channels: 2,
        c2h_channels: 2,
        stream: true,
        card_memory_bytes: 0,
        user_logic: Default::default(),
    });
    let dev = &session.devices()[0];
    let bar = dev.bar(0).unwrap();
    let tx = dev.alloc_dma(0x4000, DmaAccess::READ).unwrap();
    let rx = dev.alloc_dma(0x4000, DmaAccess::WRITE).unwrap();
    let mem = dev.alloc_dma(0x4000, DmaAccess::READ_WRITE).unwrap();
    tx.write_bytes(
        0,
        &(0..0x1000u32)
            .flat_map(|i| i.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    // C2H 1: three descriptors of 0x404 bytes (not a multiple of 16) to receive a
    // 0x900-byte packet: non-final lengths round up to 0x410, the last reports EOP.
    let c2h_ring = 0x1000;
    let wbs = 0x2000;
    for i in 0..3 {
        descriptor(
            &mem,
            c2h_ring / 32 + i,
            0x2,
            0x404,
            mem.iova() + (wbs + 8 * i) as u64,
            rx.iova() + 0x1000 * i as u64,
            mem.iova() + (c2h_ring + 32 * (i + 1)) as u64,
        );
    }
    bar.write64_split(0x5180, mem.iova() + c2h_ring as u64);
    bar.write64_split(0x1188, mem.iova() + 0x3000);
    bar.write32(0x1104, 0x04F8_3E38);
    bar.write32(0x6024, 1 << 17);
    bar.write32(0x1108, 1);
    bar.write32(0x518C, 3);
    // H2C 0 sends one packet (EOP) of 0x900 bytes.
    descriptor(&mem, 0, 0x12, 0x900, tx.iova(), 0, mem.iova());
    bar.write64_split(0x4080, mem.iova());
    bar.write64_split(0x0088, mem.iova() + 0x3040);
    bar.write32(0x0004, 0x04FF_FE38);
    bar.write32(0x6024, 1);
    bar.write32(0x0008, 1);
    bar.write32(0x408C, 1);
    wait_for("C2H writebacks", || mem.read_u32(0x3000) == 3);
    // The H2C engine writes its own writeback on its own thread, possibly after the C2H
    // side has already received the whole packet.
    wait_for("H2C completed count writeback", || {
        mem.read_u32(0x3040) == 1
    });
    let wb = |i: usize| (mem.read_u32(wbs + 8 * i), mem.read_u32(wbs + 8 * i + 4));
    assert_eq!(wb(0), (0x52B4_0000, 0x410));
    assert_eq!(wb(1), (0x52B4_0000, 0x410));
    assert_eq!(wb(2), (0x52B4_0001, 0x900 - 0x820));
    assert_eq!(
        rx.read_u32(0x1000),
        0x410 / 4,
        "next descriptor continues the packet"
    );
    // An IOMMU fault on the next H2C descriptor fetch: 0x80010 and the engine stops.
    model.inject_fault(XdmaFault::new(Direction::H2C, 0, FaultKind::IommuFault));
    bar.write32(0x408C, 1);
    wait_for("fault status", || bar.read32(0x0040) == 0x80010);
    // Clearing Run and setting it again clears the error bits.
    bar.write32(0x000C, 1);
    bar.write32(0x0008, 1);
    assert_eq!(bar.read32(0x0040) & !1, 0);
    bar.write32(0x000C, 1);
    bar.write32(0x110C, 1);
    wait_for("idle", || {
        bar.read32(0x0040) & 1 == 0 && bar.read32(0x1140) & 1 == 0
    });
}

#[test]
fn fault_list_parses() {
    let f: XdmaFault = "stall:c2h1".parse().unwrap();
    assert_eq!(f, XdmaFault::new(Direction::C2H, 1, FaultKind::Stall));
}
