//! test_dma_descriptor_credits (fact sheet 7.3): proves that a credit-gated descriptor ring
//! lets software append work to a running engine. Uses the raw register interface (not the
//! ring driver of the library): an optional VFIO reset test, the credit increment test, then
//! the memory-mapped ring test or the two stream ring tests (0->1, 1->0), per design.
//!
//! Unlike the original, the exit status is non-zero when any design fails.

use std::collections::VecDeque;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use identify_design::{design_filters, OpenedDesigns};
use vfio_access::mmio::Mmio;
use vfio_access::{cli, signals, DeviceArgs, DmaAccess, DmaBuffer, DmaCapability};
use xilinx_dma_bridge::descriptor::*;
use xilinx_dma_bridge::designs::{dma_designs, DmaDesign};
use xilinx_dma_bridge::discovery::{
    channel_registers, discover_channels, map_dma_window, stream_partner, ChannelRegisters,
};
use xilinx_dma_bridge::mapping::{round_up_64, Region, SubAllocator};
use xilinx_dma_bridge::options::parse_c_int;
use xilinx_dma_bridge::registers::*;
use xilinx_dma_bridge::{Direction, TestPattern};

/// Descriptors per ring (the maximum number of credits).
const RING: u64 = MAX_CREDITS as u64;
/// Bytes per descriptor (the original's getpagesize()).
const PAGE: u64 = 4096;
const PAGE_WORDS: u64 = PAGE / 4;
/// H2C descriptors populated per credit write in the memory-mapped ring test.
const MM_GROUP: u64 = 5;
/// Mismatched words printed before the rest are only counted.
const MAX_MISMATCH_LINES: u64 = 10;
/// How long to wait for Busy to clear after Run is cleared.
const IDLE_WAIT: Duration = Duration::from_secs(1);

#[derive(Parser, Debug)]
#[command(
    name = "test_dma_descriptor_credits",
    about = "Test descriptor credits of the Xilinx DMA/Bridge Subsystem for PCI Express",
    override_usage = "test_dma_descriptor_credits -d <pci_device_location> -o <descriptors_iova_offset,h2c_data_iova_offset,c2h_data_iova_offset> [-3] [-r]"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Add offsets to the IOVAs given to the card (to provoke IOMMU faults):
    /// `<descriptors_iova_offset>,<h2c_data_iova_offset>,<c2h_data_iova_offset>`.
    #[arg(short = 'o', value_name = "OFFSETS", value_parser = parse_offsets)]
    iova_offsets: Option<[u64; 3]>,

    /// Devices with a DMA bridge get 32-bit-only DMA capability (IOVAs < 4 GiB).
    #[arg(short = '3')]
    a32: bool,

    /// Run the VFIO reset test first.
    #[arg(short = 'r')]
    reset_test: bool,

    /// Cap on the total descriptors of the memory-mapped ring test (default 3 * 1023).
    #[arg(long = "mm-descriptors", alias = "mm_descriptors", value_name = "COUNT",
          default_value_t = 3 * RING, value_parser = clap::value_parser!(u64).range(1..))]
    mm_descriptors: u64,

    /// Messages per stream ring test (default 3069).
    #[arg(long = "stream-messages", alias = "stream_messages", value_name = "COUNT",
          default_value_t = 3 * RING, value_parser = clap::value_parser!(u64).range(1..))]
    stream_messages: u64,

    /// Test timeout in seconds.
    #[arg(
        long = "timeout-seconds",
        alias = "timeout_seconds",
        default_value_t = 10.0,
        hide = true
    )]
    timeout_seconds: f64,
}

fn parse_offsets(text: &str) -> Result<[u64; 3], String> {
    let invalid = || format!("Invalid IOVA offsets {text}");
    let parts: Vec<u64> = text
        .split(',')
        .map(|p| parse_c_int(p).ok_or_else(invalid))
        .collect::<Result<_, _>>()?;
    parts.try_into().map_err(|_| invalid())
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| run(&args))
}

