//! `measure_ddr_throughput` (designs_after_seed.md §4.7): on every TEF1001_ddr3_throughput
//! device, the rate at which the AXI DMA moves the whole 8 GiB DDR3 — MM2S only, S2MM only,
//! then both at once — in transfers of at most 0x3FFFFC0 bytes.
//!
//! Deliberate departures from the original (designs_after_seed.md §6.8): each transfer has
//! a timeout (the original hangs on a transfer that neither completes nor halts), reported
//! as `DMA timed out with DMASR=...`; and the exit status is 1 when any direction failed
//! (the original always exits 0), so a run that moved no data never looks like success.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use command_line::DeviceArgs;
use identify_design::{open_devices_with_default, OpenError};
use vfio_access::timing::TransferTiming;
use vfio_access::{DmaCapability, IdMatch, IdentityFilter};

use crate::direct_mode::{AxiDmaDirect, AxiDmaError, Direction};
use crate::registers::{DMASR_HALTED, DMASR_IDLE, FRAME_BYTES, MAX_TRANSFER_BYTES};

/// The DDR3 SODIMM behind the AXI DMA: 8 GiB at AXI DMA address 0.
pub const DDR_BYTES: u64 = 8 << 30;
/// Where the AXI DMA frame is: BAR 0 + 0x2000.
pub const AXI_DMA_BAR: u8 = 0;
pub const AXI_DMA_OFFSET: u64 = 0x2000;
/// How long a soft reset may take.
pub const RESET_TIMEOUT: Duration = Duration::from_secs(1);

/// The devices measured: sub-device 0x0015 of the in-house subsystem vendor, opened
/// without bus mastering (the AXI DMA reaches the DDR3, never the host).
pub const THROUGHPUT_FILTER: IdentityFilter = IdentityFilter {
    vendor_id: IdMatch::Value(0x10ee),
    device_id: IdMatch::Any,
    subsystem_vendor_id: IdMatch::Value(0x0002),
    subsystem_device_id: IdMatch::Value(0x0015),
    dma_capability: DmaCapability::None,
};

/// The three measurements, in order: which of (MM2S, S2MM) each tests.
pub const MEASUREMENTS: [(bool, bool); 3] = [(true, false), (false, true), (true, true)];

/// What one direction of one measurement came to.
#[derive(Debug, Clone)]
pub enum DirectionResult {
    NotTested,
    /// The whole DDR was transferred, timed as one transfer.
    Completed(TransferTiming),
    /// The channel halted: its DMASR and the address of the failing transfer.
    Failed {
        dmasr: u32,
        start_address: u64,
    },
    /// A transfer neither completed nor halted within the timeout.
    TimedOut {
        dmasr: u32,
        start_address: u64,
    },
}

impl DirectionResult {
    pub fn failed(&self) -> bool {
        matches!(
            self,
            DirectionResult::Failed { .. } | DirectionResult::TimedOut { .. }
        )
    }
}

/// One direction's progress through the DDR.
struct Walk {
    direction: Direction,
    remaining: u64,
    address: u64,
    /// The transfer in progress: its length and deadline.
    active: Option<(u64, Instant)>,
    first_start: Option<Instant>,
    result: Option<DirectionResult>,
}

/// Runs one measurement over `ddr_bytes` in the directions `(mm2s, s2mm)`, each transfer
/// limited to `timeout`; the results for (MM2S, S2MM).
pub fn measure(
    dma: &AxiDmaDirect,
    (mm2s, s2mm): (bool, bool),
    ddr_bytes: u64,
    timeout: Duration,
) -> Result<[DirectionResult; 2], AxiDmaError> {
    let mut walks: Vec<Walk> = Vec::new();
    for (direction, tested) in Direction::ALL.into_iter().zip([mm2s, s2mm]) {
        if tested {
            dma.reset(direction, RESET_TIMEOUT)?;
            walks.push(Walk {
                direction,
                remaining: ddr_bytes,
                address: 0,
                active: None,
                first_start: None,
                result: (ddr_bytes == 0)
                    .then(|| DirectionResult::Completed(TransferTiming::new(direction.name(), 0))),
            });
        }
    }
    while walks.iter().any(|w| w.result.is_none()) {
        for w in walks.iter_mut().filter(|w| w.result.is_none()) {
            step(dma, w, ddr_bytes, timeout);
        }
        std::thread::yield_now();
    }
    let mut results = [DirectionResult::NotTested, DirectionResult::NotTested];
    for w in walks {
        let i = Direction::ALL
            .iter()
            .position(|&d| d == w.direction)
            .unwrap_or(0);
        results[i] = w.result.unwrap_or(DirectionResult::NotTested);
    }
    Ok(results)
}

