//! decode_spd: decode a DDR3 / DDR4 SPD EEPROM image from a file.

use anyhow::{bail, Context, Result};
use clap::Parser;
use command_line::machine_output::write_json_document;
use command_line::JsonArgs;
use i2c_probe::decode::spd_common::CrcPolicy;
use i2c_probe::decode::spd_json::spd_decode_report;
use i2c_probe::decode::{spd_ddr3, spd_ddr4, spd_file};
use std::path::PathBuf;
use std::process::ExitCode;

/// Decode a DDR3 or DDR4 SPD EEPROM image read from a file.
///
/// The file may be a raw binary image or a hex dump, detected automatically: `i2cdump`
/// output (with or without its header line), `xxd` (any -g), `od -x`, `od -t x1`,
/// `hexdump`, `hexdump -C` (with `*` repeat lines); a text file in another format is
/// refused with the list of formats read.
///
/// A CRC mismatch is reported and decoding continues.
///
/// Exit status: 0 = decoded and every CRC matched; 1 = decoded but a CRC did not match;
/// 2 = the file could not be read or is not a DDR3/DDR4 SPD image.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// SPD image file (binary or hex dump)
    file: PathBuf,

    #[command(flatten)]
    json: JsonArgs,
}

/// Decode the file; Ok(true) when all CRCs passed.
fn run(args: &Args) -> Result<bool> {
    let path = args.file.display();
    let content =
        std::fs::read(&args.file).with_context(|| format!("cannot read SPD file \"{path}\""))?;
    let image =
        spd_file::parse(&content).with_context(|| format!("cannot parse SPD file \"{path}\""))?;
    let (dram_type, report) = match image.bytes.get(2).copied() {
        Some(spd_ddr3::DRAM_TYPE_DDR3) => (
            "DDR3",
            spd_ddr3::decode(&image.bytes, CrcPolicy::Continue),
        ),
        Some(spd_ddr4::DRAM_TYPE_DDR4) => (
            "DDR4",
            spd_ddr4::decode(&image.bytes, CrcPolicy::Continue),
        ),
        Some(other) => bail!(
            "SPD file \"{path}\": unsupported DRAM type {other:#04x} in byte 2 (only DDR3 0x0b and DDR4 0x0c are decoded)"
        ),
        None => bail!(
            "SPD file \"{path}\": only {} byte(s), too short for an SPD image",
            image.bytes.len()
        ),
    };
    let json = args.json.claim_stdout();
    if !json {
        // The section text starts with the empty separator line used by i2c_dump_info.
        print!("{}", report.text.strip_prefix('\n').unwrap_or(&report.text));
    }
    if report.crc.is_empty() {
        bail!(
            "SPD file \"{path}\": image too short or malformed ({} bytes), CRC not checked",
            image.bytes.len()
        );
    }
    if json {
        let document = spd_decode_report(&path.to_string(), dram_type, &image.bytes, &report);
        write_json_document(&mut std::io::stdout().lock(), &document)?;
    }
    Ok(report.crc_passed())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("decode_spd: CRC mismatch in \"{}\"", args.file.display());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("decode_spd: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
