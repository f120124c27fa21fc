//! vfio_user_sim_board: serves one simulated FPGA board (fpga_sim) as a vfio-user PCI
//! device on a Unix socket, for QEMU's `vfio-user-pci` (see the crate README).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Parser;
use fpga_sim::board::BoardOptions;
use sim_board_server::{choose_board, serve, BoardBackend, EventLog};

#[derive(Parser, Debug)]
#[command(
    name = "vfio_user_sim_board",
    about = "Serve one simulated FPGA board as a vfio-user PCI device on a Unix socket",
    long_about = "Serve one simulated FPGA board (the same register models as --sim) as a \
vfio-user PCI device on a Unix socket, for QEMU's vfio-user-pci device. One client is \
served; the server exits 0 when it disconnects and removes the socket.\n\n\
DMA reaches the client's memory only through the client's DMA mappings with memory file \
descriptors (QEMU: guest RAM from memory-backend-memfd with share=on); an access outside \
them is an IOMMU fault in the model."
)]
struct Cli {
    /// The board: <design>[@<location>] (one entry of the --sim list syntax); the location
    /// names the board's state files (flash, block RAM), shared with --sim
    board: String,
    /// Unix socket to listen on (must not exist)
    #[arg(long, value_name = "PATH")]
    socket: PathBuf,
    /// Directory of the boards' persistent state files (default: the --sim one:
    /// $FPGA_SIO_SIM_DIR, else $XDG_CACHE_HOME/fpga_sio/sim, else ~/.cache/fpga_sio/sim)
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Seed of the XADC model (default: $FPGA_SIO_SIM_XADC_SEED, else the design's)
    #[arg(long, value_name = "N")]
    xadc_seed: Option<u64>,
    /// Log DMA maps and unmaps, resets, bus master changes and refused requests to stderr,
    /// and a summary of the accesses served at the end
    #[arg(long)]
    log: bool,
    /// Print "listening on <socket>" on stdout once the socket accepts connections
    #[arg(long)]
    announce: bool,
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut options = BoardOptions::from_env();
    if cli.xadc_seed.is_some() {
        options.xadc_seed = cli.xadc_seed;
    }
    if cli.state_dir.is_some() {
        options.state_dir = cli.state_dir.clone();
    }
    let board = choose_board(&cli.board, &options)?;
    let name = format!("{} at {}", board.name(), board.location());
    let log: Option<EventLog> = cli.log.then(|| {
        let prefix = format!("vfio_user_sim_board[{}]: ", board.name());
        Box::new(PrefixedStderr { prefix }) as EventLog
    });
    let mut backend = BoardBackend::new(board, log);
    serve(&mut backend, &cli.socket, || {
        if cli.announce {
            println!("listening on {}", cli.socket.display());
            let _ = std::io::stdout().flush();
        }
    })
    .with_context(|| format!("serving {name}"))?;
    if cli.log {
        let c = backend.counts();
        eprintln!(
            "vfio_user_sim_board: {name}: client disconnected after {} BAR reads, {} BAR writes, {} config accesses, {} resets, {} IOMMU faults",
            c.bar_reads.load(Ordering::Relaxed),
            c.bar_writes.load(Ordering::Relaxed),
            c.config_accesses.load(Ordering::Relaxed),
            c.resets.load(Ordering::Relaxed),
            backend.client_memory().fault_count()
        );
    }
    Ok(())
}

/// Event lines on stderr, each with the server's name.
struct PrefixedStderr {
    prefix: String,
}

impl Write for PrefixedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut err = std::io::stderr().lock();
        for line in buf.split_inclusive(|&b| b == b'\n') {
            if line != b"\n" {
                err.write_all(self.prefix.as_bytes())?;
            }
            err.write_all(line)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vfio_user_sim_board: {e:#}");
            ExitCode::FAILURE
        }
    }
}
