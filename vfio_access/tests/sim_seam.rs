//! A toy simulated device opened through the public API: identity filters, location
//! filters, config space, BAR access bounds, and DMA through the simulated IOMMU.

use std::sync::{Arc, Mutex};

use vfio_access::sim::{DmaPort, SimBarInfo, SimBoard, SimDevice};
use vfio_access::{
    AccessWidth, DmaAccess, DmaCapability, IdMatch, IdentityFilter, OpenOptions, PciIdentity,
    PciLocation, Session, VfioError,
};

/// A device with a 4 KiB register BAR 0: offset 0 is an id, 0x10 a scratch register, and
/// a write of an IOVA to 0x20 makes the device copy 16 bytes from that IOVA to IOVA+0x100.
#[derive(Default)]
struct Toy {
    scratch: Mutex<u32>,
    dma: Mutex<Option<DmaPort>>,
    bus_master: Mutex<bool>,
}

impl SimDevice for Toy {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor_id: 0x1234,
            device_id: 0x5678,
            subsystem_vendor_id: 0x0002,
            subsystem_device_id: 0x0009,
        }
    }
    fn bar(&self, index: u8) -> Option<SimBarInfo> {
        (index == 0).then_some(SimBarInfo {
            size: 0x1000,
            prefetchable: true,
            is_64bit: true,
        })
    }
    fn read(&self, _bar: u8, offset: u64, _w: AccessWidth) -> u64 {
        match offset {
            0 => 0xc0ffee,
            0x10 => (*self.scratch.lock().unwrap()).into(),
            _ => 0,
        }
    }
    fn write(&self, _bar: u8, offset: u64, _w: AccessWidth, value: u64) {
        match offset {
            0x10 => *self.scratch.lock().unwrap() = value as u32,
            0x20 => {
                let port = self.dma.lock().unwrap().clone().unwrap();
                let mut buf = [0u8; 16];
                port.read(value, &mut buf).unwrap();
                port.write(value + 0x100, &buf).unwrap();
            }
            _ => {}
        }
    }
    fn attach_dma(&self, port: DmaPort) {
        *self.dma.lock().unwrap() = Some(port);
    }
    fn set_bus_master(&self, enabled: bool) {
        *self.bus_master.lock().unwrap() = enabled;
    }
}

fn filter(dma: DmaCapability) -> IdentityFilter {
    IdentityFilter {
        vendor_id: IdMatch::Value(0x1234),
        device_id: IdMatch::Any,
        subsystem_vendor_id: IdMatch::Value(2),
        subsystem_device_id: IdMatch::Value(9),
        dma_capability: dma,
    }
}

fn board(toy: &Arc<Toy>, loc: &str, group: u32) -> SimBoard {
    SimBoard {
        location: loc.parse().unwrap(),
        iommu_group: group,
        device: toy.clone(),
    }
}

#[test]
fn open_register_access_and_dma() {
    let toy = Arc::new(Toy::default());
    let session = Session::open_sim(
        vec![board(&toy, "0000:15:00.0", 41)],
        &OpenOptions::default(),
        &[filter(DmaCapability::A64)],
    )
    .unwrap();
    assert!(session.is_simulated());
    let dev = &session.devices()[0];
    assert_eq!(dev.location(), PciLocation::new(0, 0x15, 0, 0));
    assert_eq!(dev.iommu_group(), 41);
    assert_eq!(dev.description(), "0000:15:00.0 (1234:5678)");
    // Opening enabled memory decoding and, for a DMA-capable filter, bus mastering.
    assert_eq!(
        dev.command_text().unwrap(),
        "    control: I/O- Mem+ BusMaster+"
    );
    assert!(*toy.bus_master.lock().unwrap());
    assert_eq!(dev.config_read16(0x2e).unwrap(), 9);
    let info = dev.bar_info(0).unwrap();
    assert_eq!(
        (info.size, info.prefetchable, info.is_64bit),
        (0x1000, true, true)
    );
    assert!(dev.bar_info(2).is_none());

    let bar = dev.bar(0).unwrap();
    assert_eq!(bar.read32(0), 0xc0ffee);
    bar.write32(0x10, 0x1234_5678);
    assert_eq!(bar.read32(0x10), 0x1234_5678);
    assert!(dev.frame(0, 0x800, 0x800).is_some());
    assert!(
        dev.frame(0, 0x800, 0x801).is_none(),
        "frame past the BAR end"
    );
    assert!(matches!(
        dev.bar(2),
        Err(VfioError::BarUnavailable { bar: 2, .. })
    ));

    let buf = dev.alloc_dma(0x1000, DmaAccess::READ_WRITE).unwrap();
    assert_eq!(buf.len(), 0x1000);
    assert!(
        buf.iova() >= 1 << 32,
        "64-bit devices are placed above 4 GiB"
    );
    buf.write_bytes(0, b"hello simulated!");
    bar.write64(0x20, buf.iova());
    let mut out = [0u8; 16];
    buf.read_bytes(0x100, &mut out);
    assert_eq!(&out, b"hello simulated!");
    let iommu = dev.domain().sim_iommu().unwrap().clone();
    assert_eq!(iommu.mapping_count(), 1);
    drop(buf);
    assert_eq!(iommu.mapping_count(), 0, "drop unmaps");
}

