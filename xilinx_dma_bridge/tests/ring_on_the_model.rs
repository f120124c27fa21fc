//! The ring driver itself (no tool) against a simulated stream loopback board: a full
//! ring refuses more work, and a continuous C2H ring reports lap after lap without software
//! starting its descriptors (xilinx_dma_bridge.md §4.1, §4.6-§4.8).

use std::sync::Arc;
use std::time::{Duration, Instant};

use command_line::DeviceArgs;
use vfio_access::DmaAccess;
use xilinx_dma_bridge::designs::dma_designs;
use xilinx_dma_bridge::mapping::descriptors_mapping_bytes;
use xilinx_dma_bridge::{
    BufferLayout, ChannelConfig, ChannelInterface, DmaChannel, DmaDirection, SubAllocator,
    TestPattern,
};

const N: u32 = 4;
const BYTES: u64 = 0x1000;

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn a_full_ring_refuses_and_continuous_c2h_wraps_lap_after_lap() {
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
    let alloc = |bytes: u64, access| Arc::new(d.device.alloc_dma(bytes as usize, access).unwrap());
    let descriptors = alloc(
        2 * descriptors_mapping_bytes(N as usize, true) as u64,
        DmaAccess::READ_WRITE,
    );
    let mut sub = SubAllocator::new(descriptors);
    let config = |direction, id, continuous| ChannelConfig {
        num_descriptors: N,
        buffers: BufferLayout::fixed(BYTES),
        c2h_stream_continuous: continuous,
        ..ChannelConfig::new(direction, id, ChannelInterface::Stream, d.bridge.bar)
    };
    let h2c_data = alloc(u64::from(N) * BYTES, DmaAccess::READ);
    let c2h_data = alloc(u64::from(N) * BYTES, DmaAccess::WRITE);
    let mut h2c = DmaChannel::init(
        d.device,
        config(DmaDirection::H2C, 0, false),
        &mut sub,
        Arc::clone(&h2c_data),
    );
    // H2C 0 is looped back to C2H 1.
    let mut c2h = DmaChannel::init(
        d.device,
        config(DmaDirection::C2H, 1, true),
        &mut sub,
        Arc::clone(&c2h_data),
    );
    assert_eq!((h2c.failure(), c2h.failure()), (None, None));

    // Lap 1: N packets started at once fill the H2C ring; the next buffer is refused
    // until a completion is reported (free space returns only then, §4.6).
    let mut sent = TestPattern::new(0);
    for k in 0..u64::from(N) {
        let at = h2c.get_next_h2c_buffer().expect("a free buffer");
        assert_eq!(at as u64, k * BYTES, "buffers in ring order");
        sent.populate(&h2c_data, at, (BYTES / 4) as usize);
        h2c.start_populated();
    }
    assert_eq!(h2c.get_next_h2c_buffer(), None, "ring full");
    assert!(!h2c.failed(), "a full ring is not a failure");
    let mut expected = TestPattern::new(0);
    let mut receive = |k: u64, h2c: &mut DmaChannel, c2h: &mut DmaChannel| {
        let got = wait_for("C2H completion", || c2h.poll_completed());
        assert_eq!(
            got.host_offset as u64,
            (k % u64::from(N)) * BYTES,
            "lap order"
        );
        assert_eq!((got.len, got.eop), (BYTES, Some(true)));
        expected
            .verify(&c2h_data, got.host_offset, (BYTES / 4) as usize)
            .expect("received what was sent");
        let done = wait_for("H2C completion", || h2c.poll_completed());
        assert_eq!(done.host_offset as u64, (k % u64::from(N)) * BYTES);
    };
    for k in 0..u64::from(N) {
        receive(k, &mut h2c, &mut c2h);
    }
    assert_eq!(h2c.free_descriptors(), N);

    // Laps 2 and 3 of the continuous C2H ring, one packet at a time: each is received
    // and checked before the next is sent, so no buffer is overwritten unseen.
    for k in u64::from(N)..3 * u64::from(N) {
        let at = h2c.get_next_h2c_buffer().expect("a free buffer");
        sent.populate(&h2c_data, at, (BYTES / 4) as usize);
        h2c.start_populated();
        receive(k, &mut h2c, &mut c2h);
    }
    assert_eq!(
        c2h.num_started(),
        0,
        "continuous C2H is never started by software"
    );
    assert_eq!((h2c.failure(), c2h.failure()), (None, None));
    h2c.finalise();
    c2h.finalise();
    assert_eq!((h2c.failure(), c2h.failure()), (None, None));
}