fn run(args: &Args) -> anyhow::Result<()> {
    signals::interrupt_flag();
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
    let mut failed = 0;
    let designs = dma_designs(&opened);
    for d in &designs {
        if d.bridge.is_stream() {
            println!("Testing DMA bridge bar {} AXI Stream", d.bridge.bar);
        } else {
            println!(
                "Testing DMA bridge bar {} memory size 0x{:x}",
                d.bridge.bar, d.bridge.memory_size
            );
        }
        let pass = test_design(args, d);
        println!("Test: {}", if pass { "PASS" } else { "FAIL" });
        if !pass {
            failed += 1;
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} designs failed", designs.len());
    }
    Ok(())
}

fn test_design(args: &Args, d: &DmaDesign) -> bool {
    let offsets = args.iova_offsets.unwrap_or([0; 3]);
    if args.iova_offsets.is_some() && uses_physical_memory(d) {
        println!(
            "Applying IOVA offsets is disabled when physical memory is used, as may crash the PC"
        );
        return false;
    }
    let bar = match map_dma_window(d.device, d.bridge.bar) {
        Ok(b) => b,
        Err(m) => {
            println!("{m}");
            return false;
        }
    };
    let stream = d.bridge.is_stream();
    let h2c0 = match channel_registers(&bar, Direction::H2C, 0, stream) {
        Ok(r) => r,
        Err(m) => {
            println!("{m}");
            return false;
        }
    };
    let ctx = Ctx {
        args,
        design: d,
        offsets,
    };
    if args.reset_test && !reset_test(d, &h2c0) {
        return false;
    }
    if !credit_increment_test(&h2c0) {
        return false;
    }
    if stream {
        let channels = discover_channels(d.device, d.bridge.bar, true);
        let (nh, nc) = (channels.h2c.len(), channels.c2h.len());
        if nh == 0 || nc == 0 {
            println!("No stream channels: num_h2c_channels={nh} num_c2h_channels={nc}");
            return false;
        }
        let mut pass = true;
        for h in 0..nh.min(2) as u8 {
            pass &= stream_ring_test(&ctx, &bar, h, stream_partner(h, nc));
        }
        pass
    } else {
        mm_ring_test(&ctx, &bar)
    }
}

/// No IOMMU: a real device whose group is only available as `/dev/vfio/noiommu-<n>`.
fn uses_physical_memory(d: &DmaDesign) -> bool {
    if d.device.is_simulated() {
        return false;
    }
    let group = d.device.iommu_group();
    !Path::new(&format!("/dev/vfio/{group}")).exists()
        && Path::new(&format!("/dev/vfio/noiommu-{group}")).exists()
}

struct Ctx<'a> {
    args: &'a Args,
    design: &'a DmaDesign<'a>,
    offsets: [u64; 3],
}

impl Ctx<'_> {
    fn timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.args.timeout_seconds).unwrap_or(Duration::MAX)
    }

    /// A zeroed DMA mapping; with `-o`, the IOVA range the card is given is reported.
    fn alloc(&self, name: &str, bytes: u64, access: DmaAccess, offset: u64) -> Option<Mapping> {
        match self.design.device.alloc_dma(bytes as usize, access) {
            Ok(b) => {
                let start = b.iova();
                let last = start + b.len() as u64 - 1;
                if self.args.iova_offsets.is_some() {
                    println!(
                        "Changing {name} IOVA 0x{start:x}..0x{last:x} -> 0x{:x}..0x{:x}",
                        start.wrapping_add(offset),
                        last.wrapping_add(offset)
                    );
                }
                Some(Mapping {
                    buffer: Arc::new(b),
                    offset,
                })
            }
            Err(e) => {
                println!("{e}");
                None
            }
        }
    }
}

/// A DMA mapping and the offset added to the IOVAs the card is given.
struct Mapping {
    buffer: Arc<DmaBuffer>,
    offset: u64,
}

impl Mapping {
    /// The IOVA given to the card for byte `at` of the mapping.
    fn card_iova(&self, at: u64) -> u64 {
        self.buffer
            .iova()
            .wrapping_add(at)
            .wrapping_add(self.offset)
    }
}

