//! tef1001_fan_control: writes the TEF1001 fan CPLD's control register (I2C 0x74, register
//! 0) over the bit-banged master and shows the fan registers before and after
//! (i2c_probe.md §6). An experiment: the CPLD mostly ignores the write, which is the
//! finding this tool demonstrates. Only the i2c_probe design (sub-device 0x0002) is opened.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Parser;
use command_line::{cli, DeviceArgs};
use i2c_probe::master::bitbang::BitBangI2c;
use i2c_probe::master::{Delay, NoDelay, SpinDelay};
use identify_design::{open_devices, DesignId};
use vfio_access::Mmio;

/// The fan CPLD's I2C address and registers (i2c_probe.md §5.1).
const FAN_CPLD: u8 = 0x74;
const FAN_CONTROL: u8 = 0;
const FAN_RPS: u8 = 1;
/// The bit-banged I2C GPIO of the i2c_probe design, in BAR 0.
const GPIO_OFFSET: u64 = 0x1000;
const MIN_BAR_SIZE: u64 = 0x2000;

#[derive(Parser, Debug)]
#[command(about = "Write the TEF1001 fan CPLD control register and show the fan registers")]
struct Cli {
    /// Value written to the fan control register (decimal, 0..255).
    #[arg(value_name = "FAN_CONTROL_VALUE", allow_negative_numbers = true)]
    fan_control_value: String,

    #[command(flatten)]
    device: DeviceArgs,
}

/// Register read as the CPLD needs it: pointer write with STOP, then a separate read.
fn read_register<D: Delay>(master: &mut BitBangI2c<D>, reg: u8) -> Result<u8> {
    if master.write_plain(FAN_CPLD, &[reg], true).unwrap_or(0) != 1 {
        bail!("Failed to write register address");
    }
    match master.read_plain(FAN_CPLD, 1, true) {
        Ok(v) if v.len() == 1 => Ok(v[0]),
        _ => bail!("Failed to read register value"),
    }
}

fn write_registers_line<D: Delay>(master: &mut BitBangI2c<D>, out: &mut impl Write) -> Result<()> {
    let enable = read_register(master, FAN_CONTROL)?;
    let rps = read_register(master, FAN_RPS)?;
    writeln!(
        out,
        "Fan enable register={enable} (0x{enable:02x})  Fan RPS register={rps} (0x{rps:02x})"
    )?;
    Ok(())
}

fn control_fan<D: Delay>(gpio: Mmio, delay: D, value: u8, out: &mut impl Write) -> Result<()> {
    let mut master = BitBangI2c::new(gpio, delay, true);
    write_registers_line(&mut master, out)?;
    // The value is repeated four times on purpose: an attempt to step the CPLD's internal
    // address bits (i2c_probe.md §6).
    let message = [FAN_CONTROL, value, value, value, value];
    if master.write_plain(FAN_CPLD, &message, true).unwrap_or(0) != message.len() {
        bail!("Failed to write fan register");
    }
    writeln!(
        out,
        "Wrote to {value} (0x{value:02x}) to fan control register"
    )?;
    write_registers_line(&mut master, out)
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let Ok(value) = args.fan_control_value.parse::<u8>() else {
        eprintln!(
            "{} is not a valid fan_control_value",
            args.fan_control_value
        );
        return ExitCode::FAILURE;
    };
    cli::run(|| {
        let opened = open_devices(&args.device, &[DesignId::I2cProbe.info().filter])?;
        let simulated = opened.is_simulated();
        let mut out = std::io::stdout().lock();
        let mut used = 0;
        for device in opened.devices() {
            let Ok(bar) = device.bar(0) else {
                continue;
            };
            if bar.len() < MIN_BAR_SIZE {
                continue;
            }
            let Some(gpio) = bar.window(GPIO_OFFSET, 0x1000) else {
                continue;
            };
            writeln!(
                out,
                "Using BAR 0 in device {} of size 0x{:x}",
                device.location(),
                bar.len()
            )?;
            used += 1;
            let result = if simulated {
                control_fan(gpio, NoDelay, value, &mut out)
            } else {
                control_fan(gpio, SpinDelay, value, &mut out)
            };
            out.flush()?;
            if let Err(e) = result {
                bail!("{e} (device {})", device.location());
            }
        }
        out.flush()?;
        if used == 0 {
            eprintln!("{}", opened.nothing_found_hint("i2c_probe design"));
        }
        Ok(())
    })
}
