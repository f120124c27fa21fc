//! test_dma_bridge (fact sheet 7.1): for every identified design with a DMA bridge, run the
//! enabled tests matching its interface over the channel combinations, verifying the LCG
//! pattern and timing populate, DMA and verify.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use identify_design::{design_filters, OpenedDesigns};
use vfio_access::timing::TransferTiming;
use vfio_access::{cli, DeviceArgs, DmaAccess, DmaBuffer, DmaCapability};
use xilinx_dma_bridge::descriptor::{descriptors_for, MAX_DESCRIPTOR_LEN, MAX_LENGTH_FIELD};
use xilinx_dma_bridge::designs::{dma_designs, DmaDesign};
use xilinx_dma_bridge::discovery::{discover_channels, stream_partner};
use xilinx_dma_bridge::mapping::descriptors_mapping_bytes;
use xilinx_dma_bridge::options::{c_int_pair_parser, c_int_parser};
use xilinx_dma_bridge::pattern::iterations_for;
use xilinx_dma_bridge::{
    ChannelConfig, Completion, Direction, DmaChannel, OverallSuccess, SubAllocator, TestPattern,
};

const TEST_NAMES: [&str; 5] = [
    "memory_fixed_buffers",
    "stream_fixed_buffers",
    "stream_fixed_buffers_c2h_continuous",
    "memory_variable_transfers",
    "stream_variable_transfers",
];

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_bridge",
    about = "Test Xilinx DMA/Bridge Subsystem for PCI Express",
    after_help = "Test names: memory_fixed_buffers, stream_fixed_buffers, stream_fixed_buffers_c2h_continuous, memory_variable_transfers, stream_variable_transfers"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Devices with a DMA bridge get 32-bit-only DMA capability (IOVAs < 4 GiB).
    #[arg(long)]
    a32: bool,

    /// Maximum fixed buffer size, 1..0x0FFFFFFF.
    #[arg(long = "max-buffer-size", alias = "max_buffer_size", value_name = "SIZE",
          default_value = "0x8000000", value_parser = c_int_parser("max_buffer_size"))]
    max_buffer_size: u64,

    /// Cap on H2C/C2H combinations tested per test.
    #[arg(
        long = "max-channel-combinations",
        alias = "max_channel_combinations",
        value_name = "COUNT",
        default_value_t = 16
    )]
    max_channel_combinations: usize,

    /// Host mapping sizes `<h2c>,<c2h>` for the stream tests.
    #[arg(long = "stream-mapping-size", alias = "stream_mapping_size", value_name = "H2C,C2H",
          default_value = "0x40000000,0x40000000", value_parser = c_int_pair_parser("stream_mapping_size"))]
    stream_mapping_size: (u64, u64),

    /// Ring sizes `<h2c>,<c2h>` for the fixed-buffer stream tests.
    #[arg(long = "stream-num-descriptors", alias = "stream_num_descriptors", value_name = "H2C,C2H",
          default_value = "64,64", value_parser = c_int_pair_parser("stream_num_descriptors"))]
    stream_num_descriptors: (u64, u64),

    /// Variable-transfer lengths `<h2c>,<c2h>`.
    #[arg(long = "transfer-length", alias = "transfer_length", value_name = "H2C,C2H",
          default_value = "0x10000000,0x10000000", value_parser = c_int_pair_parser("transfer_length"))]
    transfer_length: (u64, u64),

    /// Alignment of C2H stream buffers and transfers.
    #[arg(long = "stream-axi-width-bytes", alias = "stream_axi_width_bytes", value_name = "BYTES",
          default_value = "16", value_parser = c_int_parser("stream_axi_width_bytes"))]
    stream_axi_width_bytes: u64,

    /// Comma-separated tests to run (default all five).
    #[arg(long = "enabled-tests", alias = "enabled_tests", value_name = "NAMES")]
    enabled_tests: Option<String>,

    /// Test at most this many bytes of card memory (CI-sized runs).
    #[arg(long = "card-memory-limit", alias = "card_memory_limit", value_name = "SIZE",
          value_parser = c_int_parser("card_memory_limit"))]
    card_memory_limit: Option<u64>,

    /// Iterations per test (default: until 2^32 words have been tested).
    #[arg(long, value_name = "COUNT")]
    iterations: Option<u64>,

    /// Per-transfer timeout in seconds.
    #[arg(
        long = "timeout-seconds",
        alias = "timeout_seconds",
        default_value_t = 10.0,
        hide = true
    )]
    timeout_seconds: f64,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// What a test needs besides the design.
