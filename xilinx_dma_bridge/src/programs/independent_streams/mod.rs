//! `test_dma_bridge_independent_streams` (designs_after_seed.md §4.3): every selected H2C
//! and C2H stream at once, each direction on its own (no data path assumed between them),
//! to find the maximum throughput; the fixed-data designs are the intended target. Data are
//! not checked; a run passes when every stream completed transfers and none failed.
//!
//! - [`options`]: the options; [`stream`]: one stream and its statistics.

pub mod options;
pub mod stream;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use command_line::DeviceArgs;

use self::options::IndependentStreamsOptions;
use self::stream::{RingShape, Stream, StreamStats};
use super::channel_locks::ChannelLocks;
use super::opening::{open_designs, search_scope};
use super::run_stop::{stop_limit, RunStop};
use super::verdict::Verdict;
use super::ToolError;
use crate::designs::dma_designs;
use crate::stream_routing::{configure_design_routing, StreamRoutingError};
use crate::{ChannelError, DmaDirection, TestPattern};

/// How often the interval statistics are published.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// After the stop and H2C has drained, how long C2H may stay without a completion before
/// its outstanding buffers are abandoned.
const C2H_DRAIN: Duration = Duration::from_millis(200);

/// What the worker sends the main thread to print.
enum Report {
    Interval(Vec<StreamStats>),
    Final(Vec<StreamStats>),
}

/// The ring shape, or the sheet's line saying what is wrong.
fn checked_shape(options: &IndependentStreamsOptions) -> Result<RingShape, String> {
    let mapping = options.stream_mapping_size;
    if mapping < 4 {
        return Err(format!("Invalid stream_mapping_size {mapping}"));
    }
    if mapping % 4 != 0 {
        return Err("stream_mapping_size not a multiple of words".into());
    }
    let n = options.stream_num_descriptors;
    if n == 0 || n > 1023 {
        return Err(format!("Invalid stream_num_descriptors {n}"));
    }
    Ok(RingShape {
        mapping,
        num_descriptors: n,
        bytes_per_buffer: mapping / n,
        timeout: options.timeout.duration(),
    })
}

