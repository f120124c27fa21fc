//! `test_general`: the vendor's "test-general" sample for the Fury boards: identify the
//! board, then show its XADC readings.

use std::io::{self, Write};

use identify_design::{IdentifiedDesign, OpenedDesigns};
use vfio_access::Device;
use xilinx_xadc::conversion::{supply_volts, temperature_celsius};
use xilinx_xadc::{format_samples, read_samples, registers};

use crate::fury_boards::{board_name, fury_designs};

/// The first version's four raw lines: temperature, VCCINT, VCCAUX, VCCBRAM from their
/// result registers (no min/max, no configuration).
fn write_raw(out: &mut impl Write, regs: &vfio_access::Mmio) -> io::Result<()> {
    let code = |offset: u64| ((regs.read32(offset) & 0xFFFF) >> 4) as u16;
    writeln!(
        out,
        "Temp C={:.1}",
        temperature_celsius(code(registers::TEMPERATURE))
    )?;
    writeln!(out, "VCCInt={:.2}", supply_volts(code(registers::VCCINT)))?;
    writeln!(out, "vccaux={:.2}", supply_volts(code(registers::VCCAUX)))?;
    writeln!(out, "vbram={:.2}", supply_volts(code(registers::VCCBRAM)))
}

fn write_one(
    out: &mut impl Write,
    design: &IdentifiedDesign,
    device: &Device,
    raw: bool,
) -> io::Result<()> {
    writeln!(
        out,
        "Found {} board version 0x{:x} for PCI device {} IOMMU group {}",
        board_name(design.design),
        design.board_version.unwrap_or(0),
        design.location,
        design.iommu_group
    )?;
    match design.xadc.and_then(|f| f.mmio(device)) {
        Some(regs) if raw => write_raw(out, &regs),
        Some(regs) => write!(out, "{}", format_samples(&read_samples(&regs))),
        None => writeln!(out, "XADC registers not accessible"),
    }
}

/// Writes the report of every Fury board; returns how many were found.
pub fn write_general(out: &mut impl Write, opened: &OpenedDesigns, raw: bool) -> io::Result<usize> {
    let mut found = 0;
    for (design, device) in fury_designs(opened) {
        write_one(out, design, device, raw)?;
        found += 1;
    }
    Ok(found)
}
