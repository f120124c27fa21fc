//! The server end to end over a real Unix socket, with the vfio_user crate's own client in
//! place of QEMU: config space, BAR registers, DMA through the client's mappings (H2C and
//! C2H on a memory-mapped XDMA design), an IOMMU fault outside them, reset, disconnect.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use fpga_sim::board::BoardOptions;
use sim_board_server::{choose_board, serve, BoardBackend};
use vfio_bindings::bindings::vfio::VFIO_PCI_CONFIG_REGION_INDEX;
use vfio_user::ServerBackend;

const CONFIG: u32 = VFIO_PCI_CONFIG_REGION_INDEX;
/// TEF1001_dma_ddr3: the DMA bridge is BAR 2 (xilinx_dma_bridge.md).
const DMA_BAR: u32 = 2;
const MEMORY_SIZE: u64 = 0x40000;
/// Where the client's memory file sits in IOVA space.
const IOVA: u64 = 0x1_0000_0000;
const MAGIC: u32 = 0xAD4B_0000;

struct Served {
    client: vfio_user::Client,
    server: thread::JoinHandle<Result<(), sim_board_server::ServeError>>,
    memory: std::sync::Arc<sim_board_server::ClientMemory>,
    _dir: tempfile::TempDir,
}

fn serve_board(board: &str) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let board = choose_board(board, &options).unwrap();
    let socket = dir.path().join("board.sock");
    let (tx, rx) = mpsc::channel();
    let (mem_tx, mem_rx) = mpsc::channel();
    let path = socket.clone();
    let server = thread::spawn(move || {
        let mut backend = BoardBackend::new(board, None);
        mem_tx.send(backend.client_memory().clone()).unwrap();
        serve(&mut backend, &path, || tx.send(()).unwrap())
    });
    rx.recv().expect("server listening");
    let memory = mem_rx.recv().unwrap();
    let client = vfio_user::Client::new(&socket).unwrap();
    Served {
        client,
        server,
        memory,
        _dir: dir,
    }
}

fn read32(c: &mut vfio_user::Client, region: u32, offset: u64) -> u32 {
    let mut b = [0u8; 4];
    c.region_read(region, offset, &mut b).unwrap();
    u32::from_le_bytes(b)
}

fn write32(c: &mut vfio_user::Client, region: u32, offset: u64, value: u32) {
    c.region_write(region, offset, &value.to_le_bytes())
        .unwrap();
}

fn put(f: &mut File, at: u64, bytes: &[u8]) {
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

fn get(f: &mut File, at: u64, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    f.seek(SeekFrom::Start(at)).unwrap();
    f.read_exact(&mut b).unwrap();
    b
}

fn descriptor(f: &mut File, at: u64, control: u32, len: u32, src: u64, dst: u64) {
    let mut d = Vec::new();
    d.extend_from_slice(&(MAGIC | control).to_le_bytes());
    d.extend_from_slice(&len.to_le_bytes());
    d.extend_from_slice(&src.to_le_bytes());
    d.extend_from_slice(&dst.to_le_bytes());
    d.extend_from_slice(&0u64.to_le_bytes());
    put(f, at, &d);
}

/// Runs the one-descriptor chain at file offset `desc` on channel block `block`
/// (0x0000 H2C 0, 0x1000 C2H 0) with its writeback at file offset `wb`.
fn run_chain(c: &mut vfio_user::Client, block: u64, desc: u64, wb: u64) {
    let sgdma = block + 0x4000;
    write32(c, DMA_BAR, sgdma + 0x80, (IOVA + desc) as u32);
    write32(c, DMA_BAR, sgdma + 0x84, ((IOVA + desc) >> 32) as u32);
    write32(c, DMA_BAR, block + 0x88, (IOVA + wb) as u32);
    write32(c, DMA_BAR, block + 0x8c, ((IOVA + wb) >> 32) as u32);
    write32(c, DMA_BAR, block + 0x04, 0x04FF_FE38);
    write32(c, DMA_BAR, block + 0x08, 1);
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        thread::yield_now();
    }
}

