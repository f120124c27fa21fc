//! The logic of `display_vfio_information`: what the kernel's VFIO offers (container
//! extensions, every IOMMU group with its IOMMU capabilities, and each device's regions,
//! IRQs, PCI capabilities and whether its BARs can be exported as dma-bufs), written to the
//! writers the tool gives.

use std::fs;
use std::io::Write;

use crate::config_space::{capabilities, capability_name, command_text, ConfigRead};
use crate::manager::ManagerLink;
use crate::real::uapi;
use crate::real::{Container, DmaBufSupport, Group, RealDevice, RegionCap, CONFIG_REGION};
use crate::sim::{SimBoard, SimConfigSpace, SIM_IOVA_PGSIZES, SIM_IOVA_RANGES};
use crate::{sysfs, DmaCapability, PciLocation, VfioError};

use super::ToolError;

/// What to show.
#[derive(Clone, Default)]
pub struct VfioInformationRequest<'a> {
    /// Only the IOMMU groups (and devices) of these locations; all when empty.
    pub devices: &'a [PciLocation],
    /// Simulated boards were selected (`--sim`): their simulated container, groups,
    /// regions and capabilities are shown instead of the kernel's VFIO.
    pub simulated: Option<&'a [SimBoard]>,
    /// The tool's name as invoked, for the `setcap` hint on a no-IOMMU group.
    pub program: &'a str,
}

/// `writeln!` to the tool's output, failing the run when the output is gone.
macro_rules! say {
    ($out:expr) => { writeln!($out)? };
    ($out:expr, $($arg:tt)*) => { writeln!($out, $($arg)*)? };
}

const EXTENSIONS: [(&str, u32); 8] = [
    ("VFIO_TYPE1_IOMMU", 1),
    ("VFIO_SPAPR_TCE_IOMMU", 2),
    ("VFIO_TYPE1v2_IOMMU", 3),
    ("VFIO_DMA_CC_IOMMU", 4),
    ("VFIO_EEH", 5),
    ("VFIO_TYPE1_NESTING_IOMMU", 6),
    ("VFIO_SPAPR_TCE_v2_IOMMU", 7),
    ("VFIO_NOIOMMU_IOMMU", 8),
];

const REGION_NAMES: [&str; 9] = [
    "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA",
];
const IRQ_NAMES: [&str; 5] = ["INTX", "MSI", "MSIX", "ERR", "REQ"];

struct Config<'a>(&'a RealDevice);

impl ConfigRead for Config<'_> {
    fn config_u8(&self, o: u64) -> Option<u8> {
        let mut b = [0u8; 1];
        self.0.read_region(CONFIG_REGION, o, &mut b).ok()?;
        Some(b[0])
    }
    fn config_u16(&self, o: u64) -> Option<u16> {
        let mut b = [0u8; 2];
        self.0.read_region(CONFIG_REGION, o, &mut b).ok()?;
        Some(u16::from_le_bytes(b))
    }
    fn config_u32(&self, o: u64) -> Option<u32> {
        let mut b = [0u8; 4];
        self.0.read_region(CONFIG_REGION, o, &mut b).ok()?;
        Some(u32::from_le_bytes(b))
    }
}

/// Whether an IOMMU is active, for the explanation when there are no groups.
fn iommu_presence() -> String {
    let iommus: Vec<String> = fs::read_dir("/sys/class/iommu")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if iommus.is_empty() {
        "No IOMMU is active on this machine (/sys/class/iommu is empty): enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on (iommu=pt is fine)".into()
    } else {
        format!("IOMMU devices present: {}", iommus.join(" "))
    }
}

