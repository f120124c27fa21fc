//! The VFIO tools' logic run in-process, writing to buffers (the binaries in `vfio_tools`
//! only parse the command line).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use std::sync::Arc;
use vfio_access::tools::display_vfio_information::{self, VfioInformationRequest};
use vfio_access::tools::dump_pci_info::{self, parse_vendor, PciListingRequest};

use vfio_access::mmio::AccessWidth;
use vfio_access::sim::{SimBarInfo, SimBoard, SimDevice, SimLink};
use vfio_access::{PciIdentity, PciLocation};

/// One Xilinx function at 0000:15:00.0 (group 41, bound to vfio-pci, slot 3-1).
fn fake_sysfs(root: &Path) {
    let dir = root.join("devices/pci0000:14/0000:15:00.0");
    fs::create_dir_all(&dir).unwrap();
    for (f, v) in [
        ("vendor", "0x10ee"),
        ("device", "0x7024"),
        ("subsystem_vendor", "0x0002"),
        ("subsystem_device", "0x0001"),
        ("class", "0x058000"),
    ] {
        fs::write(dir.join(f), format!("{v}\n")).unwrap();
    }
    let mut config = vec![0u8; 64];
    config[4] = 0x06;
    fs::write(dir.join("config"), config).unwrap();
    fs::write(
        dir.join("resource"),
        "0x0000387fffe00000 0x0000387fffefffff 0x000000000014220c\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("kernel/iommu_groups/41")).unwrap();
    symlink(root.join("kernel/iommu_groups/41"), dir.join("iommu_group")).unwrap();
    fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
    symlink(&dir, root.join("bus/pci/devices/0000:15:00.0")).unwrap();
}

#[test]
fn pci_listing_selects_and_refuses_in_process() {
    let tmp = tempfile::tempdir().unwrap();
    fake_sysfs(tmp.path());
    let mut out = Vec::new();
    let request = PciListingRequest {
        sysfs_root: tmp.path(),
        devices: &[],
        vendor: Some(0x10ee),
        filters: &[],
    };
    dump_pci_info::run(&mut out, &request).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Access method : linux-sysfs\n\
         domain=0000 bus=15 dev=00 func=00\n\
         \x20 vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0001 header_type=NORMAL\n\
         \x20 control: I/O- Mem+ BusMaster+\n\
         \x20 IOMMU group: 41\n\
         \x20 Driver: none\n\
         \x20 bar[0] base_addr=387fffe00000 size=100000 is_IO=0 is_prefetchable=1 is_64=1\n\
         \x20 Revision: 00\n\
         \x20 Class: Memory controller [0580]\n\
         \x20 Control: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx-\n\
         \x20 Status: Cap- 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n\
         \x20 Latency: 0\n\
         \x20 Parent bridges: none (on a root bus)\n"
    );
    let missing = [PciLocation::new(0x9999, 0, 0, 0)];
    let mut out = Vec::new();
    let e = dump_pci_info::run(
        &mut out,
        &PciListingRequest {
            devices: &missing,
            ..request.clone()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no PCI device at 9999:00:00.0 (see `dump_pci_info` for the devices present)"
    );
    let e = dump_pci_info::run(
        &mut out,
        &PciListingRequest {
            vendor: Some(0x1234),
            ..request
        },
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "no matching PCI devices found");
    assert!(out.is_empty(), "nothing is written before a refusal");
    assert_eq!(parse_vendor("0x10ee"), Ok(0x10ee));
    assert_eq!(parse_vendor("xyz"), Err("Invalid hex vendor ID xyz".into()));
}

/// A simulated device without its own config space, trained at 2.5 GT/s x1 of 5 GT/s x4.
struct SlowToy;

impl SimDevice for SlowToy {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor_id: 0x10ee,
            device_id: 0x7024,
            subsystem_vendor_id: 0x0002,
            subsystem_device_id: 0x0005,
        }
    }
    fn bar(&self, index: u8) -> Option<SimBarInfo> {
        (index == 0).then_some(SimBarInfo {
            size: 0x10000,
            prefetchable: false,
            is_64bit: true,
        })
    }
    fn read(&self, _bar: u8, _offset: u64, _w: AccessWidth) -> u64 {
        0
    }
    fn write(&self, _bar: u8, _offset: u64, _w: AccessWidth, _value: u64) {}
    fn link(&self) -> SimLink {
        SimLink {
            generation: 1,
            width: 1,
            ..SimLink::GEN2_X4
        }
    }
}

