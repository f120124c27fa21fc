//! `test_dma_bridge_parallel_streams` (xilinx_dma_bridge.md §7.2): every selected
//! looped-back stream pair at once, continuously, until Ctrl-C or `--duration`; per-pair
//! throughput every 10 s; every received buffer of every lap verified before its
//! descriptor is reused, and the mappings verified again at the end.
//!
//! - [`options`]: the options; [`pair`]: one pair's channels, expected data and progress.
//! - [`worker`]: the thread driving the rings; [`statistics`]: throughput lines.

pub mod options;
pub mod pair;
pub mod statistics;
pub mod worker;

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use command_line::DeviceArgs;

use self::options::ParallelStreamsOptions;
use self::pair::{mismatch_text, Pair, RingShape};
use self::statistics::{PairStats, Report};
use self::worker::run_worker;
use super::channel_locks::ChannelLocks;
use super::json_summary::{StreamStatisticsEntry, SummaryRecorder, SummaryVerdict, TestEntry};
use super::opening::{open_designs, search_scope};
use super::run_stop::{stop_limit, RunStop};
use super::verdict::Verdict;
use super::ToolError;
use crate::designs::dma_designs;
use crate::stream_routing::{stream_pairs, StreamRoutingError};
use crate::{ChannelError, DmaDirection, TestPattern};

/// Checks the ring options: bytes per buffer, or the line saying what is wrong.
fn checked_bytes_per_buffer(options: &ParallelStreamsOptions) -> Result<u64, String> {
    let mapping = options.stream_mapping_size;
    if mapping < 4 || mapping % 4 != 0 {
        return Err("stream_mapping_size not a multiple of words".into());
    }
    let n = options.stream_num_descriptors;
    if n == 0 || n > 1023 {
        return Err(format!("Invalid stream_num_descriptors {n}"));
    }
    // Every buffer must hold whole words, or its tail would go unverified (§9 pitfall 21).
    let bytes_per_buffer = mapping / n;
    if bytes_per_buffer == 0 || bytes_per_buffer % 4 != 0 {
        return Err(format!(
            "stream_mapping_size 0x{mapping:x} / stream_num_descriptors {n} gives buffers of 0x{bytes_per_buffer:x} bytes, not a whole number of words"
        ));
    }
    Ok(bytes_per_buffer)
}

/// Runs the tool, writing its lines to `out`. The devices of `--stream-device` are
/// opened in addition to those `device` selects.
pub fn run(
    device: DeviceArgs,
    options: &ParallelStreamsOptions,
    out: &mut dyn Write,
) -> Result<Verdict, ToolError> {
    run_recorded(device, options, out, &mut SummaryRecorder::default())
}