#[test]
fn config_space_and_bar_registers_are_the_boards() {
    let mut s = serve_board("TEF1001_dma_ddr3@0000:03:00.0");
    let c = &mut s.client;
    assert_eq!(c.region(CONFIG).map(|r| r.size), Some(4096));
    let spec = fpga_sim::board::Design::Tef1001DmaDdr3.spec();
    for (i, bar) in spec.bars.iter().enumerate() {
        let size = c.region(i as u32).map(|r| r.size).unwrap_or(0);
        assert_eq!(size, bar.map(|b| b.size).unwrap_or(0), "BAR {i} size");
    }
    let id = spec.identity;
    assert_eq!(
        read32(c, CONFIG, 0),
        u32::from(id.vendor_id) | u32::from(id.device_id) << 16
    );
    assert_eq!(
        read32(c, CONFIG, 0x2c) >> 16,
        u32::from(id.subsystem_device_id)
    );
    // LnkSta of the PCI Express capability at 0x60: Gen2 x4.
    assert_eq!(read32(c, CONFIG, 0x70) >> 16, 0x42);
    // XDMA H2C channel 0 identifier (PG195: 0x1FC0 in the top bits).
    assert_eq!(read32(c, DMA_BAR, 0x0000) >> 20, 0x1FC);
    assert_eq!(read32(c, DMA_BAR, 0x1000) >> 20, 0x1FC);
    c.shutdown().unwrap();
    drop(s.client);
    s.server.join().unwrap().expect("clean end on disconnect");
}

#[test]
fn dma_reaches_only_the_client_mappings() {
    let mut s = serve_board("TEF1001_dma_ddr3@0000:04:00.0");
    let mut mem = tempfile::tempfile().unwrap();
    mem.set_len(MEMORY_SIZE).unwrap();
    let c = &mut s.client;
    c.dma_map(0, IOVA, MEMORY_SIZE, mem.as_raw_fd()).unwrap();
    assert_eq!(s.memory.mappings().len(), 1);
    // Bus master on, as vfio-pci in the guest does for a DMA tool.
    write32(c, CONFIG, 0x04, 0x0006);

    // H2C: 0x2000 bytes from file offset 0x10000 to card address 0x100.
    let data: Vec<u8> = (0..0x2000u32).map(|i| (i * 7 + 3) as u8).collect();
    put(&mut mem, 0x10000, &data);
    descriptor(&mut mem, 0x0, 0x3, 0x2000, IOVA + 0x10000, 0x100);
    run_chain(c, 0x0000, 0x0, 0x1000);
    wait_for("H2C writeback", || get(&mut mem, 0x1000, 4) == [1, 0, 0, 0]);
    // C2H: card address 0x100 back to file offset 0x20000.
    descriptor(&mut mem, 0x100, 0x3, 0x2000, 0x100, IOVA + 0x20000);
    run_chain(c, 0x1000, 0x100, 0x1100);
    wait_for("C2H writeback", || get(&mut mem, 0x1100, 4) != [0, 0, 0, 0]);
    assert_eq!(get(&mut mem, 0x20000, 0x2000), data);
    assert_eq!(s.memory.fault_count(), 0);

    // After the unmap the same transfer faults in the model and writes nothing.
    c.dma_unmap(IOVA, MEMORY_SIZE).unwrap();
    assert!(s.memory.mappings().is_empty());
    c.reset().unwrap();
    write32(c, CONFIG, 0x04, 0x0006);
    run_chain(c, 0x1000, 0x100, 0x1100);
    wait_for("IOMMU fault", || s.memory.fault_count() > 0);
    assert!(s.memory.last_fault().is_some());
    drop(s.client);
    s.server.join().unwrap().expect("clean end on disconnect");
}

/// Requests the board cannot serve are refused with an error (the crate's client cannot
/// read error replies to region reads, so these go to the backend directly).
#[test]
fn bad_region_accesses_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let board = choose_board("TEF1001_dma_ddr3@0000:05:00.0", &options).unwrap();
    let log = SharedLog::default();
    let mut backend = BoardBackend::new(board, Some(Box::new(log.clone())));
    let mut three = [0u8; 3];
    assert!(backend.region_read(DMA_BAR, 0, &mut three).is_err());
    assert!(backend
        .region_read(DMA_BAR, 0x10000, &mut [0u8; 4])
        .is_err());
    assert!(backend.region_read(DMA_BAR, 2, &mut [0u8; 4]).is_err());
    assert!(
        backend.region_read(1, 0, &mut [0u8; 4]).is_err(),
        "upper half of BAR 0"
    );
    assert!(backend.region_write(CONFIG, 0xffe, &[0u8; 4]).is_err());
    let mut four = [0u8; 4];
    backend.region_read(DMA_BAR, 0, &mut four).unwrap();
    assert_eq!(u32::from_le_bytes(four) >> 20, 0x1FC);
    let text = log.text();
    assert_eq!(text.matches("refused: ").count(), 5, "{text}");
    assert!(text.contains("BAR 2: 3-byte access at 0x0"), "{text}");
}

#[derive(Clone, Default)]
struct SharedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for SharedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
