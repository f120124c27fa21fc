//! The post-seed stream designs at register level through a whole simulated board
//! (designs_after_seed.md §2.10, §3): CRC64 results, the fixed-data source and sink, and
//! the switch of the revision-1 loopback designs (disabled after reset, back-pressure,
//! routing by the committed MI_MUX values).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fpga_sim::axi_stream_switch::AxiStreamSwitchModel;
use fpga_sim::board::{Board, BoardOptions, Design};
use fpga_sim::crc64_stream::crc64_of_words;
use fpga_sim::xdma::{Direction, FaultKind, XdmaFault, XdmaModel};
use vfio_access::{
    DmaAccess, DmaBuffer, DmaCapability, IdentityFilter, Mmio, OpenOptions, PciLocation, Session,
};

const MAGIC: u32 = 0xAD4B_0000;
const STOP_COMPLETED: u32 = 0x3;
const EOP: u32 = 0x10;

struct Rig {
    session: Session,
    board: Arc<Board>,
    _dir: tempfile::TempDir,
}

fn open(design: Design) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let board = Board::new(design, PciLocation::new(0, 3, 0, 0), &options);
    let filter = IdentityFilter::vendor_device(0x10ee, 0x7024, DmaCapability::A64);
    let session =
        Session::open_sim(vec![board.sim_board(7)], &OpenOptions::default(), &[filter]).unwrap();
    Rig {
        session,
        board,
        _dir: dir,
    }
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::yield_now();
    }
}

/// One single-descriptor transfer on a channel: descriptor at `mem` offset `slot * 0x100`,
/// C2H stream writeback right after it, completed-count writeback at +0x40.
struct Transfer<'a> {
    regs: &'a Mmio,
    mem: &'a DmaBuffer,
    block: u64,
    slot: usize,
}

impl Transfer<'_> {
    fn start(&self, control: u32, len: u32, src: u64, dst: u64) {
        let d = self.slot * 0x100;
        self.mem.write_u32(d, MAGIC | control);
        self.mem.write_u32(d + 4, len);
        self.mem.write_u64(d + 8, src);
        self.mem.write_u64(d + 16, dst);
        self.mem.write_u64(d + 24, 0);
        self.mem.write_u64(d + 0x20, 0);
        self.mem.write_u32(d + 0x40, 0);
        self.regs
            .write64_split(self.block + 0x4080, self.mem.iova() + d as u64);
        self.regs
            .write64_split(self.block + 0x88, self.mem.iova() + d as u64 + 0x40);
        self.regs.write32(self.block + 0x04, 0x04FF_FE38);
        self.regs.write32(self.block + 0x08, 1);
    }

    /// The C2H stream writeback address to put in the descriptor's source field.
    fn stream_writeback(&self) -> u64 {
        self.mem.iova() + (self.slot * 0x100 + 0x20) as u64
    }

    fn completed(&self) -> u32 {
        self.mem.read_u32(self.slot * 0x100 + 0x40)
    }

    /// (magic/EOP word, length) of the C2H stream writeback.
    fn writeback(&self) -> (u32, u32) {
        let o = self.slot * 0x100 + 0x20;
        (self.mem.read_u32(o), self.mem.read_u32(o + 4))
    }
}

fn h2c(c: u64) -> u64 {
    c << 8
}
fn c2h(c: u64) -> u64 {
    0x1000 | (c << 8)
}

fn lcg64(n: usize) -> Vec<u64> {
    let mut x = 0u64;
    (0..n)
        .map(|_| {
            let v = x;
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            v
        })
        .collect()
}

fn bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

#[test]
fn crc64_design_returns_one_result_per_packet_on_the_same_channel() {
    let rig = open(Design::Tosing160tDmaStreamCrc64);
    let dev = &rig.session.devices()[0];
    let regs = dev.bar(2).unwrap();
    let mem = dev.alloc_dma(0x1000, DmaAccess::READ_WRITE).unwrap();
    let tx = dev.alloc_dma(0x2000, DmaAccess::READ).unwrap();
    let rx = dev.alloc_dma(0x1000, DmaAccess::WRITE).unwrap();
    let words = lcg64(5);
    for channel in [0u64, 1] {
        tx.write_bytes(0, &bytes(&words[1..5]));
        rx.write_bytes(0, &[0xAA; 16]);
        let c2h_t = Transfer {
            regs: &regs,
            mem: &mem,
            block: c2h(channel),
            slot: 0,
        };
        let h2c_t = Transfer {
            regs: &regs,
            mem: &mem,
            block: h2c(channel),
            slot: 1,
        };
        // C2H first, as all software does, with room for far more than the result.
        c2h_t.start(STOP_COMPLETED, 0x1000, c2h_t.stream_writeback(), rx.iova());
        h2c_t.start(STOP_COMPLETED | EOP, 32, tx.iova(), 0);
        wait_for("C2H completion", || c2h_t.completed() == 1);
        wait_for("H2C completion", || h2c_t.completed() == 1);
        assert_eq!(c2h_t.writeback(), (0x52B4_0001, 8));
        assert_eq!(rx.read_u64(0), 0xE93CA9D31924E4E6);
        assert_eq!(
            rx.read_u64(8),
            0xAAAA_AAAA_AAAA_AAAA,
            "only 8 bytes written"
        );
        assert_eq!(crc64_of_words(&words[1..5]), 0xE93CA9D31924E4E6);
        regs.write32(c2h(channel) + 0x0C, 1);
        regs.write32(h2c(channel) + 0x0C, 1);
    }
    // An injected corruption of the H2C data gives a CRC mismatch, nothing else.
    rig.board
        .peripheral::<XdmaModel>()
        .unwrap()
        .inject_fault(XdmaFault::new(Direction::H2C, 0, FaultKind::CorruptWord(0)));
    let c2h_t = Transfer {
        regs: &regs,
        mem: &mem,
        block: c2h(0),
        slot: 0,
    };
    let h2c_t = Transfer {
        regs: &regs,
        mem: &mem,
        block: h2c(0),
        slot: 1,
    };
    c2h_t.start(STOP_COMPLETED, 0x1000, c2h_t.stream_writeback(), rx.iova());
    h2c_t.start(STOP_COMPLETED | EOP, 32, tx.iova(), 0);
    wait_for("C2H completion", || c2h_t.completed() == 1);
    assert_eq!(c2h_t.writeback(), (0x52B4_0001, 8));
    assert_ne!(rx.read_u64(0), 0xE93CA9D31924E4E6);
}

