//! test_dma_bridge_parallel_streams (fact sheet 7.2): every selected looped-back stream pair
//! at once, continuously, until Ctrl-C or `--duration`; per-pair throughput every 10 s;
//! data verified at the end.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use identify_design::OpenedDesigns;
use vfio_access::{cli, DeviceArgs, DmaAccess, DmaBuffer, PciLocation};
use xilinx_dma_bridge::designs::dma_designs;
use xilinx_dma_bridge::discovery::{discover_channels, stream_partner};
use xilinx_dma_bridge::mapping::descriptors_mapping_bytes;
use xilinx_dma_bridge::options::c_int_parser;
use xilinx_dma_bridge::{
    ChannelConfig, Direction, DmaChannel, OverallSuccess, SubAllocator, TestPattern,
};

/// How often the interval statistics are published.
const INTERVAL: Duration = Duration::from_secs(10);

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_bridge_parallel_streams",
    about = "Test Xilinx DMA/Bridge Subsystem for PCI Express with parallel streams"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Select one pair: `<domain>:<bus>:<dev>.<func>,<h2c_channel_id>`. Repeatable; also
    /// restricts which devices are opened.
    #[arg(long = "stream-device", alias = "stream_device", value_name = "DEVICE,H2C", value_parser = parse_stream_device)]
    stream_device: Vec<(PciLocation, u8)>,

    /// Host mapping per direction per pair, in bytes (>= 4, a multiple of 4).
    #[arg(long = "stream-mapping-size", alias = "stream_mapping_size", value_name = "SIZE",
          default_value = "0x40000000", value_parser = c_int_parser("stream_mapping_size"))]
    stream_mapping_size: u64,

    /// Descriptors (buffers) per ring, 1..1023.
    #[arg(long = "stream-num-descriptors", alias = "stream_num_descriptors", value_name = "COUNT",
          default_value = "64", value_parser = c_int_parser("stream_num_descriptors"))]
    stream_num_descriptors: u64,

    /// Stop by itself after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,

    /// Per-transfer timeout in seconds.
    #[arg(
        long = "timeout-seconds",
        alias = "timeout_seconds",
        default_value_t = 10.0,
        hide = true
    )]
    timeout_seconds: f64,
}

fn parse_stream_device(text: &str) -> Result<(PciLocation, u8), String> {
    let invalid = || format!("Invalid stream_device {text}");
    let (loc, ch) = text.rsplit_once(',').ok_or_else(invalid)?;
    let location: PciLocation = loc.parse().map_err(|_| invalid())?;
    let channel: u8 = ch.parse().ok().filter(|&c| c < 4).ok_or_else(invalid)?;
    Ok((location, channel))
}

/// Statistics of one pair over an interval (or the whole run).
#[derive(Debug, Clone)]
struct PairStats {
    label: String,
    bytes: u64,
    seconds: f64,
    transfers: u64,
}

impl PairStats {
    fn line(&self) -> String {
        if self.transfers == 0 {
            format!("  {} No completed transfers", self.label)
        } else {
            let rate = if self.seconds > 0.0 {
                self.bytes as f64 / self.seconds / 1e6
            } else {
                0.0
            };
            format!(
                "  {} {rate:.3} Mbytes/sec ({} bytes in {:.6} secs)",
                self.label, self.bytes, self.seconds
            )
        }
    }
}

enum Report {
    Interval(Vec<PairStats>),
    Final(Vec<PairStats>),
}

struct Pair {
    label: String,
    location: PciLocation,
    h2c_id: u8,
    c2h_id: u8,
    h2c: DmaChannel,
    c2h: DmaChannel,
    c2h_data: Arc<DmaBuffer>,
    pattern_start: TestPattern,
    h2c_started: u64,
    c2h_started: u64,
    c2h_completed: u64,
    h2c_stopping: bool,
    stopped: bool,
    overall_start: Option<Instant>,
    interval_start: Option<Instant>,
    interval_transfers: u64,
    last_c2h: Option<Instant>,
    last_h2c: Option<Instant>,
    _descriptors: Arc<DmaBuffer>,
}

