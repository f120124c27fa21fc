//! The simulation seam: simulated devices opened through the same API as real ones, and
//! the simulated IOMMU behind their DMA.

mod device;
mod iommu;
mod selection;

pub(crate) use device::{SimBar, SimConfigSpace};
pub use device::{SimBarInfo, SimBoard, SimDevice, SimLink};
pub use iommu::{DmaMemory, DmaPort, IommuFault, SimIommu};
pub use selection::{SimSelection, SIM_ENV, SIM_NOIOMMU_ENV};

use crate::iova::IovaRange;

/// The IOVA ranges a simulated container reports: the typical Intel VT-d layout with the
/// MSI window (0xfee00000..0xfeefffff) excluded, 39 address bits.
pub const SIM_IOVA_RANGES: [IovaRange; 2] = [
    IovaRange {
        start: 0,
        end: 0xfedf_ffff,
    },
    IovaRange {
        start: 0xfef0_0000,
        end: 0x7f_ffff_ffff,
    },
];

/// Page sizes the simulated IOMMU reports (4 KiB, 2 MiB, 1 GiB).
pub const SIM_IOVA_PGSIZES: u64 = 0x1000 | 0x20_0000 | 0x4000_0000;
