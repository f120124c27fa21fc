//! The cross-process lock on a design's I2C bus (vfio_access::peripheral_lock): the AXI
//! IIC and the bit-banged GPIO drive the same wires, so one lock covers both. A second
//! user waits, saying whom it waits for.

use std::io::Write;

use vfio_access::peripheral_lock::PeripheralLockError;
use vfio_access::peripheral_lock::{self, lock_peripheral, LockPolicy, PeripheralLock};
use vfio_access::Device;

/// Takes the I2C bus lock of `device`, telling `diagnostics` when it has to wait.
pub fn lock_i2c_bus(
    device: &Device,
    diagnostics: &mut dyn Write,
) -> Result<PeripheralLock, PeripheralLockError> {
    let description = device.description();
    let mut waiting = |holder: Option<u32>| {
        let holder = match holder {
            Some(pid) => format!("PID {pid}"),
            None => "another process".to_string(),
        };
        let _ = writeln!(
            diagnostics,
            "waiting for the I2C bus of {description} held by {holder}"
        );
        let _ = diagnostics.flush();
    };
    lock_peripheral(device, peripheral_lock::I2C, LockPolicy::Wait(&mut waiting))
}