struct Ctx<'a> {
    args: &'a Args,
}

/// The result of one test run over one channel combination.
struct Outcome {
    h2c: Option<String>,
    c2h: Option<String>,
    timings: Vec<TransferTiming>,
    alloc_failed: bool,
}

fn validate(args: &Args) -> Result<Vec<&'static str>, String> {
    if args.max_buffer_size == 0 || args.max_buffer_size > MAX_LENGTH_FIELD {
        return Err(format!("Invalid max_buffer_size {}", args.max_buffer_size));
    }
    let (h, c) = args.stream_mapping_size;
    if h < 4 || c < 4 || h % 4 != 0 || c % 4 != 0 {
        return Err("stream_mapping_size not a multiple of words".into());
    }
    let (h, c) = args.stream_num_descriptors;
    if h == 0 || c == 0 {
        return Err(format!("Invalid stream_num_descriptors {h},{c}"));
    }
    let (h, c) = args.transfer_length;
    if h == 0 || c == 0 {
        return Err(format!("Invalid transfer_length {h},{c}"));
    }
    if args.stream_axi_width_bytes == 0 {
        return Err("Invalid stream_axi_width_bytes 0".into());
    }
    match &args.enabled_tests {
        None => Ok(TEST_NAMES.to_vec()),
        Some(list) => {
            let mut enabled = Vec::new();
            for name in list.split(',').filter(|s| !s.is_empty()) {
                match TEST_NAMES.iter().find(|t| **t == name) {
                    Some(t) => enabled.push(*t),
                    None => return Err(format!("enabled_tests contains unknown test name {name}")),
                }
            }
            Ok(TEST_NAMES
                .iter()
                .copied()
                .filter(|t| enabled.contains(t))
                .collect())
        }
    }
}

