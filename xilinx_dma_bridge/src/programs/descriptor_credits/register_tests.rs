//! The register-level tests run before the rings (xilinx_dma_bridge.md §7.3): the VFIO
//! reset test and the credit increment test.

use std::io::{self, Write};

use xdma_registers::register_map::{control, MAX_CREDITS};
use xdma_registers::ChannelBlocks;

use super::channel_control::{snapshot, stop};
use super::RING;
use crate::designs::DmaDesign;

/// Register snapshots after open, after setting values and after a VFIO reset, which must
/// return them all to 0.
pub(super) fn reset_test(
    d: &DmaDesign,
    r: &ChannelBlocks,
    out: &mut dyn Write,
) -> io::Result<bool> {
    writeln!(out, "After VFIO open:")?;
    writeln!(out, "{}", snapshot(r).0)?;
    r.set_fetch_halted(true);
    r.write_control(control::INIT_H2C & !control::POLL_MODE_WRITEBACK);
    r.set_credit_mode(true);
    r.add_credits(0x1FD);
    r.set_writeback_address(0xFEED_ABBA_DEAD_BEEF);
    r.set_run();
    writeln!(out, "After setting values:")?;
    writeln!(out, "{}", snapshot(r).0)?;
    match d.device.reset() {
        Ok(true) => {}
        Ok(false) => {
            writeln!(out, "VFIO reset not supported by {}", d.design.location)?;
            return Ok(false);
        }
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(false);
        }
    }
    let (text, zero) = snapshot(r);
    writeln!(out, "After VFIO reset:")?;
    writeln!(out, "{text}")?;
    if !zero {
        writeln!(out, "VFIO reset did not return the registers to 0")?;
    }
    Ok(zero)
}

/// H2C channel 0, halted and running: for each increment 1..1022, credits start at 0, add up
/// exactly as written until 1023, and are reset when credit mode is disabled.
pub(super) fn credit_increment_test(r: &ChannelBlocks, out: &mut dyn Write) -> io::Result<bool> {
    r.set_fetch_halted(true);
    r.set_run();
    let mut pass = true;
    'increments: for increment in 1..RING as u32 {
        r.set_credit_mode(true);
        let actual = r.credits();
        if actual != 0 {
            writeln!(
                out,
                "At start of test credit_increment={increment} actual_credits={actual} expected_credits=0"
            )?;
            pass = false;
            break;
        }
        let mut expected = 0;
        while expected < MAX_CREDITS {
            let n = increment.min(MAX_CREDITS - expected);
            r.add_credits(n);
            expected += n;
            let actual = r.credits();
            if actual != expected {
                writeln!(
                    out,
                    "During test credit_increment={increment} actual_credits={actual} expected_credits={expected}"
                )?;
                pass = false;
                break 'increments;
            }
        }
        r.set_credit_mode(false);
    }
    r.set_credit_mode(false);
    stop(r);
    Ok(pass)
}
