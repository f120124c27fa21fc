//! Converts a Vivado `.bit` file to the raw `.bin` image that Vivado's hardware tools
//! can program into a configuration flash (the bitstream after the header, unchanged).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use xilinx_quad_spi::bitstream::{bit_to_bin, LoadedBitstream};

/// Convert a .bit file to a .bin configuration-memory image. The input must be a
/// valid bitstream; .bin and Intel HEX inputs need no conversion and are refused.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Input .bit file.
    bit_filename: PathBuf,
    /// Output .bin file (created or overwritten).
    bin_filename: PathBuf,
}

fn run(args: &Args) -> anyhow::Result<()> {
    // Load errors already name the file and carry the OS error text.
    let loaded = LoadedBitstream::load_file(&args.bit_filename)?;
    let bin = bit_to_bin(&loaded)?;
    std::fs::write(&args.bin_filename, bin)
        .with_context(|| format!("Failed to create {}", args.bin_filename.display()))?;
    println!(
        "Wrote {} bytes to {}",
        bin.len(),
        args.bin_filename.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: what failed, which file, and the OS error text.
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
