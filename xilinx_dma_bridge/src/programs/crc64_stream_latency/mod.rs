//! `crc64_stream_latency` (designs_after_seed.md §4.4): the round-trip latency of one H2C
//! packet through the CRC64 engine to its 8-byte C2H result, for packet sizes doubling from
//! the stream width up to 1 MiB, as percentiles that expose scheduling outliers. Every
//! result is checked against the software CRC.
//!
//! - [`options`]: the options; [`percentiles`]: the report line.

pub mod options;
pub mod percentiles;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use command_line::DeviceArgs;
use vfio_access::DmaAccess;

use self::options::LatencyOptions;
use self::percentiles::latency_line;
use super::channel_locks::ChannelLocks;
use super::opening::{open_designs, search_scope};
use super::verdict::Verdict;
use super::ToolError;
use crate::crc64::{crc64_of_words, Lcg64};
use crate::designs::{dma_designs, DmaDesign};
use crate::mapping::descriptors_mapping_bytes;
use crate::stream_routing::{configure_design_routing, pairs_of_routes, StreamRoutingError};
use crate::{
    BufferLayout, ChannelConfig, ChannelError, ChannelInterface, DmaChannel, DmaDirection,
    SubAllocator,
};

/// Bytes of the engine's result packet.
const CRC_BYTES: u64 = 8;

/// Runs the tool, writing its lines to `out`.
pub fn run(
    device: &DeviceArgs,
    options: &LatencyOptions,
    out: &mut dyn Write,
) -> Result<Verdict, ToolError> {
    lock_memory(out)?;
    let opened = open_designs(device, false)?;
    let mut sequence = Lcg64::new(0);
    let mut measured = 0usize;
    let mut pass = true;
    for d in dma_designs(&opened) {
        if !d.bridge.is_stream() {
            continue;
        }
        let channels = d.channels();
        if channels.h2c.is_empty() || channels.c2h.is_empty() {
            continue;
        }
        let routes = match configure_design_routing(&d, &Default::default(), out) {
            Ok(r) => r,
            Err(StreamRoutingError::Refused(e)) => {
                // Fixed-data designs: the sheet's line, then exit status 1 (§1.4).
                writeln!(out, "{e}")?;
                return Ok(Verdict::Fail);
            }
            Err(e) => return Err(ToolError::Routing(e)),
        };
        let width = u64::from(d.design.crc64_stream_width_bytes);
        if width == 0 {
            // Loopback designs: routed, then skipped.
            continue;
        }
        let pairs = pairs_of_routes(&routes);
        let mut locks = ChannelLocks::default();
        locks.lock(
            d.device,
            pairs
                .iter()
                .flat_map(|&(h, c)| [(DmaDirection::H2C, h), (DmaDirection::C2H, c)]),
        )?;
        for (k, (h2c, c2h)) in pairs.into_iter().enumerate() {
            // The labels are swapped relative to the values, as in the original.
            writeln!(
                out,
                "Testing design {} using C2H {h2c} -> H2C {c2h}",
                d.name()
            )?;
            if options.temperature() && k == 0 {
                write_temperature(&d, out)?;
            }
            let mut len = width;
            while len <= options.max_packet_bytes {
                measured += 1;
                if !measure(&d, (h2c, c2h), len, options, &mut sequence, out)? {
                    // A failed channel may still be busy: the route's other sizes are not
                    // measured.
                    pass = false;
                    break;
                }
                len *= 2;
            }
        }
        if options.temperature() && d.design.crc64_stream_width_bytes != 0 {
            write_temperature(&d, out)?;
        }
    }
    if measured == 0 {
        return Ok(Verdict::nothing_tested(
            "CRC64 stream design",
            search_scope(device, &opened),
        ));
    }
    Ok(Verdict::from_passed(pass))
}

/// Locks current and future pages in memory (no page faults in the timed loop); a failure
/// is reported and the run goes on.
fn lock_memory(out: &mut dyn Write) -> std::io::Result<()> {
    use nix::sys::mman::{mlockall, MlockAllFlags};
    if let Err(e) = mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE) {
        writeln!(out, "mlockall() failed : {}", e.desc())?;
    }
    Ok(())
}

/// `Current temperature <%5.1f>C[  min <%5.1f>C][  max <%5.1f>C]` from the design's XADC.
fn write_temperature(d: &DmaDesign, out: &mut dyn Write) -> std::io::Result<()> {
    let Some(regs) = d.design.xadc.and_then(|f| f.mmio(d.device)) else {
        return Ok(());
    };
    let samples = xilinx_xadc::samples::read_samples(&regs);
    let Some(t) = samples.samples.iter().find(|s| s.channel == 0) else {
        return Ok(());
    };
    let mut line = format!("Current temperature {:5.1}C", t.value);
    if let Some(min) = t.min {
        line.push_str(&format!("  min {min:5.1}C"));
    }
    if let Some(max) = t.max {
        line.push_str(&format!("  max {max:5.1}C"));
    }
    writeln!(out, "{line}")
}

