//! `ddr3_reset_control` (xilinx_dma_bridge.md §7.5 with the HEAD changes of
//! designs_after_seed.md §4.6): shows, or pulses, the reset of the clocking wizard and MIG
//! of the DDR3 designs through their reset GPIO, recording how the MIG comes back.
//!
//! GPIO data register (offset 0): bit 0 output, the active-high reset (an output, so it
//! cannot be read back: samples carry the driven value); inputs bit 1 clocking-wizard
//! locked, 2 MIG mmcm_locked, 3 init_cal_complete, 4 ui_clk_sync_rst.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use command_line::DeviceArgs;
use identify_design::DesignId;
use vfio_access::Mmio;

use super::opening::{open_designs, search_scope};
use super::verdict::Verdict;
use super::ToolError;

/// The reset GPIO's frame in BAR 0 of the designs that have one.
pub fn reset_gpio_offset(design: DesignId) -> Option<u64> {
    match design {
        DesignId::Tosing160tDmaDdr3 | DesignId::NiteFuryDmaDdr3 => Some(0x3000),
        DesignId::Tef1001DmaDdr3 => Some(0x6000),
        _ => None,
    }
}

const GPIO_FRAME_BYTES: u64 = 0x1000;
const RESET: u32 = 1 << 0;
const LOCKED: u32 = 1 << 1;
const MMCM_LOCKED: u32 = 1 << 2;
const INIT_CAL_COMPLETE: u32 = 1 << 3;
const UI_CLK_SYNC_RST: u32 = 1 << 4;
/// The reset output and the four inputs: all the completion test compares (§4.6).
const SIGNALS: u32 = 0x1f;
/// Released and recalibrated.
const COMPLETE: u32 = LOCKED | MMCM_LOCKED | INIT_CAL_COMPLETE;
/// How long after the reset duration the MIG may take to recalibrate.
pub const RECOVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Samples kept in the history.
pub const MAX_SAMPLES: usize = 8192;

/// The history table's columns: name of the signal in bit i (its width is the column's).
const COLUMNS: [&str; 5] = [
    "clocking_wizard_reset",
    "clocking_wizard_locked",
    "mmcm_locked",
    "init_cal_complete",
    "ui_clk_sync_rst_mask",
];

/// `Current reset signal state:` and one line per input.
pub fn write_current_state(sample: u32, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Current reset signal state:")?;
    for (name, bit) in [
        ("locked           ", LOCKED),
        ("mmcm_locked      ", MMCM_LOCKED),
        ("init_cal_complete", INIT_CAL_COMPLETE),
        ("ui_clk_sync_rst  ", UI_CLK_SYNC_RST),
    ] {
        writeln!(out, "{name}: {}", u8::from(sample & bit != 0))?;
    }
    Ok(())
}

/// Every change of the signals during a reset pulse: (time since the first sample, sample).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub samples: Vec<(Duration, u32)>,
}

impl History {
    fn record(&mut self, at: Duration, sample: u32) {
        if self.samples.len() < MAX_SAMPLES && self.samples.last().is_none_or(|l| l.1 != sample) {
            self.samples.push((at, sample));
        }
    }

    /// The table: header, then per sample the time (`%12.9f`) and each bit right-aligned
    /// under its column name.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, " Time (secs) {}", COLUMNS.join(" "))?;
        for &(at, sample) in &self.samples {
            write!(out, "{:12.9}", at.as_secs_f64())?;
            for (bit, name) in COLUMNS.iter().enumerate() {
                write!(out, " {:>w$}", (sample >> bit) & 1, w = name.len())?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

/// Asserts reset for `duration`, releases it and waits up to `duration` +
/// [`RECOVERY_TIMEOUT`] from the start for the MIG to recalibrate, sampling all the while.
/// The history, and whether the reset completed.
pub fn pulse_reset(gpio: &Mmio, duration: Duration) -> (History, bool) {
    let mut history = History::default();
    let mut driven = RESET;
    gpio.write32(0, driven);
    let start = Instant::now();
    let timeout = duration.saturating_add(RECOVERY_TIMEOUT);
    let mut first_sample = None;
    loop {
        let sample = (gpio.read32(0) & SIGNALS & !RESET) | driven;
        let now = Instant::now();
        let elapsed = now - start;
        history.record(now - *first_sample.get_or_insert(now), sample);
        if driven == 0 && sample == COMPLETE {
            return (history, true);
        }
        if elapsed >= timeout {
            return (history, false);
        }
        if driven != 0 && elapsed >= duration {
            driven = 0;
            gpio.write32(0, driven);
        }
        std::thread::yield_now();
    }
}

/// Runs the tool: the current state of every DDR3 design's reset signals, or with
/// `reset_duration` a reset pulse and its history.
pub fn run(
    device: &DeviceArgs,
    reset_duration: Option<Duration>,
    out: &mut dyn Write,
) -> Result<Verdict, ToolError> {
    let opened = open_designs(device, false)?;
    let mut found = 0usize;
    let mut all_completed = true;
    for (design, dev) in opened.iter() {
        let Some(gpio) = reset_gpio_offset(design.design)
            .and_then(|offset| dev.frame(0, offset, GPIO_FRAME_BYTES))
        else {
            continue;
        };
        found += 1;
        writeln!(
            out,
            "{} design in PCI device {} IOMMU group {}:",
            design.name(),
            design.location,
            design.iommu_group
        )?;
        match reset_duration {
            None => write_current_state(gpio.read32(0), out)?,
            Some(duration) => {
                writeln!(out, "Applying DDR3 reset...")?;
                let (history, completed) = pulse_reset(&gpio, duration);
                if !completed {
                    all_completed = false;
                    writeln!(
                        out,
                        "Reset didn't complete within timeout - DDR3 may not be usable"
                    )?;
                }
                history.write(out)?;
            }
        }
    }
    if found == 0 {
        return Ok(Verdict::nothing_tested(
            "DDR3 design with a reset GPIO",
            search_scope(device, &opened),
        ));
    }
    Ok(Verdict::from_passed(all_completed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_table_aligns_bits_under_their_names() {
        let history = History {
            samples: vec![
                (Duration::ZERO, RESET | LOCKED | UI_CLK_SYNC_RST),
                (Duration::from_nanos(1_500_000_123), COMPLETE),
            ],
        };
        let mut out = Vec::new();
        history.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            " Time (secs) clocking_wizard_reset clocking_wizard_locked mmcm_locked init_cal_complete ui_clk_sync_rst_mask\n\
             \x200.000000000                     1                      1           0                 0                    1\n\
             \x201.500000123                     0                      1           1                 1                    0\n"
        );
    }

    #[test]
    fn the_current_state_lines() {
        let mut out = Vec::new();
        write_current_state(COMPLETE | 0x20, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Current reset signal state:\nlocked           : 1\nmmcm_locked      : 1\ninit_cal_complete: 1\nui_clk_sync_rst  : 0\n"
        );
    }

    #[test]
    fn only_changes_are_recorded_up_to_the_limit() {
        let mut h = History::default();
        for i in 0..(2 * MAX_SAMPLES as u32) {
            h.record(Duration::from_nanos(u64::from(i)), i % 2);
            h.record(Duration::from_nanos(u64::from(i)), i % 2);
        }
        assert_eq!(h.samples.len(), MAX_SAMPLES);
    }
}