/// Group entries of /dev/vfio: (number, file name), sorted by number.
fn group_entries() -> Vec<(u32, String)> {
    let mut v: Vec<(u32, String)> = fs::read_dir("/dev/vfio")
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let n = name
                        .strip_prefix("noiommu-")
                        .unwrap_or(&name)
                        .parse()
                        .ok()?;
                    Some((n, name))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn speed(encoding: u32) -> String {
    match encoding {
        1 => "2.5 GT/s".into(),
        2 => "5.0 GT/s".into(),
        3 => "8.0 GT/s".into(),
        4 => "16.0 GT/s".into(),
        5 => "32.0 GT/s".into(),
        6 => "64.0 GT/s".into(),
        n => format!("unknown (0x{n:x})"),
    }
}

fn port_type(t: u16) -> &'static str {
    match t {
        0 => "Express Endpoint",
        1 => "Legacy Endpoint",
        4 => "Root Port",
        5 => "Upstream Port",
        6 => "Downstream Port",
        7 => "PCI-Express to PCI/PCI-X Bridge",
        8 => "PCI/PCI-X to PCI-Express Bridge",
        9 => "Root Complex Integrated Endpoint",
        10 => "Root Complex Event Collector",
        _ => "Unknown port type",
    }
}

fn print_capabilities(out: &mut dyn Write, cfg: &dyn ConfigRead) -> Result<(), ToolError> {
    for (off, id) in capabilities(cfg) {
        let off64 = u64::from(off);
        if id == 0x10 {
            let caps = cfg.config_u16(off64 + 2).unwrap_or(0);
            say!(
                out,
                "  Capabilities: [{off:x}] PCI Express v{} {}, MSI {}",
                caps & 0xf,
                port_type((caps >> 4) & 0xf),
                (caps >> 9) & 0x1f
            );
            let lcap = cfg.config_u32(off64 + 0x0c).unwrap_or(0);
            let lsta = u32::from(cfg.config_u16(off64 + 0x12).unwrap_or(0));
            say!(
                out,
                "    Link capabilities: Max speed {} Max width x{}",
                speed(lcap & 0xf),
                (lcap >> 4) & 0x3f
            );
            say!(
                out,
                "    Negotiated link status: Current speed {} Width x{}",
                speed(lsta & 0xf),
                (lsta >> 4) & 0x3f
            );
            let lcap2 = cfg.config_u32(off64 + 0x2c).unwrap_or(0);
            if lcap2 == 0 {
                say!(out, "    Link capabilities2: Not implemented");
            } else {
                let speeds: Vec<String> = (1..=6)
                    .filter(|b| lcap2 & (1 << b) != 0)
                    .map(speed)
                    .collect();
                say!(
                    out,
                    "    Link capabilities2: Supported link speeds {}",
                    speeds.join(" ")
                );
            }
        } else {
            match capability_name(id) {
                Some(n) => say!(out, "  Capabilities: [{off:x}] {n}"),
                None => say!(out, "  Capabilities: [{off:x}] Capability ID 0x{id:x}"),
            }
        }
    }
    Ok(())
}

fn show_device(
    out: &mut dyn Write,
    err: &mut dyn Write,
    group: &Group,
    name: &str,
) -> Result<(), ToolError> {
    match group.device_fd(name).and_then(RealDevice::from_fd) {
        Ok(device) => show_real_device(out, device, name),
        Err(e) => {
            writeln!(err, "{e}")?;
            Ok(())
        }
    }
}