/// One look at a direction: check its transfer in progress, or start the next.
fn step(dma: &AxiDmaDirect, w: &mut Walk, ddr_bytes: u64, timeout: Duration) {
    let now = Instant::now();
    match w.active {
        Some((len, deadline)) => {
            let dmasr = dma.status(w.direction);
            if dmasr & DMASR_IDLE != 0 {
                w.active = None;
                w.address += len;
                w.remaining -= len;
                if w.remaining == 0 {
                    let mut timing = TransferTiming::new(w.direction.name(), ddr_bytes);
                    let started = w.first_start.unwrap_or(now);
                    timing.record_ns(started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64);
                    w.result = Some(DirectionResult::Completed(timing));
                }
            } else if dmasr & DMASR_HALTED != 0 {
                // The original tests the error bits, which in effect is "Halted set".
                w.result = Some(DirectionResult::Failed {
                    dmasr,
                    start_address: w.address,
                });
            } else if now >= deadline {
                w.result = Some(DirectionResult::TimedOut {
                    dmasr,
                    start_address: w.address,
                });
            }
        }
        None => {
            w.first_start.get_or_insert(now);
            let len = w.remaining.min(MAX_TRANSFER_BYTES);
            dma.start(w.direction, w.address, len as u32);
            w.active = Some((len, now + timeout));
        }
    }
}

/// Writes one measurement's report: a line per direction, then an empty line.
pub fn write_report(results: &[DirectionResult; 2], out: &mut dyn Write) -> io::Result<()> {
    for (d, r) in Direction::ALL.iter().zip(results) {
        write!(out, "Direction {} : ", d.name())?;
        match r {
            DirectionResult::NotTested => writeln!(out, "Not tested")?,
            DirectionResult::Completed(timing) => write!(out, "{timing}")?,
            DirectionResult::Failed {
                dmasr,
                start_address,
            } => writeln!(
                out,
                "DMA failed with DMASR=0x{dmasr:08x} at start_address=0x{start_address:x}"
            )?,
            DirectionResult::TimedOut {
                dmasr,
                start_address,
            } => writeln!(
                out,
                "DMA timed out with DMASR=0x{dmasr:08x} at start_address=0x{start_address:x}"
            )?,
        }
    }
    writeln!(out)
}

