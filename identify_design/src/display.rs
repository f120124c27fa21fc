//! The text of `display_identified_pcie_fpga_designs` (xadc_and_identify.md §4, in its
//! newest form of designs_after_seed.md §1.3 and transcript_fidelity.md §7: revision on the
//! PCI line, optional physical slot, memory base in the DMA line, switch routes) and
//! `display_possible_fpga_designs` (xadc_and_identify.md §5).

use std::io::{self, Write};

use vfio_access::{PciIdentity, PciLocation};
use xdma_registers::discovery::{channel_table_row, discover_channels, CHANNEL_TABLE_HEADER};

use crate::designs::DESIGNS;
use crate::open::OpenedDesigns;
use crate::record::Frame;
use crate::timestamp::BuildTimestamp;
use xilinx_axi_stream_switch::Route;

/// Writes the block of every identified design (no physical slots known).
pub fn write_identified_designs(out: &mut impl Write, opened: &OpenedDesigns) -> io::Result<()> {
    write_identified_designs_with_slots(out, opened, |_| None)
}

/// Writes the block of every identified design; `physical_slot` names the slot of a
/// device, if the platform reports one.
pub fn write_identified_designs_with_slots(
    out: &mut impl Write,
    opened: &OpenedDesigns,
    physical_slot: impl Fn(PciLocation) -> Option<String>,
) -> io::Result<()> {
    for (design, device) in opened.iter() {
        writeln!(out)?;
        writeln!(out, "Design {}:", design.title())?;
        write!(
            out,
            "  PCI device {} rev {:02x} IOMMU group {}",
            design.location, design.revision, design.iommu_group
        )?;
        if let Some(slot) = physical_slot(design.location) {
            // As the original: the slot ends its line and an empty line follows.
            writeln!(out, "  physical slot {slot}")?;
        }
        writeln!(out)?;
        if let Some(dma) = design.dma {
            if dma.is_stream() {
                writeln!(out, "  DMA bridge bar {} AXI Stream", dma.bar)?;
            } else {
                writeln!(
                    out,
                    "  DMA bridge bar {} memory base offset 0x{:x} size 0x{:x}",
                    dma.bar, dma.memory_base_address, dma.memory_size
                )?;
            }
            writeln!(out, "{CHANNEL_TABLE_HEADER}")?;
            if let Some(regs) = dma.mmio(device) {
                for c in discover_channels(&regs, dma.is_stream()).iter() {
                    writeln!(out, "{}", channel_table_row(c))?;
                }
            }
        }
        if let Some(regs) = design.user_access.and_then(|f| f.mmio(device)) {
            let value = regs.read32(0);
            writeln!(
                out,
                "  User access build timestamp : {value:08X} - {}",
                BuildTimestamp(value)
            )?;
        }
        let peripherals: [(&str, Option<Frame>); 4] = [
            ("Quad SPI", design.quad_spi),
            ("XADC", design.xadc),
            ("IIC", design.iic),
            ("bit-banged I2C GPIO", design.bit_banged_i2c_gpio),
        ];
        for (name, frame) in peripherals {
            if let Some(f) = frame {
                writeln!(
                    out,
                    "  {name} registers at bar {} offset 0x{:x}",
                    f.bar, f.offset
                )?;
            }
        }
        if let Some(switch) = design.axi_stream_switch.and_then(|s| s.driver(device)) {
            write_switch_routes(out, &switch.read_routes())?;
        }
    }
    Ok(())
}

/// The enabled routes of a switch (designs_after_seed.md §1.3 item 6).
fn write_switch_routes(out: &mut impl Write, routes: &[Route]) -> io::Result<()> {
    let enabled: Vec<&Route> = routes.iter().filter(|r| r.enabled).collect();
    if enabled.is_empty() {
        return writeln!(
            out,
            "  All {} master ports in AXI4-Stream Switch are disabled",
            routes.len()
        );
    }
    writeln!(out, "  Enabled AXI4-Stream Switch route(s):")?;
    for r in enabled {
        writeln!(
            out,
            "    Master {:>2} -> Slave {:>2}",
            r.master_port, r.slave_port
        )?;
    }
    Ok(())
}

/// A PCI function as scanned (no device opened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedDevice {
    pub location: PciLocation,
    pub identity: PciIdentity,
    pub physical_slot: Option<String>,
    pub iommu_group: Option<u32>,
}

/// `Scanning bus for <n> PCI device filters` then one line per device matching a filter.
pub fn write_possible_designs(out: &mut impl Write, devices: &[ScannedDevice]) -> io::Result<()> {
    writeln!(out, "Scanning bus for {} PCI device filters", DESIGNS.len())?;
    for d in devices {
        let names: Vec<&str> = DESIGNS
            .iter()
            .filter(|info| info.filter.matches(&d.identity))
            .map(|info| info.name)
            .collect();
        if names.is_empty() {
            continue;
        }
        let mut line = format!("PCI device {}", d.location);
        if let Some(slot) = &d.physical_slot {
            line.push_str(&format!("  physical slot {slot}"));
        }
        line.push_str(&format!("  Design name {}", names.join(" or ")));
        match d.iommu_group {
            Some(g) => line.push_str(&format!("  IOMMU group {g}")),
            None => line.push_str("  No IOMMU group set, won't be able to open device using VFIO"),
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}
