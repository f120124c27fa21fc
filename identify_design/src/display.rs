//! The text of `display_identified_pcie_fpga_designs` (fact sheet section 4) and
//! `display_possible_fpga_designs` (section 5).

use std::io::{self, Write};

use vfio_access::{PciIdentity, PciLocation};
use xdma_registers::discovery::{channel_table_row, discover_channels, CHANNEL_TABLE_HEADER};

use crate::designs::DESIGNS;
use crate::open::OpenedDesigns;
use crate::record::Frame;
use crate::timestamp::BuildTimestamp;

/// Writes the block of every identified design.
pub fn write_identified_designs(out: &mut impl Write, opened: &OpenedDesigns) -> io::Result<()> {
    for (design, device) in opened.iter() {
        writeln!(out)?;
        writeln!(out, "Design {}:", design.title())?;
        writeln!(
            out,
            "  PCI device {} IOMMU group {}",
            design.location, design.iommu_group
        )?;
        if let Some(dma) = design.dma {
            if dma.is_stream() {
                writeln!(out, "  DMA bridge bar {} AXI Stream", dma.bar)?;
            } else {
                writeln!(
                    out,
                    "  DMA bridge bar {} memory size 0x{:x}",
                    dma.bar, dma.memory_size
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
