//! quad_spi_flasher: identify the configuration flash of each FPGA design and report the
//! bitstream stored in it (the original behaviour), or dump, program, verify or erase it
//! (the logic is `xilinx_quad_spi::flasher`). Progress bars are shown on a terminal,
//! summary lines otherwise.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::open_designs;
use indicatif::{ProgressBar, ProgressStyle};
use xilinx_quad_spi::flasher::{
    run_flasher, Confirmation, FlashAction, FlashRequest, FlasherOutput,
};
use xilinx_quad_spi::programming::{FlashProgress, NoFlashProgress};

#[derive(Parser, Debug)]
#[command(
    name = "quad_spi_flasher",
    about = "Identify, read, program, verify or erase the Quad SPI configuration flash of FPGA designs"
)]
struct Args {
    #[command(flatten)]
    device: DeviceArgs,

    /// Write the flash contents (whole, or --offset/--length) to FILE.
    #[arg(long, value_name = "FILE", group = "action")]
    dump: Option<PathBuf>,

    /// Program a bitstream (.bit, .bin or .mcs) at --offset (default 0), then verify it.
    #[arg(long, value_name = "FILE", group = "action")]
    program: Option<PathBuf>,

    /// Compare the flash at --offset (default 0) with a bitstream file.
    #[arg(long, value_name = "FILE", group = "action")]
    verify: Option<PathBuf>,

    /// Erase the flash (whole, or --offset/--length on erase-sector boundaries).
    #[arg(long, group = "action")]
    erase: bool,

    /// Flash address (decimal or 0x hex).
    #[arg(long, value_parser = parse_number, value_name = "ADDRESS")]
    offset: Option<u64>,

    /// Number of bytes for --dump / --erase (decimal or 0x hex).
    #[arg(long, value_parser = parse_number, value_name = "BYTES")]
    length: Option<u64>,

    /// Program even if the bitstream is not for this design's FPGA, or does not parse.
    #[arg(long)]
    force: bool,

    /// Do not ask before programming or erasing (needed when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
}

/// Offsets and lengths: the suite's one C-style integer syntax (decimal, `0x` hex, `0` octal).
fn parse_number(text: &str) -> Result<u64, String> {
    command_line::integer::parse_u64(text).map_err(|e| e.to_string())
}

/// Progress bars on a terminal.
struct Bars {
    bar: Option<ProgressBar>,
}

impl FlashProgress for Bars {
    fn start(&mut self, phase: &str, total: u64) {
        let bar = ProgressBar::new(total);
        let units = if phase == "erase" {
            "{pos}/{len} sectors"
        } else {
            "{bytes}/{total_bytes} ({bytes_per_sec})"
        };
        let template = format!("{{msg:>8}} [{{bar:40}}] {units} {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(phase.to_string());
        self.bar = Some(bar);
    }
    fn advance(&mut self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

fn progress() -> Box<dyn FlashProgress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bars { bar: None })
    } else {
        Box::new(NoFlashProgress)
    }
}

/// Asks on the terminal; only "yes" confirms.
fn ask_on_terminal(question: &str) -> bool {
    print!("{question}");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    answer.trim() == "yes"
}

fn request(args: &Args) -> FlashRequest {
    let action = if let Some(path) = &args.dump {
        FlashAction::Dump(path.clone())
    } else if let Some(path) = &args.program {
        FlashAction::Program(path.clone())
    } else if let Some(path) = &args.verify {
        FlashAction::Verify(path.clone())
    } else if args.erase {
        FlashAction::Erase
    } else {
        FlashAction::Report
    };
    FlashRequest {
        action,
        offset: args.offset,
        length: args.length,
        force: args.force,
    }
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| {
        let opened = open_designs(&args.device)?;
        let mut ask = ask_on_terminal;
        let confirmation = if args.yes {
            Confirmation::Given
        } else if std::io::stdin().is_terminal() {
            Confirmation::Ask(&mut ask)
        } else {
            Confirmation::Unavailable
        };
        let mut stdout = std::io::stdout().lock();
        let mut stderr = std::io::stderr();
        let mut progress = progress();
        let mut output = FlasherOutput {
            out: &mut stdout,
            diagnostics: &mut stderr,
            progress: progress.as_mut(),
        };
        run_flasher(&opened, &request(&args), confirmation, &mut output)?;
        Ok(())
    })
}
