//! `test_dma_bridge` (fact sheet 7.1): for every identified design with a DMA bridge, run
//! the enabled tests matching its interface over the channel combinations, verifying the
//! LCG pattern and timing populate, DMA and verify.
//!
//! - [`options`]: the options and their checks.
//! - [`channel_pair`]: mappings, channel pair and timed iterations every test shares.
//! - [`memory_mapped`]: the fixed-buffer and variable-transfer tests of card memory.
//! - [`stream_fixed`], [`stream_variable`]: the looped-back stream tests.
//! - [`outcome`]: a test's outcome and its report.

pub mod channel_pair;
pub mod memory_mapped;
pub mod options;
pub mod outcome;
pub mod stream_fixed;
pub mod stream_variable;

use command_line::DeviceArgs;

use self::options::DmaBridgeOptions;
use super::opening::{open_designs, OpenDevicesError};
use crate::designs::{dma_designs, DmaDesign};
use crate::discovery::{discover_channels, stream_partner};
use crate::pattern::iterations_for;
use crate::progress::Progress;

/// Runs the tool, printing its lines and reporting each test's iterations to `progress`;
/// `Ok(true)` for `Overall PASS`.
pub fn run(
    device: &DeviceArgs,
    options: &DmaBridgeOptions,
    progress: &mut dyn Progress,
) -> Result<bool, OpenDevicesError> {
    let enabled = match options.enabled_tests() {
        Ok(e) => e,
        Err(m) => {
            println!("{m}");
            return Ok(false);
        }
    };
    let opened = open_designs(device, options.a32)?;
    let mut overall = true;
    for d in dma_designs(&opened) {
        let stream = d.bridge.is_stream();
        let channels = discover_channels(d.device, d.bridge.bar, stream);
        let (nh, nc) = (channels.h2c.len(), channels.c2h.len());
        if nh == 0 || nc == 0 {
            println!(
                "Skipping design {} {} due to num_h2c_channels={nh} num_c2h_channels={nc}",
                d.name(),
                d.pci_text()
            );
            continue;
        }
        let combos: Vec<(u8, u8)> = if stream {
            (0..nh as u8)
                .map(|h| (h, stream_partner(h, nc)))
                .take(options.max_channel_combinations)
                .collect()
        } else {
            (0..nh as u8)
                .flat_map(|h| (0..nc as u8).map(move |c| (h, c)))
                .take(options.max_channel_combinations)
                .collect()
        };
        for test in &enabled {
            if test.starts_with("stream") != stream {
                continue;
            }
            println!("{}", d.testing_header());
            println!("{}", d.pci_text());
            for &(h, c) in &combos {
                let p = &mut *progress;
                let outcome = match *test {
                    "memory_fixed_buffers" => memory_mapped::fixed_buffers(options, &d, h, c, p),
                    "stream_fixed_buffers" => {
                        stream_fixed::fixed_buffers(options, &d, h, c, false, p)
                    }
                    "stream_fixed_buffers_c2h_continuous" => {
                        stream_fixed::fixed_buffers(options, &d, h, c, true, p)
                    }
                    "memory_variable_transfers" => {
                        memory_mapped::variable_transfers(options, &d, h, c, p)
                    }
                    _ => stream_variable::variable_transfers(options, &d, h, c, p),
                };
                overall &= outcome.report();
            }
        }
    }
    println!();
    println!(
        "{}",
        if overall {
            "Overall PASS"
        } else {
            "Overall FAIL"
        }
    );
    Ok(overall)
}

/// The card memory tested: all of it, or up to `--card-memory-limit`, in whole words.
fn card_memory(options: &DmaBridgeOptions, d: &DmaDesign) -> u64 {
    let m = d.bridge.memory_size;
    options.card_memory_limit.map_or(m, |l| m.min(l)) / 4 * 4
}

/// `--iterations`, or enough to test 2^32 words.
fn iterations(options: &DmaBridgeOptions, words_per_iteration: u64) -> u64 {
    options
        .iterations
        .unwrap_or_else(|| iterations_for(words_per_iteration))
}
