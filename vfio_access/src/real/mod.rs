//! The kernel VFIO path: container, groups, device fds, BAR mapping.

mod container;
mod device;
mod group;
pub(crate) mod uapi;

pub use container::{Container, IommuInfo, CONTAINER_PATH};
pub use device::{
    DeviceInfo, DmaBufSupport, IrqInfo, RealDevice, RegionCap, RegionInfo, CONFIG_REGION,
};
#[cfg(test)]
pub(crate) use group::OPEN_CALLS as GROUP_OPEN_CALLS;
pub use group::{holder_of, Group, GroupStatus};
