//! The original behaviour: identification and the bitstream report of each design's flash.

use identify_design::OpenedDesigns;

use super::{finish_locked, lock_flash, open_flash, FlasherError, FlasherOutput};
use crate::bitstream::{golden_image_line, multiboot_address, parse_flash};

/// Reports every design with a Quad SPI block, each under its flash lock; fails at the
/// end if any flash could not be initialised.
pub(super) fn report_all(
    opened: &OpenedDesigns,
    output: &mut FlasherOutput<'_>,
) -> Result<(), FlasherError> {
    let mut failures = 0;
    for (design, device) in opened.iter().filter(|(d, _)| d.quad_spi.is_some()) {
        let out = &mut *output.out;
        writeln!(out)?;
        writeln!(
            out,
            "Displaying information for SPI flash using {} design in PCI device {} IOMMU group {}",
            design.name(),
            design.location,
            design.iommu_group
        )?;
        let lock = lock_flash(device, output.diagnostics)?;
        let result = (|| {
            let mut flash = match open_flash(design, device, out) {
                Ok(f) => f,
                Err(e) => {
                    writeln!(out, "{e}")?;
                    return Ok(false);
                }
            };
            write!(out, "{}", flash.info().identification_lines())?;
            let size = flash.info().size_bytes;
            let mut start = 0;
            // The image at 0, then, after a golden image, the MultiBoot image it names
            // (designs_after_seed.md §5; looked up once, not followed further).
            for lookup in 0..2 {
                let mut read_errors = Vec::new();
                let parse = parse_flash(start, size, |address, buf: &mut [u8]| {
                    let r = flash.read(address, buf);
                    if let Err(e) = &r {
                        read_errors.push(e.to_string());
                    }
                    r
                });
                // The original prints a read failure where it happens, before the report.
                for e in read_errors {
                    writeln!(out, "{e}")?;
                }
                write!(out, "{}", parse.report())?;
                match multiboot_address(&parse.parsed).filter(|_| lookup == 0) {
                    Some(next) => {
                        writeln!(out)?;
                        writeln!(out, "{}", golden_image_line(next))?;
                        start = next;
                    }
                    None => break,
                }
            }
            out.flush()?;
            Ok(true)
        })();
        if !finish_locked(lock, result)? {
            failures += 1;
        }
    }
    if failures > 0 {
        return Err(FlasherError::ReportFailures(failures));
    }
    Ok(())
}
