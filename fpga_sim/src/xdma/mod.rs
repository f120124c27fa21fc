//! Model of the Xilinx DMA/Bridge Subsystem for PCI Express (XDMA, PG195): the 64 KiB DMA
//! control BAR and the scatter-gather engines behind it (fact sheet section 10).
//!
//! - [`regs`]: register offsets and bits; [`identifiers`]: identifier/alignment registers.
//! - Registers live in one locked state; every running channel has an engine thread
//!   (`engine`) that fetches descriptors through the board's [`DmaPort`] (the simulated
//!   IOMMU) and moves data, so a driver polling writeback memory sees progress without
//!   touching a register.
//! - Memory-mapped designs own a lazily allocated [`card_memory::CardMemory`]; what stream
//!   designs connect to the channels is their [`StreamUserLogic`]: the seed's cross
//!   loopback (H2C 0 -> C2H 1, H2C 1 -> C2H 0), the AXI4-Stream Switch, CRC64 engines or
//!   the fixed-data sink/source, with bounded [`stream`] links in front of each C2H.
//! - [`faults`]: fault injection for tests.

pub mod card_memory;
mod engine;
pub mod faults;
mod identifiers;
pub mod regs;
pub mod stream;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, RwLock, Weak};

use vfio_access::mmio::AccessWidth;
use vfio_access::sim::DmaPort;

use crate::axi_stream_switch::AxiStreamSwitchModel;
use crate::crc64_stream::Crc64StreamEngine;
use crate::pcie_link::LinkPacer;
use crate::peripheral::Peripheral;
use card_memory::CardMemory;
pub use faults::{
    parse_fault_list, Direction, FaultKind, FaultSpecError, XdmaFault, XDMA_FAULT_ENV,
};
use regs::*;
use stream::StreamLink;

/// How the XDMA IP of a design is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdmaConfig {
    pub h2c_channels: u8,
    pub c2h_channels: u8,
    /// AXI4-Stream user interface (loopback designs) rather than AXI4 memory mapped.
    pub stream: bool,
    /// Bytes of card memory at AXI address 0 (memory-mapped designs; 0 for stream).
    pub card_memory_bytes: u64,
    /// What the stream channels are wired to (ignored for memory-mapped designs).
    pub user_logic: StreamUserLogic,
}

/// The user logic behind the AXI4-Stream channels (designs_after_seed.md §1.1, §2, §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamUserLogic {
    /// Revision-0 loopback: H2C 0 -> C2H 1, H2C 1 -> C2H 0 (and 2 <-> 3).
    #[default]
    CrossLoopback,
    /// Revision >= 1 loopback: H2C s -> C2H m as the AXI4-Stream Switch's committed routing
    /// says ([`XdmaModel::connect_switch`]); an H2C channel routed nowhere is back-pressured.
    Switch,
    /// H2C n -> CRC64 engine n -> C2H n: one 8-byte result packet per H2C packet.
    Crc64,
    /// H2C n -> a sink that discards; C2H n <- an endless zero stream with no packet end.
    FixedData,
}

/// Size of the DMA control BAR.
pub const XDMA_BAR_SIZE: u64 = 0x10000;

/// Width in bytes of the AXI4-Stream data path (beats).
pub const STREAM_WIDTH_BYTES: u64 = 16;

/// Maximum channels per direction in the IP.
pub const MAX_CHANNELS: usize = 4;

/// A fault armed on a channel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Armed {
    kind: FaultKind,
    /// Descriptors still to let through (non-data faults), or the absolute byte offset in
    /// the channel's data of the word to corrupt.
    countdown_or_byte: u64,
}

/// Register and engine state of one channel.
#[derive(Debug, Default, Clone)]
pub(crate) struct Channel {
    control: u32,
    status: u32,
    busy: bool,
    completed: u32,
    wb_addr: u64,
    dsc_addr: u64,
    dsc_adj: u32,
    credits: u32,
    /// Next descriptor the engine fetches.
    next_desc: u64,
    /// Incremented on every rising edge of Run.
    epoch: u64,
    /// Stopped by STOP or an error until the next rising edge of Run.
    stopped: bool,
    /// An engine thread exists for this channel.
    thread: bool,
    /// Stalled by fault injection: never completes, never idle.
    hung: bool,
    /// Bytes moved since the model was created or reset.
    bytes_moved: u64,
    faults: Vec<Armed>,
}

