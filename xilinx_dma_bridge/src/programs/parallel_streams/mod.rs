//! `test_dma_bridge_parallel_streams` (fact sheet 7.2): every selected looped-back stream
//! pair at once, continuously, until Ctrl-C or `--duration`; per-pair throughput every
//! 10 s; data verified at the end.
//!
//! - [`options`]: the options; [`pair`]: one pair's channels and progress.
//! - [`worker`]: the thread driving the rings; [`statistics`]: throughput lines.

pub mod options;
pub mod pair;
pub mod statistics;
pub mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use command_line::DeviceArgs;

use self::options::ParallelStreamsOptions;
use self::pair::{Pair, RingShape};
use self::statistics::Report;
use self::worker::run_worker;
use super::opening::{open_designs, OpenDevicesError};
use crate::designs::dma_designs;
use crate::discovery::{discover_channels, stream_partner};
use crate::{Direction, OverallSuccess, TestPattern};

/// Why the tool could not run to a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ParallelStreamsError {
    #[error(transparent)]
    Open(#[from] OpenDevicesError),
    #[error("worker thread panicked")]
    WorkerPanicked,
}

/// Runs the tool, printing its lines; `Ok(true)` for `Overall PASS`. The devices of
/// `--stream-device` are opened in addition to those `device` selects.
pub fn run(
    mut device: DeviceArgs,
    options: &ParallelStreamsOptions,
) -> Result<bool, ParallelStreamsError> {
    let mapping = options.stream_mapping_size;
    if mapping < 4 || mapping % 4 != 0 {
        println!("stream_mapping_size not a multiple of words");
        return Ok(false);
    }
    let n = options.stream_num_descriptors;
    if n == 0 || n > 1023 {
        println!("Invalid stream_num_descriptors {n}");
        return Ok(false);
    }
    let bytes_per_buffer = mapping / n;
    println!(
        "Using num_descriptors={n} bytes_per_buffer=0x{bytes_per_buffer:x} data_mapping_size_words=0x{:x}",
        mapping / 4
    );
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
        timeout_seconds: options.timeout.timeout_seconds,
    };
    let overall = OverallSuccess::new();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut generator = TestPattern::new(0);
    let mut ok = true;
    for d in dma_designs(&opened) {
        if !d.bridge.is_stream() {
            continue;
        }
        let channels = discover_channels(d.device, d.bridge.bar, true);
        if channels.h2c.is_empty() || channels.c2h.is_empty() {
            continue;
        }
        for h in &channels.h2c {
            let location = d.design.location;
            let h2c_id = h.channel_id;
            if !options.stream_device.is_empty()
                && !options.stream_device.contains(&(location, h2c_id))
            {
                continue;
            }
            let c2h_id = stream_partner(h2c_id, channels.c2h.len());
            println!(
                "Selecting test of {} {} H2C channel {h2c_id} C2H channel {c2h_id}",
                d.name_and_version(),
                d.pci_text()
            );
            match Pair::open(&d, (h2c_id, c2h_id), shape, &mut generator, &overall) {
                Ok(p) => pairs.push(p),
                Err(e) => {
                    println!("{e}");
                    ok = false;
                }
            }
        }
    }
    if pairs.is_empty() {
        return Ok(false);
    }

    let interrupt = vfio_access::signals::interrupt_flag();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Report>();
    let began = Instant::now();
    let deadline = options
        .duration
        .map(|s| began + Duration::from_secs_f64(s.max(0.0)));
    if deadline.is_some_and(|d| Instant::now() >= d) {
        // `--duration 0`: exactly one lap of each ring.
        stop.store(true, Ordering::SeqCst);
    }
    let worker_stop = Arc::clone(&stop);
    let worker_overall = overall.clone();
    let stop_limit = Duration::from_secs_f64(options.timeout.timeout_seconds.max(0.0) + 1.0);
    let worker = std::thread::spawn(move || {
        run_worker(
            &mut pairs,
            &worker_stop,
            &worker_overall,
            bytes_per_buffer,
            n,
            stop_limit,
            &tx,
        );
        pairs
    });
    println!("Press Ctrl-C to stop test");
    loop {
        if interrupt.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) {
            stop.store(true, Ordering::SeqCst);
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Report::Interval(stats)) => {
                for s in &stats {
                    println!("{}", s.line());
                }
                println!();
            }
            Ok(Report::Final(stats)) => {
                println!("Overall test statistics:");
                for s in &stats {
                    println!("{}", s.line());
                }
                println!();
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut pairs = worker
        .join()
        .map_err(|_| ParallelStreamsError::WorkerPanicked)?;

    for p in pairs.iter_mut() {
        let buffers = p.c2h_completed.min(n);
        let words = (buffers * bytes_per_buffer / 4) as usize;
        let mut expected = p.pattern_start;
        match expected.verify(&p.c2h_data, 0, words) {
            Ok(()) => println!("{} Test pattern verified in {words} words", p.label),
            Err(m) => p.c2h.record_failure(format!(
                "word[{}] actual=0x{:x} expected=0x{:x}",
                m.index, m.actual, m.expected
            )),
        }
    }
    for p in pairs.iter_mut() {
        p.h2c.finalise();
        p.c2h.finalise();
        for (dir, id, ch) in [
            (Direction::H2C, p.h2c_id, &p.h2c),
            (Direction::C2H, p.c2h_id, &p.c2h),
        ] {
            if let Some(f) = ch.failure() {
                println!("  {} {dir} channel {id} failure : {f}", p.location);
            }
        }
    }
    let pass = ok && overall.get();
    println!();
    println!("{}", if pass { "Overall PASS" } else { "Overall FAIL" });
    Ok(pass)
}
