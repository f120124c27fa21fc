//! Opening the devices the DMA tools test, identifying their designs.

use command_line::DeviceArgs;
use identify_design::{design_filters, OpenError, OpenedDesigns};
use vfio_access::DmaCapability;

/// The devices could not be opened (printed by the tools as `error: opening devices: ...`).
#[derive(Debug, thiserror::Error)]
#[error("opening devices")]
pub struct OpenDevicesError(#[source] pub OpenError);

/// Opens the devices selected by `device` and identifies their designs; with `a32`, devices
/// whose design does DMA get 32-bit-only DMA capability (IOVAs < 4 GiB).
pub fn open_designs(device: &DeviceArgs, a32: bool) -> Result<OpenedDesigns, OpenDevicesError> {
    let mut filters = design_filters();
    if a32 {
        for f in filters.iter_mut() {
            if f.dma_capability.does_dma() {
                f.dma_capability = DmaCapability::A32;
            }
        }
    }
    let devices = identify_design::open_devices(device, &filters).map_err(OpenDevicesError)?;
    Ok(OpenedDesigns::identify(devices))
}