impl Channel {
    fn run(&self) -> bool {
        self.control & CTRL_RUN != 0
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// [direction][channel]: 0 = H2C, 1 = C2H.
    channels: [[Channel; MAX_CHANNELS]; 2],
    halt: u32,
    credit_mode: u32,
    /// Incremented on every reset, so engines of a previous life stop touching state.
    generation: u64,
}

/// The engine-independent part of the model, shared with the engine threads.
pub(crate) struct Core {
    config: XdmaConfig,
    me: Weak<Core>,
    state: Mutex<State>,
    changed: Condvar,
    port: RwLock<Option<DmaPort>>,
    card: Option<CardMemory>,
    /// Input link of each C2H channel.
    links: Vec<StreamLink>,
    /// The switch between H2C and C2H ([`StreamUserLogic::Switch`]).
    switch: OnceLock<Arc<AxiStreamSwitchModel>>,
    /// The CRC64 engine of each H2C channel ([`StreamUserLogic::Crc64`]).
    crc64: Vec<Mutex<Crc64StreamEngine>>,
    /// H2C channels waiting for the switch to route their slave port somewhere.
    back_pressured: Vec<AtomicBool>,
    /// The board's PCIe link, which every channel's data crosses (pcie_link.rs).
    pacer: Arc<LinkPacer>,
}

pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::H2C => 0,
        Direction::C2H => 1,
    }
}

/// Bit of a channel in the SGDMA common halt / credit-mode registers.
fn common_bit(d: Direction, channel: usize) -> u32 {
    match d {
        Direction::H2C => 1 << channel,
        Direction::C2H => 1 << (16 + channel),
    }
}

impl Core {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn channel_count(&self, d: Direction) -> usize {
        usize::from(match d {
            Direction::H2C => self.config.h2c_channels,
            Direction::C2H => self.config.c2h_channels,
        })
        .min(MAX_CHANNELS)
    }

    fn set_control(&self, st: &mut State, d: Direction, c: usize, value: u32) {
        let ch = &mut st.channels[dir_index(d)][c];
        let was = ch.run();
        ch.control = value & CTRL_MASK;
        let now = ch.run();
        if now && !was {
            // The channel was idle before Run: its link time starts now (pcie_link.rs).
            self.pacer.idle(d, c);
            ch.completed = 0;
            ch.status &= !ST_CLEARED_ON_RUN;
            ch.next_desc = ch.dsc_addr;
            ch.stopped = false;
            ch.epoch += 1;
            ch.busy = true;
            if !ch.thread {
                ch.thread = true;
                engine::spawn(self.me.clone(), d, c, st.generation);
            }
        } else if was && !now {
            // Stopped: the channel no longer takes a share of the link.
            self.pacer.idle(d, c);
            ch.credits = 0;
            if !ch.thread && !ch.hung {
                ch.busy = false;
            }
        }
        self.changed.notify_all();
    }