/// Measures packets of `len` bytes on H2C `h2c` -> C2H `c2h`; true when every round trip
/// brought back the right CRC.
fn measure(
    d: &DmaDesign,
    (h2c_id, c2h_id): (u8, u8),
    len: u64,
    options: &LatencyOptions,
    sequence: &mut Lcg64,
    out: &mut dyn Write,
) -> Result<bool, ToolError> {
    let alloc = |size: u64, access| d.device.alloc_dma(size as usize, access).map(Arc::new);
    let mappings = (|| {
        Ok::<_, vfio_access::VfioError>((
            alloc(
                (descriptors_mapping_bytes(1, false) + descriptors_mapping_bytes(1, true)) as u64,
                DmaAccess::READ_WRITE,
            )?,
            alloc(len, DmaAccess::READ)?,
            alloc(CRC_BYTES, DmaAccess::WRITE)?,
        ))
    })();
    let (descriptors, h2c_data, c2h_data) = match mappings {
        Ok(m) => m,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(false);
        }
    };
    // Advance before each word: the run's first word is the sequence's second value.
    let words: Vec<u64> = (0..len / 8).map(|_| sequence.advance()).collect();
    for (i, w) in words.iter().enumerate() {
        h2c_data.write_u64(i * 8, *w);
    }
    let expected = crc64_of_words(&words);
    let mut sub = SubAllocator::new(Arc::clone(&descriptors));
    let config = |direction, id, bytes| ChannelConfig {
        num_descriptors: 1,
        buffers: BufferLayout::fixed(bytes),
        timeout: options.timeout.duration(),
        ..ChannelConfig::new(direction, id, ChannelInterface::Stream, d.bridge.bar)
    };
    let mut h2c = DmaChannel::init(
        d.device,
        config(DmaDirection::H2C, h2c_id, len),
        &mut sub,
        Arc::clone(&h2c_data),
    );
    let mut c2h = DmaChannel::init(
        d.device,
        config(DmaDirection::C2H, c2h_id, CRC_BYTES),
        &mut sub,
        Arc::clone(&c2h_data),
    );
    let mut latencies: Vec<u64> = Vec::with_capacity(options.iterations as usize);
    for i in 0..options.iterations {
        if h2c.failed() || c2h.failed() {
            break;
        }
        let start = Instant::now();
        c2h.start_next_c2h_buffer();
        if h2c.get_next_h2c_buffer().is_none() {
            h2c.record_failure(ChannelError::Assertion("h2c_buffer != NULL"));
            break;
        }
        h2c.start_populated();
        let result = wait_for_completion(&mut c2h);
        let sent = wait_for_completion(&mut h2c);
        let elapsed = start.elapsed();
        if !sent && !h2c.failed() {
            h2c.record_failure(ChannelError::Assertion("h2c_buffer != NULL"));
        }
        if !result {
            if !c2h.failed() {
                c2h.record_failure(ChannelError::Assertion("actual_crc64 != NULL"));
            }
            break;
        }
        if c2h_data.read_u64(0) != expected {
            c2h.record_failure(ChannelError::Assertion("*actual_crc64 == expected_crc64"));
            break;
        }
        // Proves the next iteration's result is written afresh.
        c2h_data.write_u64(0, !expected);
        if i > 0 {
            latencies.push(elapsed.as_nanos().min(u128::from(u64::MAX)) as u64);
        }
    }
    let ok = !h2c.failed() && !c2h.failed();
    if ok {
        writeln!(out, "{}", latency_line(len, &mut latencies))?;
    }
    h2c.finalise();
    c2h.finalise();
    let mut pass = true;
    for (direction, id, ch) in [
        (DmaDirection::H2C, h2c_id, &h2c),
        (DmaDirection::C2H, c2h_id, &c2h),
    ] {
        if let Some(f) = ch.failure() {
            pass = false;
            writeln!(
                out,
                "  {} {direction} channel {id} failure : {f}",
                d.design.location
            )?;
        }
    }
    Ok(pass && ok)
}

/// Polls until the channel's one transfer completes; false when it failed (timeout).
fn wait_for_completion(channel: &mut DmaChannel) -> bool {
    loop {
        if channel.poll_completed().is_some() {
            return true;
        }
        if channel.failed() {
            return false;
        }
        std::hint::spin_loop();
    }
}
