//! The `i2c_probe` tool logic (i2c_probe.md section 4): scan a range of 7-bit addresses on
//! every identified design with both the AXI IIC and the bit-banged GPIO, listing the
//! addresses that answer a read. The report goes to the writer given; bus failures and
//! notes to the diagnostics writer. Each design's bus is scanned under its I2C lock.
//!
//! A NACK is "no device"; any other bus failure (stuck bus, timeout, arbitration lost)
//! ends the scan of that design and makes the run fail. A bit-banged scan that finds SDA
//! held low first tries the bus-recovery sequence.

use std::io::{self, Write};

use identify_design::OpenedDesigns;
use vfio_access::peripheral_lock::PeripheralLockError;
use vfio_access::Mmio;

use crate::bus_lock::lock_i2c_bus;
use crate::master::axi_iic::{AxiIic, Termination};
use crate::master::bitbang::BitBangI2c;
use crate::master::{Delay, I2cError, NoDelay, SpinDelay};

/// Access mode (`-m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Standard,
    Dynamic,
    IicLib,
    BitBanged,
}

impl Mode {
    /// The mode named on the command line.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "standard" => Mode::Standard,
            "dynamic" => Mode::Dynamic,
            "iic_lib" => Mode::IicLib,
            "bit_banged" => Mode::BitBanged,
            _ => return None,
        })
    }
}

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub mode: Mode,
    /// The mode as given (printed in the iteration lines).
    pub mode_name: String,
    pub iterations: u64,
    /// Bytes read per address (1 in standard and dynamic mode).
    pub bytes: usize,
    pub min: u8,
    pub max: u8,
}

/// Why a probe run failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Lock(#[from] PeripheralLockError),
    #[error("writing output failed")]
    Io(#[from] io::Error),
    /// The failures were written to the diagnostics writer.
    #[error("I2C probing failed on {0} design(s)")]
    Failed(usize),
}

/// Scans every design with the I2C peripherals. Bus failures are written to
/// `diagnostics` as `<design> <location>: <what failed>`.
pub fn probe_designs(
    opened: &OpenedDesigns,
    scan: &Scan,
    out: &mut dyn Write,
    diagnostics: &mut dyn Write,
) -> Result<(), ProbeError> {
    let simulated = opened.devices.is_simulated();
    let mut failures = 0;
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
        let lock = lock_i2c_bus(device, diagnostics)?;
        let r = if simulated {
            scan_design(scan, iic, gpio, NoDelay, out, diagnostics)?
        } else {
            scan_design(scan, iic, gpio, SpinDelay, out, diagnostics)?
        };
        lock.release()?;
        out.flush()?;
        if let Err(line) = r {
            writeln!(diagnostics, "{} {}: {line}", design.name(), design.location)?;
            failures += 1;
        }
    }
    if used == 0 {
        writeln!(
            diagnostics,
            "{}",
            opened
                .devices
                .nothing_found_hint("FPGA designs with the I2C peripherals")
        )?;
    }
    if failures > 0 {
        return Err(ProbeError::Failed(failures));
    }
    Ok(())
}

/// A failure that is not "no device": ends the scan of the design.
fn is_bus_failure(e: &I2cError) -> bool {
    !matches!(e, I2cError::AddressNack { .. })
}

/// Probe one design; Err(line) on a bus failure.
fn scan_design<D: Delay>(
    scan: &Scan,
    iic: Mmio,
    gpio: Mmio,
    delay: D,
    out: &mut dyn Write,
    diagnostics: &mut dyn Write,
) -> io::Result<Result<(), String>> {
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
                writeln!(
                    diagnostics,
                    "I2C bus: SDA was held low; bus recovery (clocks + STOP) cleared it"
                )?;
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
