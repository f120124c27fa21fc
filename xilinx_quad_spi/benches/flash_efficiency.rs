//! Flash access efficiency from the simulator's MMIO counters (not a timed test):
//! register reads and writes per flash byte for a 4 MiB read, program and verify, for
//! each flash part and both FIFO depths.
//!
//! Run with `cargo bench -p xilinx_quad_spi --bench flash_efficiency`.

use std::sync::Arc;
use std::time::Instant;

use fpga_sim::peripheral::{Peripheral, PeripheralSpace};
use fpga_sim::quad_spi::{
    FlashPart, MmioCounters, QuadSpiConfig, QuadSpiModel, QUAD_SPI_FRAME_SIZE,
};
use xilinx_quad_spi::flash::SpiFlash;
use xilinx_quad_spi::programming::{program_image, verify_image, NoFlashProgress};

const LEN: usize = 4 << 20;

fn image() -> Vec<u8> {
    let mut x = 0x1234_5678u32;
    (0..LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn measure(m: &QuadSpiModel, f: impl FnOnce()) -> (MmioCounters, f64) {
    m.reset_counters();
    let t = Instant::now();
    f();
    (m.counters(), t.elapsed().as_secs_f64())
}

fn row(what: &str, part: &str, depth: u32, bytes: usize, c: MmioCounters, secs: f64) {
    let b = bytes as f64;
    println!(
        "| {what:<32} | {part:<18} | {depth:>3} | {:>6.3} | {:>6.3} | {:>6.3} | {:>7.1} |",
        c.reads as f64 / b,
        c.writes as f64 / b,
        c.status_reads as f64 / b,
        b / secs / 1e6
    );
}

fn main() {
    let data = image();
    println!("4 MiB per operation; figures are MMIO accesses per flash byte (simulated core).");
    println!();
    println!("| Operation                        | Flash              | FIFO | reads/B | writes/B | SPISR reads/B | sim MB/s |");
    println!("|---|---|---|---|---|---|---|");
    for (part, name) in [
        (FlashPart::MicronN25q256a, "Micron N25Q256A"),
        (FlashPart::SpansionS25fl256s, "Spansion S25FL256S"),
        (FlashPart::MacronixMx25l12835f, "Macronix MX25L128"),
    ] {
        for depth in [256u32, 16] {
            let m = QuadSpiModel::new(QuadSpiConfig {
                flash: part,
                fifo_depth: depth,
                ..Default::default()
            });
            let mmio = PeripheralSpace::mmio(m.clone() as Arc<dyn Peripheral>, QUAD_SPI_FRAME_SIZE);
            let mut flash = match SpiFlash::open(mmio, &mut |l| eprintln!("{l}")) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("{name}: {e}");
                    continue;
                }
            };
            let mut buf = vec![0u8; LEN];
            let (c, s) = measure(&m, || flash.read(0, &mut buf).expect("read"));
            row("read (one transaction)", name, depth, LEN, c, s);
            let (c, s) = measure(&m, || {
                program_image(&mut flash, 0, &data, &mut NoFlashProgress).expect("program");
            });
            row("program_image (read+prog+verify)", name, depth, LEN, c, s);
            let page = flash.info().page_size as usize;
            let other: Vec<u8> = data.iter().map(|b| b & 0x5A).collect();
            let (c, s) = measure(&m, || {
                for (i, p) in other.chunks(page).enumerate() {
                    flash.program_page((i * page) as u64, p).expect("page");
                }
            });
            row("page programs only", name, depth, LEN, c, s);
            let (c, s) = measure(&m, || {
                verify_image(&mut flash, 0, &other, &mut NoFlashProgress).expect("verify");
            });
            row("verify", name, depth, LEN, c, s);
        }
    }
}
