//! Pattern benchmark (not a timed test): GB/s of pattern populate and verify on a 256 MiB
//! DMA buffer, against a plain per-word scalar LCG loop (the original's approach) and
//! memset/memcmp-style fill and compare of the same buffer (the memory-bandwidth bound).
//!
//! Run with `cargo bench -p xilinx_dma_bridge --bench pattern`.

use std::hint::black_box;
use std::time::Instant;

use command_line::DeviceArgs;
use vfio_access::DmaAccess;
use xilinx_dma_bridge::pattern::{LCG_INCREMENT, LCG_MULTIPLIER};
use xilinx_dma_bridge::TestPattern;

const BYTES: usize = 256 << 20;
const CHUNK: usize = 16 << 10;

fn best_gbs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    BYTES as f64 / best / 1e9
}

fn main() {
    // A simulated board gives a real DmaBuffer (heap memory mapped in the simulated IOMMU).
    let args = DeviceArgs {
        sim: Some("TEF1001_dma_stream_loopback".into()),
        ..DeviceArgs::default()
    };
    let opened = identify_design::open_devices(&args, &identify_design::design_filters())
        .expect("simulated board");
    let device = &opened.devices()[0];
    let buffer = device
        .alloc_dma(BYTES, DmaAccess::READ_WRITE)
        .expect("buffer");
    let words = BYTES / 4;
    let runs = 5;

    let populate = best_gbs(runs, || TestPattern::new(0).populate(&buffer, 0, words));
    let verify = best_gbs(runs, || {
        black_box(TestPattern::new(0).verify(&buffer, 0, words)).expect("pattern verifies");
    });
    // The original's approach: one LCG step per word, each word stored on its own.
    let scalar = best_gbs(runs, || {
        let mut v = 0u32;
        for i in 0..words {
            buffer.write_u32(i * 4, v);
            v = v.wrapping_mul(LCG_MULTIPLIER).wrapping_add(LCG_INCREMENT);
        }
        black_box(v);
    });
    let fill = best_gbs(runs, || buffer.fill(0, BYTES, 0x5a));
    let reference = vec![0x5au8; CHUNK];
    let compare = best_gbs(runs, || {
        let mut local = vec![0u8; CHUNK];
        let mut same = true;
        for off in (0..BYTES).step_by(CHUNK) {
            buffer.read_bytes(off, &mut local);
            same &= local == reference;
        }
        assert!(black_box(same));
    });
    println!("buffer: {} MiB, best of {runs} runs", BYTES >> 20);
    println!("pattern populate       : {populate:7.2} GB/s");
    println!("pattern verify         : {verify:7.2} GB/s");
    println!("scalar LCG per word    : {scalar:7.2} GB/s");
    println!("fill (memset)          : {fill:7.2} GB/s");
    println!("compare (memcmp)       : {compare:7.2} GB/s");
    println!(
        "populate = {:.1}x scalar, {:.0}% of fill; verify = {:.1}x scalar, {:.0}% of compare",
        populate / scalar,
        100.0 * populate / fill,
        verify / scalar,
        100.0 * verify / compare
    );
}