#[derive(Debug, thiserror::Error)]
pub enum ThroughputError {
    #[error("opening devices")]
    Open(#[from] OpenError),
    #[error("device {device}: {source}")]
    Dma {
        device: String,
        #[source]
        source: AxiDmaError,
    },
    #[error("writing the report")]
    Output(#[from] io::Error),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThroughputRun {
    /// No device had the design: the one line saying so.
    NothingFound(String),
    /// At least one device was measured; whether every direction tested completed.
    Measured { all_completed: bool },
}

/// Opens the TEF1001_ddr3_throughput devices (`--sim` alone simulates one) and runs the
/// three measurements on each, writing the report to `out`.
pub fn run(
    device: &DeviceArgs,
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<ThroughputRun, ThroughputError> {
    let opened = open_devices_with_default(
        device,
        &[THROUGHPUT_FILTER],
        Some("TEF1001_ddr3_throughput"),
    )?;
    let mut measured = 0usize;
    let mut all_completed = true;
    for dev in opened.devices() {
        let Some(regs) = dev.frame(AXI_DMA_BAR, AXI_DMA_OFFSET, FRAME_BYTES) else {
            continue;
        };
        let dma = AxiDmaDirect::new(regs);
        writeln!(out, "Testing DDR throughput of device {}", dev.location())?;
        for tested in MEASUREMENTS {
            let results = measure(&dma, tested, DDR_BYTES, timeout).map_err(|source| {
                ThroughputError::Dma {
                    device: dev.location().to_string(),
                    source,
                }
            })?;
            all_completed &= !results.iter().any(DirectionResult::failed);
            write_report(&results, out)?;
        }
        measured += 1;
    }
    out.flush()?;
    if measured == 0 {
        return Ok(ThroughputRun::NothingFound(
            opened.nothing_found_hint("TEF1001_ddr3_throughput design"),
        ));
    }
    Ok(ThroughputRun::Measured { all_completed })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use fpga_sim::axi_dma::AxiDmaModel;
    use fpga_sim::peripheral::PeripheralSpace;
    use vfio_access::{AccessWidth, Mmio, RegisterSpace};

    use super::*;

    fn model_dma() -> AxiDmaDirect {
        AxiDmaDirect::new(PeripheralSpace::mmio(
            Arc::new(AxiDmaModel::new()),
            FRAME_BYTES,
        ))
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn mm2s_walks_the_memory_in_aligned_transfers() {
        // Two full transfers and an 8 KiB tail, as 8 GiB ends in (§4.7).
        let bytes = 2 * MAX_TRANSFER_BYTES + 8192;
        let [mm2s, s2mm] = measure(&model_dma(), (true, false), bytes, SECOND).unwrap();
        match mm2s {
            DirectionResult::Completed(t) => {
                assert_eq!((t.count(), t.bytes_per_transfer()), (1, bytes));
                assert!(t.mean_rate().is_some_and(|r| r > 0.0));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(s2mm, DirectionResult::NotTested));
    }

    #[test]
    fn the_report_has_the_sheets_lines() {
        let dma = model_dma();
        let mut out = Vec::new();
        for tested in [(false, true), (true, true)] {
            let r = measure(&dma, tested, DDR_BYTES, SECOND).unwrap();
            write_report(&r, &mut out).unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Direction MM2S : Not tested\n\
             Direction S2MM : DMA failed with DMASR=0x00005011 at start_address=0x0\n\
             \n\
             Direction MM2S : DMA failed with DMASR=0x00001001 at start_address=0x3ffffc0\n\
             Direction S2MM : DMA failed with DMASR=0x00005011 at start_address=0x0\n\
             \n"
        );
    }

    /// An AXI DMA whose transfers never end: DMASR never shows Idle or Halted once a
    /// transfer has started; every register write is recorded.
    #[derive(Default)]
    struct StuckDma {
        writes: Mutex<Vec<(u64, u32)>>,
    }

    impl RegisterSpace for StuckDma {
        fn size(&self) -> u64 {
            FRAME_BYTES
        }
        fn read(&self, offset: u64, _: AccessWidth) -> u64 {
            let started = self
                .writes
                .lock()
                .unwrap()
                .iter()
                .any(|&(o, _)| o % 0x30 == 0x28);
            match offset % 0x30 {
                0x04 if !started => u64::from(DMASR_HALTED),
                _ => 0,
            }
        }
        fn write(&self, offset: u64, _: AccessWidth, value: u64) {
            self.writes.lock().unwrap().push((offset, value as u32));
        }
    }

    #[test]
    fn a_transfer_that_never_ends_times_out_instead_of_hanging() {
        let stuck = Arc::new(StuckDma::default());
        let dma = AxiDmaDirect::new(Mmio::new(stuck.clone()));
        let [mm2s, _] = measure(&dma, (true, false), DDR_BYTES, Duration::from_millis(20)).unwrap();
        assert!(
            matches!(
                mm2s,
                DirectionResult::TimedOut {
                    dmasr: 0,
                    start_address: 0
                }
            ),
            "{mm2s:?}"
        );
        // Reset, then RS, address low, address high, LENGTH, in that order.
        let writes = stuck.writes.lock().unwrap().clone();
        assert_eq!(
            writes,
            [
                (0x00, 0x4),
                (0x00, 0x1),
                (0x18, 0),
                (0x1c, 0),
                (0x28, MAX_TRANSFER_BYTES as u32)
            ]
        );
    }
}
