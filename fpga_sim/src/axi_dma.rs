//! Model of the AXI DMA (PG021 v7.1) of TEF1001_ddr3_throughput in Direct Register mode
//! (designs_after_seed.md §4.7): MM2S (DDR -> an always-ready sink) and S2MM (a fixed-data
//! source that never ends a packet -> DDR), over 8 GiB of DDR3 the host cannot reach.
//!
//! Frame layout: MM2S block at 0x00, S2MM block at 0x30; DMACR +0x00 (RS bit 0, Reset bit 2),
//! DMASR +0x04, SA/DA +0x18/+0x1C, LENGTH +0x28 (26 bits; a non-zero write starts a
//! transfer while RS is set).
//!
//! Behaviour (the sheet's observations; no data is moved, only time and status):
//! - Reset (DMACR bit 2, either block) resets the whole AXI DMA at once: both DMACR 0, both
//!   DMASR Halted. The bit reads back clear immediately.
//! - Setting RS clears Halted; clearing RS halts the channel.
//! - MM2S completes a transfer after `length / MM2S_BYTES_PER_SECOND` (the rate measured on
//!   hardware, 5054.66 MB/s), seen on the next DMASR read: Idle | IOC_Irq.
//! - S2MM fails every transfer, on the first DMASR read after LENGTH: the source never
//!   asserts TLAST, which Direct mode treats as a packet longer than LENGTH:
//!   Halted | DMAIntErr | IOC_Irq | Err_Irq (0x5011), RS cleared.
//! - A transfer beyond the 33-bit DDR range fails with Halted | DMADecErr | Err_Irq.
//! - Once S2MM has failed, the next MM2S transfer halts at once with no error bit
//!   (Halted | IOC_Irq as left by the previous completion, 0x1001 after one transfer), as
//!   observed when both ran together (cause not established on hardware).
//! - IOC_Irq / Err_Irq are write-1-to-clear; other offsets read 0.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use vfio_access::mmio::AccessWidth;

use crate::peripheral::Peripheral;

pub const MM2S_BLOCK: u64 = 0x00;
pub const S2MM_BLOCK: u64 = 0x30;
pub const DMACR: u64 = 0x00;
pub const DMASR: u64 = 0x04;
pub const ADDRESS_LO: u64 = 0x18;
pub const ADDRESS_HI: u64 = 0x1C;
pub const LENGTH: u64 = 0x28;

pub const DMACR_RS: u32 = 1 << 0;
pub const DMACR_RESET: u32 = 1 << 2;
pub const DMASR_HALTED: u32 = 1 << 0;
pub const DMASR_IDLE: u32 = 1 << 1;
pub const DMASR_DMA_INT_ERR: u32 = 1 << 4;
pub const DMASR_DMA_SLV_ERR: u32 = 1 << 5;
pub const DMASR_DMA_DEC_ERR: u32 = 1 << 6;
pub const DMASR_IOC_IRQ: u32 = 1 << 12;
pub const DMASR_ERR_IRQ: u32 = 1 << 14;

/// 26-bit length register.
pub const LENGTH_MASK: u32 = (1 << 26) - 1;
/// The DDR3 behind the AXI DMA: 8 GiB at AXI address 0.
pub const DDR_BYTES: u64 = 8 << 30;
/// MM2S rate measured on hardware (5054.658820 Mbytes/sec).
pub const MM2S_BYTES_PER_SECOND: f64 = 5_054_658_820.0;

#[derive(Debug, Clone, Copy, Default)]
struct Channel {
    dmacr: u32,
    dmasr: u32,
    address: u64,
    /// Transfer in progress: when it completes.
    busy_until: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    mm2s: Channel,
    s2mm: Channel,
    s2mm_failed: bool,
}

impl State {
    const RESET: State = State {
        mm2s: Channel {
            dmacr: 0,
            dmasr: DMASR_HALTED,
            address: 0,
            busy_until: None,
        },
        s2mm: Channel {
            dmacr: 0,
            dmasr: DMASR_HALTED,
            address: 0,
            busy_until: None,
        },
        s2mm_failed: false,
    };
}