fn show_real_device(out: &mut dyn Write, device: RealDevice, name: &str) -> Result<(), ToolError> {
    let info = device.info;
    say!(
        out,
        "  Device {name} num_regions={} num_irqs={}",
        info.num_regions,
        info.num_irqs
    );
    if info.supports_reset() {
        say!(out, "    Device supports reset");
    }
    let kinds = [
        (uapi::VFIO_DEVICE_FLAGS_PCI, "vfio-pci device"),
        (uapi::VFIO_DEVICE_FLAGS_PLATFORM, "vfio-platform device"),
        (uapi::VFIO_DEVICE_FLAGS_AMBA, "vfio-amba device"),
        (uapi::VFIO_DEVICE_FLAGS_CCW, "vfio-ccw device"),
        (uapi::VFIO_DEVICE_FLAGS_AP, "vfio-ap device"),
    ];
    for (flag, text) in kinds {
        if info.flags & flag != 0 {
            say!(out, "    {text}");
        }
    }
    if !info.is_pci() {
        say!(out, "  Skipping decoding regions for non vfio-pci device");
        return Ok(());
    }
    let cfg = Config(&device);
    for index in 0..info.num_regions.min(REGION_NAMES.len() as u32) {
        // A region the kernel refuses (VGA on most devices) is skipped.
        let Ok(r) = device.region_info(index) else {
            continue;
        };
        if r.size == 0 {
            continue;
        }
        let mut supports = Vec::new();
        for (flag, word) in [
            (uapi::VFIO_REGION_INFO_FLAG_READ, "read"),
            (uapi::VFIO_REGION_INFO_FLAG_WRITE, "write"),
            (uapi::VFIO_REGION_INFO_FLAG_MMAP, "mmap"),
        ] {
            if r.flags & flag != 0 {
                supports.push(word);
            }
        }
        say!(
            out,
            "    PCI region {} size=0x{:x} offset=0x{:x} supports: {}",
            REGION_NAMES[index as usize],
            r.size,
            r.offset,
            supports.join(" ")
        );
        if index < 6 {
            let raw = cfg.config_u32(0x10 + 4 * u64::from(index)).unwrap_or(0);
            let is_io = raw & 1 != 0;
            let is_64 = !is_io && raw & 0x6 == 0x4;
            let mut base = u64::from(raw & if is_io { !0x3 } else { !0xf });
            if is_64 {
                base |= u64::from(cfg.config_u32(0x14 + 4 * u64::from(index)).unwrap_or(0)) << 32;
            }
            say!(
                out,
                "    bar[{index}] base_addr=0x{base:x} is_IO={} is_prefetchable={} is_64={}",
                u8::from(is_io),
                u8::from(!is_io && raw & 0x8 != 0),
                u8::from(is_64)
            );
            let dmabuf = match device.probe_dma_buf(index) {
                DmaBufSupport::Supported => "supported".to_string(),
                DmaBufSupport::NotSupported => "not supported by this kernel".to_string(),
                DmaBufSupport::Error(e) => format!("probe failed : {}", e.desc()),
            };
            say!(
                out,
                "    dma-buf export of {}: {dmabuf}",
                REGION_NAMES[index as usize]
            );
        }
        for cap in &r.caps {
            match cap {
                RegionCap::SparseMmap { version, areas } => {
                    say!(
                        out,
                        "        VFIO_REGION_INFO_CAP_SPARSE_MMAP version={version}"
                    );
                    for (i, (o, s)) in areas.iter().enumerate() {
                        say!(out, "      [{i}] offset=0x{o:x} size=0x{s:x}");
                    }
                }
                RegionCap::Type {
                    version,
                    kind,
                    subtype,
                } => {
                    say!(out, "      VFIO_REGION_INFO_CAP_TYPE version={version} type=0x{kind:x} subtype=0x{subtype:x}")
                }
                RegionCap::MsixMappable { version } => {
                    say!(
                        out,
                        "      VFIO_REGION_INFO_CAP_MSIX_MAPPABLE version={version}"
                    )
                }
                RegionCap::Other { id, version } => {
                    say!(
                        out,
                        "      Unknown region capability id={id} version={version}"
                    )
                }
            }
        }
    }
    for index in 0..info.num_irqs.min(IRQ_NAMES.len() as u32) {
        let Ok(irq) = device.irq_info(index) else {
            continue;
        };
        if irq.count == 0 {
            continue;
        }
        let mut flags = Vec::new();
        for (flag, word) in [
            (uapi::VFIO_IRQ_INFO_EVENTFD, "eventfd"),
            (uapi::VFIO_IRQ_INFO_MASKABLE, "maskable"),
            (uapi::VFIO_IRQ_INFO_AUTOMASKED, "automasked"),
            (uapi::VFIO_IRQ_INFO_NORESIZE, "noresize"),
        ] {
            if irq.flags & flag != 0 {
                flags.push(word);
            }
        }
        say!(
            out,
            "    IRQ block {} count={} flags: {}",
            IRQ_NAMES[index as usize],
            irq.count,
            flags.join(" ")
        );
    }
    let id = |o| cfg.config_u16(o).unwrap_or(0xffff);
    say!(
        out,
        "    Device [{:04x}:{:04x}] Subsystem [{:04x}:{:04x}]",
        id(0),
        id(2),
        id(0x2c),
        id(0x2e)
    );
    say!(out, "    {}", command_text(id(4)));
    print_capabilities(out, &cfg)
}

