//! i2c_probe: scan a range of 7-bit I2C addresses on every identified design with both
//! the AXI IIC and the bit-banged GPIO, listing the addresses that answer a read
//! (i2c_probe.md section 4; the logic is `i2c_probe::probe_tool`).
//!
//! Options and output are the original's; the device options (`-d`, `--sim`, ...) are
//! the project's shared ones. Bus failures are reported on stderr with the address and
//! mode, and make the exit status 1.

use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use i2c_probe::probe_tool::{probe_designs, Mode, Scan};
use identify_design::open_designs;

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

/// C `strtoul(text, &end, 0)` with the whole text consumed (the suite's one parser).
fn parse_c_integer(text: &str) -> Option<u64> {
    command_line::integer::parse_u64(text).ok()
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
        let mut out = std::io::stdout().lock();
        let mut diagnostics = std::io::stderr();
        probe_designs(&opened, &scan, &mut out, &mut diagnostics)?;
        Ok(())
    })
}
