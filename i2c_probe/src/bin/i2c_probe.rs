//! i2c_probe: scan a range of 7-bit I2C addresses on every identified design with both
//! the AXI IIC and the bit-banged GPIO, listing the addresses that answer a read
//! (fact sheet 4).
//!
//! Options and output are the original's; the device options (`-d`, `--sim`, ...) are
//! the project's shared ones. A NACK is "no device"; any other bus failure (stuck bus,
//! timeout, arbitration lost) is reported on stderr with the address and mode, ends the
//! scan of that design, and makes the exit status 1. A bit-banged scan that finds SDA
//! held low first tries the bus-recovery sequence.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use i2c_probe::master::axi_iic::{AxiIic, Termination};
use i2c_probe::master::bitbang::BitBangI2c;
use i2c_probe::master::{Delay, I2cError, NoDelay, SpinDelay};
use identify_design::open_designs;
use vfio_access::{cli, DeviceArgs, Mmio};

#[derive(Parser, Debug)]
#[command(about = "Probe I2C addresses through the AXI IIC or the bit-banged GPIO")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Access mode: standard, dynamic, iic_lib or bit_banged.
    #[arg(short = 'm', value_name = "MODE", default_value = "iic_lib")]
    mode: String,

    /// Number of iterations.
    #[arg(short = 'i', value_name = "NUM_ITERATIONS", default_value = "1")]
    iterations: String,

    /// Bytes read per address (1..16).
    #[arg(short = 'n', value_name = "NUM_BYTES_READ", default_value = "1")]
    bytes: String,

    /// Address range <min>:<max> (C-style integers, 0..127).
    #[arg(short = 'a', value_name = "MIN:MAX")]
    range: Option<String>,

    /// Print the usage line.
    #[arg(short = '?')]
    usage: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Standard,
    Dynamic,
    IicLib,
    BitBanged,
}

impl Mode {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "standard" => Mode::Standard,
            "dynamic" => Mode::Dynamic,
            "iic_lib" => Mode::IicLib,
            "bit_banged" => Mode::BitBanged,
            _ => return None,
        })
    }
}

