//! `test_dma_bridge` (xilinx_dma_bridge.md §7.1): for every identified design with a DMA
//! bridge, run the enabled tests matching its interface over the channel combinations,
//! verifying the LCG pattern and timing populate, DMA and verify.
//!
//! - [`options`]: the options and their checks.
//! - [`channel_pair`]: mappings, channel pair and timed iterations every test shares.
//! - [`memory_mapped`]: the fixed-buffer and variable-transfer tests of card memory.
//! - [`host_chunks`]: `memory_host_chunks`, the whole card through a smaller host buffer.
//! - [`stream_fixed`], [`stream_variable`]: the looped-back stream tests.
//! - [`outcome`]: a test's outcome and its report.

pub mod channel_pair;
pub mod host_chunks;
pub mod memory_mapped;
pub mod options;
pub mod outcome;
pub mod stream_fixed;
pub mod stream_variable;

use std::io::Write;

use command_line::DeviceArgs;

use self::options::{DmaBridgeOptions, TestName};
use super::channel_locks::ChannelLocks;
use super::json_summary::SummaryRecorder;
use super::opening::{open_designs, search_scope};
use super::verdict::Verdict;
use super::ToolError;
use crate::designs::{dma_designs, DmaDesign};
use crate::pattern::iterations_for;
use crate::progress::Progress;
use crate::stream_routing::{stream_pairs, StreamRoutingError};
use crate::DmaDirection;

/// The (H2C, C2H) channel pairs a design's tests run on.
type ChannelCombinations = Vec<(u8, u8)>;

/// Runs the tool, writing its lines to `out` and reporting each test's iterations to
/// `progress`.
pub fn run(
    device: &DeviceArgs,
    options: &DmaBridgeOptions,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<Verdict, ToolError> {
    run_recorded(
        device,
        options,
        out,
        progress,
        &mut SummaryRecorder::default(),
    )
}

/// [`run`], recording each test's outcome in `summary` (`--json-summary`).
pub fn run_recorded(
    device: &DeviceArgs,
    options: &DmaBridgeOptions,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
    summary: &mut SummaryRecorder,
) -> Result<Verdict, ToolError> {
    let enabled = match options.checked_tests() {
        Ok(e) => e,
        Err(m) => {
            writeln!(out, "{m}")?;
            return Ok(Verdict::Fail);
        }
    };
    let routings = xilinx_axi_stream_switch::DeviceRoutings::parse(
        options.device_routing.iter().map(String::as_str),
    )?;
    let opened = open_designs(device, options.a32)?;
    let mut designs = dma_designs(&opened);
    for d in &mut designs {
        options.memory_overrides().apply(&mut d.bridge, out)?;
    }
    // Plan every design's channel combinations first, so that all the channels the run
    // will use are locked before any test starts.
    let mut plans: Vec<(&DmaDesign, Option<ChannelCombinations>)> = Vec::new();
    let mut locks = ChannelLocks::default();
    for d in &designs {
        let stream = d.bridge.is_stream();
        let channels = d.channels();
        let (nh, nc) = (channels.h2c.len(), channels.c2h.len());
        if nh == 0 || nc == 0 {
            plans.push((d, None));
            continue;
        }
        let combos: Vec<(u8, u8)> = if stream {
            // The pairs come from the routing, configured after each test's header
            // (designs_after_seed.md §2.7); lock every stream channel the routing may pick.
            (0..nh.max(nc) as u8)
                .map(|ch| (ch.min(nh as u8 - 1), ch.min(nc as u8 - 1)))
                .collect()
        } else {
            (0..nh as u8)
                .flat_map(|h| (0..nc as u8).map(move |c| (h, c)))
                .take(options.max_channel_combinations)
                .collect()
        };
        if enabled.iter().any(|t| t.is_stream() == stream) {
            locks.lock(
                d.device,
                combos
                    .iter()
                    .flat_map(|&(h, c)| [(DmaDirection::H2C, h), (DmaDirection::C2H, c)]),
            )?;
        }
        plans.push((d, Some(combos)));
    }
    let mut overall = true;
    let mut tested = 0usize;
    for (d, combos) in plans {
        let stream = d.bridge.is_stream();
        let Some(combos) = combos else {
            let channels = d.channels();
            writeln!(
                out,
                "Skipping design {} {} due to num_h2c_channels={} num_c2h_channels={}",
                d.name(),
                d.pci_text(),
                channels.h2c.len(),
                channels.c2h.len()
            )?;
            continue;
        };
        for &test in &enabled {
            if test.is_stream() != stream {
                continue;
            }
            writeln!(out, "{}", d.testing_header())?;
            writeln!(out, "{}", d.pci_text())?;
            let combos = if stream {
                match stream_pairs(d, &routings, out) {
                    Ok(pairs) => pairs,
                    Err(StreamRoutingError::Refused(e)) => {
                        // The sheet's line on stdout, then exit status 1 (§1.4, §2.5).
                        writeln!(out, "{e}")?;
                        return Ok(Verdict::Fail);
                    }
                    Err(e) => return Err(ToolError::Routing(e)),
                }
            } else {
                combos.clone()
            };
            for &(h, c) in &combos {
                let p = &mut *progress;
                let outcome = match test {
                    TestName::MemoryFixedBuffers => {
                        memory_mapped::fixed_buffers(options, d, h, c, out, p)?
                    }
                    TestName::StreamFixedBuffers => {
                        stream_fixed::fixed_buffers(options, d, h, c, false, out, p)?
                    }
                    TestName::StreamFixedBuffersC2hContinuous => {
                        stream_fixed::fixed_buffers(options, d, h, c, true, out, p)?
                    }
                    TestName::MemoryVariableTransfers => {
                        memory_mapped::variable_transfers(options, d, h, c, out, p)?
                    }
                    TestName::StreamVariableTransfers => {
                        stream_variable::variable_transfers(options, d, h, c, out, p)?
                    }
                    TestName::MemoryHostChunks => {
                        host_chunks::host_chunks(options, d, h, c, out, p)?
                    }
                };
                let passed = outcome.report(out)?;
                summary.record(outcome.summary_entry(test.name(), d, h, c, passed));
                overall &= passed;
                tested += 1;
            }
        }
    }
    drop(locks);
    if tested == 0 {
        let names: Vec<&str> = enabled.iter().map(|t| t.name()).collect();
        let what = if designs.is_empty() {
            "design with a DMA bridge"
        } else {
            "design with DMA channels for the enabled tests"
        };
        let mut why = search_scope(device, &opened);
        if !designs.is_empty() {
            why.push_str(&format!("; enabled tests: {}", names.join(",")));
        }
        return Ok(Verdict::nothing_tested(what, why));
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        if overall {
            "Overall PASS"
        } else {
            "Overall FAIL"
        }
    )?;
    Ok(Verdict::from_passed(overall))
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
