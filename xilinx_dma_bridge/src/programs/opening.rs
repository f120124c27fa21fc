//! Opening the devices the DMA tools test, identifying their designs, and saying where
//! the tools looked when they found nothing to test.

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

/// Where the devices were looked for, for the `no <what> found (<why>)` line: the `-d`
/// filter, and no VFIO, the simulated boards or the devices opened.
pub fn search_scope(device: &DeviceArgs, opened: &OpenedDesigns) -> String {
    let mut parts = Vec::new();
    if !device.devices.is_empty() {
        let list: Vec<String> = device.devices.iter().map(|l| l.to_string()).collect();
        parts.push(format!("-d {}", list.join(",")));
    }
    let d = &opened.devices;
    if d.no_vfio {
        parts.push("no VFIO on this system".into());
    } else if d.is_simulated() {
        let boards: Vec<String> = d
            .sim_boards
            .iter()
            .map(|b| format!("{} at {}", b.board.name(), b.location()))
            .collect();
        parts.push(format!("simulated boards: {}", boards.join(", ")));
    } else if d.devices().is_empty() {
        parts.push("no FPGA device bound to vfio-pci matched".into());
    } else {
        let list: Vec<String> = d
            .devices()
            .iter()
            .map(|x| x.location().to_string())
            .collect();
        parts.push(format!("devices opened: {}", list.join(", ")));
    }
    parts.join("; ")
}