impl Pair {
    fn start_h2c(&mut self) -> bool {
        if self.h2c.get_next_h2c_buffer().is_some() {
            self.h2c.start_populated();
            self.h2c_started += 1;
            true
        } else {
            false
        }
    }
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Args) -> anyhow::Result<bool> {
    let mapping = args.stream_mapping_size;
    if mapping < 4 || mapping % 4 != 0 {
        println!("stream_mapping_size not a multiple of words");
        return Ok(false);
    }
    let n = args.stream_num_descriptors;
    if n == 0 || n > 1023 {
        println!("Invalid stream_num_descriptors {n}");
        return Ok(false);
    }
    let bytes_per_buffer = mapping / n;
    println!(
        "Using num_descriptors={n} bytes_per_buffer=0x{bytes_per_buffer:x} data_mapping_size_words=0x{:x}",
        mapping / 4
    );
    for (loc, _) in &args.stream_device {
        if !args.device.devices.contains(loc) {
            args.device.devices.push(*loc);
        }
    }
    let opened = OpenedDesigns::identify(
        identify_design::open_devices(&args.device, &identify_design::design_filters())
            .context("opening devices")?,
    );
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
            if !args.stream_device.is_empty() && !args.stream_device.contains(&(location, h2c_id)) {
                continue;
            }
            let c2h_id = stream_partner(h2c_id, channels.c2h.len());
            println!(
                "Selecting test of {} {} H2C channel {h2c_id} C2H channel {c2h_id}",
                d.name_and_version(),
                d.pci_text()
            );
            let alloc = |size: u64, access| {
                d.device
                    .alloc_dma(size as usize, access)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            };
            let buffers = alloc(
                (descriptors_mapping_bytes(n as usize, false)
                    + descriptors_mapping_bytes(n as usize, true)) as u64,
                DmaAccess::READ_WRITE,
            )
            .and_then(|desc| {
                Ok((
                    desc,
                    alloc(mapping, DmaAccess::READ)?,
                    alloc(mapping, DmaAccess::WRITE)?,
                ))
            });
            let (desc, h2c_data, c2h_data) = match buffers {
                Ok(b) => b,
                Err(e) => {
                    println!("{e}");
                    ok = false;
                    continue;
                }
            };
            let mut sub = SubAllocator::new(Arc::clone(&desc));
            let config = |direction, channel_id| ChannelConfig {
                num_descriptors: n as u32,
                bytes_per_buffer,
                timeout_seconds: args.timeout_seconds,
                ..ChannelConfig::new(direction, channel_id, 0, d.bridge.bar)
            };
            let h2c = DmaChannel::init(
                d.device,
                config(Direction::H2C, h2c_id),
                &mut sub,
                Arc::clone(&h2c_data),
                &overall,
            );
            let c2h = DmaChannel::init(
                d.device,
                config(Direction::C2H, c2h_id),
                &mut sub,
                Arc::clone(&c2h_data),
                &overall,
            );
            let pattern_start = generator;
            generator.populate(&h2c_data, 0, (mapping / 4) as usize);
            pairs.push(Pair {
                label: format!("{location} {h2c_id} -> {c2h_id}"),
                location,
                h2c_id,
                c2h_id,
                h2c,
                c2h,
                c2h_data,
                pattern_start,
                h2c_started: 0,
                c2h_started: 0,
                c2h_completed: 0,
                h2c_stopping: false,
                stopped: false,
                overall_start: None,
                interval_start: None,
                interval_transfers: 0,
                last_c2h: None,
                last_h2c: None,
                _descriptors: desc,
            });
        }
    }
    if pairs.is_empty() {
        return Ok(false);
    }

    let interrupt = vfio_access::signals::interrupt_flag();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Report>();
    let began = Instant::now();
    let deadline = args
        .duration
        .map(|s| began + Duration::from_secs_f64(s.max(0.0)));
    if deadline.is_some_and(|d| Instant::now() >= d) {
        // `--duration 0`: exactly one lap of each ring.
        stop.store(true, Ordering::SeqCst);
    }
    let worker_stop = Arc::clone(&stop);
    let worker_overall = overall.clone();
    let stop_limit = Duration::from_secs_f64(args.timeout_seconds.max(0.0) + 1.0);
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
        .map_err(|_| anyhow::anyhow!("worker thread panicked"))?;

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

