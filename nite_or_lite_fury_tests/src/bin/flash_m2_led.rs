//! Pulses the M.2 "disk activity" LED of NiteFury / LiteFury boards (Project-0 image,
//! board version 3 or later) for the given time, so the PC's disk LED lights.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::open_designs;
use nite_or_lite_fury_tests::m2_led::flash_m2_led;

fn led_on_time(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Invalid led_on_time_us {text}"));
    }
    text.parse()
        .map_err(|_| format!("Invalid led_on_time_us {text}"))
}

#[derive(Parser, Debug)]
#[command(about = "Flash the M.2 LED of NiteFury/LiteFury boards")]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// How long the LED stays on, in microseconds.
    #[arg(value_name = "led_on_time_us", value_parser = led_on_time)]
    led_on_time_us: u64,
}

fn main() -> ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let mut out = std::io::stdout().lock();
        let report = flash_m2_led(
            &mut out,
            &opened,
            Duration::from_micros(args.led_on_time_us),
        )?;
        out.flush()?;
        if report.pulsed == 0 && report.unsupported == 0 {
            eprintln!(
                "{}",
                opened
                    .devices
                    .nothing_found_hint("NiteFury or LiteFury boards")
            );
        }
        Ok(())
    })
}
