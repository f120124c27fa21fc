//! The crate's tools, run as a user would.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

fn dump_pci_info() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dump_pci_info"))
}

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
    config[4] = 0x02;
    fs::write(dir.join("config"), config).unwrap();
    fs::write(
        dir.join("resource"),
        "0x0000387fffe00000 0x0000387fffefffff 0x000000000014220c\n\
         0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
         0x0000387ffff00000 0x0000387ffff1ffff 0x000000000014220c\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("kernel/iommu_groups/41")).unwrap();
    symlink(root.join("kernel/iommu_groups/41"), dir.join("iommu_group")).unwrap();
    fs::create_dir_all(root.join("bus/pci/drivers/vfio-pci")).unwrap();
    symlink(root.join("bus/pci/drivers/vfio-pci"), dir.join("driver")).unwrap();
    fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
    symlink(&dir, root.join("bus/pci/devices/0000:15:00.0")).unwrap();
    fs::create_dir_all(root.join("bus/pci/slots/3-1")).unwrap();
    fs::write(root.join("bus/pci/slots/3-1/address"), "0000:15:00\n").unwrap();
}

#[test]
fn dump_pci_info_listing_matches_the_original_format() {
    let tmp = tempfile::tempdir().unwrap();
    fake_sysfs(tmp.path());
    let out = dump_pci_info()
        .arg("--sysfs-root")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Access method : linux-sysfs\n\
         domain=0000 bus=15 dev=00 func=00\n\
         \x20 vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0001 header_type=NORMAL\n\
         \x20 control: I/O- Mem+ BusMaster-\n\
         \x20 physical slot: 3-1\n\
         \x20 IOMMU group: 41\n\
         \x20 Driver: vfio-pci\n\
         \x20 bar[0] base_addr=387fffe00000 size=100000 is_IO=0 is_prefetchable=1 is_64=1\n\
         \x20 bar[2] base_addr=387ffff00000 size=20000 is_IO=0 is_prefetchable=1 is_64=1\n"
    );
}

#[test]
fn dump_pci_info_lists_this_machine() {
    if !Path::new("/sys/bus/pci/devices").exists() {
        eprintln!("skipped: this machine has no /sys/bus/pci");
        return;
    }
    let out = dump_pci_info().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let count = fs::read_dir("/sys/bus/pci/devices").unwrap().count();
    assert_eq!(text.matches("\ndomain=").count(), count, "{text}");
    // Every vendor id present has a name from the PCI ID repository or says it is unknown.
    for line in text.lines().filter(|l| l.contains("vendor_id=")) {
        assert!(line.contains(" ("), "{line}");
    }
    // Virtio devices (this project's machines have several) are named by the repository.
    let virtio = fs::read_dir("/sys/bus/pci/devices")
        .unwrap()
        .flatten()
        .any(|d| fs::read_to_string(d.path().join("vendor")).is_ok_and(|v| v.trim() == "0x1af4"));
    if virtio {
        assert!(text.contains("vendor_id=1af4 (Red Hat, Inc.)"), "{text}");
        assert!(text.contains("(Virtio"), "{text}");
    }
}

#[test]
fn dump_pci_info_bad_device_selection_is_one_clear_line() {
    for (arg, code, expect) in [
        ("9999:00:00.0", 1, "no PCI device at 9999:00:00.0"),
        ("garbage", 2, "Invalid PCI device location filter garbage"),
    ] {
        let out = dump_pci_info().args(["-d", arg]).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expect), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn display_vfio_information_explains_a_machine_without_vfio() {
    let out = Command::new(env!("CARGO_BIN_EXE_display_vfio_information"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    if Path::new("/dev/vfio/vfio").exists() {
        assert!(
            text.contains("Extension support for /dev/vfio/vfio:"),
            "{text}"
        );
    } else {
        assert!(out.status.success(), "{out:?}");
        assert!(
            text.starts_with("/dev/vfio/vfio doesn't exist, implying no VFIO support\n"),
            "{text}"
        );
        assert!(text.contains("IOMMU"), "{text}");
    }
}

/// No location that can exist: the manager finds nothing to manage on any machine.
const NO_DEVICE: &str = "ffff:ff:1f.7";

#[test]
fn manager_refuses_sim_and_having_nothing_to_manage() {
    let out = Command::new(env!("CARGO_BIN_EXE_vfio_multi_process_manager"))
        .arg("--sim")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: the VFIO multi-process manager shares kernel VFIO groups; simulated boards (--sim) exist only inside each tool's own process, so there is nothing to manage\n"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_vfio_multi_process_manager"))
        .args(["--once", "-d", NO_DEVICE])
        .env(
            "FPGA_SIO_MANAGER_SOCKET",
            format!("fpga_sio_tools_test_{}", std::process::id()),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: No available IOMMU groups to manage\n"
    );
}

#[test]
fn keep_open_with_nothing_to_hold() {
    let out = Command::new(env!("CARGO_BIN_EXE_vfio_access_keep_open"))
        .arg(NO_DEVICE)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "No VFIO devices opened\n"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_vfio_access_keep_open"))
        .arg("--sim")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
