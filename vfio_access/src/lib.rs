//! User-space access to PCI devices through VFIO, and the seam through which simulated
//! devices are opened with the same API.
//!
//! - [`sysfs`]: PCI enumeration from sysfs; [`filter`] and [`location`]: which devices.
//! - [`pci_report`]: lspci-grade config-space decoding for `dump_pci_info`.
//! - [`Session`]: opens real devices ([`real`]) or simulated ones ([`sim`]).
//! - [`Device`]: BARs as [`Mmio`] windows, config space, reset, DMA buffers.
//! - [`peripheral_lock`]: cross-process locks on one peripheral of a device.
//! - [`iova`]: IOVA allocation; [`dma`]: DMA buffers; [`timing`]: transfer rates.
//! - [`multiprocess`]: one primary process sharing the devices with secondaries, and the
//!   IOVA space shared by several processes ([`multiprocess::SharedIovaSpace`]).
//! - [`manager`]: the multi-process manager daemon, its protocol and its clients.
//! - [`messages`]: where the layer's progress and warnings go (it never prints).
//! - [`tools`]: the logic of the VFIO tools, writing to the writers they are given.
//!
//! The command-line side (clap options, one-line errors) is the `command_line` crate.

pub mod config_space;
mod device;
pub mod dma;
mod domain;
pub mod error;
pub mod filter;
pub mod iova;
pub mod location;
pub mod manager;
pub mod messages;
pub mod mmio;
pub mod multiprocess;
pub mod pci_report;
pub mod peripheral_lock;
pub mod physical;
pub mod real;
mod session;
pub mod signals;
pub mod sim;
pub mod sysfs;
pub mod timing;
pub mod tools;

pub use device::{BarInfo, Device};
pub use dma::{BufferAllocation, DmaAccess, DmaBuffer, DmaSegment};
pub use domain::{DmaAddressing, IommuDomain};
pub use error::{OsError, Result, VfioError};
pub use filter::{DmaCapability, IdMatch, IdentityFilter, PciIdentity};
pub use location::{LocationFilters, PciLocation};
pub use messages::{MessageKind, MessageSink, Messages};
pub use mmio::{AccessWidth, Mmio, RegisterSpace};
pub use session::{OpenOptions, Session};
pub use sim::{SimSelection, SIM_ENV};
