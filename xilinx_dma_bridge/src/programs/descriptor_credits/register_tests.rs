//! The register-level tests run before the rings: the VFIO reset test and the credit
//! increment test.

use super::channel_control::{common_bit, credits, set_run, snapshot, stop};
use super::RING;
use crate::designs::DmaDesign;
use crate::discovery::ChannelRegisters;
use crate::registers::*;

/// Register snapshots after open, after setting values and after a VFIO reset, which must
/// return them all to 0.
pub(super) fn reset_test(d: &DmaDesign, r: &ChannelRegisters) -> bool {
    let bit = common_bit(r);
    println!("After VFIO open:");
    println!("{}", snapshot(r).0);
    r.bar.write32(r.common_base + COMMON_DSC_CONTROL_W1S, bit);
    r.bar
        .write32(r.channel_base + CH_CONTROL, CONTROL_INIT_H2C & !(1 << 26));
    r.bar.write32(r.common_base + COMMON_CREDIT_ENABLE_W1S, bit);
    r.bar.write32(r.sgdma_base + SG_DESCRIPTOR_CREDITS, 0x1FD);
    r.bar
        .write64_split(r.channel_base + CH_POLL_WB_ADDR, 0xFEED_ABBA_DEAD_BEEF);
    set_run(r);
    println!("After setting values:");
    println!("{}", snapshot(r).0);
    match d.device.reset() {
        Ok(true) => {}
        Ok(false) => {
            println!("VFIO reset not supported by {}", d.design.location);
            return false;
        }
        Err(e) => {
            println!("{e}");
            return false;
        }
    }
    let (text, zero) = snapshot(r);
    println!("After VFIO reset:");
    println!("{text}");
    if !zero {
        println!("VFIO reset did not return the registers to 0");
    }
    zero
}

/// H2C channel 0, halted and running: for each increment 1..1022, credits start at 0, add up
/// exactly as written until 1023, and are reset when credit mode is disabled.
pub(super) fn credit_increment_test(r: &ChannelRegisters) -> bool {
    let bit = common_bit(r);
    r.bar.write32(r.common_base + COMMON_DSC_CONTROL_W1S, bit);
    set_run(r);
    let mut pass = true;
    'increments: for increment in 1..RING as u32 {
        r.bar.write32(r.common_base + COMMON_CREDIT_ENABLE_W1S, bit);
        let actual = credits(r);
        if actual != 0 {
            println!(
                "At start of test credit_increment={increment} actual_credits={actual} expected_credits=0"
            );
            pass = false;
            break;
        }
        let mut expected = 0;
        while expected < MAX_CREDITS {
            let n = increment.min(MAX_CREDITS - expected);
            r.bar.write32(r.sgdma_base + SG_DESCRIPTOR_CREDITS, n);
            expected += n;
            let actual = credits(r);
            if actual != expected {
                println!(
                    "During test credit_increment={increment} actual_credits={actual} expected_credits={expected}"
                );
                pass = false;
                break 'increments;
            }
        }
        r.bar.write32(r.common_base + COMMON_CREDIT_ENABLE_W1C, bit);
    }
    r.bar.write32(r.common_base + COMMON_CREDIT_ENABLE_W1C, bit);
    stop(r);
    pass
}
