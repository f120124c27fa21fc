//! `test_dma_descriptor_credits` (fact sheet 7.3): proves that a credit-gated descriptor
//! ring lets software append work to a running engine. Uses the raw register interface (not
//! the ring driver of the library): an optional VFIO reset test, the credit increment test,
//! then the memory-mapped ring test or the two stream ring tests (0->1, 1->0), per design.
//!
//! Unlike the original, the exit status is non-zero when any design fails.
//!
//! - [`options`]: the options.
//! - `channel_control`: Run, Status, credits and register snapshots of one channel.
//! - `register_tests`: the VFIO reset test and the credit increment test.
//! - `raw_ring`: a raw credit-gated ring and the ring pair of a test.
//! - `mm_ring`, `stream_ring`: the memory-mapped and stream ring tests.

mod channel_control;
mod mm_ring;
pub mod options;
mod raw_ring;
mod register_tests;
mod stream_ring;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use command_line::DeviceArgs;
use vfio_access::{signals, DmaAccess};

use self::mm_ring::mm_ring_test;
use self::options::CreditsOptions;
use self::raw_ring::Mapping;
use self::register_tests::{credit_increment_test, reset_test};
use self::stream_ring::stream_ring_test;
use super::opening::{open_designs, OpenDevicesError};
use crate::designs::{dma_designs, DmaDesign};
use crate::discovery::{channel_registers, discover_channels, map_dma_window, stream_partner};
use crate::registers::MAX_CREDITS;
use crate::Direction;

/// Descriptors per ring (the maximum number of credits).
const RING: u64 = MAX_CREDITS as u64;
/// Bytes per descriptor (the original's getpagesize()).
const PAGE: u64 = 4096;
const PAGE_WORDS: u64 = PAGE / 4;

/// Why the tool failed.
#[derive(Debug, thiserror::Error)]
pub enum CreditsError {
    #[error(transparent)]
    Open(#[from] OpenDevicesError),
    #[error("{failed} of {total} designs failed")]
    DesignsFailed { failed: usize, total: usize },
}

/// Runs the tool, printing its lines; an error when a design failed.
pub fn run(device: &DeviceArgs, args: &CreditsOptions) -> Result<(), CreditsError> {
    signals::interrupt_flag();
    let opened = open_designs(device, args.a32)?;
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
        return Err(CreditsError::DesignsFailed {
            failed,
            total: designs.len(),
        });
    }
    Ok(())
}

fn test_design(args: &CreditsOptions, d: &DmaDesign) -> bool {
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
    args: &'a CreditsOptions,
    design: &'a DmaDesign<'a>,
    offsets: [u64; 3],
}

impl Ctx<'_> {
    fn timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.args.timeout.timeout_seconds).unwrap_or(Duration::MAX)
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
