//! The 2023 memory test scheme shared by `test_ddr` and `time_dma_blkram`
//! (xilinx_dma_bridge.md §7.4): fill the host buffer with the next pattern words, one H2C transfer of the whole
//! (possibly limited) card memory, read it back by C2H (whole, or one page at a time) and
//! verify; H2C and C2H timed separately. Lines go to the writer the tool gives, progress
//! to a [`Progress`] observer.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use vfio_access::timing::TransferTiming;
use vfio_access::{Device, DmaAccess};
use xdma_registers::descriptor::MAX_LENGTH_FIELD;
use xdma_registers::DmaDirection;

use crate::mapping::{descriptors_mapping_bytes, SubAllocator};
use crate::pattern::{iterations_for, TestPattern};
use crate::progress::{iteration_phase, Progress};
use crate::single_transfer::{SingleTransfer, SingleTransferError};

/// Page size used by the one-page-at-a-time C2H mode.
pub const PAGE: u64 = 4096;

/// What to test.
#[derive(Debug, Clone)]
pub struct LegacyTest {
    /// `DDR` or `BLKRAM`, the prefix of mismatch lines.
    pub memory_name: &'static str,
    pub bar_index: u8,
    pub memory_size: u64,
    pub h2c_channel: u8,
    pub c2h_channel: u8,
    pub min_size_alignment: u64,
    /// Read back one page per C2H transfer (`-l`).
    pub c2h_one_page: bool,
    /// Print `Test pattern pass` after every iteration (test_ddr) or once (time_dma_blkram).
    pub pass_every_iteration: bool,
    /// At least 1 (the tools reject 0: it would test nothing).
    pub iterations: Option<u64>,
    pub timeout: Option<Duration>,
}

fn transfer(
    t: &mut SingleTransfer,
    timing: &mut TransferTiming,
) -> Result<(), SingleTransferError> {
    timing.start();
    t.run()?;
    timing.stop();
    Ok(())
}

/// What a run of the test found, for `--json-summary`: each failure as its line words it,
/// and the timings (also of a failed run, as far as it got).
#[derive(Debug, Clone, Default)]
pub struct LegacyRecord {
    pub failures: Vec<String>,
    pub timings: Vec<TransferTiming>,
}

/// Runs the test, writing its lines to `out` and reporting its progress (3 phases of the
/// tested memory per iteration: populate, H2C, C2H and verify); true when it passed.
pub fn run_legacy_test(
    device: &Device,
    t: &LegacyTest,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> io::Result<bool> {
    run_legacy_test_recorded(device, t, out, progress, &mut LegacyRecord::default())
}

/// [`run_legacy_test`], keeping its failures and timings in `record`.
pub fn run_legacy_test_recorded(
    device: &Device,
    t: &LegacyTest,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
    record: &mut LegacyRecord,
) -> io::Result<bool> {
    let size = t.memory_size / 4 * 4;
    let c2h_len = if t.c2h_one_page { PAGE.min(size) } else { size };
    let mut alloc_error = None;
    let mut alloc = |n: u64, access| match device.alloc_dma(n as usize, access) {
        Ok(b) => Some(Arc::new(b)),
        Err(e) => {
            alloc_error.get_or_insert(e);
            None
        }
    };
    // The most descriptors a chain needs: alignment can shrink them to 0x0FFFF000 or less.
    let align = t.min_size_alignment.clamp(1, MAX_LENGTH_FIELD);
    let max_len = MAX_LENGTH_FIELD / align * align;
    let chain = size.div_ceil(max_len) as usize + 1;
    let descriptors = alloc(
        (2 * descriptors_mapping_bytes(chain, false)) as u64,
        DmaAccess::READ_WRITE,
    );
    let h2c_data = alloc(size, DmaAccess::READ);
    let c2h_data = alloc(c2h_len, DmaAccess::WRITE);
    let (Some(descriptors), Some(h2c_data), Some(c2h_data)) = (descriptors, h2c_data, c2h_data)
    else {
        if let Some(e) = alloc_error {
            writeln!(out, "{e}")?;
            record.failures.push(e.to_string());
        }
        return Ok(false);
    };
    let mut sub = SubAllocator::new(descriptors);
    let init = |sub: &mut SubAllocator, dir, ch, data: &vfio_access::DmaBuffer, len| {
        SingleTransfer::init(
            device,
            t.bar_index,
            dir,
            ch,
            data,
            0,
            len,
            t.min_size_alignment,
            sub,
            t.timeout,
        )
    };
    let mut h2c = match init(&mut sub, DmaDirection::H2C, t.h2c_channel, &h2c_data, size) {
        Ok(x) => x,
        Err(e) => {
            writeln!(out, "{e}")?;
            record.failures.push(e.to_string());
            return Ok(false);
        }
    };
    let mut c2h = match init(
        &mut sub,
        DmaDirection::C2H,
        t.c2h_channel,
        &c2h_data,
        c2h_len,
    ) {
        Ok(x) => x,
        Err(e) => {
            writeln!(out, "{e}")?;
            record.failures.push(e.to_string());
            return Ok(false);
        }
    };
    writeln!(out, "{}", h2c.descriptor_sizes_line())?;
    writeln!(out, "{}", c2h.descriptor_sizes_line())?;
    let mut h2c_timing = TransferTiming::new("host-to-card DMA", size);
    let mut c2h_timing = TransferTiming::new("card-to-host DMA", c2h_len);
    let mut tx = TestPattern::new(0);
    let mut rx = TestPattern::new(0);
    let iterations = t.iterations.unwrap_or_else(|| iterations_for(size / 4));
    let mut passed = true;
    progress.start(iterations.saturating_mul(3 * size));
    'iterations: for i in 0..iterations {
        iteration_phase(progress, i, iterations, "populate");
        tx.populate(&h2c_data, 0, (size / 4) as usize);
        progress.advance(size);
        iteration_phase(progress, i, iterations, "host-to-card DMA");
        if let Err(e) = transfer(&mut h2c, &mut h2c_timing) {
            progress.write_line(out, &e.to_string())?;
            record.failures.push(e.to_string());
            passed = false;
            break;
        }
        progress.advance(size);
        iteration_phase(progress, i, iterations, "card-to-host DMA and verify");
        let mut at = 0;
        while at < size {
            let len = c2h_len.min(size - at);
            c2h.set_card_start_address(at);
            if let Err(e) = transfer(&mut c2h, &mut c2h_timing) {
                progress.write_line(out, &e.to_string())?;
                record.failures.push(e.to_string());
                passed = false;
                break 'iterations;
            }
            if let Err(m) = rx.verify(&c2h_data, 0, (len / 4) as usize) {
                let mismatch = format!(
                    "{} word[{}] actual=0x{:x} expected=0x{:x}",
                    t.memory_name,
                    at / 4 + m.index,
                    m.actual,
                    m.expected
                );
                progress.write_line(out, &mismatch)?;
                record.failures.push(mismatch);
                passed = false;
                break 'iterations;
            }
            at += len;
            progress.advance(len);
        }
        if t.pass_every_iteration {
            progress.write_line(out, "Test pattern pass")?;
        }
    }
    progress.finish();
    h2c.stop();
    c2h.stop();
    record.timings = vec![h2c_timing.clone(), c2h_timing.clone()];
    if !passed || iterations == 0 {
        return Ok(false);
    }
    if !t.pass_every_iteration {
        writeln!(out, "Test pattern pass")?;
    }
    write!(out, "{h2c_timing}{c2h_timing}")?;
    Ok(true)
}
