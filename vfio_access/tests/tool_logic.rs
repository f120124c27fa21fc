//! The VFIO tools' logic run in-process, writing to buffers (the binaries in `vfio_tools`
//! only parse the command line).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use vfio_access::tools::display_vfio_information::{self, VfioInformationRequest};
use vfio_access::tools::dump_pci_info::{self, parse_vendor, PciListingRequest};
use vfio_access::PciLocation;

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

#[test]
fn vfio_information_under_simulation_is_a_note() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let request = VfioInformationRequest {
        simulated: true,
        ..VfioInformationRequest::default()
    };
    display_vfio_information::run(&mut out, &mut err, &request).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Simulation selected: display_vfio_information shows the kernel's VFIO state, which simulated boards do not use\n"
    );
    assert!(err.is_empty());
}