struct SimConfig(SimConfigSpace);

impl ConfigRead for SimConfig {
    fn config_u8(&self, o: u64) -> Option<u8> {
        self.0.read(o, 1).map(|v| v as u8)
    }
    fn config_u16(&self, o: u64) -> Option<u16> {
        self.0.read(o, 2).map(|v| v as u16)
    }
    fn config_u32(&self, o: u64) -> Option<u32> {
        self.0.read(o, 4)
    }
}

/// vfio-pci's region offsets: index << 40 (what the simulated device reports too).
const SIM_REGION_SHIFT: u32 = 40;

/// One simulated board as a device of its group: BAR and config regions, no IRQs (the
/// models raise none), then the same config-space lines as a real device.
fn show_simulated_device(out: &mut dyn Write, board: &SimBoard) -> Result<(), ToolError> {
    let device = board.device.as_ref();
    let cfg = SimConfig(SimConfigSpace::new(device, board.location));
    say!(
        out,
        "  Device {} num_regions={} num_irqs=0",
        board.location,
        REGION_NAMES.len()
    );
    say!(out, "    Device supports reset");
    say!(out, "    vfio-pci device");
    for index in 0..6u8 {
        let Some(bar) = device.bar(index) else {
            continue;
        };
        say!(
            out,
            "    PCI region {} size=0x{:x} offset=0x{:x} supports: read write mmap",
            REGION_NAMES[usize::from(index)],
            bar.size,
            u64::from(index) << SIM_REGION_SHIFT
        );
        let raw = cfg.config_u32(0x10 + 4 * u64::from(index)).unwrap_or(0);
        let mut base = u64::from(raw & !0xf);
        if bar.is_64bit {
            base |= u64::from(cfg.config_u32(0x14 + 4 * u64::from(index)).unwrap_or(0)) << 32;
        }
        say!(
            out,
            "    bar[{index}] base_addr=0x{base:x} is_IO=0 is_prefetchable={} is_64={}",
            u8::from(bar.prefetchable),
            u8::from(bar.is_64bit)
        );
        say!(
            out,
            "    dma-buf export of {}: not supported by simulated boards",
            REGION_NAMES[usize::from(index)]
        );
    }
    say!(
        out,
        "    PCI region CONFIG size=0x1000 offset=0x{:x} supports: read write",
        u64::from(CONFIG_REGION) << SIM_REGION_SHIFT
    );
    let id = |o| cfg.config_u16(o).unwrap_or(0xffff);
    say!(
        out,
        "    Device [{:04x}:{:04x}] Subsystem [{:04x}:{:04x}]",
        id(0),
        id(2),
        id(0x2c),
        id(0x2e)
    );
    say!(out, "    {}", command_text(id(4)));
    print_capabilities(out, &cfg)
}

/// `display_vfio_information --sim`: the simulated container's extensions, each group with the simulated IOMMU's page sizes and IOVA ranges
/// (crate::sim), and its boards.
fn show_simulated(
    out: &mut dyn Write,
    boards: &[SimBoard],
    only: &[PciLocation],
) -> Result<(), ToolError> {
    say!(
        out,
        "Simulated boards: the simulated container and IOMMU of --sim, not the kernel's VFIO"
    );
    say!(out, "Extension support for the simulated container:");
    for (name, id) in EXTENSIONS {
        say!(
            out,
            "Extension {name} support {}",
            u8::from(id == uapi::VFIO_TYPE1v2_IOMMU)
        );
    }
    let mut boards: Vec<&SimBoard> = boards
        .iter()
        .filter(|b| only.is_empty() || only.contains(&b.location))
        .collect();
    if boards.is_empty() {
        say!(out, "No simulated board at the selected locations");
        return Ok(());
    }
    boards.sort_by_key(|b| (b.iommu_group, b.location));
    let mut groups: Vec<u32> = boards.iter().map(|b| b.iommu_group).collect();
    groups.dedup();
    for group in groups {
        // As for real groups: a fresh (simulated) container per group.
        say!(out);
        say!(out, "IOMMU group {group}:");
        say!(out, "  viable=1  container_set=0");
        say!(out, "  Set container for group");
        say!(out, "  IOMMU type set to {}", uapi::VFIO_TYPE1v2_IOMMU);
        say!(out, "  info supports: pagesizes=1 caps=1");
        let sizes: Vec<String> = (0..64)
            .filter(|b| SIM_IOVA_PGSIZES & (1u64 << b) != 0)
            .map(|b| format!("0x{:x}", 1u64 << b))
            .collect();
        say!(out, "  IOVA supported page sizes: {}", sizes.join(" "));
        say!(out, "  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE version=1");
        for (i, r) in SIM_IOVA_RANGES.iter().enumerate() {
            say!(out, "    [{i}] start=0x{:x} end=0x{:x}", r.start, r.end);
        }
        for b in boards.iter().filter(|b| b.iommu_group == group) {
            show_simulated_device(out, b)?;
        }
    }
    Ok(())
}