#[test]
fn filters_and_locations_select_devices() {
    let a = Arc::new(Toy::default());
    let b = Arc::new(Toy::default());
    let boards = || vec![board(&a, "0000:30:00.0", 89), board(&b, "0000:15:00.0", 41)];
    let all = Session::open_sim(
        boards(),
        &OpenOptions::default(),
        &[filter(DmaCapability::None)],
    )
    .unwrap();
    let locs: Vec<String> = all
        .devices()
        .iter()
        .map(|d| d.location().to_string())
        .collect();
    assert_eq!(
        locs,
        vec!["0000:15:00.0", "0000:30:00.0"],
        "sorted by location"
    );
    // No DMA capability: no bus mastering, and no DMA buffers.
    assert_eq!(
        all.devices()[0].command_text().unwrap(),
        "    control: I/O- Mem+ BusMaster-"
    );
    assert!(matches!(
        all.devices()[0].alloc_dma(4096, DmaAccess::READ),
        Err(VfioError::NoDmaCapability { .. })
    ));
    let mut opts = OpenOptions::default();
    opts.locations.add("0000:30:00.0".parse().unwrap());
    let one = Session::open_sim(boards(), &opts, &[filter(DmaCapability::A32)]).unwrap();
    assert_eq!(one.devices().len(), 1);
    assert_eq!(one.devices()[0].location().to_string(), "0000:30:00.0");
    let buf = one.devices()[0].alloc_dma(4096, DmaAccess::READ).unwrap();
    assert!(
        buf.iova() + buf.len() as u64 <= 1 << 32,
        "32-bit device below 4 GiB"
    );
    let none = Session::open_sim(
        boards(),
        &OpenOptions::default(),
        &[IdentityFilter::vendor_device(
            0x10ee,
            0x7024,
            DmaCapability::A64,
        )],
    )
    .unwrap();
    assert!(none.devices().is_empty());
}

#[test]
fn isolated_groups_get_their_own_iommu() {
    let a = Arc::new(Toy::default());
    let b = Arc::new(Toy::default());
    let boards = vec![board(&a, "0000:30:00.0", 89), board(&b, "0000:15:00.0", 41)];
    let opts = OpenOptions {
        isolate_iommu_groups: true,
        ..OpenOptions::default()
    };
    let s = Session::open_sim(boards, &opts, &[filter(DmaCapability::A64)]).unwrap();
    assert_eq!(s.domains().len(), 2);
    let x = s.devices()[0].alloc_dma(4096, DmaAccess::READ).unwrap();
    let y = s.devices()[1].alloc_dma(4096, DmaAccess::READ).unwrap();
    // Separate IOVA spaces: the same IOVA may be used in both.
    assert_eq!(x.iova(), y.iova());
}

#[test]
#[should_panic(expected = "outside window")]
fn register_access_is_bounds_checked() {
    let toy = Arc::new(Toy::default());
    let s = Session::open_sim(
        vec![board(&toy, "0000:01:00.0", 1)],
        &OpenOptions::default(),
        &[filter(DmaCapability::None)],
    )
    .unwrap();
    s.devices()[0].bar(0).unwrap().read32(0x1000);
}

/// The simulated noiommu mode (issue #14): buffers come in scattered segments whose
/// addresses the device reaches, and nowhere else; the IOMMU mode keeps one segment.
#[test]
fn noiommu_buffers_are_fragmented_and_reachable_per_segment() {
    let toy = Arc::new(Toy::default());
    let opts = OpenOptions {
        sim_noiommu: true,
        ..OpenOptions::default()
    };
    let s = Session::open_sim(
        vec![board(&toy, "0000:01:00.0", 1)],
        &opts,
        &[filter(DmaCapability::A32)],
    )
    .unwrap();
    let d = &s.devices()[0];
    let buf = d.alloc_dma(16 << 20, DmaAccess::READ_WRITE).unwrap();
    let segments = buf.segments().to_vec();
    assert!(
        segments.len() > 4,
        "fragmented: {} segments",
        segments.len()
    );
    assert!(!buf.is_contiguous());
    let mut offset = 0;
    for pair in segments.windows(2) {
        assert_ne!(
            pair[0].device_address + pair[0].len as u64,
            pair[1].device_address,
            "neighbouring segments are not contiguous"
        );
    }
    for seg in &segments {
        assert_eq!(seg.offset, offset);
        assert!(seg.len % 4096 == 0 && (4096..=2 << 20).contains(&seg.len));
        assert!(
            seg.device_address + seg.len as u64 <= 1 << 32,
            "A32 below 4 GiB"
        );
        offset += seg.len;
    }
    assert_eq!(offset, buf.len());
    // The toy copies 16 bytes from an address to address + 0x100: done at the last bytes of
    // a segment the copy must land in that segment's memory, found through device_address.
    let second = segments[1];
    let at = second.offset + second.len - 0x110;
    buf.write_bytes(at, b"0123456789abcdef");
    d.bar(0).unwrap().write64(0x20, buf.device_address(at));
    let mut out = [0u8; 16];
    buf.read_bytes(at + 0x100, &mut out);
    assert_eq!(&out, b"0123456789abcdef");
    // Runs split at segment boundaries and at the run limit.
    let runs = buf.device_runs(second.offset - 0x1000, 0x3000, 0x800);
    assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), 0x3000);
    assert!(runs.iter().all(|r| r.1 <= 0x800));
    assert_eq!(
        runs[1].0 + 0x800,
        segments[0].device_address + segments[0].len as u64
    );
    assert_eq!(runs[2].0, second.device_address);
    assert_eq!(buf.contiguous_address(second.offset - 8, 16), None);
    assert_eq!(
        buf.contiguous_address(second.offset, 16),
        Some(second.device_address)
    );
    // The IOMMU mode: one segment.
    let plain = Session::open_sim(
        vec![board(&toy, "0000:01:00.0", 1)],
        &OpenOptions::default(),
        &[filter(DmaCapability::A64)],
    )
    .unwrap();
    let one = plain.devices()[0]
        .alloc_dma(16 << 20, DmaAccess::READ)
        .unwrap();
    assert_eq!(one.segments().len(), 1);
    assert_eq!(one.segments()[0].device_address, one.iova());
}