#[test]
fn fixed_data_design_fills_c2h_with_zeros_and_sinks_h2c() {
    let rig = open(Design::NiteFuryDmaStreamFixedData);
    let dev = &rig.session.devices()[0];
    let regs = dev.bar(2).unwrap();
    let mem = dev.alloc_dma(0x1000, DmaAccess::READ_WRITE).unwrap();
    let tx = dev.alloc_dma(0x4000, DmaAccess::READ).unwrap();
    let rx = dev.alloc_dma(0x4000, DmaAccess::WRITE).unwrap();
    rx.write_bytes(0, &[0xAA; 0x4000]);
    let c2h_t = Transfer {
        regs: &regs,
        mem: &mem,
        block: c2h(1),
        slot: 0,
    };
    // Not a multiple of 16: the buffer fills to the next multiple.
    c2h_t.start(STOP_COMPLETED, 0x3ff8, c2h_t.stream_writeback(), rx.iova());
    wait_for("C2H completion", || c2h_t.completed() == 1);
    assert_eq!(c2h_t.writeback(), (0x52B4_0000, 0x4000), "no EOP, ever");
    assert!((0..0x4000).step_by(8).all(|o| rx.read_u64(o) == 0));
    // H2C completes with no C2H running at all.
    let h2c_t = Transfer {
        regs: &regs,
        mem: &mem,
        block: h2c(0),
        slot: 1,
    };
    h2c_t.start(STOP_COMPLETED, 0x4000, tx.iova(), 0);
    wait_for("H2C completion", || h2c_t.completed() == 1);
}

#[test]
fn revision_1_loopback_is_back_pressured_until_the_switch_routes_it() {
    let rig = open(Design::Tef1001DmaStreamLoopbackRev1);
    let dev = &rig.session.devices()[0];
    let regs = dev.bar(2).unwrap();
    let switch = dev.bar(0).unwrap().window(0x6000, 0x1000).unwrap();
    let xdma = rig.board.peripheral::<XdmaModel>().unwrap();
    let model = rig.board.peripheral::<AxiStreamSwitchModel>().unwrap();
    // After the open's reset every master port is disabled.
    assert_eq!(switch.read32(0x40), 0x8000_0000);
    assert_eq!(switch.read32(0x44), 0x8000_0000);
    let mem = dev.alloc_dma(0x1000, DmaAccess::READ_WRITE).unwrap();
    let tx = dev.alloc_dma(0x1000, DmaAccess::READ).unwrap();
    let rx = dev.alloc_dma(0x1000, DmaAccess::WRITE).unwrap();
    let data: Vec<u8> = (0..0x1000u32).map(|i| (i * 7) as u8).collect();
    tx.write_bytes(0, &data);
    let c2h_t = Transfer {
        regs: &regs,
        mem: &mem,
        block: c2h(0),
        slot: 0,
    };
    let h2c_t = Transfer {
        regs: &regs,
        mem: &mem,
        block: h2c(0),
        slot: 1,
    };
    c2h_t.start(STOP_COMPLETED, 0x1000, c2h_t.stream_writeback(), rx.iova());
    h2c_t.start(STOP_COMPLETED | EOP, 0x1000, tx.iova(), 0);
    wait_for("H2C 0 back-pressured", || xdma.h2c_back_pressured(0));
    assert_eq!(h2c_t.completed(), 0);
    assert_eq!(regs.read32(h2c(0) + 0x40) & 1, 1, "H2C 0 still busy");
    // Master 0 <- slave 0 (a route the seed's cross wiring never had), then commit.
    switch.write32(0x40, 0);
    switch.write32(0x44, 0x8000_0000);
    assert!(xdma.h2c_back_pressured(0), "no effect before the commit");
    switch.write32(0x000, 2);
    assert_eq!(model.committed_routes(), vec![Some(0), None]);
    wait_for("C2H 0 completion", || c2h_t.completed() == 1);
    wait_for("H2C 0 completion", || h2c_t.completed() == 1);
    assert_eq!(c2h_t.writeback(), (0x52B4_0001, 0x1000));
    let mut got = vec![0u8; 0x1000];
    rx.read_bytes(0, &mut got);
    assert_eq!(got, data);
    // A VFIO reset disables the routes again.
    dev.reset().unwrap();
    assert_eq!(switch.read32(0x40), 0x8000_0000);
    assert_eq!(model.committed_routes(), vec![None, None]);
}