fn show_group(
    out: &mut dyn Write,
    err: &mut dyn Write,
    number: u32,
    entry: &str,
    only: &[String],
    program: &str,
) -> Result<(), ToolError> {
    say!(out);
    say!(out, "IOMMU group {entry}:");
    let group = match Group::open(number) {
        Ok(g) => g,
        Err(VfioError::Sys { errno, .. })
            if errno.0 == nix::errno::Errno::EPERM && entry.starts_with("noiommu-") =>
        {
            say!(out, "  No permission to open {entry}. Try:");
            say!(out, "sudo setcap cap_sys_rawio=ep {program}");
            return Ok(());
        }
        Err(e) => {
            say!(out, "  {e}");
            return Ok(());
        }
    };
    let status = group.status()?;
    say!(
        out,
        "  viable={}  container_set={}",
        u8::from(status.viable),
        u8::from(status.container_set)
    );
    if !status.viable {
        say!(
            out,
            "  group is not viable (ie, not all devices bound for vfio)"
        );
        return Ok(());
    }
    // A fresh container per group: closing the group at the end detaches it.
    let container = Container::open()?;
    group.set_container(&container)?;
    say!(out, "  Set container for group");
    let iommu_type = [container.preferred_type1(), uapi::VFIO_NOIOMMU_IOMMU]
        .into_iter()
        .find(|&t| container.set_iommu(t).is_ok())
        .ok_or_else(|| VfioError::Other("VFIO_SET_IOMMU failed for every IOMMU type".into()))?;
    say!(out, "  IOMMU type set to {iommu_type}");
    if iommu_type != uapi::VFIO_NOIOMMU_IOMMU {
        show_iommu_info(out, &container)?;
    }
    for name in group_devices(number, only) {
        show_device(out, err, &group, &name)?;
    }
    Ok(())
}

