//! Drives QEMU's `edu` device (1234:11e8) through the normal vfio_access API, standalone
//! or as a secondary of `test_primary`: identification and liveness registers, a
//! factorial, then N DMA round trips RAM -> device buffer -> RAM with buffers and IOVAs
//! from vfio_access, verifying the data. Stops early (and exits normally) on
//! SIGINT/SIGTERM.
//!
//! An edu device has one DMA engine, one DMA buffer and one set of registers, so several
//! processes testing the same device (secondaries of `test_primary`) take turns: each
//! register check and each round trip holds an exclusive lock on
//! `<tmp>/test_vfio_edu-<device>.lock`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use command_line::{cli, DeviceArgs};
use vfio_access::{Device, DmaAccess, DmaAddressing, Mmio, Session};
use vfio_tools::edu::{self, DMA_BUFFER, DMA_CMD_START, DMA_CMD_TO_RAM};

/// Test QEMU edu devices (1234:11e8) through VFIO: registers, factorial, DMA round trips.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    devices: DeviceArgs,

    /// Number of DMA round trips (RAM -> device -> RAM) per device; 0: registers only (no
    /// DMA buffer is allocated).
    #[arg(long, default_value_t = 10)]
    iterations: u32,

    /// Bytes per DMA transfer (1..=4095: QEMU 7.2 rejects a DMA touching the buffer's last byte).
    #[arg(long, default_value_t = 2048, value_parser = clap::value_parser!(u64).range(1..=4095))]
    transfer_size: u64,

    /// Width of the devices' DMA mask in bits, as QEMU's `-device edu,dma_mask=` sets it
    /// (default 28, QEMU's). Without an IOMMU buffers are at physical addresses, usually
    /// above 256 MiB: start QEMU with `dma_mask=0xffffffffffffffff` and pass 64.
    #[arg(long = "dma-mask-bits", alias = "dma_mask_bits", default_value_t = edu::DEFAULT_DMA_MASK_BITS,
          value_parser = clap::value_parser!(u8).range(28..=64))]
    dma_mask_bits: u8,

    /// Longest wait for one DMA or factorial to complete, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
}

/// Exclusive use of one edu device among processes, held until dropped.
fn lock_device(dev: &Device) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let path = std::env::temp_dir().join(format!("test_vfio_edu-{}.lock", dev.location()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("lock file {}", path.display()))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("flock({}) failed : {}", path.display(), e.desc()))
}

/// Polls `done` every millisecond until it is true or `timeout` passes.
fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn check_registers(dev: &Device, bar: &Mmio, timeout: Duration) -> Result<()> {
    let loc = dev.location();
    let id = bar.read32(edu::REG_ID);
    if id != edu::ID_VALUE {
        bail!(
            "{loc}: identification register reads 0x{id:08x}, expected 0x{:08x}",
            edu::ID_VALUE
        );
    }
    for value in [0u32, 0xffff_ffff, 0x1234_5678, std::process::id()] {
        bar.write32(edu::REG_LIVENESS, value);
        let got = bar.read32(edu::REG_LIVENESS);
        if got != !value {
            bail!("{loc}: liveness register: wrote 0x{value:08x}, read 0x{got:08x}, expected 0x{:08x}", !value);
        }
    }
    let n = 10;
    bar.write32(edu::REG_FACTORIAL, n);
    let computing = || bar.read32(edu::REG_STATUS) & edu::STATUS_COMPUTING != 0;
    if !wait_until(timeout, || !computing()) {
        bail!("{loc}: factorial of {n} did not complete within {timeout:?}");
    }
    let got = bar.read32(edu::REG_FACTORIAL);
    if got != edu::factorial(n) {
        bail!(
            "{loc}: factorial of {n} reads {got}, expected {}",
            edu::factorial(n)
        );
    }
    println!(
        "{loc}: edu id 0x{id:08x} (version {}.{}), liveness ok, {n}! = {got}",
        id >> 24,
        (id >> 16) & 0xff
    );
    Ok(())
}

