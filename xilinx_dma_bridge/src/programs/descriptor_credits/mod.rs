//! `test_dma_descriptor_credits` (xilinx_dma_bridge.md §7.3): proves that a credit-gated descriptor
//! ring lets software append work to a running engine. Uses the raw register interface (not
//! the ring driver of the library): an optional VFIO reset test, the credit increment test,
//! then the memory-mapped ring test or, for stream designs, one ring test per enabled route
//! of the design's routing (designs_after_seed.md §3.4): the CRC64 ring test on CRC64
//! designs, the loopback ring test on the others.
//!
//! Unlike the original, the exit status is non-zero when any design fails, and a design's
//! `Test:` line is FAIL when any of its routes failed (not only the last one, §6 pitfall 6).
//!
//! - [`options`]: the options.
//! - `channel_control`: Run, Status, credits and register snapshots of one channel.
//! - `register_tests`: the VFIO reset test and the credit increment test.
//! - `raw_ring`: a raw credit-gated ring and the ring pair of a test.
//! - `mm_ring`, `stream_ring`, `crc64_ring`: the memory-mapped, loopback and CRC64 ring
//!   tests.

mod channel_control;
mod crc64_ring;
mod mm_ring;
pub mod options;
mod raw_ring;
mod register_tests;
mod stream_ring;

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use command_line::DeviceArgs;
use vfio_access::{signals, DmaAccess};
use xdma_registers::register_map::MAX_CREDITS;
use xdma_registers::{map_dma_window, ChannelBlocks, DmaDirection};

use self::crc64_ring::crc64_ring_test;
use self::mm_ring::mm_ring_test;
use self::options::CreditsOptions;
use self::raw_ring::Mapping;
use self::register_tests::{credit_increment_test, reset_test};
use self::stream_ring::stream_ring_test;
use super::channel_locks::ChannelLocks;
use super::json_summary::{SummaryRecorder, SummaryVerdict, TestEntry};
use super::opening::{open_designs, search_scope, OpenDevicesError};
use super::verdict::Verdict;
use crate::designs::{dma_designs, DmaDesign};
use crate::stream_routing::{configure_design_routing, pairs_of_routes, StreamRoutingError};
use xilinx_axi_stream_switch::{DeviceRoutingError, DeviceRoutings, RoutingError};

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
    #[error(transparent)]
    ChannelLock(#[from] vfio_access::peripheral_lock::PeripheralLockError),
    #[error("writing the report")]
    Output(#[from] io::Error),
    #[error(transparent)]
    DeviceRouting(#[from] DeviceRoutingError),
    #[error(transparent)]
    Routing(StreamRoutingError),
    /// A routing the sheet refuses (designs_after_seed.md §2.5), already printed.
    #[error("AXI4-Stream Switch routing refused")]
    RoutingRefused,
    #[error("{failed} of {total} designs failed")]
    DesignsFailed { failed: usize, total: usize },
}

/// Runs the tool, writing its lines to `out`: PASS, nothing tested, or an error when a
/// design failed.
pub fn run(
    device: &DeviceArgs,
    args: &CreditsOptions,
    out: &mut dyn Write,
) -> Result<Verdict, CreditsError> {
    run_recorded(device, args, out, &mut SummaryRecorder::default())
}

/// [`run`], recording each design's verdict in `summary` (`--json-summary`), with the
/// lines its test wrote as the failure text when it failed.
pub fn run_recorded(
    device: &DeviceArgs,
    args: &CreditsOptions,
    out: &mut dyn Write,
    summary: &mut SummaryRecorder,
) -> Result<Verdict, CreditsError> {
    signals::interrupt_flag();
    let routings = DeviceRoutings::parse(args.device_routing.iter().map(String::as_str))?;
    let opened = open_designs(device, args.a32)?;
    let mut failed = 0;
    let designs = dma_designs(&opened);
    if designs.is_empty() {
        return Ok(Verdict::nothing_tested(
            "design with a DMA bridge",
            search_scope(device, &opened),
        ));
    }
    for d in &designs {
        if d.bridge.is_stream() {
            writeln!(out, "Testing DMA bridge bar {} AXI Stream", d.bridge.bar)?;
        } else {
            writeln!(
                out,
                "Testing DMA bridge bar {} memory base offset 0x{:x} size 0x{:x}",
                d.bridge.bar, d.bridge.memory_base_address, d.bridge.memory_size
            )?;
        }
        let mut copy = CopiedLines::new(&mut *out);
        let pass = match test_design(args, &routings, d, &mut copy) {
            Ok(p) => p,
            // Exit status 1 after the line already printed.
            Err(CreditsError::RoutingRefused) => return Ok(Verdict::Fail),
            Err(e) => return Err(e),
        };
        let lines = copy.lines();
        writeln!(out, "Test: {}", if pass { "PASS" } else { "FAIL" })?;
        summary.record(TestEntry {
            name: "descriptor_credits".to_string(),
            design: d.name().to_string(),
            pci_location: d.design.location.to_string(),
            h2c_channel: None,
            c2h_channel: None,
            verdict: if pass {
                SummaryVerdict::Pass
            } else {
                SummaryVerdict::Fail
            },
            failures: if pass { Vec::new() } else { lines },
            timings: Vec::new(),
            stream_statistics: None,
        });
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
    Ok(Verdict::Pass)
}

/// Passes writes on to `inner` and keeps a copy, for the summary's failure text.
struct CopiedLines<'a> {
    inner: &'a mut dyn Write,
    copy: Vec<u8>,
}

impl<'a> CopiedLines<'a> {
    fn new(inner: &'a mut dyn Write) -> Self {
        Self {
            inner,
            copy: Vec::new(),
        }
    }

    /// The non-empty lines written.
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.copy)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }
}

