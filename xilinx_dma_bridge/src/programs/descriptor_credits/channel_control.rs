//! Register accesses of one channel the raw credit test makes beyond those of
//! [`ChannelBlocks`]: the bounded stop and the register snapshot.

use std::time::{Duration, Instant};

use xdma_registers::ChannelBlocks;

/// How long to wait for Busy to clear after Run is cleared (xilinx_dma_bridge.md §4.9).
pub(super) const IDLE_WAIT: Duration = Duration::from_secs(1);

/// Clears Run and waits (bounded) for Busy to clear.
pub(super) fn stop(r: &ChannelBlocks) {
    r.clear_run();
    let deadline = Instant::now() + IDLE_WAIT;
    while r.is_busy() && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

/// `  control <8 hex>  status <8 hex>  credits <4 hex>  addr <16 hex>`, and whether all are 0
/// (xilinx_dma_bridge.md §7.3 reset test).
pub(super) fn snapshot(r: &ChannelBlocks) -> (String, bool) {
    let control = r.control();
    let status = r.status();
    let credits = r.credits();
    let addr = r.writeback_address();
    (
        format!(
            "  control {control:08x}  status {status:08x}  credits {credits:04x}  addr {addr:016x}"
        ),
        control == 0 && status == 0 && credits == 0 && addr == 0,
    )
}