/// One DMA: program source, destination, count and command, then poll until done.
fn dma(bar: &Mmio, src: u64, dst: u64, count: u64, cmd: u64, timeout: Duration) -> Result<()> {
    bar.write64(edu::REG_DMA_SRC, src);
    bar.write64(edu::REG_DMA_DST, dst);
    bar.write64(edu::REG_DMA_COUNT, count);
    bar.write64(edu::REG_DMA_CMD, cmd | DMA_CMD_START);
    if !wait_until(timeout, || {
        bar.read64(edu::REG_DMA_CMD) & DMA_CMD_START == 0
    }) {
        bail!(
            "DMA 0x{src:x} -> 0x{dst:x} of {count} bytes did not complete within {timeout:?} (command register 0x{:x})",
            bar.read64(edu::REG_DMA_CMD)
        );
    }
    Ok(())
}

/// A reproducible byte pattern per (process, device, iteration).
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Returns the number of round trips done (fewer than asked when stopped by a signal).
fn dma_round_trips(dev: &Device, bar: &Mmio, args: &Args, timeout: Duration) -> Result<u32> {
    let loc = dev.location();
    let len = args.transfer_size as usize;
    let to_device = dev
        .alloc_dma(len, DmaAccess::READ)
        .with_context(|| format!("{loc}: DMA buffer (RAM to device)"))?;
    let from_device = dev
        .alloc_dma(len, DmaAccess::WRITE)
        .with_context(|| format!("{loc}: DMA buffer (device to RAM)"))?;
    let physical = dev.domain().addressing() != DmaAddressing::Iommu;
    println!(
        "{loc}: DMA buffers at {} 0x{:x} (to device) and 0x{:x} (from device), {len} bytes per transfer",
        if physical { "physical address" } else { "IOVA" },
        to_device.iova(),
        from_device.iova()
    );
    let seed_base = (u64::from(std::process::id()) << 32) ^ (u64::from(loc.device) << 24);
    for i in 0..args.iterations {
        if vfio_access::signals::interrupted() {
            println!("{loc}: stopped by a signal after {i} DMA round trips");
            return Ok(i);
        }
        let data = pattern(seed_base ^ u64::from(i), len);
        let _device = lock_device(dev)?;
        to_device.write_bytes(0, &data);
        from_device.fill(0, len, !data[0]);
        // One DMA per contiguous piece: without an IOMMU a buffer may span physically
        // separate pages (issue #14).
        let mut at = DMA_BUFFER;
        for (address, n) in to_device.device_runs(0, len, u64::MAX) {
            dma(bar, address, at, n, 0, timeout)
                .with_context(|| format!("{loc}: round trip {i}: RAM to device"))?;
            at += n;
        }
        let mut at = DMA_BUFFER;
        for (address, n) in from_device.device_runs(0, len, u64::MAX) {
            dma(bar, at, address, n, DMA_CMD_TO_RAM, timeout)
                .with_context(|| format!("{loc}: round trip {i}: device to RAM"))?;
            at += n;
        }
        let mut back = vec![0u8; len];
        from_device.read_bytes(0, &mut back);
        if let Some(first) = back.iter().zip(&data).position(|(a, b)| a != b) {
            let differ = back.iter().zip(&data).filter(|(a, b)| a != b).count();
            bail!(
                "{loc}: round trip {i}: {differ} of {len} bytes differ (first at offset 0x{first:x}: wrote 0x{:02x}, read 0x{:02x})",
                data[first],
                back[first]
            );
        }
    }
    println!(
        "{loc}: {} DMA round trips of {len} bytes verified",
        args.iterations
    );
    Ok(args.iterations)
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        // SIGINT/SIGTERM end the round trips early; the run still exits normally.
        vfio_access::signals::interrupt_flag();
        let options = args.devices.open_options();
        let session = match args.devices.simulation() {
            Some(sel) => Session::open_sim(
                edu::sim_boards_with_dma_mask(&sel, args.dma_mask_bits),
                &options,
                &[edu::filter(args.dma_mask_bits)],
            )?,
            None => Session::open(&options, &[edu::filter(args.dma_mask_bits)])?,
        };
        if session.devices().is_empty() {
            bail!(
                "no edu device ({:04x}:{:04x}) could be opened",
                edu::VENDOR_ID,
                edu::DEVICE_ID
            );
        }
        let timeout = Duration::from_millis(args.timeout_ms);
        for dev in session.devices() {
            let bar = dev.bar(0)?;
            {
                let _device = lock_device(dev)?;
                check_registers(dev, &bar, timeout)?;
            }
            if args.iterations > 0 {
                dma_round_trips(dev, &bar, &args, timeout)?;
            }
        }
        println!("PASS");
        Ok(())
    })
}