pub struct AxiDmaModel {
    state: Mutex<State>,
}

impl Default for AxiDmaModel {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::RESET),
        }
    }
}

fn halt(ch: &mut Channel, bits: u32) {
    ch.dmacr &= !DMACR_RS;
    ch.dmasr = (ch.dmasr & !DMASR_IDLE) | DMASR_HALTED | bits;
    ch.busy_until = None;
}

impl AxiDmaModel {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn start(st: &mut State, s2mm: bool, length: u32) {
        let failed_s2mm = st.s2mm_failed;
        let ch = if s2mm { &mut st.s2mm } else { &mut st.mm2s };
        if ch.dmacr & DMACR_RS == 0 || length == 0 {
            return;
        }
        ch.dmasr &= !DMASR_IDLE;
        if ch.address.saturating_add(u64::from(length)) > DDR_BYTES {
            halt(ch, DMASR_DMA_DEC_ERR | DMASR_ERR_IRQ);
        } else if s2mm {
            // Failure is reported on the next status read (the whole LENGTH fills at once).
            ch.busy_until = Some(Instant::now());
        } else if failed_s2mm {
            halt(ch, 0);
        } else {
            let secs = f64::from(length) / MM2S_BYTES_PER_SECOND;
            ch.busy_until = Some(Instant::now() + Duration::from_secs_f64(secs));
        }
    }

    fn status(st: &mut State, s2mm: bool) -> u32 {
        let now = Instant::now();
        if s2mm {
            if st.s2mm.busy_until.is_some_and(|t| now >= t) {
                halt(
                    &mut st.s2mm,
                    DMASR_DMA_INT_ERR | DMASR_IOC_IRQ | DMASR_ERR_IRQ,
                );
                st.s2mm_failed = true;
            }
            st.s2mm.dmasr
        } else {
            let ch = &mut st.mm2s;
            if ch.busy_until.is_some_and(|t| now >= t) {
                ch.busy_until = None;
                ch.dmasr |= DMASR_IDLE | DMASR_IOC_IRQ;
            }
            ch.dmasr
        }
    }
}