    fn write_reg(&self, offset: u64, value: u32) {
        let target = (offset >> 12) & 0xf;
        let c = ((offset >> 8) & 0xf) as usize;
        let reg = offset & 0xff;
        let mut st = self.lock();
        match target {
            TARGET_H2C | TARGET_C2H => {
                let d = if target == TARGET_H2C {
                    Direction::H2C
                } else {
                    Direction::C2H
                };
                if c >= self.channel_count(d) {
                    return;
                }
                let old = st.channels[dir_index(d)][c].control;
                match reg {
                    CH_CONTROL => self.set_control(&mut st, d, c, value),
                    CH_CONTROL_W1S => self.set_control(&mut st, d, c, old | value),
                    CH_CONTROL_W1C => self.set_control(&mut st, d, c, old & !value),
                    CH_STATUS => st.channels[dir_index(d)][c].status &= !value,
                    CH_WB_LO => {
                        let ch = &mut st.channels[dir_index(d)][c];
                        ch.wb_addr = (ch.wb_addr & !0xffff_ffff) | u64::from(value);
                    }
                    CH_WB_HI => {
                        let ch = &mut st.channels[dir_index(d)][c];
                        ch.wb_addr = (ch.wb_addr & 0xffff_ffff) | (u64::from(value) << 32);
                    }
                    _ => {}
                }
            }
            TARGET_H2C_SGDMA | TARGET_C2H_SGDMA => {
                let d = if target == TARGET_H2C_SGDMA {
                    Direction::H2C
                } else {
                    Direction::C2H
                };
                if c >= self.channel_count(d) {
                    return;
                }
                let credit_mode = st.credit_mode & common_bit(d, c) != 0;
                let ch = &mut st.channels[dir_index(d)][c];
                match reg {
                    SG_DSC_LO => ch.dsc_addr = (ch.dsc_addr & !0xffff_ffff) | u64::from(value),
                    SG_DSC_HI => {
                        ch.dsc_addr = (ch.dsc_addr & 0xffff_ffff) | (u64::from(value) << 32)
                    }
                    SG_DSC_ADJ => ch.dsc_adj = value & 0x3f,
                    SG_CREDITS if credit_mode => {
                        ch.credits = (ch.credits + (value & 0x3ff)).min(MAX_CREDITS);
                        self.changed.notify_all();
                    }
                    _ => {}
                }
            }
            TARGET_SGDMA_COMMON => {
                match reg {
                    COMMON_HALT => st.halt = value,
                    COMMON_HALT_W1S => st.halt |= value,
                    COMMON_HALT_W1C => st.halt &= !value,
                    COMMON_CREDIT | COMMON_CREDIT_W1S | COMMON_CREDIT_W1C => {
                        let old = st.credit_mode;
                        st.credit_mode = match reg {
                            COMMON_CREDIT => value,
                            COMMON_CREDIT_W1S => old | value,
                            _ => old & !value,
                        } & 0x000f_000f;
                        for d in [Direction::H2C, Direction::C2H] {
                            for c in 0..MAX_CHANNELS {
                                let bit = common_bit(d, c);
                                if old & bit != 0 && st.credit_mode & bit == 0 {
                                    st.channels[dir_index(d)][c].credits = 0;
                                }
                            }
                        }
                    }
                    _ => {}
                }
                st.halt &= 0x000f_000f;
                self.changed.notify_all();
            }
            _ => {}
        }
    }

    fn read_reg(&self, offset: u64) -> u32 {
        if let Some(v) = identifiers::read(&self.config, offset) {
            return v;
        }
        let target = (offset >> 12) & 0xf;
        let c = ((offset >> 8) & 0xf) as usize;
        let reg = offset & 0xff;
        let mut st = self.lock();
        match target {
            TARGET_H2C | TARGET_C2H => {
                let d = if target == TARGET_H2C { 0 } else { 1 };
                let ch = &mut st.channels[d][c];
                let busy = if ch.busy { ST_BUSY } else { 0 };
                match reg {
                    CH_CONTROL | CH_CONTROL_W1S | CH_CONTROL_W1C => ch.control,
                    CH_STATUS => ch.status | busy,
                    CH_STATUS_RC => {
                        let v = ch.status | busy;
                        ch.status = 0;
                        v
                    }
                    CH_COMPLETED => ch.completed,
                    CH_WB_LO => ch.wb_addr as u32,
                    CH_WB_HI => (ch.wb_addr >> 32) as u32,
                    _ => 0,
                }
            }
            TARGET_H2C_SGDMA | TARGET_C2H_SGDMA => {
                let d = if target == TARGET_H2C_SGDMA { 0 } else { 1 };
                let ch = &st.channels[d][c];
                match reg {
                    SG_DSC_LO => ch.dsc_addr as u32,
                    SG_DSC_HI => (ch.dsc_addr >> 32) as u32,
                    SG_DSC_ADJ => ch.dsc_adj,
                    SG_CREDITS => ch.credits,
                    _ => 0,
                }
            }
            TARGET_SGDMA_COMMON => match reg {
                COMMON_HALT | COMMON_HALT_W1S | COMMON_HALT_W1C => st.halt,
                COMMON_CREDIT | COMMON_CREDIT_W1S | COMMON_CREDIT_W1C => st.credit_mode,
                _ => 0,
            },
            _ => 0,
        }
    }

