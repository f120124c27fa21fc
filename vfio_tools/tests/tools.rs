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
    // What a normal user reads: 64 bytes, a capability list it cannot follow.
    let mut config = vec![0u8; 64];
    config[4] = 0x02;
    config[6] = 0x10;
    config[0x34] = 0x40;
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
fn dump_pci_info_listing_starts_with_the_original_format() {
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
         \x20 bar[2] base_addr=387ffff00000 size=20000 is_IO=0 is_prefetchable=1 is_64=1\n\
         \x20 Revision: 00\n\
         \x20 Class: Memory controller [0580]\n\
         \x20 Control: I/O- Mem+ BusMaster- SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx-\n\
         \x20 Status: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n\
         \x20 Capabilities: <access denied>\n\
         \x20 Parent bridges: none (on a root bus)\n"
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

#[test]
fn dump_pci_info_positional_filters_as_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    fake_sysfs(tmp.path());
    let run = |filter: &str| {
        dump_pci_info()
            .arg("--sysfs-root")
            .arg(tmp.path())
            .arg(filter)
            .output()
            .unwrap()
    };
    for listed in ["10ee", "10ee:7024", "0000:15:00.0", "15:00.0"] {
        let out = run(listed);
        assert!(out.status.success(), "{listed}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.matches("\ndomain=0000 bus=15").count(), 1, "{text}");
    }
    for (filter, code, expect) in [
        ("1af4", 1, "no matching PCI devices found"),
        ("10ee:7011", 1, "no matching PCI devices found"),
        ("0000:16:00.0", 1, "no PCI device at 0000:16:00.0"),
        ("zz", 2, "Invalid device filter zz"),
        ("10ee:", 2, "Invalid device filter 10ee:"),
    ] {
        let out = run(filter);
        assert_eq!(out.status.code(), Some(code), "{filter}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expect), "{filter}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// A root-readable (4 KiB) FPGA endpoint behind a root port: PM, MSI, PCI Express with a
/// degraded link, AER and a serial number, then the parent bridge's link.
fn fake_sysfs_with_pcie(root: &Path) {
    let rp = root.join("devices/pci0000:00/0000:00:01.0");
    let ep = rp.join("0000:01:00.0");
    let put16 = |c: &mut [u8], o: usize, v: u16| c[o..o + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |c: &mut [u8], o: usize, v: u32| c[o..o + 4].copy_from_slice(&v.to_le_bytes());
    // Root port: PCI Express v2 at 0x40, Gen2 x4 link up at Gen2 x4.
    let mut r = vec![0u8; 4096];
    put32(&mut r, 0, 0x1901_8086);
    put16(&mut r, 6, 0x0010);
    r[0x0e] = 0x01;
    r[0x34] = 0x40;
    put32(&mut r, 0x40, 0x0042_0010);
    put32(&mut r, 0x4c, 0x0100_0442);
    put16(&mut r, 0x52, 0x2042);
    // Endpoint.
    let mut e = vec![0u8; 4096];
    put32(&mut e, 0, 0x7024_10ee);
    put32(&mut e, 4, 0x0010_0406);
    put32(&mut e, 8, 0x0580_0000);
    put32(&mut e, 0x2c, 0x0007_0002);
    e[0x34] = 0x40;
    e[0x3d] = 1;
    put32(&mut e, 0x40, 0x0003_4801); // PM v3 -> 0x48
    put32(&mut e, 0x48, 0x0080_6005); // MSI 64-bit -> 0x60
    put32(&mut e, 0x60, 0x0002_0010); // PCIe v2 endpoint
    put32(&mut e, 0x64, 0x0000_8022);
    put16(&mut e, 0x68, 0x2010);
    put32(&mut e, 0x6c, 0x0000_0442);
    put16(&mut e, 0x72, 0x1011);
    put32(&mut e, 0x8c, 0x0000_0006);
    put16(&mut e, 0x90, 0x0002);
    put32(&mut e, 0x100, 0x1c01_0001); // AER v1 -> 0x1c0
    put32(&mut e, 0x104, 0x0000_4000);
    put32(&mut e, 0x114, 0x0000_2000);
    put32(&mut e, 0x1c0, 0x0001_0003); // DSN v1
    put32(&mut e, 0x1c4, 0x0a35_0001);
    for (dir, name, cfg, class) in [
        (&rp, "0000:00:01.0", &r, "0x060400"),
        (&ep, "0000:01:00.0", &e, "0x058000"),
    ] {
        fs::create_dir_all(dir).unwrap();
        let id = |o: usize| format!("0x{:04x}\n", u16::from_le_bytes([cfg[o], cfg[o + 1]]));
        for (f, v) in [
            ("vendor", id(0)),
            ("device", id(2)),
            ("subsystem_vendor", id(0x2c)),
            ("subsystem_device", id(0x2e)),
            ("class", format!("{class}\n")),
            ("irq", "16\n".into()),
        ] {
            fs::write(dir.join(f), v).unwrap();
        }
        fs::write(dir.join("config"), cfg).unwrap();
        fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
        symlink(dir, root.join("bus/pci/devices").join(name)).unwrap();
    }
}

#[test]
fn dump_pci_info_decodes_a_pcie_endpoint_and_its_parent_bridge() {
    let tmp = tempfile::tempdir().unwrap();
    fake_sysfs_with_pcie(tmp.path());
    let out = dump_pci_info()
        .arg("--sysfs-root")
        .arg(tmp.path())
        .arg("10ee:7024")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        r#"Access method : linux-sysfs
domain=0000 bus=01 dev=00 func=00
  vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0007 header_type=NORMAL
  control: I/O- Mem+ BusMaster+
  IOMMU group: none (no IOMMU enabled for this device: VFIO cannot open it)
  Driver: none
  Revision: 00
  Class: Memory controller [0580]
  Control: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
  Status: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-
  Latency: 0
  Interrupt: pin A routed to IRQ 16
  Capabilities: [40] Power Management version 3
    Flags: PMEClk- DSI- D1- D2- AuxCurrent=0mA PME(D0-,D1-,D2-,D3hot-,D3cold-)
    Status: D0 NoSoftRst- PME-Enable- DSel=0 DScale=0 PME-
  Capabilities: [48] MSI: Enable- Count=1/1 Maskable- 64bit+
    Address: 0000000000000000  Data: 0000
  Capabilities: [60] Express (v2) Endpoint, MSI 00
    DevCap: MaxPayload 512 bytes, PhantFunc 0, Latency L0s <64ns, L1 <1us
      ExtTag+ AttnBtn- AttnInd- PwrInd- RBE+ FLReset- SlotPowerLimit 0W
    DevCtl: CorrErr- NonFatalErr- FatalErr- UnsupReq-
      RlxdOrd+ ExtTag- PhantFunc- AuxPwr- NoSnoop-
      MaxPayload 128 bytes, MaxReadReq 512 bytes
    DevSta: CorrErr- NonFatalErr- FatalErr- UnsupReq- AuxPwr- TransPend-
    LnkCap: Port #0, Speed 5GT/s, Width x4, ASPM L0s, Exit Latency L0s <64ns
      ClockPM- Surprise- LLActRep- BwNot- ASPMOptComp-
    LnkCtl: ASPM Disabled; RCB 64 bytes, Disabled- CommClk-
      ExtSynch- ClockPM- AutWidDis- BWInt- AutBWInt-
    LnkSta: Speed 2.5GT/s (downgraded), Width x1 (downgraded)
      TrErr- Train- SlotClk+ DLActive- BWMgmt- ABWMgmt-
    LnkCap2: Supported Link Speeds: 2.5-5GT/s, Crosslink- Retimer- 2Retimers- DRS-
    LnkCtl2: Target Link Speed: 5GT/s, EnterCompliance- SpeedDis-
      Transmit Margin: Normal Operating Range, EnterModifiedCompliance- ComplianceSOS-
      Compliance Preset/De-emphasis: -6dB de-emphasis, 0dB preshoot
    LnkSta2: Current De-emphasis Level: -6dB, EqualizationComplete- EqualizationPhase1-
      EqualizationPhase2- EqualizationPhase3- LinkEqualizationRequest-
      Retimer- 2Retimers- CrosslinkRes: unsupported
  Capabilities: [100 v1] Advanced Error Reporting
    UESta: DLP- SDES- TLP- FCP- CmpltTO+ CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-
    UEMsk: DLP- SDES- TLP- FCP- CmpltTO- CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-
    UESvrt: DLP- SDES- TLP- FCP- CmpltTO- CmpltAbrt- UnxCmplt- RxOF- MalfTLP- ECRC- UnsupReq- ACSViol-
    CESta: RxErr- BadTLP- BadDLLP- Rollover- Timeout- AdvNonFatalErr-
    CEMsk: RxErr- BadTLP- BadDLLP- Rollover- Timeout- AdvNonFatalErr+
    AERCap: First Error Pointer: 00, ECRCGenCap- ECRCGenEn- ECRCChkCap- ECRCChkEn-
      MultHdrRecCap- MultHdrRecEn- TLPPfxPres- HdrLogCap-
    HeaderLog: 00000000 00000000 00000000 00000000
  Capabilities: [1c0 v1] Device Serial Number 00-00-00-00-0a-35-00-01
  Parent bridges (nearest first):
    0000:00:01.0 [8086:1901] Express (v2) Root Port (Slot-), MSI 00
      LnkCap: Port #1, Speed 5GT/s, Width x4, ASPM L0s, Exit Latency L0s <64ns
      LnkSta: Speed 5GT/s, Width x4
"#
    );
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

/// `--sim`: the simulated boards' config space (the board's own) with the link as the
/// `--sim` entry trained it, and no parent bridge.
#[test]
fn dump_pci_info_lists_simulated_boards_with_their_link() {
    let state = tempfile::tempdir().unwrap();
    let out = dump_pci_info()
        .arg("--sim=NiteFury_dma_stream_loopback:link=x1,TEF1001_dma_ddr3@0000:03:00.0/7")
        .env_remove("FPGA_SIO_SIM")
        .env("FPGA_SIO_SIM_DIR", state.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let blocks: Vec<&str> = text.split("domain=").collect();
    assert_eq!(blocks[0], "Access method : simulated boards\n");
    assert_eq!(blocks.len(), 3, "{text}");
    let (ddr3, loopback) = (blocks[1], blocks[2]);
    assert!(ddr3.starts_with("0000 bus=03 dev=00 func=00\n  vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0005 header_type=NORMAL\n"), "{ddr3}");
    assert!(
        loopback.starts_with("0000 bus=30 dev=00 func=00\n"),
        "{loopback}"
    );
    for want in [
        "  IOMMU group: 7\n",
        "  Driver: vfio-pci\n",
        "    LnkSta: Speed 5GT/s, Width x4\n",
        // The board's own space: PMCSR No_Soft_Reset, DevCap max payload 256.
        "    Status: D0 NoSoftRst+ ",
        "    DevCap: MaxPayload 256 bytes,",
        "  Parent bridges: none (on a root bus)\n",
    ] {
        assert!(ddr3.contains(want), "{want}\n{ddr3}");
    }
    assert!(loopback.contains("  IOMMU group: 89\n"), "{loopback}");
    assert!(
        loopback.contains("    LnkSta: Speed 5GT/s, Width x1 (downgraded)\n"),
        "{loopback}"
    );
    assert!(
        loopback.contains("    LnkCap: Port #0, Speed 5GT/s, Width x4,"),
        "{loopback}"
    );
    // A location that is not simulated is one clear line.
    let out = dump_pci_info()
        .args(["--sim", "-d", "0000:99:00.0"])
        .env_remove("FPGA_SIO_SIM")
        .env("FPGA_SIO_SIM_DIR", state.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: no simulated board at 0000:99:00.0 (see `dump_pci_info --sim` for the boards present)\n"
    );
}

#[test]
fn display_vfio_information_shows_the_simulated_groups() {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_display_vfio_information"))
        .args(["--sim", "-d", "0000:15:00.0"])
        .env_remove("FPGA_SIO_SIM")
        .env("FPGA_SIO_SIM_DIR", state.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let group = lines
        .iter()
        .position(|l| *l == "IOMMU group 41:")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        lines[group + 9],
        "  Device 0000:15:00.0 num_regions=9 num_irqs=0"
    );
    for want in [
        "    PCI region BAR0 size=0x8000 offset=0x0 supports: read write mmap",
        "    Device [10ee:7024] Subsystem [0002:0007]",
        "    Link capabilities: Max speed 5.0 GT/s Max width x4",
        "    Negotiated link status: Current speed 5.0 GT/s Width x4",
    ] {
        assert!(lines.contains(&want), "{want}\n{text}");
    }
    // Only the selected device's group.
    assert!(!text.contains("IOMMU group 89:"), "{text}");
}