/// C `strtoul(text, &end, 0)` with the whole text consumed.
fn parse_c_integer(text: &str) -> Option<u64> {
    let t = text.trim_start();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if t.len() > 1 && t.starts_with('0') {
        return u64::from_str_radix(&t[1..], 8).ok();
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn parse_decimal(text: &str) -> Option<u64> {
    let t = text.trim_start();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn parse_range(text: &str) -> Option<(u8, u8)> {
    let (a, b) = text.split_once(':')?;
    let min = u8::try_from(parse_c_integer(a)?).ok()?;
    let max = u8::try_from(parse_c_integer(b)?).ok()?;
    (max <= 127 && min <= max).then_some((min, max))
}

fn usage(argv0: &str) -> String {
    format!(
        "Usage {argv0} [-m standard|dynamic|iic_lib|bit_banged] [-i <num_iterations>] [-n <num_bytes_read>] [-a <min_i2c_addr>:<max_i2c_addr> "
    )
}

/// A failure that is not "no device": ends the scan of the design.
fn is_bus_failure(e: &I2cError) -> bool {
    !matches!(e, I2cError::AddressNack { .. })
}

struct Scan {
    mode: Mode,
    mode_name: String,
    iterations: u64,
    bytes: usize,
    min: u8,
    max: u8,
}

/// Probe one design; Err(line) on a bus failure.
fn scan_design<D: Delay>(
    scan: &Scan,
    iic: Mmio,
    gpio: Mmio,
    delay: D,
    out: &mut impl Write,
) -> anyhow::Result<Result<(), String>> {
    let mut bitbang = BitBangI2c::new(gpio, delay, scan.mode == Mode::BitBanged);
    let mut axi = AxiIic::new_unchecked(iic.clone());
    match scan.mode {
        Mode::Standard | Mode::Dynamic => match axi.clear_busy_by_soft_reset() {
            Ok(true) => writeln!(out, "Performed soft-reset of IIC to clear I2C bus busy")?,
            Ok(false) => {}
            Err(_) => {
                writeln!(out, "I2C bus is busy, not probing")?;
                return Ok(Err("I2C bus is busy, not probing".into()));
            }
        },
        Mode::IicLib => match AxiIic::new(iic) {
            Ok(a) => axi = a,
            Err(e) => {
                writeln!(out, "iic_initialise_controller() failed")?;
                return Ok(Err(format!("iic_initialise_controller() failed: {e}")));
            }
        },
        Mode::BitBanged => {
            if !bitbang.sda_level() {
                if let Err(e) = bitbang.recover_bus() {
                    return Ok(Err(format!(
                        "I2C bus stuck: SDA held low, bus recovery (9 clocks + STOP) failed: {e}"
                    )));
                }
                eprintln!("I2C bus: SDA was held low; bus recovery (clocks + STOP) cleared it");
            }
        }
    }
    let mut counts = [0u64; 128];
    let mut result = Ok(());
    'outer: for iteration in 1..=scan.iterations {
        writeln!(
            out,
            "Iteration {iteration} of {} using IIC {}",
            scan.iterations, scan.mode_name
        )?;
        for addr in scan.min..=scan.max {
            let r: Result<Option<Vec<u8>>, I2cError> = match scan.mode {
                Mode::Standard | Mode::Dynamic => axi
                    .probe_read(addr, scan.mode == Mode::Dynamic)
                    .map(|b| b.map(|b| vec![b])),
                Mode::IicLib => {
                    let mut buf = vec![0u8; scan.bytes];
                    match axi.read(addr, &mut buf, Termination::Stop) {
                        Ok(()) => Ok(Some(buf)),
                        Err(I2cError::AddressNack { .. }) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
                Mode::BitBanged => match bitbang.read_plain(addr, scan.bytes, true) {
                    Ok(b) => Ok(Some(b)),
                    Err(I2cError::AddressNack { .. }) => Ok(None),
                    Err(e) => Err(e),
                },
            };
            match r {
                Ok(Some(data)) => {
                    write!(out, "Slave 0x{addr:02x} replied with data")?;
                    for b in data {
                        write!(out, " 0x{b:02x}")?;
                    }
                    writeln!(out)?;
                    counts[usize::from(addr)] += 1;
                }
                Ok(None) => {}
                Err(e) if is_bus_failure(&e) => {
                    result = Err(format!(
                        "I2C address 0x{addr:02x}: {} probe read failed: {e}; scan of this design abandoned",
                        scan.mode_name
                    ));
                    break 'outer;
                }
                Err(_) => {}
            }
        }
    }
    if matches!(scan.mode, Mode::Standard | Mode::Dynamic) {
        axi.release();
    }
    if scan.iterations > 1 {
        writeln!(out)?;
        writeln!(out, "Number of responses for each I2C address:")?;
        for addr in scan.min..=scan.max {
            let c = counts[usize::from(addr)];
            if c > 0 {
                writeln!(out, "0x{addr:02x} : {c}")?;
            }
        }
    }
    Ok(result)
}

fn fail(line: &str) -> ExitCode {
    println!("{line}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let argv0 = std::env::args()
        .next()
        .unwrap_or_else(|| "i2c_probe".into());
    let args: Args = cli::parse();
    if args.usage {
        return fail(&usage(&argv0));
    }
    let Some(mode) = Mode::parse(&args.mode) else {
        return fail(&format!("Error: Invalid access mode \"{}\"", args.mode));
    };
    let Some(iterations) = parse_decimal(&args.iterations) else {
        return fail(&format!(
            "Error: Invalid num_iterations \"{}\"",
            args.iterations
        ));
    };
    let Some(bytes) = parse_decimal(&args.bytes).filter(|n| (1..=16).contains(n)) else {
        return fail(&format!("Error: Invalid num_bytes_read \"{}\"", args.bytes));
    };
    let (min, max) = match &args.range {
        None => (0x08, 0x77),
        Some(r) => match parse_range(r) {
            Some(v) => v,
            None => {
                return fail(&format!(
                    "Error: Invalid <min_i2c_addr>:<max_i2c_addr> \"{r}\""
                ))
            }
        },
    };
    if bytes != 1 && matches!(mode, Mode::Standard | Mode::Dynamic) {
        return fail("Error: num_bytes_read must be 1 when using standard or dynamic mode");
    }
    let scan = Scan {
        mode,
        mode_name: args.mode.clone(),
        iterations,
        bytes: bytes as usize,
        min,
        max,
    };
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let simulated = opened.devices.is_simulated();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut failures = Vec::new();
        let mut used = 0;
        for (design, device) in opened.iter() {
            let (Some(iic), Some(gpio)) = (
                design.iic.and_then(|f| f.mmio(device)),
                design.bit_banged_i2c_gpio.and_then(|f| f.mmio(device)),
            ) else {
                continue;
            };
            used += 1;
            writeln!(
                out,
                "Using design {} in device {}",
                design.name(),
                design.location
            )?;
            let r = if simulated {
                scan_design(&scan, iic, gpio, NoDelay, &mut out)?
            } else {
                scan_design(&scan, iic, gpio, SpinDelay, &mut out)?
            };
            out.flush()?;
            if let Err(line) = r {
                eprintln!("{} {}: {line}", design.name(), design.location);
                failures.push(line);
            }
        }
        if used == 0 {
            eprintln!(
                "{}",
                opened
                    .devices
                    .nothing_found_hint("FPGA designs with the I2C peripherals")
            );
        }
        if !failures.is_empty() {
            anyhow::bail!("I2C probing failed on {} design(s)", failures.len());
        }
        Ok(())
    })
}