    fn reset(&self) {
        let mut st = self.lock();
        let generation = st.generation + 1;
        let moved: Vec<Vec<(u64, Vec<Armed>)>> = st
            .channels
            .iter()
            .map(|d| {
                d.iter()
                    .map(|c| (c.bytes_moved, c.faults.clone()))
                    .collect()
            })
            .collect();
        *st = State {
            generation,
            ..State::default()
        };
        // Armed faults survive a reset (tests arm them before the tool opens the board).
        for (d, chans) in moved.into_iter().enumerate() {
            for (c, (bytes, faults)) in chans.into_iter().enumerate() {
                st.channels[d][c].bytes_moved = bytes;
                st.channels[d][c].faults = faults;
            }
        }
        drop(st);
        for l in &self.links {
            l.clear();
        }
        for e in &self.crc64 {
            e.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
        self.changed.notify_all();
    }

    fn inject(&self, fault: XdmaFault) {
        let mut st = self.lock();
        let ch =
            &mut st.channels[dir_index(fault.direction)][usize::from(fault.channel) % MAX_CHANNELS];
        let countdown_or_byte = match fault.kind {
            FaultKind::CorruptWord(word) => ch.bytes_moved + word * 4,
            _ => fault.after_descriptors,
        };
        ch.faults.push(Armed {
            kind: fault.kind,
            countdown_or_byte,
        });
    }
}

/// The XDMA model: the DMA BAR of a design.
pub struct XdmaModel {
    core: Arc<Core>,
}

impl XdmaModel {
    /// A model in its reset state, its DMA not limited by a link. Faults listed in
    /// [`XDMA_FAULT_ENV`] are armed (an invalid list is reported on stderr and ignored).
    pub fn new(config: XdmaConfig) -> Arc<Self> {
        Self::with_pacer(config, Arc::new(LinkPacer::unlimited()))
    }

    /// As [`XdmaModel::new`], its data paced by the board's link.
    pub fn with_pacer(config: XdmaConfig, pacer: Arc<LinkPacer>) -> Arc<Self> {
        let core = Arc::new_cyclic(|me| Core {
            config,
            me: me.clone(),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            port: RwLock::new(None),
            card: (!config.stream && config.card_memory_bytes > 0).then(|| {
                CardMemory::with_undecoded_bits(
                    config.card_memory_bytes,
                    CardMemory::undecoded_bits_from_env(),
                )
            }),
            links: (0..MAX_CHANNELS).map(|_| StreamLink::default()).collect(),
            switch: OnceLock::new(),
            crc64: (0..MAX_CHANNELS).map(|_| Mutex::default()).collect(),
            back_pressured: (0..MAX_CHANNELS).map(|_| AtomicBool::new(false)).collect(),
            pacer,
        });
        // An invalid list was already refused by `build_boards` (BoardListError::BadXdmaFaults).
        if let Ok(list) = std::env::var(XDMA_FAULT_ENV).map(|t| faults::parse_fault_list(&t)) {
            list.into_iter().flatten().for_each(|f| core.inject(f));
        }
        Arc::new(Self { core })
    }

    pub fn config(&self) -> XdmaConfig {
        self.core.config
    }

    /// Wires the switch that routes H2C to C2H ([`StreamUserLogic::Switch`]; the board does
    /// this when it builds both models). Only the first call has an effect.
    pub fn connect_switch(&self, switch: Arc<AxiStreamSwitchModel>) {
        let _ = self.core.switch.set(switch);
    }

    /// H2C `channel` holds a descriptor that the switch routes nowhere (its stream is
    /// back-pressured), for tests to synchronise on.
    pub fn h2c_back_pressured(&self, channel: usize) -> bool {
        self.core
            .back_pressured
            .get(channel)
            .is_some_and(|b| b.load(Ordering::Acquire))
    }

    /// Arms a one-shot fault on a channel.
    pub fn inject_fault(&self, fault: XdmaFault) {
        self.core.inject(fault);
    }

    /// Bytes of host memory the card memory currently occupies.
    pub fn card_memory_allocated(&self) -> u64 {
        self.core.card.as_ref().map_or(0, |c| c.allocated_bytes())
    }
}

impl Peripheral for XdmaModel {
    fn read(&self, offset: u64, width: AccessWidth) -> u64 {
        if width != AccessWidth::U32 {
            // The IP only supports 32-bit register accesses; wider reads return all-ones.
            return width.mask();
        }
        self.core.read_reg(offset).into()
    }

    fn write(&self, offset: u64, width: AccessWidth, value: u64) {
        match width {
            // A 64-bit write only reaches the lower half.
            AccessWidth::U32 | AccessWidth::U64 => self.core.write_reg(offset, value as u32),
            _ => {}
        }
    }

    fn attach_dma(&self, port: DmaPort) {
        *self.core.port.write().unwrap_or_else(|p| p.into_inner()) = Some(port);
    }

    fn reset(&self) {
        self.core.reset();
    }
}

impl Drop for XdmaModel {
    fn drop(&mut self) {
        // Engines hold only weak references; wake them so they notice and exit.
        self.core.reset();
    }
}
