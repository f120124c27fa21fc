//! MMIO round trips per second through the vfio-user socket, without QEMU: the vfio_user
//! crate's client reads a BAR register of a board served in this process, N times.
//! Usage: mmio_round_trips [COUNT] (default 100000)

use std::sync::mpsc;
use std::time::Instant;

use fpga_sim::board::BoardOptions;
use sim_board_server::{choose_board, serve, BoardBackend};

fn main() -> anyhow::Result<()> {
    let count: u32 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 100_000,
    };
    let dir = std::env::temp_dir().join(format!("mmio_round_trips.{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.clone()),
    };
    let board = choose_board("NiteFury_dma_stream_loopback", &options)?;
    let socket = dir.join("board.sock");
    let (tx, rx) = mpsc::channel();
    let path = socket.clone();
    let server = std::thread::spawn(move || {
        let mut backend = BoardBackend::new(board, None);
        serve(&mut backend, &path, || {
            let _ = tx.send(());
        })
    });
    rx.recv()?;
    let mut client = vfio_user::Client::new(&socket)?;
    let mut value = [0u8; 4];
    let start = Instant::now();
    for _ in 0..count {
        // XDMA H2C channel 0 identifier, BAR 2 (xilinx_dma_bridge.md).
        client.region_read(2, 0, &mut value)?;
    }
    let secs = start.elapsed().as_secs_f64();
    drop(client);
    server
        .join()
        .map_err(|_| anyhow::anyhow!("server thread panicked"))??;
    std::fs::remove_dir_all(&dir)?;
    println!(
        "{count} BAR reads in {secs:.3}s: {:.0} round trips/s ({:.1} us each)",
        f64::from(count) / secs,
        secs * 1e6 / f64::from(count)
    );
    Ok(())
}
