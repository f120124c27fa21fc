//! The walk `test_ddr` and `time_dma_blkram` share: open the devices, run the
//! [legacy memory test](crate::legacy_test) on each design a tool selects, one verdict.

use vfio_access::DeviceArgs;

use super::opening::{open_designs, OpenDevicesError};
use crate::designs::{dma_designs, DmaDesign};
use crate::legacy_test::{run_legacy_test, LegacyTest};

/// Runs the legacy test on every design `select` returns a test for (`select` prints the
/// design's `Testing ...` line); `Ok(true)` when at least one design was tested and every
/// one passed.
pub fn run_on_selected_designs(
    device: &DeviceArgs,
    mut select: impl FnMut(&DmaDesign) -> Option<LegacyTest>,
) -> Result<bool, OpenDevicesError> {
    let opened = open_designs(device, false)?;
    let mut tested = 0;
    let mut passed = true;
    for d in dma_designs(&opened) {
        let Some(test) = select(&d) else {
            continue;
        };
        tested += 1;
        passed &= run_legacy_test(d.device, &test);
    }
    Ok(tested > 0 && passed)
}