fn stats_of(p: &Pair, interval: bool, bytes_per_buffer: u64) -> PairStats {
    let (start, transfers) = if interval {
        (p.interval_start, p.interval_transfers)
    } else {
        (p.overall_start, p.c2h_completed)
    };
    let seconds = match (start, p.last_c2h) {
        (Some(s), Some(e)) if e > s => (e - s).as_secs_f64(),
        _ => 0.0,
    };
    PairStats {
        label: p.label.clone(),
        bytes: transfers * bytes_per_buffer,
        seconds,
        transfers,
    }
}

fn run_worker(
    pairs: &mut [Pair],
    stop: &AtomicBool,
    overall: &OverallSuccess,
    bytes_per_buffer: u64,
    n: u64,
    stop_limit: Duration,
    tx: &mpsc::Sender<Report>,
) {
    for p in pairs.iter_mut() {
        for _ in 0..n {
            if p.c2h.start_next_c2h_buffer() {
                p.c2h_started += 1;
            }
        }
    }
    for _ in 0..n {
        for p in pairs.iter_mut() {
            if p.overall_start.is_none() {
                let now = Instant::now();
                p.overall_start = Some(now);
                p.interval_start = Some(now);
            }
            p.start_h2c();
        }
    }
    let mut last_publish = Instant::now();
    let mut last_progress = Instant::now();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let mut progress = false;
        for p in pairs.iter_mut().filter(|p| !p.stopped) {
            if let Some(c) = p.c2h.poll_completed() {
                progress = true;
                p.c2h_completed += 1;
                p.interval_transfers += 1;
                p.last_c2h = Some(Instant::now());
                if c.len != bytes_per_buffer || c.eop != Some(true) {
                    p.c2h.record_failure(format!(
                        "Assertion failed: completion length 0x{:x} eop {:?} for buffers of 0x{bytes_per_buffer:x}",
                        c.len, c.eop
                    ));
                }
                // Keep C2H buffers outstanding for every packet H2C has started, but
                // none beyond that once stopping (no C2H buffer is left without data).
                let outstanding = p.c2h_started - p.c2h_completed;
                let needed = !p.h2c_stopping || p.c2h_completed + outstanding < p.h2c_started;
                if needed && p.c2h.start_next_c2h_buffer() {
                    p.c2h_started += 1;
                }
            }
            if p.h2c.poll_completed().is_some() {
                progress = true;
                p.last_h2c = Some(Instant::now());
                if stopping {
                    p.h2c_stopping = true;
                } else {
                    p.start_h2c();
                }
            }
            if p.h2c_stopping && p.c2h_completed == p.h2c_started {
                p.stopped = true;
            }
        }
        if pairs.iter().all(|p| p.stopped) || !overall.get() {
            break;
        }
        if progress {
            last_progress = Instant::now();
        } else if stopping && last_progress.elapsed() > stop_limit {
            // Never hang while stopping: report the pairs that did not drain.
            for p in pairs.iter_mut().filter(|p| !p.stopped) {
                p.c2h.record_failure(format!(
                    "Timeout stopping: {} H2C buffers started but {} C2H buffers completed",
                    p.h2c_started, p.c2h_completed
                ));
            }
            break;
        }
        if last_publish.elapsed() >= INTERVAL {
            last_publish = Instant::now();
            let stats = pairs
                .iter()
                .map(|p| stats_of(p, true, bytes_per_buffer))
                .collect();
            let _ = tx.send(Report::Interval(stats));
            for p in pairs.iter_mut() {
                p.interval_transfers = 0;
                p.interval_start = p.last_h2c.or(p.interval_start);
            }
        }
        if !progress {
            std::thread::yield_now();
        }
    }
    let stats = pairs
        .iter()
        .map(|p| stats_of(p, false, bytes_per_buffer))
        .collect();
    let _ = tx.send(Report::Final(stats));
}