/// [`run`], recording each pair's verdict, failures and overall statistics in `summary`
/// (`--json-summary`).
pub fn run_recorded(
    mut device: DeviceArgs,
    options: &ParallelStreamsOptions,
    out: &mut dyn Write,
    summary: &mut SummaryRecorder,
) -> Result<Verdict, ToolError> {
    let routings = xilinx_axi_stream_switch::DeviceRoutings::parse(
        options.device_routing.iter().map(String::as_str),
    )?;
    let bytes_per_buffer = match checked_bytes_per_buffer(options) {
        Ok(b) => b,
        Err(m) => {
            writeln!(out, "{m}")?;
            return Ok(Verdict::Fail);
        }
    };
    let mapping = options.stream_mapping_size;
    let n = options.stream_num_descriptors;
    writeln!(
        out,
        "Using num_descriptors={n} bytes_per_buffer=0x{bytes_per_buffer:x} data_mapping_size_words=0x{:x}",
        mapping / 4
    )?;
    for (loc, _) in &options.stream_device {
        if !device.devices.contains(loc) {
            device.devices.push(*loc);
        }
    }
    let opened = open_designs(&device, false)?;
    let shape = RingShape {
        mapping,
        num_descriptors: n,
        bytes_per_buffer,
        timeout: options.timeout.duration(),
    };
    let mut pairs: Vec<Pair> = Vec::new();
    let mut locks = ChannelLocks::default();
    let mut generator = TestPattern::new(0);
    let mut ok = true;
    let designs = dma_designs(&opened);
    // The device whose container holds every mapping with --use-one-container-for-mappings.
    let mut first_device = None;
    // The design of each pair, for the summary.
    let mut design_names: Vec<String> = Vec::new();
    for d in &designs {
        if !d.bridge.is_stream() {
            continue;
        }
        let channels = d.channels();
        if channels.h2c.is_empty() || channels.c2h.is_empty() {
            continue;
        }
        let routes = match stream_pairs(d, &routings, out) {
            Ok(pairs) => pairs,
            Err(StreamRoutingError::Refused(e)) => {
                // The sheet's line on stdout, then exit status 1 (designs_after_seed.md §1.4).
                writeln!(out, "{e}")?;
                return Ok(Verdict::Fail);
            }
            Err(e) => return Err(ToolError::Routing(e)),
        };
        for (h2c_id, c2h_id) in routes {
            let location = d.design.location;
            let present =
                |ids: &[xdma_registers::ChannelBlocks], id| ids.iter().any(|c| c.channel_id == id);
            if !present(&channels.h2c, h2c_id) || !present(&channels.c2h, c2h_id) {
                continue;
            }
            if !options.stream_device.is_empty()
                && !options.stream_device.contains(&(location, h2c_id))
            {
                continue;
            }
            let mapping_device = if options.use_one_container_for_mappings {
                *first_device.get_or_insert(d.device)
            } else {
                d.device
            };
            writeln!(
                out,
                "Selecting test of {} {} H2C channel {h2c_id} C2H channel {c2h_id}",
                d.name_and_version(),
                d.pci_text()
            )?;
            locks.lock(
                d.device,
                [(DmaDirection::H2C, h2c_id), (DmaDirection::C2H, c2h_id)],
            )?;
            match Pair::open(d, mapping_device, (h2c_id, c2h_id), shape, &mut generator) {
                Ok(p) => {
                    pairs.push(p);
                    design_names.push(d.name().to_string());
                }
                Err(e) => {
                    writeln!(out, "{e}")?;
                    ok = false;
                }
            }
        }
    }
    if pairs.is_empty() {
        if !ok {
            return Ok(Verdict::Fail);
        }
        let mut why = search_scope(&device, &opened);
        if !options.stream_device.is_empty() {
            let wanted: Vec<String> = options
                .stream_device
                .iter()
                .map(|(l, h)| format!("{l},{h}"))
                .collect();
            why.push_str(&format!("; --stream-device {}", wanted.join(" ")));
        }
        return Ok(Verdict::nothing_tested("looped-back stream pair", why));
    }

    let stop = RunStop::new(options.duration);
    let (tx, rx) = mpsc::channel::<Report>();
    let worker_stop = stop.worker_flag();
    let stop_limit = stop_limit(shape.timeout);
    let worker = std::thread::spawn(move || {
        run_worker(
            &mut pairs,
            &worker_stop,
            bytes_per_buffer,
            n,
            stop_limit,
            &tx,
        );
        pairs
    });
    writeln!(out, "Press Ctrl-C to stop test")?;
    let mut overall_stats: Vec<PairStats> = Vec::new();
    loop {
        stop.check();
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Report::Interval(stats)) => {
                for s in &stats {
                    writeln!(out, "{}", s.line())?;
                }
                writeln!(out)?;
            }
            Ok(Report::Final(stats)) => {
                writeln!(out, "Overall test statistics:")?;
                for s in &stats {
                    writeln!(out, "{}", s.line())?;
                }
                writeln!(out)?;
                overall_stats = stats;
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut pairs = worker.join().map_err(|_| ToolError::WorkerPanicked)?;

    // A pair stopped by another pair's failure before it received anything has nothing
    // to verify.
    for p in pairs
        .iter_mut()
        .filter(|p| !p.failed() && p.c2h_completed > 0)
    {
        let buffers = p.c2h_completed.min(n);
        let words = (buffers * bytes_per_buffer / 4) as usize;
        let mut expected = p.pattern_start;
        match expected.verify(&p.c2h_data, 0, words) {
            Ok(()) => writeln!(out, "{} Test pattern verified in {words} words", p.label)?,
            Err(m) => p
                .c2h
                .record_failure(ChannelError::DataMismatch(mismatch_text(0, m, None))),
        }
    }
    let mut pass = ok;
    for (index, p) in pairs.iter_mut().enumerate() {
        p.h2c.finalise();
        p.c2h.finalise();
        let mut failures = Vec::new();
        for (dir, id, ch) in [
            (DmaDirection::H2C, p.h2c_id, &p.h2c),
            (DmaDirection::C2H, p.c2h_id, &p.c2h),
        ] {
            if let Some(f) = ch.failure() {
                pass = false;
                writeln!(out, "  {} {dir} channel {id} failure : {f}", p.location)?;
                failures.push(format!("{dir} channel {id} failure : {f}"));
            }
        }
        summary.record(TestEntry {
            name: "parallel_streams".to_string(),
            design: design_names.get(index).cloned().unwrap_or_default(),
            pci_location: p.location.to_string(),
            h2c_channel: Some(p.h2c_id),
            c2h_channel: Some(p.c2h_id),
            verdict: if failures.is_empty() {
                SummaryVerdict::Pass
            } else {
                SummaryVerdict::Fail
            },
            failures,
            timings: Vec::new(),
            stream_statistics: overall_stats.iter().find(|s| s.label == p.label).map(|s| {
                StreamStatisticsEntry {
                    transfers: s.transfers,
                    bytes: s.bytes,
                    seconds: s.seconds,
                    mbytes_per_sec: s.rate(),
                }
            }),
        });
    }
    drop(locks);
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        if pass { "Overall PASS" } else { "Overall FAIL" }
    )?;
    Ok(Verdict::from_passed(pass))
}
