//! `flash_m2_led`: pulse the M.2 "disk activity" LED of Fury boards through AXI GPIO 2
//! (channel 2 data register, bit 1). Only board versions from 3 on drive it correctly.

use std::io::{self, Write};
use std::time::Duration;

use identify_design::axi_gpio;
use identify_design::designs::FURY_GPIO2;
use identify_design::OpenedDesigns;

use crate::fury_boards::fury_designs;

/// First board version whose M.2 LED output is open-collector.
pub const MIN_LED_BOARD_VERSION: u32 = 3;
const M2_LED: u32 = 0x2;

/// What happened on each board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedReport {
    pub pulsed: usize,
    pub unsupported: usize,
}

/// Lights the LED of every capable Fury board for `on_time`, then turns it off. The GPIO
/// cannot read back its outputs, so the other GPIO 2 output bits are written as 0.
pub fn flash_m2_led(
    out: &mut impl Write,
    opened: &OpenedDesigns,
    on_time: Duration,
) -> io::Result<LedReport> {
    let mut report = LedReport::default();
    for (design, device) in fury_designs(opened) {
        let version = design.board_version.unwrap_or(0);
        if version < MIN_LED_BOARD_VERSION {
            writeln!(
                out,
                "Board version 0x{version:x} doesn't support correct M2 LED signal drive"
            )?;
            report.unsupported += 1;
            continue;
        }
        let Some(gpio2) = FURY_GPIO2.mmio(device) else {
            writeln!(out, "Unable to map GPIO 2 registers")?;
            continue;
        };
        writeln!(
            out,
            "Testing {} board version 0x{version:x} for PCI device {} IOMMU group {}",
            design.name(),
            design.location,
            design.iommu_group
        )?;
        out.flush()?;
        gpio2.write32(axi_gpio::CHANNEL2_DATA, M2_LED);
        std::thread::sleep(on_time);
        gpio2.write32(axi_gpio::CHANNEL2_DATA, 0);
        report.pulsed += 1;
    }
    Ok(report)
}