fn slow_toy_board() -> SimBoard {
    SimBoard {
        location: PciLocation::new(0, 3, 0, 0),
        iommu_group: 7,
        device: Arc::new(SlowToy),
    }
}

#[test]
fn vfio_information_under_simulation_shows_the_simulated_groups() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let boards = [slow_toy_board()];
    let request = VfioInformationRequest {
        simulated: Some(&boards),
        ..VfioInformationRequest::default()
    };
    display_vfio_information::run(&mut out, &mut err, &request).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Simulated boards: the simulated container and IOMMU of --sim, not the kernel's VFIO
Extension support for the simulated container:
Extension VFIO_TYPE1_IOMMU support 0
Extension VFIO_SPAPR_TCE_IOMMU support 0
Extension VFIO_TYPE1v2_IOMMU support 1
Extension VFIO_DMA_CC_IOMMU support 0
Extension VFIO_EEH support 0
Extension VFIO_TYPE1_NESTING_IOMMU support 0
Extension VFIO_SPAPR_TCE_v2_IOMMU support 0
Extension VFIO_NOIOMMU_IOMMU support 0

IOMMU group 7:
  viable=1  container_set=0
  Set container for group
  IOMMU type set to 3
  info supports: pagesizes=1 caps=1
  IOVA supported page sizes: 0x1000 0x200000 0x40000000
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE version=1
    [0] start=0x0 end=0xfedfffff
    [1] start=0xfef00000 end=0x7fffffffff
  Device 0000:03:00.0 num_regions=9 num_irqs=0
    Device supports reset
    vfio-pci device
    PCI region BAR0 size=0x10000 offset=0x0 supports: read write mmap
    bar[0] base_addr=0x380300000000 is_IO=0 is_prefetchable=0 is_64=1
    dma-buf export of BAR0: not supported by simulated boards
    PCI region CONFIG size=0x1000 offset=0x70000000000 supports: read write
    Device [10ee:7024] Subsystem [0002:0005]
    control: I/O- Mem+ BusMaster-
  Capabilities: [40] Power Management
  Capabilities: [48] Message Signaled Interrupts
  Capabilities: [60] PCI Express v2 Express Endpoint, MSI 0
    Link capabilities: Max speed 5.0 GT/s Max width x4
    Negotiated link status: Current speed 2.5 GT/s Width x1
    Link capabilities2: Supported link speeds 2.5 GT/s 5.0 GT/s
"
    );
    assert!(err.is_empty());
    // -d selects boards; none at the location is said in one line.
    let mut out = Vec::new();
    let other = [PciLocation::new(0, 4, 0, 0)];
    let request = VfioInformationRequest {
        simulated: Some(&boards),
        devices: &other,
        ..VfioInformationRequest::default()
    };
    display_vfio_information::run(&mut out, &mut err, &request).unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with("\nNo simulated board at the selected locations\n"));
}

#[test]
fn pci_listing_under_simulation_decodes_the_simulated_link() {
    let boards = [slow_toy_board()];
    let request = PciListingRequest {
        sysfs_root: Path::new("/nonexistent"),
        devices: &[],
        vendor: Some(0x10ee),
        filters: &[],
    };
    let mut out = Vec::new();
    dump_pci_info::run_simulated(&mut out, &boards, &request).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..6],
        [
            "Access method : simulated boards",
            "domain=0000 bus=03 dev=00 func=00",
            "  vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0005 header_type=NORMAL",
            "  control: I/O- Mem+ BusMaster-",
            "  IOMMU group: 7",
            "  Driver: vfio-pci",
        ]
    );
    for want in [
        "  bar[0] base_addr=380300000000 size=10000 is_IO=0 is_prefetchable=0 is_64=1",
        "    LnkSta: Speed 2.5GT/s (downgraded), Width x1 (downgraded)",
        "  Parent bridges: none (on a root bus)",
    ] {
        assert!(lines.contains(&want), "{want}\n{text}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    LnkCap: Port #0, Speed 5GT/s, Width x4")),
        "{text}"
    );
    let request = PciListingRequest {
        vendor: Some(0x1234),
        ..request
    };
    let e = dump_pci_info::run_simulated(&mut Vec::new(), &boards, &request).unwrap_err();
    assert_eq!(e.to_string(), "no matching simulated boards found");
}
