//! Register access to one channel of the raw credit test: Run, Status, credits and the
//! register snapshot.

use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

use crate::discovery::{ChannelRegisters, Direction};
use crate::registers::*;

/// How long to wait for Busy to clear after Run is cleared.
pub(super) const IDLE_WAIT: Duration = Duration::from_secs(1);

/// The common-register bit of a channel.
pub(super) fn common_bit(r: &ChannelRegisters) -> u32 {
    match r.direction {
        Direction::H2C => 1 << r.channel_id,
        Direction::C2H => 1 << (16 + r.channel_id),
    }
}

pub(super) fn status(r: &ChannelRegisters) -> u32 {
    r.bar.read32(r.channel_base + CH_STATUS)
}

pub(super) fn credits(r: &ChannelRegisters) -> u32 {
    r.bar.read32(r.sgdma_base + SG_DESCRIPTOR_CREDITS)
}

pub(super) fn add_credits(r: &ChannelRegisters, n: u32) {
    fence(Ordering::Release);
    r.bar.write32(r.sgdma_base + SG_DESCRIPTOR_CREDITS, n);
}

pub(super) fn set_run(r: &ChannelRegisters) {
    r.bar.write32(r.channel_base + CH_CONTROL_W1S, CONTROL_RUN);
}

/// Clears Run and waits (bounded) for Busy to clear.
pub(super) fn stop(r: &ChannelRegisters) {
    r.bar.write32(r.channel_base + CH_CONTROL_W1C, CONTROL_RUN);
    let deadline = Instant::now() + IDLE_WAIT;
    while status(r) & STATUS_BUSY != 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

/// `  control <8 hex>  status <8 hex>  credits <4 hex>  addr <16 hex>`, and whether all are 0.
pub(super) fn snapshot(r: &ChannelRegisters) -> (String, bool) {
    let control = r.bar.read32(r.channel_base + CH_CONTROL);
    let status = status(r);
    let credits = credits(r);
    let addr = r.bar.read64_split(r.channel_base + CH_POLL_WB_ADDR);
    (
        format!(
            "  control {control:08x}  status {status:08x}  credits {credits:04x}  addr {addr:016x}"
        ),
        control == 0 && status == 0 && credits == 0 && addr == 0,
    )
}