/// The common-register bit of a channel.
fn common_bit(r: &ChannelRegisters) -> u32 {
    match r.direction {
        Direction::H2C => 1 << r.channel_id,
        Direction::C2H => 1 << (16 + r.channel_id),
    }
}

fn status(r: &ChannelRegisters) -> u32 {
    r.bar.read32(r.channel_base + CH_STATUS)
}

fn credits(r: &ChannelRegisters) -> u32 {
    r.bar.read32(r.sgdma_base + SG_DESCRIPTOR_CREDITS)
}

fn add_credits(r: &ChannelRegisters, n: u32) {
    fence(Ordering::Release);
    r.bar.write32(r.sgdma_base + SG_DESCRIPTOR_CREDITS, n);
}

fn set_run(r: &ChannelRegisters) {
    r.bar.write32(r.channel_base + CH_CONTROL_W1S, CONTROL_RUN);
}

/// Clears Run and waits (bounded) for Busy to clear.
fn stop(r: &ChannelRegisters) {
    r.bar.write32(r.channel_base + CH_CONTROL_W1C, CONTROL_RUN);
    let deadline = Instant::now() + IDLE_WAIT;
    while status(r) & STATUS_BUSY != 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

/// `  control <8 hex>  status <8 hex>  credits <4 hex>  addr <16 hex>`, and whether all are 0.
fn snapshot(r: &ChannelRegisters) -> (String, bool) {
    let control = r.bar.read32(r.channel_base + CH_CONTROL);
    let status = status(r);
    let credits = credits(r);
    let addr = r.bar.read64_split(r.channel_base + CH_POLL_WB_ADDR);
    (
        format!(
            "  control {control:08x}  status {status:08x}  credits {credits:04x}  addr {addr:016x}"
        ),
        control == 0 && status == 0 && credits == 0 && addr == 0,
    )
}

/// Register snapshots after open, after setting values and after a VFIO reset, which must
/// return them all to 0.
fn reset_test(d: &DmaDesign, r: &ChannelRegisters) -> bool {
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
fn credit_increment_test(r: &ChannelRegisters) -> bool {
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

/// A raw 1023-descriptor ring on one channel, credit mode on, running.
struct Ring {
    regs: ChannelRegisters,
    descriptors: Arc<DmaBuffer>,
    ring: Region,
    completed_word: Region,
    stream_wb: Option<Region>,
    /// Descriptors credited so far.
    started: u64,
    /// Descriptors completed so far (from the 24-bit writeback count).
    completed: u64,
    last_count: u32,
    /// The writeback reported STS_ERR.
    error: bool,
}

impl Ring {
    /// Ring initialisation of 7.3, in the original's order.
    fn init(
        regs: ChannelRegisters,
        descriptors: &Mapping,
        alloc: &mut SubAllocator,
    ) -> Result<Self, String> {
        let stream = regs.bar.read32(regs.channel_base + CH_IDENTIFIER) & (1 << 15) != 0;
        let c2h = regs.direction == Direction::C2H;
        let buf = Arc::clone(&descriptors.buffer);
        let stream_wb = if stream && c2h {
            Some(alloc.allocate(RING as usize * STREAM_WB_BYTES)?)
        } else {
            None
        };
        let ring = alloc.allocate(RING as usize * DESCRIPTOR_BYTES)?;
        let completed_word = alloc.allocate(4)?;
        for i in 0..RING as usize {
            let at = ring.offset + i * DESCRIPTOR_BYTES;
            buf.write_u32(at + OFF_CONTROL, MAGIC | CONTROL_COMPLETED);
            buf.write_u32(at + OFF_LENGTH, 0);
            let src = stream_wb.as_ref().map_or(0, |wb| {
                descriptors.card_iova((wb.offset + i * STREAM_WB_BYTES) as u64)
            });
            buf.write_u64(at + OFF_SRC, src);
            buf.write_u64(at + OFF_DST, 0);
            let next = ring.offset + ((i + 1) % RING as usize) * DESCRIPTOR_BYTES;
            buf.write_u64(at + OFF_NEXT, descriptors.card_iova(next as u64));
        }
        let bar = &regs.bar;
        bar.write64_split(
            regs.channel_base + CH_POLL_WB_ADDR,
            descriptors.card_iova(completed_word.offset as u64),
        );
        bar.write64_split(
            regs.sgdma_base + SG_DESCRIPTOR_ADDR,
            descriptors.card_iova(ring.offset as u64),
        );
        bar.write32(regs.sgdma_base + SG_DESCRIPTOR_ADJACENT, 0);
        bar.write32(
            regs.channel_base + CH_CONTROL,
            if c2h {
                CONTROL_INIT_C2H
            } else {
                CONTROL_INIT_H2C
            },
        );
        let bit = common_bit(&regs);
        bar.write32(regs.common_base + COMMON_CREDIT_ENABLE_W1S, bit);
        bar.write32(regs.common_base + COMMON_DSC_CONTROL_W1C, bit);
        fence(Ordering::Release);
        set_run(&regs);
        Ok(Self {
            regs,
            descriptors: buf,
            ring,
            completed_word,
            stream_wb,
            started: 0,
            completed: 0,
            last_count: 0,
            error: false,
        })
    }

    fn desc_at(&self, index: u64) -> usize {
        self.ring.offset + (index % RING) as usize * DESCRIPTOR_BYTES
    }

    /// Sets length, addresses and control of the descriptor used by transfer `index`.
    fn populate(&self, index: u64, len: u64, src: u64, dst: u64, eop: bool) {
        let at = self.desc_at(index);
        let b = &self.descriptors;
        b.write_u32(at + OFF_LENGTH, len as u32);
        if self.stream_wb.is_none() {
            b.write_u64(at + OFF_SRC, src);
        }
        b.write_u64(at + OFF_DST, dst);
        let eop = if eop { CONTROL_EOP } else { 0 };
        b.write_u32(at + OFF_CONTROL, MAGIC | CONTROL_COMPLETED | eop);
    }

    fn credit(&mut self, n: u64) {
        add_credits(&self.regs, n as u32);
        self.started += n;
    }

    /// Reads the completed-count writeback.
    fn poll(&mut self) {
        let wb = self.descriptors.read_u32(self.completed_word.offset);
        fence(Ordering::Acquire);
        let count = wb & WB_COUNT_MASK;
        self.completed += u64::from(count.wrapping_sub(self.last_count) & WB_COUNT_MASK);
        self.last_count = count;
        self.error |= wb & WB_STS_ERR != 0;
    }

    fn in_flight(&self) -> u64 {
        self.started - self.completed
    }

    /// `<H2C|C2H> descriptors to complete (started <n> completed <n> channel_status 0x<s>)`.
    fn waiting_text(&self) -> String {
        let s = status(&self.regs);
        format!(
            "{} descriptors to complete (started {} completed {} channel_status 0x{s:x})",
            direction_name(self.regs.direction),
            self.started,
            self.completed,
        )
    }

    /// The Status names, for the line after a failure.
    fn status_text(&self) -> String {
        let s = status(&self.regs);
        format!(
            "  {} channel {} status 0x{s:x}: {}",
            direction_name(self.regs.direction),
            self.regs.channel_id,
            status_names(s, self.regs.direction == Direction::C2H)
        )
    }

    /// `Test timeout waiting for ...` with the decoded status.
    fn report_timeout(&self) {
        println!("Test timeout waiting for {}", self.waiting_text());
        println!("{}", self.status_text());
    }

    fn report_error(&self) {
        println!(
            "Error reported in descriptor write back waiting for {}",
            self.waiting_text()
        );
        println!("{}", self.status_text());
    }

    /// Reads and clears the C2H stream writeback of transfer `index`: (magic/EOP word, length).
    fn take_stream_wb(&self, index: u64) -> (u32, u32) {
        let wb = self.stream_wb.as_ref().map_or(0, |w| w.offset) + (index % RING) as usize * 8;
        let v = (
            self.descriptors.read_u32(wb),
            self.descriptors.read_u32(wb + 4),
        );
        self.descriptors.write_u64(wb, 0);
        v
    }

    fn stop(&self) {
        stop(&self.regs);
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::H2C => "H2C",
        Direction::C2H => "C2H",
    }
}

/// Descriptors mapping for one H2C/C2H pair.
fn descriptors_bytes(c2h_stream: bool) -> u64 {
    let ring = (round_up_64(RING as usize * DESCRIPTOR_BYTES) + 64) as u64;
    let wb = if c2h_stream {
        round_up_64(RING as usize * STREAM_WB_BYTES) as u64
    } else {
        0
    };
    2 * ring + wb
}

/// Initialises the H2C ring then the C2H ring in one descriptors mapping.
fn init_pair(ctx: &Ctx, bar: &Mmio, h: u8, c: u8, stream: bool) -> Option<(Mapping, Ring, Ring)> {
    let regs = |dir, ch| match channel_registers(bar, dir, ch, stream) {
        Ok(r) => Some(r),
        Err(m) => {
            println!("{m}");
            None
        }
    };
    let h2c_regs = regs(Direction::H2C, h)?;
    let c2h_regs = regs(Direction::C2H, c)?;
    let descriptors = ctx.alloc(
        "descriptors",
        descriptors_bytes(stream),
        DmaAccess::READ_WRITE,
        ctx.offsets[0],
    )?;
    let mut alloc = SubAllocator::new(Arc::clone(&descriptors.buffer));
    let init = |regs, alloc: &mut SubAllocator| {
        Ring::init(regs, &descriptors, alloc)
            .map_err(|m| println!("{m}"))
            .ok()
    };
    let h2c = init(h2c_regs, &mut alloc)?;
    let c2h = match init(c2h_regs, &mut alloc) {
        Some(r) => r,
        None => {
            h2c.stop();
            return None;
        }
    };
    Some((descriptors, h2c, c2h))
}

/// Fills `bytes` of `buffer` from `offset` with the next pattern words, inverted when asked.
fn write_pattern(pattern: &mut TestPattern, buffer: &DmaBuffer, bytes: u64, invert: bool) {
    if !invert {
        pattern.populate(buffer, 0, (bytes / 4) as usize);
        return;
    }
    let mut chunk = vec![0u8; 64 << 10];
    let mut at = 0usize;
    while (at as u64) < bytes {
        let n = ((bytes - at as u64) as usize).min(chunk.len());
        let c = &mut chunk[..n];
        pattern.fill_bytes(c);
        c.iter_mut().for_each(|b| *b = !*b);
        buffer.write_bytes(at, c);
        at += n;
    }
}

/// Channel 0 both directions, one page per descriptor, H2C credited in groups of 5 and
/// each C2H page credited as soon as its H2C page has completed.
fn mm_ring_test(ctx: &Ctx, bar: &Mmio) -> bool {
    let total = (ctx.design.bridge.memory_size / PAGE).min(ctx.args.mm_descriptors);
    let bytes = total * PAGE;
    println!(
        "Testing {bytes} bytes of card memory, using rings with {RING} descriptors, and a total of {total} descriptors"
    );
    let Some((_descriptors, mut h2c, mut c2h)) = init_pair(ctx, bar, 0, 0, false) else {
        return false;
    };
    let Some(h2c_data) = ctx.alloc("h2c_data", bytes, DmaAccess::READ, ctx.offsets[1]) else {
        h2c.stop();
        c2h.stop();
        return false;
    };
    let Some(c2h_data) = ctx.alloc("c2h_data", bytes, DmaAccess::WRITE, ctx.offsets[2]) else {
        h2c.stop();
        c2h.stop();
        return false;
    };
    write_pattern(&mut TestPattern::new(0), &h2c_data.buffer, bytes, false);
    write_pattern(&mut TestPattern::new(0), &c2h_data.buffer, bytes, true);

    let deadline = Instant::now() + ctx.timeout();
    let mut pass = true;
    while c2h.completed < total {
        h2c.poll();
        c2h.poll();
        if h2c.error || c2h.error {
            let failed = if h2c.error { &h2c } else { &c2h };
            failed.report_error();
            pass = false;
            break;
        }
        let n = MM_GROUP
            .min(total - h2c.started)
            .min(RING - h2c.in_flight());
        if n > 0 && (n == MM_GROUP || h2c.started + n == total) {
            for i in h2c.started..h2c.started + n {
                h2c.populate(i, PAGE, h2c_data.card_iova(i * PAGE), i * PAGE, false);
            }
            h2c.credit(n);
        }
        while c2h.started < h2c.completed && c2h.in_flight() < RING {
            let i = c2h.started;
            c2h.populate(i, PAGE, i * PAGE, c2h_data.card_iova(i * PAGE), false);
            c2h.credit(1);
        }
        if signals::interrupted() {
            println!("Interrupted");
            pass = false;
            break;
        }
        if Instant::now() > deadline {
            if h2c.completed < h2c.started || h2c.started < total {
                h2c.report_timeout();
            } else {
                c2h.report_timeout();
            }
            pass = false;
            break;
        }
        std::thread::yield_now();
    }
    h2c.stop();
    c2h.stop();
    if !pass {
        return false;
    }
    verify_card_words(&c2h_data.buffer, total * PAGE_WORDS)
}

/// Checks every word of the C2H mapping against the pattern.
fn verify_card_words(buffer: &DmaBuffer, words: u64) -> bool {
    let mut expected = TestPattern::new(0);
    let mut mismatches = 0u64;
    let mut chunk = vec![0u8; 64 << 10];
    let mut done = 0u64;
    while done < words {
        let n = ((words - done) * 4).min(chunk.len() as u64) as usize;
        let c = &mut chunk[..n];
        buffer.read_bytes((done * 4) as usize, c);
        let mut p = expected;
        if p.verify_bytes(c).is_err() {
            for (k, w) in c.chunks_exact(4).enumerate() {
                let actual = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                let e = expected.next_word();
                if actual != e {
                    if mismatches < MAX_MISMATCH_LINES {
                        println!(
                            "card_words[{}] actual=0x{actual:08x} expected=0x{e:08x}",
                            done + k as u64
                        );
                    }
                    mismatches += 1;
                }
            }
        } else {
            expected = p;
        }
        done += (n / 4) as u64;
    }
    if mismatches > MAX_MISMATCH_LINES {
        println!(
            "... {} more of {mismatches} card words differ",
            mismatches - MAX_MISMATCH_LINES
        );
    }
    mismatches == 0
}

/// One received piece the C2H side expects.
struct Piece {
    bytes: u64,
    eop: bool,
}

/// H2C channel `h` looped back to C2H channel `c`: messages of 1023 + m words split into
/// page-sized H2C descriptors (EOP on the last), one credit write per message; every C2H
/// descriptor is one page, credited up front and re-credited once checked.
fn stream_ring_test(ctx: &Ctx, bar: &Mmio, h: u8, c: u8) -> bool {
    let messages = ctx.args.stream_messages;
    let Some((_descriptors, mut h2c, mut c2h)) = init_pair(ctx, bar, h, c, true) else {
        return false;
    };
    let stop_both = |h2c: &Ring, c2h: &Ring| {
        h2c.stop();
        c2h.stop();
    };
    let Some(h2c_data) = ctx.alloc("h2c_data", RING * PAGE, DmaAccess::READ, ctx.offsets[1]) else {
        stop_both(&h2c, &c2h);
        return false;
    };
    let Some(c2h_data) = ctx.alloc("c2h_data", RING * PAGE, DmaAccess::WRITE, ctx.offsets[2])
    else {
        stop_both(&h2c, &c2h);
        return false;
    };
    for i in 0..RING {
        c2h.populate(i, PAGE, 0, c2h_data.card_iova(i * PAGE), false);
    }
    c2h.credit(RING);

    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    let mut expected: VecDeque<Piece> = VecDeque::new();
    let mut page = vec![0u8; PAGE as usize];
    let (mut sent, mut received, mut processed) = (0u64, 0u64, 0u64);
    let (mut total_words, mut total_descriptors, mut rx_words) = (0u64, 0u64, 0u64);
    let mut failure: Option<String> = None;
    let deadline = Instant::now() + ctx.timeout();
    while received < messages {
        h2c.poll();
        c2h.poll();
        if h2c.error || c2h.error {
            let failed = if h2c.error { &h2c } else { &c2h };
            failed.report_error();
            failure = Some(String::new());
            break;
        }
        if sent < messages {
            let words = RING + sent;
            let pieces = words.div_ceil(PAGE_WORDS);
            if pieces <= RING - h2c.in_flight() {
                for p in 0..pieces {
                    let slot = (h2c.started + p) % RING;
                    let n = (words - p * PAGE_WORDS).min(PAGE_WORDS);
                    let bytes = &mut page[..(n * 4) as usize];
                    tx.fill_bytes(bytes);
                    h2c_data.buffer.write_bytes((slot * PAGE) as usize, bytes);
                    let last = p + 1 == pieces;
                    h2c.populate(
                        h2c.started + p,
                        n * 4,
                        h2c_data.card_iova(slot * PAGE),
                        0,
                        last,
                    );
                    expected.push_back(Piece {
                        bytes: n * 4,
                        eop: last,
                    });
                }
                h2c.credit(pieces);
                sent += 1;
                total_words += words;
                total_descriptors += pieces;
            }
        }
        while failure.is_none() && c2h.completed > processed {
            let Some(piece) = expected.pop_front() else {
                failure = Some(format!(
                    "Unexpected C2H descriptor completion {} with nothing sent",
                    processed
                ));
                break;
            };
            let (magic_status, len) = c2h.take_stream_wb(processed);
            if magic_status & STREAM_WB_MAGIC_MASK != STREAM_WB_MAGIC {
                failure = Some(format!(
                    "Incorrect stream wb_magic_status 0x{magic_status:x}"
                ));
            } else if (magic_status & STREAM_WB_EOP != 0) != piece.eop {
                failure = Some(format!(
                    "Incorrect EOP actual {} expected {}",
                    magic_status & STREAM_WB_EOP,
                    u32::from(piece.eop)
                ));
            } else if u64::from(len) != piece.bytes {
                failure = Some(format!(
                    "Incorrect length actual {len} expected {}",
                    piece.bytes
                ));
            } else {
                let slot = processed % RING;
                let data = &mut page[..piece.bytes as usize];
                c2h_data.buffer.read_bytes((slot * PAGE) as usize, data);
                if let Err(m) = rx.verify_bytes(data) {
                    failure = Some(format!(
                        "word[{}] actual=0x{:08x} expected=0x{:08x}",
                        rx_words + m.index,
                        m.actual,
                        m.expected
                    ));
                }
            }
            if failure.is_some() {
                break;
            }
            processed += 1;
            rx_words += piece.bytes / 4;
            if piece.eop {
                received += 1;
            }
            c2h.credit(1);
        }
        if failure.is_some() {
            break;
        }
        if signals::interrupted() {
            failure = Some("Interrupted".into());
            break;
        }
        if Instant::now() > deadline {
            c2h.report_timeout();
            if h2c.completed == h2c.started {
                println!("H2C had completed");
            } else {
                h2c.report_timeout();
            }
            failure = Some(String::new());
            break;
        }
        std::thread::yield_now();
    }
    stop_both(&h2c, &c2h);
    match failure {
        None => {
            println!(
                "Successfully sent {messages} messages from Ch{h}->{c} with a total of {total_words} words in {total_descriptors} descriptors"
            );
            true
        }
        Some(m) => {
            if !m.is_empty() {
                println!("{m}");
            }
            println!("Failed after {received} out of {messages} messages transferred by DMA");
            false
        }
    }
}
