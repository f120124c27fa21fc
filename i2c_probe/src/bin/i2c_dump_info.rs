//! i2c_dump_info: dump the TEF1001 board information over the bit-banged I2C master
//! (fan CPLD, DDR temperature sensor, DDR3 SPD, both LTM4676A, Si5338) and the XADC
//! samples, for every identified design with both the AXI IIC and the bit-banged GPIO.
//!
//! The report on stdout is the original's. Every failed bus operation is also reported on
//! stderr with the device address and the operation, and makes the exit status 1 (the
//! original always exited with success). A bus found with SDA held low is first given
//! the recovery sequence (nine clocks + STOP). Each bus is read under its I2C lock.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use command_line::{cli, DeviceArgs};
use i2c_probe::bus_lock::lock_i2c_bus;
use i2c_probe::decode::spd_common::CrcPolicy;
use i2c_probe::decode::{spd_ddr3, spd_ddr4, spd_file};
use i2c_probe::dump::Dumper;
use i2c_probe::master::bitbang::BitBangI2c;
use i2c_probe::master::{Delay, NoDelay, SpinDelay};
use i2c_probe::smbus::transfer::SmbusMaster;
use identify_design::open_designs;
use vfio_access::Mmio;
use xilinx_xadc::{format_samples, read_samples};

#[derive(Parser, Debug)]
#[command(about = "Dump the TEF1001 board information read over I2C")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Decode an SPD image file (binary or hex dump) instead of reading the boards.
    #[arg(long = "spd-file", value_name = "FILE")]
    spd_file: Option<std::path::PathBuf>,
}

/// Dumps one design's bus; returns the diagnostics of what failed.
fn dump_bus<D: Delay>(gpio: Mmio, delay: D, out: &mut impl Write) -> Result<Vec<String>> {
    let mut master = BitBangI2c::new(gpio, delay, true);
    let mut errors = Vec::new();
    if !master.sda_level() {
        match master.recover_bus() {
            Ok(()) => {
                eprintln!("I2C bus: SDA was held low; bus recovery (clocks + STOP) cleared it")
            }
            Err(e) => errors.push(format!(
                "I2C bus: SDA held low and bus recovery (9 clocks + STOP) failed: {e}"
            )),
        }
    }
    let mut smbus = SmbusMaster::new(master);
    let report = Dumper::new(&mut smbus).dump_all();
    out.write_all(report.text.as_bytes())?;
    errors.extend(report.errors);
    Ok(errors)
}

fn decode_file(path: &std::path::Path) -> Result<bool> {
    let content = std::fs::read(path)
        .with_context(|| format!("cannot read SPD file \"{}\"", path.display()))?;
    let image = spd_file::parse(&content)
        .with_context(|| format!("cannot parse SPD file \"{}\"", path.display()))?;
    let report = match image.bytes.get(2).copied() {
        Some(spd_ddr4::DRAM_TYPE_DDR4) => spd_ddr4::decode(&image.bytes, CrcPolicy::Continue),
        _ => spd_ddr3::decode(&image.bytes, CrcPolicy::Continue),
    };
    print!("{}", report.text);
    Ok(report.crc_passed())
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        if let Some(path) = &args.spd_file {
            if !decode_file(path)? {
                anyhow::bail!(
                    "SPD CRC mismatch or image too short in \"{}\"",
                    path.display()
                );
            }
            return Ok(());
        }
        let opened = open_designs(&args.device)?;
        let simulated = opened.devices.is_simulated();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut failures = 0usize;
        let mut used = 0usize;
        for (design, device) in opened.iter() {
            let (Some(iic), Some(gpio)) = (
                design.iic.and_then(|f| f.mmio(device)),
                design.bit_banged_i2c_gpio.and_then(|f| f.mmio(device)),
            ) else {
                continue;
            };
            let _ = iic;
            used += 1;
            writeln!(
                out,
                "Using design {} in device {}",
                design.name(),
                design.location
            )?;
            // One user of the bus at a time, across processes.
            let lock = lock_i2c_bus(device, &mut std::io::stderr())?;
            let errors = if simulated {
                dump_bus(gpio, NoDelay, &mut out)?
            } else {
                dump_bus(gpio, SpinDelay, &mut out)?
            };
            lock.release()?;
            if let Some(xadc) = design.xadc.and_then(|f| f.mmio(device)) {
                writeln!(out)?;
                write!(out, "{}", format_samples(&read_samples(&xadc)))?;
            }
            out.flush()?;
            for e in &errors {
                eprintln!("{} {}: {e}", design.name(), design.location);
            }
            failures += errors.len();
        }
        out.flush()?;
        if used == 0 {
            eprintln!(
                "{}",
                opened
                    .devices
                    .nothing_found_hint("FPGA designs with the I2C peripherals")
            );
        }
        if failures > 0 {
            anyhow::bail!("{failures} I2C operation(s) failed (see the lines above)");
        }
        Ok(())
    })
}