impl Peripheral for AxiDmaModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            return 0;
        }
        let mut st = self.lock();
        let (s2mm, reg) = match offset {
            o if o < S2MM_BLOCK => (false, o),
            o if o < S2MM_BLOCK + 0x30 => (true, o - S2MM_BLOCK),
            _ => return 0,
        };
        let v = match reg {
            DMACR => {
                if s2mm {
                    st.s2mm.dmacr
                } else {
                    st.mm2s.dmacr
                }
            }
            DMASR => Self::status(&mut st, s2mm),
            ADDRESS_LO | ADDRESS_HI => {
                let ch = if s2mm { st.s2mm } else { st.mm2s };
                if reg == ADDRESS_LO {
                    ch.address as u32
                } else {
                    (ch.address >> 32) as u32
                }
            }
            _ => 0,
        };
        v.into()
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        if width != AccessWidth::U32 {
            return;
        }
        let value = value as u32;
        let mut st = self.lock();
        let (s2mm, reg) = match offset {
            o if o < S2MM_BLOCK => (false, o),
            o if o < S2MM_BLOCK + 0x30 => (true, o - S2MM_BLOCK),
            _ => return,
        };
        match reg {
            DMACR if value & DMACR_RESET != 0 => *st = State::RESET,
            DMACR => {
                let ch = if s2mm { &mut st.s2mm } else { &mut st.mm2s };
                let was_running = ch.dmacr & DMACR_RS != 0;
                ch.dmacr = value & !DMACR_RESET;
                if value & DMACR_RS != 0 {
                    ch.dmasr &= !DMASR_HALTED;
                } else if was_running {
                    halt(ch, 0);
                }
            }
            DMASR => {
                let ch = if s2mm { &mut st.s2mm } else { &mut st.mm2s };
                ch.dmasr &= !(value & (DMASR_IOC_IRQ | DMASR_ERR_IRQ));
            }
            ADDRESS_LO | ADDRESS_HI => {
                let ch = if s2mm { &mut st.s2mm } else { &mut st.mm2s };
                ch.address = if reg == ADDRESS_LO {
                    (ch.address & !0xffff_ffff) | u64::from(value)
                } else {
                    (ch.address & 0xffff_ffff) | (u64::from(value) << 32)
                };
            }
            LENGTH => Self::start(&mut st, s2mm, value & LENGTH_MASK),
            _ => {}
        }
    }

    fn reset(&self) {
        *self.lock() = State::RESET;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: AccessWidth = AccessWidth::U32;

    fn reset(m: &AxiDmaModel, block: u64) {
        let cr = m.read(block + DMACR, W);
        m.write(block + DMACR, W, cr | u64::from(DMACR_RESET));
        assert_eq!(m.read(block + DMACR, W) & u64::from(DMACR_RESET), 0);
        assert_ne!(m.read(block + DMASR, W) & u64::from(DMASR_HALTED), 0);
    }

    fn start(m: &AxiDmaModel, block: u64, address: u64, length: u32) {
        let cr = m.read(block + DMACR, W);
        m.write(block + DMACR, W, cr | u64::from(DMACR_RS));
        m.write(block + ADDRESS_LO, W, address & 0xffff_ffff);
        m.write(block + ADDRESS_HI, W, address >> 32);
        m.write(block + LENGTH, W, length.into());
    }

    fn wait_done(m: &AxiDmaModel, block: u64) -> u32 {
        loop {
            let sr = m.read(block + DMASR, W) as u32;
            if sr & (DMASR_IDLE | DMASR_HALTED) != 0 {
                return sr;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn mm2s_completes_and_s2mm_fails_as_observed() {
        let m = AxiDmaModel::new();
        reset(&m, MM2S_BLOCK);
        start(&m, MM2S_BLOCK, 0, 0x1000);
        assert_eq!(wait_done(&m, MM2S_BLOCK), DMASR_IDLE | DMASR_IOC_IRQ);
        reset(&m, S2MM_BLOCK);
        start(&m, S2MM_BLOCK, 0, 0x3FF_FFC0);
        assert_eq!(wait_done(&m, S2MM_BLOCK), 0x5011);
        assert_eq!(m.read(S2MM_BLOCK + DMACR, W) & 1, 0, "RS cleared on error");
    }

    #[test]
    fn both_directions_halt_mm2s_after_one_transfer() {
        let m = AxiDmaModel::new();
        reset(&m, MM2S_BLOCK);
        start(&m, MM2S_BLOCK, 0, 0x3FF_FFC0);
        start(&m, S2MM_BLOCK, 0, 0x3FF_FFC0);
        assert_eq!(wait_done(&m, S2MM_BLOCK), 0x5011);
        assert_eq!(wait_done(&m, MM2S_BLOCK), 0x1002);
        start(&m, MM2S_BLOCK, 0x3FF_FFC0, 0x3FF_FFC0);
        assert_eq!(wait_done(&m, MM2S_BLOCK), 0x1001);
        // A reset clears the S2MM failure: MM2S works again.
        reset(&m, S2MM_BLOCK);
        start(&m, MM2S_BLOCK, 0, 64);
        assert_eq!(wait_done(&m, MM2S_BLOCK), 0x1002);
    }

    #[test]
    fn beyond_the_ddr_is_a_decode_error() {
        let m = AxiDmaModel::new();
        start(&m, MM2S_BLOCK, DDR_BYTES - 64, 128);
        assert_eq!(
            wait_done(&m, MM2S_BLOCK),
            DMASR_HALTED | DMASR_DMA_DEC_ERR | DMASR_ERR_IRQ
        );
        assert_eq!(m.read(0x800, W), 0);
    }
}