impl Write for CopiedLines<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.copy.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn test_design(
    args: &CreditsOptions,
    routings: &DeviceRoutings,
    d: &DmaDesign,
    out: &mut dyn Write,
) -> Result<bool, CreditsError> {
    let offsets = args.iova_offsets.unwrap_or([0; 3]);
    if args.iova_offsets.is_some() && uses_physical_memory(d) {
        writeln!(
            out,
            "Applying IOVA offsets is disabled when physical memory is used, as may crash the PC"
        )?;
        return Ok(false);
    }
    let bar = match map_dma_window(d.device, d.bridge.bar) {
        Ok(b) => b,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(false);
        }
    };
    let stream = d.bridge.is_stream();
    let h2c0 = match ChannelBlocks::check(&bar, DmaDirection::H2C, 0, stream) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(false);
        }
    };
    // The channels this design's tests drive, locked for all of them.
    let channels = d.channels();
    let used: Vec<(DmaDirection, u8)> = if stream {
        // Any stream channel the routing may pick, and H2C 0 of the register tests.
        let h2c = channels
            .h2c
            .iter()
            .map(|c| (DmaDirection::H2C, c.channel_id));
        let c2h = channels
            .c2h
            .iter()
            .map(|c| (DmaDirection::C2H, c.channel_id));
        let mut used: Vec<_> = h2c.chain(c2h).collect();
        if !used.contains(&(DmaDirection::H2C, 0)) {
            used.push((DmaDirection::H2C, 0));
        }
        used
    } else {
        vec![(DmaDirection::H2C, 0), (DmaDirection::C2H, 0)]
    };
    let mut locks = ChannelLocks::default();
    locks.lock(d.device, used)?;
    let ctx = Ctx {
        args,
        design: d,
        offsets,
    };
    if args.reset_test && !reset_test(d, &h2c0, out)? {
        return Ok(false);
    }
    if !credit_increment_test(&h2c0, out)? {
        return Ok(false);
    }
    if stream {
        let (nh, nc) = (channels.h2c.len(), channels.c2h.len());
        if nh == 0 || nc == 0 {
            writeln!(
                out,
                "No stream channels: num_h2c_channels={nh} num_c2h_channels={nc}"
            )?;
            return Ok(false);
        }
        let routes = match configure_design_routing(d, routings, out) {
            Ok(r) => r,
            Err(StreamRoutingError::Refused(RoutingError::NoRouting { .. })) => {
                writeln!(
                    out,
                    "Skipping test of descriptor rings, as design doesn't support loopback"
                )?;
                return Ok(true);
            }
            Err(StreamRoutingError::Refused(e)) => {
                // A port out of range: the sheet's line, then exit status 1 (§2.5).
                writeln!(out, "{e}")?;
                return Err(CreditsError::RoutingRefused);
            }
            Err(e) => return Err(CreditsError::Routing(e)),
        };
        let pairs = pairs_of_routes(&routes);
        if pairs.is_empty() {
            writeln!(
                out,
                "Skipping test of descriptor rings, as no enabled routes"
            )?;
            return Ok(true);
        }
        let crc64 = d.design.crc64_stream_width_bytes != 0;
        let mut pass = true;
        for (h, c) in pairs {
            pass &= if crc64 {
                crc64_ring_test(&ctx, &bar, h, c, out)?
            } else {
                stream_ring_test(&ctx, &bar, h, c, out)?
            };
        }
        Ok(pass)
    } else {
        Ok(mm_ring_test(&ctx, &bar, out)?)
    }
}

/// No IOMMU (vfio noiommu mode, or the simulated boards' noiommu mode): the card is given
/// physical addresses.
fn uses_physical_memory(d: &DmaDesign) -> bool {
    d.device.domain().addressing() != vfio_access::DmaAddressing::Iommu
}

struct Ctx<'a> {
    args: &'a CreditsOptions,
    design: &'a DmaDesign<'a>,
    offsets: [u64; 3],
}

impl Ctx<'_> {
    /// When the test gives up (none without a timeout).
    fn deadline(&self) -> Option<Instant> {
        let timeout: Option<Duration> = self.args.timeout.duration();
        timeout.and_then(|t| Instant::now().checked_add(t))
    }

    /// A zeroed DMA mapping; with `-o`, the IOVA range the card is given is reported.
    fn alloc(
        &self,
        name: &str,
        bytes: u64,
        access: DmaAccess,
        offset: u64,
        out: &mut dyn Write,
    ) -> io::Result<Option<Mapping>> {
        match self.design.device.alloc_dma(bytes as usize, access) {
            Ok(b) => {
                let start = b.iova();
                let last = start + b.len() as u64 - 1;
                if self.args.iova_offsets.is_some() {
                    writeln!(
                        out,
                        "Changing {name} IOVA 0x{start:x}..0x{last:x} -> 0x{:x}..0x{:x}",
                        start.wrapping_add(offset),
                        last.wrapping_add(offset)
                    )?;
                }
                Ok(Some(Mapping {
                    buffer: Arc::new(b),
                    offset,
                }))
            }
            Err(e) => {
                writeln!(out, "{e}")?;
                Ok(None)
            }
        }
    }
}