fn run(args: &Args) -> anyhow::Result<bool> {
    let enabled = match validate(args) {
        Ok(e) => e,
        Err(m) => {
            println!("{m}");
            return Ok(false);
        }
    };
    let mut filters = design_filters();
    if args.a32 {
        for f in filters.iter_mut() {
            if f.dma_capability.does_dma() {
                f.dma_capability = DmaCapability::A32;
            }
        }
    }
    let opened = OpenedDesigns::identify(
        identify_design::open_devices(&args.device, &filters).context("opening devices")?,
    );
    let ctx = Ctx { args };
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
                .take(args.max_channel_combinations)
                .collect()
        } else {
            (0..nh as u8)
                .flat_map(|h| (0..nc as u8).map(move |c| (h, c)))
                .take(args.max_channel_combinations)
                .collect()
        };
        for test in &enabled {
            if test.starts_with("stream") != stream {
                continue;
            }
            println!("{}", d.testing_header());
            println!("{}", d.pci_text());
            for &(h, c) in &combos {
                let outcome = match *test {
                    "memory_fixed_buffers" => memory_fixed_buffers(&ctx, &d, h, c),
                    "stream_fixed_buffers" => stream_fixed_buffers(&ctx, &d, h, c, false),
                    "stream_fixed_buffers_c2h_continuous" => {
                        stream_fixed_buffers(&ctx, &d, h, c, true)
                    }
                    "memory_variable_transfers" => memory_variable_transfers(&ctx, &d, h, c),
                    _ => stream_variable_transfers(&ctx, &d, h, c),
                };
                overall &= report(&outcome);
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

/// Prints the timing blocks and the verdict of one test; true when it passed.
fn report(o: &Outcome) -> bool {
    if o.alloc_failed {
        println!("TEST FAIL : allocate_vfio_dma_mapping()");
        return false;
    }
    if o.h2c.is_none() && o.c2h.is_none() {
        for t in &o.timings {
            print!("{t}");
        }
        println!("TEST PASS");
        true
    } else {
        println!("TEST FAIL:");
        if let Some(m) = &o.h2c {
            println!("  H2C failure : {m}");
        }
        if let Some(m) = &o.c2h {
            println!("  C2H failure : {m}");
        }
        false
    }
}

/// The three mappings of a test.
struct Mappings {
    descriptors: SubAllocator,
    h2c: Arc<DmaBuffer>,
    c2h: Arc<DmaBuffer>,
}

fn allocate(d: &DmaDesign, descriptors: usize, h2c: u64, c2h: u64) -> Option<Mappings> {
    let alloc = |size: u64, access| match d.device.alloc_dma(size as usize, access) {
        Ok(b) => Some(Arc::new(b)),
        Err(e) => {
            println!("{e}");
            None
        }
    };
    Some(Mappings {
        descriptors: SubAllocator::new(alloc(descriptors as u64, DmaAccess::READ_WRITE)?),
        h2c: alloc(h2c, DmaAccess::READ)?,
        c2h: alloc(c2h, DmaAccess::WRITE)?,
    })
}

fn alloc_failed() -> Outcome {
    Outcome {
        h2c: None,
        c2h: None,
        timings: Vec::new(),
        alloc_failed: true,
    }
}

fn finish(mut h2c: DmaChannel, mut c2h: DmaChannel, timings: Vec<TransferTiming>) -> Outcome {
    h2c.finalise();
    c2h.finalise();
    Outcome {
        h2c: h2c.failure(),
        c2h: c2h.failure(),
        timings,
        alloc_failed: false,
    }
}

fn card_memory(ctx: &Ctx, d: &DmaDesign) -> u64 {
    let m = d.bridge.memory_size;
    ctx.args.card_memory_limit.map_or(m, |l| m.min(l)) / 4 * 4
}

fn iterations(ctx: &Ctx, words_per_iteration: u64) -> u64 {
    ctx.args
        .iterations
        .unwrap_or_else(|| iterations_for(words_per_iteration))
}

fn timings(bytes: u64) -> [TransferTiming; 3] {
    [
        TransferTiming::new("populate test pattern", bytes),
        TransferTiming::new("host-to-card and card-to-host DMA", bytes),
        TransferTiming::new("verify test pattern", bytes),
    ]
}

fn any_failed(a: &DmaChannel, b: &DmaChannel) -> bool {
    a.failed() || b.failed()
}

fn mismatch_text(prefix: &str, m: xilinx_dma_bridge::pattern::Mismatch) -> String {
    format!(
        "{prefix}word[{}] actual=0x{:x} expected=0x{:x}",
        m.index, m.actual, m.expected
    )
}

fn memory_fixed_buffers(ctx: &Ctx, d: &DmaDesign, h: u8, c: u8) -> Outcome {
    let mem = card_memory(ctx, d);
    let (n, bpb) = if mem < ctx.args.max_buffer_size {
        (1u64, mem)
    } else {
        let bpb = ctx.args.max_buffer_size / 4 * 4;
        (mem / bpb, bpb)
    };
    println!(
        "\nTesting using {n} buffers of size 0x{bpb:x} bytes, H2C channel {h} C2H channel {c}"
    );
    let Some(mut maps) = allocate(
        d,
        2 * descriptors_mapping_bytes(n as usize, false),
        mem,
        mem,
    ) else {
        return alloc_failed();
    };
    let overall = OverallSuccess::new();
    let config = |direction, id| ChannelConfig {
        num_descriptors: n as u32,
        bytes_per_buffer: bpb,
        timeout_seconds: ctx.args.timeout_seconds,
        ..ChannelConfig::new(direction, id, d.bridge.memory_size, d.bridge.bar)
    };
    let mut h2c = DmaChannel::init(
        d.device,
        config(Direction::H2C, h),
        &mut maps.descriptors,
        Arc::clone(&maps.h2c),
        &overall,
    );
    let mut c2h = DmaChannel::init(
        d.device,
        config(Direction::C2H, c),
        &mut maps.descriptors,
        Arc::clone(&maps.c2h),
        &overall,
    );
    let bytes = n * bpb;
    let [mut populate, mut dma, mut verify] = timings(bytes);
    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    for _ in 0..iterations(ctx, bytes / 4) {
        if any_failed(&h2c, &c2h) {
            break;
        }
        populate.start();
        tx.populate(&maps.h2c, 0, (bytes / 4) as usize);
        populate.stop();
        dma.start();
        let (mut h_started, mut h_done, mut c_done) = (0u64, 0u64, 0u64);
        while c_done < n && !any_failed(&h2c, &c2h) {
            let mut progress = false;
            if h_started < n && h2c.get_next_h2c_buffer().is_some() {
                h2c.start_populated();
                h_started += 1;
                progress = true;
            }
            if let Some(done) = h2c.poll_completed() {
                check_fixed(&mut h2c, done, h_done, bpb);
                h_done += 1;
                c2h.start_next_c2h_buffer();
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                check_fixed(&mut c2h, done, c_done, bpb);
                c_done += 1;
                progress = true;
            }
            if !progress {
                std::thread::yield_now();
            }
        }
        dma.stop();
        if any_failed(&h2c, &c2h) {
            break;
        }
        verify.start();
        let r = rx.verify(&maps.c2h, 0, (bytes / 4) as usize);
        verify.stop();
        if let Err(m) = r {
            c2h.record_failure(mismatch_text("DDR ", m));
        }
    }
    finish(h2c, c2h, vec![populate, dma, verify])
}

/// Checks a fixed-buffer completion: full length and buffer order.
fn check_fixed(ch: &mut DmaChannel, done: Completion, index: u64, bpb: u64) {
    let n = u64::from(ch.num_descriptors());
    if done.len != bpb {
        ch.record_failure("Assertion failed: transfer_len == bytes_per_buffer");
    } else if done.host_offset as u64 != (index % n) * bpb {
        ch.record_failure("Assertion failed: buffer returned out of order");
    }
}

fn stream_fixed_buffers(ctx: &Ctx, d: &DmaDesign, h: u8, c: u8, continuous: bool) -> Outcome {
    let (map_h, map_c) = ctx.args.stream_mapping_size;
    let (n_h, n_c) = ctx.args.stream_num_descriptors;
    let w = ctx.args.stream_axi_width_bytes;
    let size_h = map_h / n_h / 4 * 4;
    let size_c = map_c / n_c / w * w;
    let per_packet = if size_c == 0 {
        0
    } else {
        size_h.div_ceil(size_c)
    };
    let packets = n_c
        .checked_div(per_packet)
        .map_or(0, |p| p.min(n_c).min(n_h));
    let c2h_per_iteration = packets * per_packet;
    let bytes = packets * size_h;
    println!(
        "\nTesting streams using H2C {n_h} buffers of size 0x{size_h:x} bytes, C2H {n_c} buffers of size 0x{size_c:x} bytes{}, H2C channel {h} C2H channel {c}",
        if continuous { " in continuous mode" } else { "" }
    );
    let Some(mut maps) = allocate(
        d,
        descriptors_mapping_bytes(n_h as usize, false)
            + descriptors_mapping_bytes(n_c as usize, true),
        map_h,
        map_c,
    ) else {
        return alloc_failed();
    };
    let overall = OverallSuccess::new();
    let mut h2c = DmaChannel::init(
        d.device,
        ChannelConfig {
            num_descriptors: n_h as u32,
            bytes_per_buffer: size_h,
            timeout_seconds: ctx.args.timeout_seconds,
            ..ChannelConfig::new(Direction::H2C, h, 0, d.bridge.bar)
        },
        &mut maps.descriptors,
        Arc::clone(&maps.h2c),
        &overall,
    );
    let mut c2h = DmaChannel::init(
        d.device,
        ChannelConfig {
            num_descriptors: n_c as u32,
            bytes_per_buffer: size_c,
            c2h_stream_continuous: continuous,
            timeout_seconds: ctx.args.timeout_seconds,
            ..ChannelConfig::new(Direction::C2H, c, 0, d.bridge.bar)
        },
        &mut maps.descriptors,
        Arc::clone(&maps.c2h),
        &overall,
    );
    if packets == 0 {
        h2c.record_failure("Assertion failed: h2c_packets_per_iteration > 0");
    }
    let [mut populate, mut dma, mut verify] = timings(bytes);
    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    let (mut h_index, mut c_index) = (0u64, 0u64);
    for _ in 0..iterations(ctx, bytes / 4) {
        if any_failed(&h2c, &c2h) {
            break;
        }
        populate.start();
        for k in 0..packets {
            let i = (h_index + k) % n_h;
            tx.populate(&maps.h2c, (i * size_h) as usize, (size_h / 4) as usize);
        }
        populate.stop();
        dma.start();
        if !continuous {
            for _ in 0..c2h_per_iteration {
                c2h.start_next_c2h_buffer();
            }
        }
        for k in 0..packets {
            match h2c.get_next_h2c_buffer() {
                Some(off) if off as u64 == ((h_index + k) % n_h) * size_h => h2c.start_populated(),
                _ => h2c.record_failure("Assertion failed: h2c_buffer != NULL"),
            }
        }
        let mut results: Vec<Completion> = Vec::new();
        let mut h_done = 0;
        while (h_done < packets || (results.len() as u64) < c2h_per_iteration)
            && !any_failed(&h2c, &c2h)
        {
            let mut progress = false;
            if let Some(done) = h2c.poll_completed() {
                if done.host_offset as u64 != ((h_index + h_done) % n_h) * size_h {
                    h2c.record_failure("Assertion failed: h2c_buffer == expected_h2c_buffer");
                }
                h_done += 1;
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                results.push(done);
                progress = true;
            }
            if !progress {
                std::thread::yield_now();
            }
        }
        dma.stop();
        if any_failed(&h2c, &c2h) {
            break;
        }
        verify.start();
        let mut r = results.iter();
        'packets: for _ in 0..packets {
            let mut remaining = size_h;
            while remaining > 0 {
                let Some(got) = r.next() else {
                    c2h.record_failure("Assertion failed: rx_buffer != NULL");
                    break 'packets;
                };
                let eop = remaining <= size_c;
                let len = if eop { remaining } else { size_c };
                let b = c_index % n_c;
                if got.host_offset as u64 != b * size_c {
                    c2h.record_failure("Assertion failed: rx_buffer->data == expected_data");
                    break 'packets;
                }
                if got.len != len {
                    c2h.record_failure(
                        "Assertion failed: rx_buffer->transfer_len == expected_transfer_len",
                    );
                    break 'packets;
                }
                if got.eop != Some(eop) {
                    c2h.record_failure(
                        "Assertion failed: rx_buffer->end_of_packet == expected_eop",
                    );
                    break 'packets;
                }
                if let Err(m) = rx.verify(&maps.c2h, got.host_offset, (len / 4) as usize) {
                    c2h.record_failure(format!(
                        "Rx word[{b}][{}] actual=0x{:x} expected=0x{:x}",
                        m.index, m.actual, m.expected
                    ));
                    break 'packets;
                }
                remaining -= len;
                c_index += 1;
            }
        }
        verify.stop();
        h_index += packets;
    }
    finish(h2c, c2h, vec![populate, dma, verify])
}

fn memory_variable_transfers(ctx: &Ctx, d: &DmaDesign, h: u8, c: u8) -> Outcome {
    let mem = card_memory(ctx, d);
    let (lh, lc) = ctx.args.transfer_length;
    let (len_h, len_c) = (lh.min(mem), lc.min(mem));
    let ring = |len: u64| (mem.div_ceil(len) * descriptors_for(len)).min(1023);
    let (ring_h, ring_c) = (ring(len_h), ring(len_c));
    println!("\nTesting using:");
    println!("  H2C channel {h} transfer length 0x{len_h:x} bytes with {ring_h} descriptors");
    println!("  C2H channel {c} transfer length 0x{len_c:x} bytes with {ring_c} descriptors");
    let Some(mut maps) = allocate(
        d,
        descriptors_mapping_bytes(ring_h as usize, false)
            + descriptors_mapping_bytes(ring_c as usize, false),
        mem,
        mem,
    ) else {
        return alloc_failed();
    };
    let overall = OverallSuccess::new();
    let config = |direction, id, n: u64| ChannelConfig {
        num_descriptors: n as u32,
        timeout_seconds: ctx.args.timeout_seconds,
        ..ChannelConfig::new(direction, id, mem, d.bridge.bar)
    };
    let mut h2c = DmaChannel::init(
        d.device,
        config(Direction::H2C, h, ring_h),
        &mut maps.descriptors,
        Arc::clone(&maps.h2c),
        &overall,
    );
    let mut c2h = DmaChannel::init(
        d.device,
        config(Direction::C2H, c, ring_c),
        &mut maps.descriptors,
        Arc::clone(&maps.c2h),
        &overall,
    );
    let [mut populate, mut dma, mut verify] = timings(mem);
    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    for _ in 0..iterations(ctx, mem / 4) {
        if any_failed(&h2c, &c2h) {
            break;
        }
        populate.start();
        tx.populate(&maps.h2c, 0, (mem / 4) as usize);
        populate.stop();
        dma.start();
        let (mut h_started, mut h_done, mut c_started, mut c_done) = (0u64, 0u64, 0u64, 0u64);
        while c_done < mem && !any_failed(&h2c, &c2h) {
            let mut progress = false;
            while h_started < mem {
                let len = len_h.min(mem - h_started);
                if h2c
                    .populate_mm_transfer(len, h_started, h_started)
                    .is_none()
                {
                    break;
                }
                h2c.start_populated();
                h_started += len;
                progress = true;
            }
            if let Some(done) = h2c.poll_completed() {
                if done.host_offset as u64 != h_done {
                    h2c.record_failure("Assertion failed: h2c_transfer == expected_h2c_transfer");
                }
                h_done += done.len;
                progress = true;
            }
            while c_started < h_done {
                let len = len_c.min(mem - c_started);
                if c_started + len > h_done
                    || c2h
                        .populate_mm_transfer(len, c_started, c_started)
                        .is_none()
                {
                    break;
                }
                c2h.start_populated();
                c_started += len;
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                if done.host_offset as u64 != c_done {
                    c2h.record_failure("Assertion failed: c2h_transfer == expected_c2h_transfer");
                }
                c_done += done.len;
                progress = true;
            }
            if !progress {
                std::thread::yield_now();
            }
        }
        dma.stop();
        if any_failed(&h2c, &c2h) {
            break;
        }
        verify.start();
        let r = rx.verify(&maps.c2h, 0, (mem / 4) as usize);
        verify.stop();
        if let Err(m) = r {
            c2h.record_failure(mismatch_text("DDR ", m));
        }
    }
    finish(h2c, c2h, vec![populate, dma, verify])
}

/// One planned stream transfer.
#[derive(Debug, Clone, Copy)]
struct Planned {
    offset: u64,
    len: u64,
    eop: bool,
}

fn stream_variable_transfers(ctx: &Ctx, d: &DmaDesign, h: u8, c: u8) -> Outcome {
    let w = ctx.args.stream_axi_width_bytes;
    let (map_h, map_c) = ctx.args.stream_mapping_size;
    let (lh, lc) = ctx.args.transfer_length;
    let (map_h, map_c) = (map_h / w * w, map_c / w * w);
    let max_h = lh.min(map_h) / w * w;
    let max_c = lc.min(map_c).min(MAX_DESCRIPTOR_LEN) / w * w;
    let bytes = map_h.min(map_c);
    const RING: u64 = 1023;
    println!("\nTesting streams with variable size buffers:");
    println!("  H2C mapping size 0x{map_h:x} max transfer length 0x{max_h:x} channel ID {h}");
    println!("  C2H mapping size 0x{map_c:x} max transfer length 0x{max_c:x} channel ID {c}");
    let Some(mut maps) = allocate(
        d,
        descriptors_mapping_bytes(RING as usize, false)
            + descriptors_mapping_bytes(RING as usize, true),
        map_h.max(4),
        map_c.max(4),
    ) else {
        return alloc_failed();
    };
    let overall = OverallSuccess::new();
    let config = |direction, id| ChannelConfig {
        num_descriptors: RING as u32,
        timeout_seconds: ctx.args.timeout_seconds,
        ..ChannelConfig::new(direction, id, 0, d.bridge.bar)
    };
    let mut h2c = DmaChannel::init(
        d.device,
        config(Direction::H2C, h),
        &mut maps.descriptors,
        Arc::clone(&maps.h2c),
        &overall,
    );
    let mut c2h = DmaChannel::init(
        d.device,
        config(Direction::C2H, c),
        &mut maps.descriptors,
        Arc::clone(&maps.c2h),
        &overall,
    );
    if max_h == 0 || max_c == 0 {
        h2c.record_failure("Assertion failed: max_transfer_length > 0");
    }
    let [mut populate, mut dma, mut verify] = timings(bytes);
    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    let (mut tx_at, mut rx_at) = (0u64, 0u64);
    for _ in 0..iterations(ctx, bytes / 4) {
        if any_failed(&h2c, &c2h) {
            break;
        }
        let mut tx_plan = Vec::new();
        let mut rx_plan = Vec::new();
        let mut planned = 0;
        while planned < bytes {
            if tx_at == map_h {
                tx_at = 0;
            }
            let len = max_h.min(bytes - planned).min(map_h - tx_at);
            tx_plan.push(Planned {
                offset: tx_at,
                len,
                eop: true,
            });
            let mut left = len;
            while left > 0 {
                if rx_at == map_c {
                    rx_at = 0;
                }
                let piece = max_c.min(left).min(map_c - rx_at);
                left -= piece;
                rx_plan.push(Planned {
                    offset: rx_at,
                    len: piece,
                    eop: left == 0,
                });
                rx_at += piece;
            }
            tx_at += len;
            planned += len;
        }
        populate.start();
        for t in &tx_plan {
            tx.populate(&maps.h2c, t.offset as usize, (t.len / 4) as usize);
        }
        populate.stop();
        dma.start();
        let (mut tx_started, mut rx_started, mut tx_done, mut rx_done) = (0, 0, 0, 0);
        while (tx_done < tx_plan.len() || rx_done < rx_plan.len()) && !any_failed(&h2c, &c2h) {
            let mut progress = false;
            while rx_started < rx_plan.len() {
                let p = rx_plan[rx_started];
                if c2h.populate_stream_transfer(p.len, p.offset).is_none() {
                    break;
                }
                c2h.start_populated();
                rx_started += 1;
                progress = true;
            }
            while tx_started < tx_plan.len() {
                let p = tx_plan[tx_started];
                if h2c.populate_stream_transfer(p.len, p.offset).is_none() {
                    break;
                }
                h2c.start_populated();
                tx_started += 1;
                progress = true;
            }
            if let Some(done) = h2c.poll_completed() {
                let p = tx_plan[tx_done];
                if done.len != p.len || done.host_offset as u64 != p.offset {
                    h2c.record_failure("Assertion failed: h2c completion == planned transfer");
                }
                tx_done += 1;
                progress = true;
            }
            if let Some(done) = c2h.poll_completed() {
                let p = rx_plan[rx_done];
                if done.len != p.len {
                    c2h.record_failure(
                        "Assertion failed: rx_buffer->transfer_len == expected_transfer_len",
                    );
                } else if done.eop != Some(p.eop) {
                    c2h.record_failure(
                        "Assertion failed: rx_buffer->end_of_packet == expected_eop",
                    );
                } else if done.host_offset as u64 != p.offset {
                    c2h.record_failure("Assertion failed: rx_buffer->data == expected_data");
                }
                rx_done += 1;
                progress = true;
            }
            if !progress {
                std::thread::yield_now();
            }
        }
        dma.stop();
        if any_failed(&h2c, &c2h) {
            break;
        }
        verify.start();
        for (b, p) in rx_plan.iter().enumerate() {
            if let Err(m) = rx.verify(&maps.c2h, p.offset as usize, (p.len / 4) as usize) {
                c2h.record_failure(format!(
                    "Rx word[{b}][{}] actual=0x{:x} expected=0x{:x}",
                    m.index, m.actual, m.expected
                ));
                break;
            }
        }
        verify.stop();
    }
    finish(h2c, c2h, vec![populate, dma, verify])
}
