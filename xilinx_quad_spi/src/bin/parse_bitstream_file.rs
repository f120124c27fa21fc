//! Parses a Xilinx 7-series / UltraScale configuration bitstream file and prints a
//! summary of its configuration packets.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use command_line::machine_output::write_json_document;
use command_line::JsonArgs;
use xilinx_quad_spi::bitstream::json::bitstream_file_report;
use xilinx_quad_spi::bitstream::LoadedBitstream;

/// Parse a bitstream file (.bit, raw .bin or Intel HEX .mcs, detected by content)
/// and print a summary of its configuration packets. Exits non-zero when the file
/// cannot be read or the bitstream does not parse to the end of configuration.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Bitstream file to parse.
    bitstream_file: PathBuf,

    #[command(flatten)]
    json: JsonArgs,
}

fn run(args: &Args) -> anyhow::Result<bool> {
    // Load errors already name the file and carry the OS error text.
    let loaded = LoadedBitstream::load_file(&args.bitstream_file)?;
    let path = args.bitstream_file.display().to_string();
    let (parsed, report) = loaded.report(&path);
    if args.json.claim_stdout() {
        let document = bitstream_file_report(&loaded, &parsed, &path);
        write_json_document(&mut std::io::stdout().lock(), &document)?;
    } else {
        print!("{report}");
    }
    Ok(parsed.is_valid())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        // The report's first line already says why.
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
