//! Does verifying every received buffer keep up with the stream? (issue 17: every lap of
//! `test_dma_bridge_parallel_streams` is verified at the rate the stream runs.)
//!
//! Three criterion measurements over the same 16 x 1 MiB rings of one looped-back pair
//! (H2C 0 -> C2H 1) of a simulated TEF1001_dma_stream_loopback board, all reported as
//! bytes per second of received data:
//! - `link`: the simulated link alone, each C2H buffer restarted as soon as it completes;
//! - `verify`: `TestPattern::verify` of one received 1 MiB buffer;
//! - `link_and_verify`: the link with every buffer verified before it is restarted, as the
//!   tool's worker does. It keeps up when it stays close to `link` (the simulated engine
//!   moves data on its own thread while the buffer is checked).
//!
//! Run with `cargo bench -p xilinx_dma_bridge --bench stream_verification`.

use std::sync::Arc;

use command_line::DeviceArgs;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vfio_access::DmaAccess;
use xilinx_dma_bridge::designs::dma_designs;
use xilinx_dma_bridge::mapping::descriptors_mapping_bytes;
use xilinx_dma_bridge::{
    BufferLayout, ChannelConfig, ChannelInterface, DmaChannel, DmaDirection, SubAllocator,
    TestPattern,
};

const BUFFERS: u32 = 16;
const BUFFER_BYTES: u64 = 1 << 20;
/// Buffers received per measured iteration (four laps of the ring).
const PER_ITERATION: u64 = 64;

/// A running pair with every C2H buffer started and the H2C mapping holding the pattern.
struct LoopedPair {
    h2c: DmaChannel,
    c2h: DmaChannel,
    /// Pattern state at the start of each buffer.
    patterns: Vec<TestPattern>,
    received: u64,
}

impl LoopedPair {
    fn open(device: &vfio_access::Device, bar: u8) -> Self {
        let mapping = u64::from(BUFFERS) * BUFFER_BYTES;
        let descriptors = device
            .alloc_dma(
                2 * descriptors_mapping_bytes(BUFFERS as usize, true),
                DmaAccess::READ_WRITE,
            )
            .expect("descriptors");
        let h2c_data = Arc::new(
            device
                .alloc_dma(mapping as usize, DmaAccess::READ)
                .expect("h2c"),
        );
        let c2h_data = Arc::new(
            device
                .alloc_dma(mapping as usize, DmaAccess::WRITE)
                .expect("c2h"),
        );
        let mut sub = SubAllocator::new(Arc::new(descriptors));
        let config = |direction, id| ChannelConfig {
            num_descriptors: BUFFERS,
            buffers: BufferLayout::fixed(BUFFER_BYTES),
            ..ChannelConfig::new(direction, id, ChannelInterface::Stream, bar)
        };
        let h2c = DmaChannel::init(device, config(DmaDirection::H2C, 0), &mut sub, h2c_data);
        let mut c2h = DmaChannel::init(device, config(DmaDirection::C2H, 1), &mut sub, c2h_data);
        assert!(!h2c.failed() && !c2h.failed(), "{:?}", h2c.failure());
        let mut p = TestPattern::new(0);
        let patterns = (0..BUFFERS)
            .map(|_| {
                let at = p;
                p.advance(BUFFER_BYTES / 4);
                at
            })
            .collect();
        TestPattern::new(0).populate(h2c.data(), 0, (mapping / 4) as usize);
        for _ in 0..BUFFERS {
            assert!(c2h.start_next_c2h_buffer());
        }
        let mut pair = Self {
            h2c,
            c2h,
            patterns,
            received: 0,
        };
        for _ in 0..BUFFERS {
            pair.start_h2c();
        }
        pair
    }

    fn start_h2c(&mut self) {
        if self.h2c.get_next_h2c_buffer().is_some() {
            self.h2c.start_populated();
        }
    }

    /// Receives `buffers` buffers, each verified first when `verify`, restarting both
    /// directions as they complete.
    fn run(&mut self, buffers: u64, verify: bool) {
        let mut done = 0;
        while done < buffers {
            if let Some(c) = self.c2h.poll_completed() {
                if verify {
                    let index = (self.received % u64::from(BUFFERS)) as usize;
                    let mut expected = self.patterns[index];
                    expected
                        .verify(self.c2h.data(), c.host_offset, (BUFFER_BYTES / 4) as usize)
                        .expect("received data verify");
                }
                self.received += 1;
                done += 1;
                assert!(self.c2h.start_next_c2h_buffer());
            }
            if self.h2c.poll_completed().is_some() {
                self.start_h2c();
            }
            assert!(
                !self.h2c.failed() && !self.c2h.failed(),
                "{:?} {:?}",
                self.h2c.failure(),
                self.c2h.failure()
            );
        }
    }
}

fn stream_verification(c: &mut Criterion) {
    let state = tempfile::tempdir().expect("state dir");
    std::env::set_var("FPGA_SIO_SIM_DIR", state.path());
    let args = DeviceArgs {
        sim: Some("TEF1001_dma_stream_loopback".into()),
        ..DeviceArgs::default()
    };
    let devices = identify_design::open_devices(&args, &identify_design::design_filters())
        .expect("simulated board");
    let opened = identify_design::OpenedDesigns::identify(devices);
    let d = dma_designs(&opened)[0];
    let mut pair = LoopedPair::open(d.device, d.bridge.bar);

    let mut group = c.benchmark_group("stream_verification");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(PER_ITERATION * BUFFER_BYTES));
    group.bench_function("link", |b| b.iter(|| pair.run(PER_ITERATION, false)));
    group.bench_function("link_and_verify", |b| {
        b.iter(|| pair.run(PER_ITERATION, true))
    });
    group.throughput(Throughput::Bytes(BUFFER_BYTES));
    let received = Arc::clone(pair.c2h.data());
    let expected = pair.patterns[0];
    group.bench_function("verify", |b| {
        b.iter(|| {
            let mut e = expected;
            e.verify(&received, 0, (BUFFER_BYTES / 4) as usize)
                .expect("verifies")
        })
    });
    group.finish();
}

criterion_group!(benches, stream_verification);
criterion_main!(benches);
