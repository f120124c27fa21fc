//! A raw credit-gated descriptor ring on one channel, built and driven through the
//! registers (not the ring driver of the library), and the H2C/C2H pair of them a ring
//! test uses.

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

use vfio_access::mmio::Mmio;
use vfio_access::{DmaAccess, DmaBuffer};

use super::channel_control::{add_credits, common_bit, set_run, status, stop};
use super::{Ctx, RING};
use crate::descriptor::*;
use crate::discovery::{channel_registers, ChannelRegisters, Direction};
use crate::mapping::{round_up_64, Region, SubAllocator};
use crate::registers::*;

/// A DMA mapping and the offset added to the IOVAs the card is given.
pub(super) struct Mapping {
    pub(super) buffer: Arc<DmaBuffer>,
    pub(super) offset: u64,
}

impl Mapping {
    /// The IOVA given to the card for byte `at` of the mapping.
    pub(super) fn card_iova(&self, at: u64) -> u64 {
        self.buffer
            .iova()
            .wrapping_add(at)
            .wrapping_add(self.offset)
    }
}

/// A raw 1023-descriptor ring on one channel, credit mode on, running.
pub(super) struct Ring {
    pub(super) regs: ChannelRegisters,
    pub(super) descriptors: Arc<DmaBuffer>,
    pub(super) ring: Region,
    pub(super) completed_word: Region,
    pub(super) stream_wb: Option<Region>,
    /// Descriptors credited so far.
    pub(super) started: u64,
    /// Descriptors completed so far (from the 24-bit writeback count).
    pub(super) completed: u64,
    pub(super) last_count: u32,
    /// The writeback reported STS_ERR.
    pub(super) error: bool,
}

impl Ring {
    /// Ring initialisation of 7.3, in the original's order.
    pub(super) fn init(
        regs: ChannelRegisters,
        descriptors: &Mapping,
        alloc: &mut SubAllocator,
    ) -> Result<Self, String> {
        let stream = regs.bar.read32(regs.channel_base + CH_IDENTIFIER) & (1 << 15) != 0;
        let c2h = regs.direction == Direction::C2H;
        let buf = Arc::clone(&descriptors.buffer);
        let stream_wb = if stream && c2h {
            Some(alloc.allocate(RING as usize * STREAM_WB_BYTES)?)
        } else {
            None
        };
        let ring = alloc.allocate(RING as usize * DESCRIPTOR_BYTES)?;
        let completed_word = alloc.allocate(4)?;
        for i in 0..RING as usize {
            let at = ring.offset + i * DESCRIPTOR_BYTES;
            buf.write_u32(at + OFF_CONTROL, MAGIC | CONTROL_COMPLETED);
            buf.write_u32(at + OFF_LENGTH, 0);
            let src = stream_wb.as_ref().map_or(0, |wb| {
                descriptors.card_iova((wb.offset + i * STREAM_WB_BYTES) as u64)
            });
            buf.write_u64(at + OFF_SRC, src);
            buf.write_u64(at + OFF_DST, 0);
            let next = ring.offset + ((i + 1) % RING as usize) * DESCRIPTOR_BYTES;
            buf.write_u64(at + OFF_NEXT, descriptors.card_iova(next as u64));
        }
        let bar = &regs.bar;
        bar.write64_split(
            regs.channel_base + CH_POLL_WB_ADDR,
            descriptors.card_iova(completed_word.offset as u64),
        );
        bar.write64_split(
            regs.sgdma_base + SG_DESCRIPTOR_ADDR,
            descriptors.card_iova(ring.offset as u64),
        );
        bar.write32(regs.sgdma_base + SG_DESCRIPTOR_ADJACENT, 0);
        bar.write32(
            regs.channel_base + CH_CONTROL,
            if c2h {
                CONTROL_INIT_C2H
            } else {
                CONTROL_INIT_H2C
            },
        );
        let bit = common_bit(&regs);
        bar.write32(regs.common_base + COMMON_CREDIT_ENABLE_W1S, bit);
        bar.write32(regs.common_base + COMMON_DSC_CONTROL_W1C, bit);
        fence(Ordering::Release);
        set_run(&regs);
        Ok(Self {
            regs,
            descriptors: buf,
            ring,
            completed_word,
            stream_wb,
            started: 0,
            completed: 0,
            last_count: 0,
            error: false,
        })
    }

    pub(super) fn desc_at(&self, index: u64) -> usize {
        self.ring.offset + (index % RING) as usize * DESCRIPTOR_BYTES
    }