/// Runs the tool, writing its lines to `out`. The devices of the stream selections are
/// opened in addition to those `device` selects.
pub fn run(
    mut device: DeviceArgs,
    options: &IndependentStreamsOptions,
    out: &mut dyn Write,
) -> Result<Verdict, ToolError> {
    let routings = xilinx_axi_stream_switch::DeviceRoutings::parse(
        options.device_routing.iter().map(String::as_str),
    )?;
    let shape = match checked_shape(options) {
        Ok(s) => s,
        Err(m) => {
            writeln!(out, "{m}")?;
            return Ok(Verdict::Fail);
        }
    };
    let selected: Vec<(DmaDirection, (vfio_access::PciLocation, u8))> = options
        .h2c_stream_device
        .iter()
        .map(|s| (DmaDirection::H2C, *s))
        .chain(
            options
                .c2h_stream_device
                .iter()
                .map(|s| (DmaDirection::C2H, *s)),
        )
        .collect();
    for (_, (loc, _)) in &selected {
        if !device.devices.contains(loc) {
            device.devices.push(*loc);
        }
    }
    let opened = open_designs(&device, false)?;
    writeln!(
        out,
        "Using num_descriptors={} bytes_per_buffer=0x{:x} data_mapping_size_words=0x{:x}",
        shape.num_descriptors,
        shape.bytes_per_buffer,
        shape.mapping / 4
    )?;

    // Which streams of which design.
    let designs = dma_designs(&opened);
    let mut chosen = Vec::new();
    for d in &designs {
        if !d.bridge.is_stream() {
            continue;
        }
        let channels = d.channels();
        if d.design.axi_stream_switch.is_some() {
            match configure_design_routing(d, &routings, out) {
                Ok(_) => {}
                Err(StreamRoutingError::Refused(e)) => {
                    writeln!(out, "{e}")?;
                    return Ok(Verdict::Fail);
                }
                Err(e) => return Err(ToolError::Routing(e)),
            }
        }
        let location = d.design.location;
        let all = channels
            .h2c
            .iter()
            .map(|c| (DmaDirection::H2C, c.channel_id))
            .chain(
                channels
                    .c2h
                    .iter()
                    .map(|c| (DmaDirection::C2H, c.channel_id)),
            );
        for (direction, id) in all {
            if !selected.is_empty() && !selected.contains(&(direction, (location, id))) {
                continue;
            }
            writeln!(
                out,
                "Selecting test of {} {} {direction} channel {id}",
                d.name_and_version(),
                d.pci_text()
            )?;
            chosen.push((d, direction, id));
        }
    }
    if chosen.is_empty() {
        let mut why = search_scope(&device, &opened);
        if !selected.is_empty() {
            let wanted: Vec<String> = selected
                .iter()
                .map(|(dir, (l, c))| format!("{dir} {l},{c}"))
                .collect();
            why.push_str(&format!("; selected {}", wanted.join(" ")));
        }
        return Ok(Verdict::nothing_tested("stream DMA channel", why));
    }
    // H2C streams first, then C2H streams (§4.3 step 4).
    chosen.sort_by_key(|(_, direction, _)| *direction == DmaDirection::C2H);

    let mut locks = ChannelLocks::default();
    for (d, direction, id) in &chosen {
        locks.lock(d.device, [(*direction, *id)])?;
    }
    let mut streams: Vec<Stream> = Vec::new();
    let mut init_ok = true;
    let mut generator = TestPattern::new(0);
    let first_device = chosen[0].0.device;
    for (d, direction, id) in &chosen {
        let mapping_device = if options.use_one_container_for_mappings {
            first_device
        } else {
            d.device
        };
        match Stream::open(d, mapping_device, (*direction, *id), shape, &mut generator) {
            Ok(s) => {
                let failed = s.channel.failed();
                streams.push(s);
                if failed {
                    init_ok = false;
                    break;
                }
            }
            Err(e) => {
                writeln!(out, "{e}")?;
                init_ok = false;
                break;
            }
        }
    }
    // Streams never opened still get their statistics line.
    let unopened: Vec<StreamStats> = chosen[streams.len()..]
        .iter()
        .map(|(d, direction, id)| StreamStats {
            label: format!("{} {direction} channel {id}", d.design.location),
            bytes: 0,
            transfers: 0,
            seconds: 0.0,
        })
        .collect();

    let mut final_stats: Vec<StreamStats> = streams.iter().map(|s| s.stats(&s.overall)).collect();
    if init_ok {
        let stop = RunStop::new(options.duration);
        let (tx, rx) = mpsc::channel::<Report>();
        let worker_stop = stop.worker_flag();
        let stop_limit = stop_limit(shape.timeout);
        let n = shape.num_descriptors;
        let worker = std::thread::spawn(move || {
            run_worker(&mut streams, &worker_stop, n, stop_limit, &tx);
            streams
        });
        writeln!(out, "Press Ctrl-C to stop test")?;
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
                    final_stats = stats;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        streams = worker.join().map_err(|_| ToolError::WorkerPanicked)?;
    }
    writeln!(out, "Overall test statistics:")?;
    for s in final_stats.iter().chain(&unopened) {
        writeln!(out, "{}", s.line())?;
    }
    writeln!(out)?;
    // A run in which a stream moved nothing tested nothing on it: not a pass.
    let mut pass = init_ok && final_stats.iter().all(|s| s.transfers > 0) && unopened.is_empty();
    for s in streams.iter_mut() {
        s.channel.finalise();
        if let Some(f) = s.channel.failure() {
            pass = false;
            writeln!(out, "  {} failure : {f}", s.label())?;
        }
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

/// Keeps every stream's ring full until `stop` is set and every stream has drained (or a
/// failure, or no completion at all for `stop_limit`), publishing interval statistics
/// every [`INTERVAL`], then the final statistics.
fn run_worker(
    streams: &mut [Stream],
    stop: &AtomicBool,
    n: u64,
    stop_limit: Option<Duration>,
    tx: &mpsc::Sender<Report>,
) {
    for _ in 0..n {
        for s in streams.iter_mut() {
            s.start_next();
        }
    }
    let mut last_publish = Instant::now();
    let mut last_progress = Instant::now();
    // When every H2C stream had drained after the stop.
    let mut h2c_drained: Option<Instant> = None;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let mut progress = false;
        for s in streams.iter_mut() {
            if s.poll().is_some() {
                progress = true;
                if !stopping {
                    s.start_next();
                }
            }
        }
        if streams.iter().any(|s| s.channel.failed())
            || (stopping && streams.iter().all(|s| s.in_use == 0))
        {
            break;
        }
        if stopping && streams.iter().all(|s| s.fed_by_h2c || s.in_use == 0) {
            // On loopback and CRC64 designs C2H buffers only fill from H2C packets: once
            // H2C has drained and C2H has been quiet for C2H_DRAIN, what is left
            // outstanding will never fill and is abandoned (README "independent streams").
            let since = *h2c_drained.get_or_insert_with(Instant::now);
            let quiet = last_progress.max(since);
            if !progress && quiet.elapsed() > C2H_DRAIN {
                break;
            }
        }
        if progress {
            last_progress = Instant::now();
        } else if let Some(limit) = stop_limit.filter(|&l| last_progress.elapsed() > l) {
            // Never hang (each channel's own timeout covers what it started).
            for s in streams.iter_mut().filter(|s| s.in_use > 0) {
                s.channel.record_failure(ChannelError::NoProgress {
                    timeout: limit,
                    waiting_for: format!("{} started buffers to complete", s.in_use),
                });
            }
            break;
        }
        if last_publish.elapsed() >= INTERVAL {
            last_publish = Instant::now();
            let stats = streams.iter().map(|s| s.stats(&s.interval)).collect();
            let _ = tx.send(Report::Interval(stats));
            for s in streams.iter_mut() {
                s.next_interval();
            }
        }
        if !progress {
            std::thread::yield_now();
        }
    }
    let stats = streams.iter().map(|s| s.stats(&s.overall)).collect();
    let _ = tx.send(Report::Final(stats));
}