/// The devices of IOMMU group `number` (sorted), only those of `only` when it is not empty.
fn group_devices(number: u32, only: &[String]) -> Vec<String> {
    let mut devices: Vec<String> =
        fs::read_dir(format!("/sys/kernel/iommu_groups/{number}/devices"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
    devices.sort();
    devices.retain(|n| only.is_empty() || only.contains(n));
    devices
}

/// A group a `vfio_multi_process_manager` holds: this process cannot open it, so the
/// container and each device are shown from the fds the manager passes (the group's own
/// status is the manager's; vfio_access.md §7.3).
fn show_managed_group(
    out: &mut dyn Write,
    err: &mut dyn Write,
    link: &ManagerLink,
    number: u32,
    entry: &str,
    only: &[String],
) -> Result<(), ToolError> {
    say!(out);
    say!(out, "IOMMU group {entry}:");
    say!(
        out,
        "  Held by the VFIO multi-process manager PID {}: container and devices through it",
        link.manager_pid().unwrap_or(0)
    );
    let mut container_shown = false;
    for name in group_devices(number, only) {
        let Ok(location) = name.parse::<PciLocation>() else {
            continue;
        };
        let opened = match link.open_device(location, DmaCapability::None, !container_shown)? {
            Ok(o) => o,
            Err(status) => {
                say!(out, "  {name}: not opened by the manager ({status:?})");
                continue;
            }
        };
        if let Some(fd) = opened.container_fd {
            let container = Container::from_fd(fd, opened.reply.iommu_type);
            say!(out, "  IOMMU type set to {}", opened.reply.iommu_type);
            if opened.reply.iommu_type != uapi::VFIO_NOIOMMU_IOMMU {
                show_iommu_info(out, &container)?;
            }
            container_shown = true;
        }
        let shown = match RealDevice::from_fd(opened.device_fd) {
            Ok(device) => show_real_device(out, device, &name),
            Err(e) => writeln!(err, "{e}").map_err(ToolError::from),
        };
        link.close_device(location)?;
        shown?;
    }
    Ok(())
}

/// The type1 IOMMU information of `container` (page sizes, IOVA ranges, capabilities).
fn show_iommu_info(out: &mut dyn Write, container: &Container) -> Result<(), ToolError> {
    let info = container.iommu_info()?;
    say!(
        out,
        "  info supports: pagesizes={} caps={}",
        u8::from(info.flags & 1 != 0),
        u8::from(info.flags & 2 != 0)
    );
    let sizes: Vec<String> = (0..64)
        .filter(|b| info.iova_pgsizes & (1u64 << b) != 0)
        .map(|b| format!("0x{:x}", 1u64 << b))
        .collect();
    say!(out, "  IOVA supported page sizes: {}", sizes.join(" "));
    if let Some(v) = info.iova_range_version {
        say!(out, "  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE version={v}");
        for (i, r) in info.iova_ranges.iter().enumerate() {
            say!(out, "    [{i}] start=0x{:x} end=0x{:x}", r.start, r.end);
        }
    }
    if let Some((flags, pgsizes, max)) = info.migration {
        say!(out, "  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION version=1 flags=0x{flags:x} max_dirty_bitmap_size=0x{max:x}");
        say!(
            out,
            "    supported page sizes for dirty page logging: 0x{pgsizes:x}"
        );
    }
    if let Some(avail) = info.dma_avail {
        say!(
            out,
            "  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL version=1 avail={avail}"
        );
    }
    for (id, version) in &info.unknown_caps {
        say!(
            out,
            "  Unknown IOMMU type1 capability id={id} version={version}"
        );
    }

    Ok(())
}

/// Shows what `request` asks for on `out` (device fds the kernel refuses are reported on
/// `err`, and the run goes on).
pub fn run(
    out: &mut dyn Write,
    err: &mut dyn Write,
    request: &VfioInformationRequest,
) -> Result<(), ToolError> {
    if let Some(boards) = request.simulated {
        return show_simulated(out, boards, request.devices);
    }
    let container = match Container::open() {
        Ok(c) => c,
        Err(VfioError::NoVfio) => {
            say!(out, "{}", VfioError::NoVfio);
            say!(out, "{}", iommu_presence());
            say!(out, "Load vfio-pci and bind a device to it (scripts/bind_device_to_vfio.sh) to use VFIO");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    say!(out, "Extension support for /dev/vfio/vfio:");
    for (name, id) in EXTENSIONS {
        match container.check_extension(id) {
            Ok(v) => say!(out, "Extension {name} support {v}"),
            Err(e) => say!(out, "Extension {name} support -1 errno {})", e.desc()),
        }
    }
    drop(container);
    let only: Vec<String> = request.devices.iter().map(|l| l.to_string()).collect();
    let wanted_groups: Option<Vec<u32>> = (!only.is_empty()).then(|| {
        sysfs::enumerate(std::path::Path::new(sysfs::SYSFS_ROOT))
            .unwrap_or_default()
            .iter()
            .filter(|d| only.contains(&d.location.to_string()))
            .filter_map(|d| d.iommu_group)
            .collect()
    });
    let entries = group_entries();
    if entries.is_empty() {
        say!(
            out,
            "No IOMMU groups in /dev/vfio: no device is bound to vfio-pci"
        );
        say!(out, "{}", iommu_presence());
    }
    let manager = crate::manager::running_manager()?;
    for (number, entry) in entries {
        if wanted_groups.as_ref().is_some_and(|w| !w.contains(&number)) {
            continue;
        }
        match &manager {
            Some(link) => show_managed_group(out, err, link, number, &entry, &only)?,
            None => show_group(out, err, number, &entry, &only, request.program)?,
        }
    }
    Ok(())
}