    /// Sets length, addresses and control of the descriptor used by transfer `index`.
    pub(super) fn populate(&self, index: u64, len: u64, src: u64, dst: u64, eop: bool) {
        let at = self.desc_at(index);
        let b = &self.descriptors;
        b.write_u32(at + OFF_LENGTH, len as u32);
        if self.stream_wb.is_none() {
            b.write_u64(at + OFF_SRC, src);
        }
        b.write_u64(at + OFF_DST, dst);
        let eop = if eop { CONTROL_EOP } else { 0 };
        b.write_u32(at + OFF_CONTROL, MAGIC | CONTROL_COMPLETED | eop);
    }

    pub(super) fn credit(&mut self, n: u64) {
        add_credits(&self.regs, n as u32);
        self.started += n;
    }

    /// Reads the completed-count writeback.
    pub(super) fn poll(&mut self) {
        let wb = self.descriptors.read_u32(self.completed_word.offset);
        fence(Ordering::Acquire);
        let count = wb & WB_COUNT_MASK;
        self.completed += u64::from(count.wrapping_sub(self.last_count) & WB_COUNT_MASK);
        self.last_count = count;
        self.error |= wb & WB_STS_ERR != 0;
    }

    pub(super) fn in_flight(&self) -> u64 {
        self.started - self.completed
    }

    /// `<H2C|C2H> descriptors to complete (started <n> completed <n> channel_status 0x<s>)`.
    pub(super) fn waiting_text(&self) -> String {
        let s = status(&self.regs);
        format!(
            "{} descriptors to complete (started {} completed {} channel_status 0x{s:x})",
            self.regs.direction, self.started, self.completed,
        )
    }

    /// The Status names, for the line after a failure.
    pub(super) fn status_text(&self) -> String {
        let s = status(&self.regs);
        format!(
            "  {} channel {} status 0x{s:x}: {}",
            self.regs.direction,
            self.regs.channel_id,
            status_names(s, self.regs.direction == Direction::C2H)
        )
    }

    /// `Test timeout waiting for ...` with the decoded status.
    pub(super) fn report_timeout(&self) {
        println!("Test timeout waiting for {}", self.waiting_text());
        println!("{}", self.status_text());
    }

    pub(super) fn report_error(&self) {
        println!(
            "Error reported in descriptor write back waiting for {}",
            self.waiting_text()
        );
        println!("{}", self.status_text());
    }

    /// Reads and clears the C2H stream writeback of transfer `index`: (magic/EOP word, length).
    pub(super) fn take_stream_wb(&self, index: u64) -> (u32, u32) {
        let wb = self.stream_wb.as_ref().map_or(0, |w| w.offset) + (index % RING) as usize * 8;
        let v = (
            self.descriptors.read_u32(wb),
            self.descriptors.read_u32(wb + 4),
        );
        self.descriptors.write_u64(wb, 0);
        v
    }

    pub(super) fn stop(&self) {
        stop(&self.regs);
    }
}

/// Descriptors mapping for one H2C/C2H pair.
pub(super) fn descriptors_bytes(c2h_stream: bool) -> u64 {
    let ring = (round_up_64(RING as usize * DESCRIPTOR_BYTES) + 64) as u64;
    let wb = if c2h_stream {
        round_up_64(RING as usize * STREAM_WB_BYTES) as u64
    } else {
        0
    };
    2 * ring + wb
}

/// Initialises the H2C ring then the C2H ring in one descriptors mapping.
pub(super) fn init_pair(
    ctx: &Ctx,
    bar: &Mmio,
    h: u8,
    c: u8,
    stream: bool,
) -> Option<(Mapping, Ring, Ring)> {
    let regs = |dir, ch| match channel_registers(bar, dir, ch, stream) {
        Ok(r) => Some(r),
        Err(m) => {
            println!("{m}");
            None
        }
    };
    let h2c_regs = regs(Direction::H2C, h)?;
    let c2h_regs = regs(Direction::C2H, c)?;
    let descriptors = ctx.alloc(
        "descriptors",
        descriptors_bytes(stream),
        DmaAccess::READ_WRITE,
        ctx.offsets[0],
    )?;
    let mut alloc = SubAllocator::new(Arc::clone(&descriptors.buffer));
    let init = |regs, alloc: &mut SubAllocator| {
        Ring::init(regs, &descriptors, alloc)
            .map_err(|m| println!("{m}"))
            .ok()
    };
    let h2c = init(h2c_regs, &mut alloc)?;
    let c2h = match init(c2h_regs, &mut alloc) {
        Some(r) => r,
        None => {
            h2c.stop();
            return None;
        }
    };
    Some((descriptors, h2c, c2h))
}
