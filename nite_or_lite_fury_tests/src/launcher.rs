//! What `test_primary` knows that `vfio_access::multiprocess` (which runs the primary)
//! does not: the FPGA design filters, the simulated FPGA boards of `fpga_sim`, and QEMU's
//! `edu` device (its DMA width and simulated boards) for `--pci-id 1234:11e8`.

use fpga_sim::board::{build_boards, BoardOptions, PlacedBoard};
use vfio_access::multiprocess::DeviceCatalog;
use vfio_access::sim::SimBoard;
use vfio_access::{DmaCapability, IdentityFilter, PciIdentity, SimSelection};
use vfio_tools::edu;

/// The catalog `test_primary` launches with.
#[derive(Debug, Clone, Copy, Default)]
pub struct FuryCatalog;

/// Simulated boards of the FPGA designs for a `--sim` choice. Items of a board list that
/// name `edu` devices are left to the edu model.
fn design_sim_boards(
    selection: &SimSelection,
) -> Result<Vec<SimBoard>, fpga_sim::board::BoardListError> {
    let list = match selection {
        SimSelection::Default => None,
        SimSelection::Boards(list) => {
            let designs: Vec<&str> = list
                .split(',')
                .filter(|item| !item.trim().to_ascii_lowercase().starts_with("edu"))
                .collect();
            if designs.is_empty() {
                return Ok(Vec::new());
            }
            Some(designs.join(","))
        }
    };
    Ok(build_boards(list.as_deref(), &BoardOptions::from_env())?
        .iter()
        .map(PlacedBoard::sim_board)
        .collect())
}

impl DeviceCatalog for FuryCatalog {
    fn filters(&self) -> Vec<IdentityFilter> {
        identify_design::designs::design_filters()
    }

    fn dma_capability(&self, vendor_id: u16, device_id: u16) -> Option<DmaCapability> {
        ((vendor_id, device_id) == (edu::VENDOR_ID, edu::DEVICE_ID)).then_some(edu::DMA_CAPABILITY)
    }

    /// The FPGA design boards, plus edu boards when a `--pci-id` filter matches edu.
    fn sim_boards(
        &self,
        selection: &SimSelection,
        extra: &[IdentityFilter],
    ) -> Result<Vec<SimBoard>, Box<dyn std::error::Error + Send + Sync>> {
        let edu_identity = PciIdentity {
            vendor_id: edu::VENDOR_ID,
            device_id: edu::DEVICE_ID,
            subsystem_vendor_id: 0x1af4,
            subsystem_device_id: 0x1100,
        };
        let mut boards = design_sim_boards(selection)?;
        if extra.iter().any(|f| f.matches(&edu_identity)) {
            boards.extend(edu::sim_boards(selection));
        }
        Ok(boards)
    }
}
