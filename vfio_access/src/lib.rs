//! User-space access to PCI devices through VFIO, and the seam through which simulated
//! devices are opened with the same API.
//!
//! - [`sysfs`]: PCI enumeration from sysfs; [`filter`] and [`location`]: which devices.
//! - [`args`]: the device options every tool flattens; [`cli`]: one-line errors.
//! - [`Session`]: opens real devices ([`real`]) or simulated ones ([`sim`]).
//! - [`Device`]: BARs as [`Mmio`] windows, config space, reset, DMA buffers.
//! - [`peripheral_lock`]: cross-process locks on one peripheral of a device.
//! - [`iova`]: IOVA allocation; [`dma`]: DMA buffers; [`timing`]: transfer rates.

pub mod args;
pub mod cli;
pub mod config_space;
mod device;
pub mod dma;
mod domain;
pub mod edu;
pub mod error;
pub mod filter;
pub mod iova;
pub mod location;
pub mod mmio;
pub mod multiprocess;
pub mod peripheral_lock;
pub mod real;
mod session;
pub mod signals;
pub mod sim;
pub mod sysfs;
pub mod timing;

pub use args::{DeviceArgs, SimSelection, SIM_ENV};
pub use device::{BarInfo, Device};
pub use dma::{BufferAllocation, DmaAccess, DmaBuffer};
pub use domain::IommuDomain;
pub use error::{OsError, Result, VfioError};
pub use filter::{DmaCapability, IdMatch, IdentityFilter, PciIdentity};
pub use location::{LocationFilters, PciLocation};
pub use mmio::{AccessWidth, Mmio, RegisterSpace};
pub use session::{OpenOptions, Session};
