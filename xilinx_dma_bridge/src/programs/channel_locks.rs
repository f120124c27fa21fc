//! One user of a DMA channel at a time, across processes (issue 17): the tools lock the
//! H2C and C2H channels they will drive, for as long as they run. Policy: refuse — a
//! second user fails at once with one line naming the holder's PID (README "One user per
//! peripheral").

use vfio_access::peripheral_lock::{
    lock_peripheral, LockPolicy, PeripheralLock, PeripheralLockError,
};
use vfio_access::Device;
use xdma_registers::DmaDirection;

/// The lock name of one channel: `dma-h2c-<n>` / `dma-c2h-<n>`.
pub fn channel_lock_name(direction: DmaDirection, channel_id: u8) -> String {
    format!("dma-{}-{channel_id}", direction.lower_case())
}

/// Locks held on DMA channels; released when dropped.
#[derive(Debug, Default)]
pub struct ChannelLocks {
    held: Vec<(String, String, PeripheralLock)>,
}

impl ChannelLocks {
    /// Locks each of `channels` of `device` not already held by this set.
    pub fn lock(
        &mut self,
        device: &Device,
        channels: impl IntoIterator<Item = (DmaDirection, u8)>,
    ) -> Result<(), PeripheralLockError> {
        let location = device.location().to_string();
        for (direction, id) in channels {
            let name = channel_lock_name(direction, id);
            if self
                .held
                .iter()
                .any(|(l, n, _)| *l == location && *n == name)
            {
                continue;
            }
            let lock = lock_peripheral(device, &name, LockPolicy::Refuse)?;
            self.held.push((location.clone(), name, lock));
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}
