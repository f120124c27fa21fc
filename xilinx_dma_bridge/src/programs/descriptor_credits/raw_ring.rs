//! A raw credit-gated descriptor ring on one channel, built and driven through the
//! registers (not the ring driver of the library), and the H2C/C2H pair of them a ring
//! test uses.

use std::io::{self, Write};
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

use vfio_access::mmio::Mmio;
use vfio_access::{DmaAccess, DmaBuffer};
use xdma_registers::descriptor::stream_writeback::{self, StreamWriteback};
use xdma_registers::descriptor::{completed_count, Descriptor, DescriptorFlags, DESCRIPTOR_BYTES};
use xdma_registers::register_map::status_names;
use xdma_registers::{ChannelBlocks, DmaDirection};

use super::channel_control::stop;
use super::{Ctx, RING};
use crate::mapping::{round_up_64, Region, SubAllocationError, SubAllocator};

/// A DMA mapping and the offset added to the IOVAs the card is given.
pub(super) struct Mapping {
    pub(super) buffer: Arc<DmaBuffer>,
    pub(super) offset: u64,
}

impl Mapping {
    /// The device address given to the card for byte `at` of the mapping (of the segment
    /// holding it: without an IOMMU the mapping is fragmented, issue #14).
    pub(super) fn card_iova(&self, at: u64) -> u64 {
        self.buffer
            .device_address(at as usize)
            .wrapping_add(self.offset)
    }
}

/// A raw 1023-descriptor ring on one channel, credit mode on, running.
pub(super) struct Ring {
    pub(super) regs: ChannelBlocks,
    descriptors: Arc<DmaBuffer>,
    /// The IOVA the card is given for each descriptor (with any `-o` offset).
    descriptor_iovas: Vec<u64>,
    ring: Region,
    completed_word: Region,
    stream_wb: Option<Region>,
    /// The IOVA the card is given for each stream writeback (with any `-o` offset).
    stream_wb_iovas: Vec<u64>,
    /// Descriptors credited so far.
    pub(super) started: u64,
    /// Descriptors completed so far (from the 24-bit writeback count).
    pub(super) completed: u64,
    last_count: u32,
    /// The writeback reported STS_ERR.
    pub(super) error: bool,
}

impl Ring {
    /// Ring initialisation of xilinx_dma_bridge.md §7.3, in the original's order.
    pub(super) fn init(
        regs: ChannelBlocks,
        descriptors: &Mapping,
        alloc: &mut SubAllocator,
    ) -> Result<Self, SubAllocationError> {
        let stream = regs.identifier_says_stream();
        let c2h = regs.direction == DmaDirection::C2H;
        let stream_wb = if stream && c2h {
            Some(alloc.allocate(RING as usize * stream_writeback::BYTES)?)
        } else {
            None
        };
        let ring = alloc.allocate(RING as usize * DESCRIPTOR_BYTES)?;
        let completed_word = alloc.allocate(completed_count::BYTES)?;
        let descriptor_iovas = (0..RING as usize)
            .map(|i| descriptors.card_iova((ring.offset + i * DESCRIPTOR_BYTES) as u64))
            .collect();
        let r = Self {
            stream_wb_iovas: stream_wb.map_or_else(Vec::new, |wb| {
                (0..RING as usize)
                    .map(|i| {
                        descriptors.card_iova((wb.offset + i * stream_writeback::BYTES) as u64)
                    })
                    .collect()
            }),
            regs,
            descriptors: Arc::clone(&descriptors.buffer),
            descriptor_iovas,
            ring,
            completed_word,
            stream_wb,
            started: 0,
            completed: 0,
            last_count: 0,
            error: false,
        };
        for i in 0..RING {
            r.populate(i, 0, 0, 0, false);
        }
        let b = &r.regs;
        b.set_writeback_address(descriptors.card_iova(completed_word.offset as u64));
        b.set_first_descriptor(r.descriptor_iovas[0]);
        b.write_control(b.direction.init_control());
        b.set_credit_mode(true);
        b.set_fetch_halted(false);
        fence(Ordering::Release);
        b.set_run();
        Ok(r)
    }

    /// Writes the descriptor used by transfer `index`: `len` bytes from `src` to `dst`
    /// (for a C2H stream the source is the descriptor's stream writeback).
    pub(super) fn populate(&self, index: u64, len: u64, src: u64, dst: u64, eop: bool) {
        let slot = (index % RING) as usize;
        let source = match self.stream_wb {
            Some(_) => self.stream_wb_iovas[slot],
            None => src,
        };
        Descriptor {
            flags: DescriptorFlags::completed().with_eop(eop),
            length: len as u32,
            source,
            destination: dst,
            next: self.descriptor_iovas[(slot + 1) % RING as usize],
        }
        .write_to(
            &self.descriptors,
            self.ring.offset + slot * DESCRIPTOR_BYTES,
        );
    }

