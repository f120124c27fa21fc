//! Converts a Vivado `.bit` file to the raw `.bin` image that Vivado's hardware tools
//! can program into a configuration flash (the bitstream after the header, unchanged).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use xilinx_quad_spi::bitstream::{bit_to_bin, LoadedBitstream};
use xilinx_quad_spi::output_file::{check_not_an_input, write_output_file};

/// Convert a .bit file to a .bin configuration-memory image. The input must be a
/// valid bitstream; .bin and Intel HEX inputs need no conversion and are refused.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Input .bit file.
    bit_filename: PathBuf,
    /// Output .bin file (created or replaced once complete; never the input file).
    bin_filename: PathBuf,
}

fn run(args: &Args) -> anyhow::Result<()> {
    let input = args.bit_filename.as_path();
    check_not_an_input(&args.bin_filename, &[input])?;
    // Load errors already name the file and carry the OS error text.
    let loaded = LoadedBitstream::load_file(input)?;
    let bin = bit_to_bin(&loaded)?;
    // A temporary file renamed when complete: a failed write leaves no partial output.
    write_output_file(&args.bin_filename, bin, &[input])?;
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