    pub(super) fn credit(&mut self, n: u64) {
        fence(Ordering::Release);
        self.regs.add_credits(n as u32);
        self.started += n;
    }

    /// Reads the completed-count writeback.
    pub(super) fn poll(&mut self) {
        let wb = self.descriptors.read_u32(self.completed_word.offset);
        fence(Ordering::Acquire);
        let count = wb & completed_count::COUNT_MASK;
        self.completed += u64::from(completed_count::newly_completed(count, self.last_count));
        self.last_count = count;
        self.error |= wb & completed_count::STS_ERR != 0;
    }

    pub(super) fn in_flight(&self) -> u64 {
        self.started - self.completed
    }

    /// `<H2C|C2H> descriptors to complete (started <n> completed <n> channel_status 0x<s>)`.
    pub(super) fn waiting_text(&self) -> String {
        format!(
            "{} descriptors to complete (started {} completed {} channel_status 0x{:x})",
            self.regs.direction,
            self.started,
            self.completed,
            self.regs.status()
        )
    }

    /// The Status names, for the line after a failure.
    pub(super) fn status_text(&self) -> String {
        let s = self.regs.status();
        format!(
            "  {} channel {} status 0x{s:x}: {}",
            self.regs.direction,
            self.regs.channel_id,
            status_names(s, self.regs.direction.is_c2h())
        )
    }

    /// `Test timeout waiting for ...` with the decoded status.
    pub(super) fn report_timeout(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Test timeout waiting for {}", self.waiting_text())?;
        writeln!(out, "{}", self.status_text())
    }

    pub(super) fn report_error(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Error reported in descriptor write back waiting for {}",
            self.waiting_text()
        )?;
        writeln!(out, "{}", self.status_text())
    }

    /// Reads and clears the C2H stream writeback of transfer `index`.
    pub(super) fn take_stream_wb(&self, index: u64) -> StreamWriteback {
        let at = self.stream_wb.as_ref().map_or(0, |w| w.offset)
            + (index % RING) as usize * stream_writeback::BYTES;
        let w = StreamWriteback::read_from(&self.descriptors, at);
        StreamWriteback::clear(&self.descriptors, at);
        w
    }

    pub(super) fn stop(&self) {
        stop(&self.regs);
    }
}

/// Descriptors mapping for one H2C/C2H pair.
pub(super) fn descriptors_bytes(c2h_stream: bool) -> u64 {
    let ring = (round_up_64(RING as usize * DESCRIPTOR_BYTES) + round_up_64(completed_count::BYTES))
        as u64;
    let wb = if c2h_stream {
        round_up_64(RING as usize * stream_writeback::BYTES) as u64
    } else {
        0
    };
    2 * ring + wb
}

/// Initialises the H2C ring then the C2H ring in one descriptors mapping; `None` after
/// writing why not.
pub(super) fn init_pair(
    ctx: &Ctx,
    bar: &Mmio,
    h: u8,
    c: u8,
    stream: bool,
    out: &mut dyn Write,
) -> io::Result<Option<(Mapping, Ring, Ring)>> {
    let mut regs = |dir, ch| match ChannelBlocks::check(bar, dir, ch, stream) {
        Ok(r) => Ok(Some(r)),
        Err(e) => writeln!(out, "{e}").map(|()| None),
    };
    let Some(h2c_regs) = regs(DmaDirection::H2C, h)? else {
        return Ok(None);
    };
    let Some(c2h_regs) = regs(DmaDirection::C2H, c)? else {
        return Ok(None);
    };
    let Some(descriptors) = ctx.alloc(
        "descriptors",
        descriptors_bytes(stream),
        DmaAccess::READ_WRITE,
        ctx.offsets[0],
        out,
    )?
    else {
        return Ok(None);
    };
    let mut alloc = SubAllocator::new(Arc::clone(&descriptors.buffer));
    let h2c = match Ring::init(h2c_regs, &descriptors, &mut alloc) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(None);
        }
    };
    let c2h = match Ring::init(c2h_regs, &descriptors, &mut alloc) {
        Ok(r) => r,
        Err(e) => {
            h2c.stop();
            writeln!(out, "{e}")?;
            return Ok(None);
        }
    };
    Ok(Some((descriptors, h2c, c2h)))
}
