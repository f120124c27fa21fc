//! quad_spi_flasher: identify the configuration flash of each FPGA design and report the
//! bitstream stored in it (the original behaviour), or dump, program, verify or erase it.
//!
//! Programming parses the image first and refuses an image for a different FPGA (unless
//! `--force`) or one that does not fit, before anything is erased; it then erases only
//! the sectors that differ, programs only the pages that differ, and verifies by reading
//! back. FlashProgress bars are shown on a terminal, summary lines otherwise.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;
use identify_design::{open_designs, IdentifiedDesign, OpenedDesigns};
use indicatif::{ProgressBar, ProgressStyle};
use vfio_access::{cli, Device, DeviceArgs};
use xilinx_quad_spi::bitstream::{device_name, idcode_for_part, parse_flash, LoadedBitstream};
use xilinx_quad_spi::flash::SpiFlash;
use xilinx_quad_spi::programming::{
    erase_range, program_image, read_range, verify_image, FlashProgress, NoFlashProgress,
};

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

    /// Do not ask before erasing.
    #[arg(long)]
    yes: bool,
}

fn parse_number(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    };
    r.map_err(|_| format!("invalid number '{text}' (decimal, or hex with 0x)"))
}

/// The FPGA part of each design's board.
/// FlashProgress bars on a terminal.
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

fn open_flash(design: &IdentifiedDesign, device: &Device) -> anyhow::Result<SpiFlash> {
    let frame = design.quad_spi.context("design has no Quad SPI block")?;
    let mmio = frame.mmio(device).with_context(|| {
        format!(
            "Quad SPI frame at BAR {} offset 0x{:x} is outside the device's BAR",
            frame.bar, frame.offset
        )
    })?;
    let flash = SpiFlash::open(mmio, &mut |line| println!("{line}"));
    match flash {
        Ok(f) => Ok(f),
        Err(e) => {
            println!("{e}");
            bail!("Failed to initialise Quad SPI controller");
        }
    }
}

/// The original behaviour: identification and the bitstream report for each design.
fn report_all(opened: &OpenedDesigns) -> anyhow::Result<()> {
    let mut failures = 0;
    for (design, device) in opened.iter().filter(|(d, _)| d.quad_spi.is_some()) {
        println!();
        println!(
            "Displaying information for SPI flash using {} design in PCI device {} IOMMU group {}",
            design.name(),
            design.location,
            design.iommu_group
        );
        let mut flash = match open_flash(design, device) {
            Ok(f) => f,
            Err(e) => {
                println!("{e}");
                failures += 1;
                continue;
            }
        };
        print!("{}", flash.info().identification_lines());
        let size = flash.info().size_bytes;
        let parse = parse_flash(0, size, |address, buf: &mut [u8]| {
            let r = flash.read(address, buf);
            if let Err(e) = &r {
                println!("{e}");
            }
            r
        });
        print!("{}", parse.report());
        std::io::stdout().flush().ok();
    }
    if failures > 0 {
        bail!("{failures} flash device(s) could not be initialised");
    }
    Ok(())
}

/// The one design an action applies to.
fn single_design(opened: &OpenedDesigns) -> anyhow::Result<(&IdentifiedDesign, &Device)> {
    let with_flash: Vec<_> = opened
        .iter()
        .filter(|(d, _)| d.quad_spi.is_some())
        .collect();
    match with_flash.as_slice() {
        [one] => Ok(*one),
        [] => bail!(
            "{}",
            opened
                .devices
                .nothing_found_hint("FPGA design with a Quad SPI flash")
        ),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|(d, _)| format!("{} at {}", d.name(), d.location))
                .collect();
            bail!(
                "{} designs with a Quad SPI flash are open ({}); select one with -d <location>",
                many.len(),
                list.join(", ")
            )
        }
    }
}

fn load(path: &PathBuf) -> anyhow::Result<LoadedBitstream> {
    LoadedBitstream::load_file(path).with_context(|| format!("cannot load {}", path.display()))
}

fn do_program(
    args: &Args,
    path: &PathBuf,
    design: &IdentifiedDesign,
    flash: &mut SpiFlash,
) -> anyhow::Result<()> {
    let file = load(path)?;
    let parsed = file.parse();
    let name = path.display();
    if !parsed.is_valid() {
        let why = parsed
            .error()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "no end of configuration (DESYNC) found".into());
        if !args.force {
            bail!("{name} is not a valid bitstream ({why}); nothing was erased (use --force to program it anyway)");
        }
        println!(
            "Warning: {name} is not a valid bitstream ({why}); programming it because of --force"
        );
    }
    let part = design.design.info().fpga_part;
    let expected = idcode_for_part(part);
    match (parsed.idcode(), expected) {
        (Some(found), Some(want)) if found != want => {
            let found_name = device_name(found).unwrap_or("an unknown device");
            let msg = format!(
                "{name} is for {found_name} (IDCODE 0x{found:08X}) but {} has a {part} (IDCODE 0x{want:08X})",
                design.name()
            );
            if !args.force {
                bail!("{msg}; nothing was erased (use --force to program it anyway)");
            }
            println!("Warning: {msg}; programming it because of --force");
        }
        (None, _) if !args.force => {
            bail!("{name} has no IDCODE write, so it cannot be checked against {}; nothing was erased (use --force to program it anyway)", design.name());
        }
        _ => {}
    }
    let image = file.payload();
    let offset = args.offset.unwrap_or(0);
    let size = flash.info().size_bytes;
    if offset
        .checked_add(image.len() as u64)
        .is_none_or(|e| e > size)
    {
        bail!(
            "{name}: {} bytes at 0x{offset:x} do not fit in the {size}-byte flash; nothing was erased",
            image.len()
        );
    }
    println!(
        "Programming {} bytes from {name} at flash address 0x{offset:x}",
        image.len()
    );
    let summary = program_image(flash, offset, image, progress().as_mut())
        .with_context(|| format!("programming {name} failed"))?;
    println!(
        "Sectors erased: {}  Pages written: {}  Bytes verified: {}",
        summary.sectors_erased, summary.pages_written, summary.bytes_verified
    );
    Ok(())
}

fn do_verify(args: &Args, path: &PathBuf, flash: &mut SpiFlash) -> anyhow::Result<()> {
    let file = load(path)?;
    let image = file.payload();
    let offset = args.offset.unwrap_or(0);
    let s = verify_image(flash, offset, image, progress().as_mut())
        .with_context(|| format!("verifying {} failed", path.display()))?;
    match s.first_mismatch {
        None => {
            println!(
                "Verified {} bytes of {} at flash address 0x{offset:x}: identical",
                s.bytes_compared,
                path.display()
            );
            Ok(())
        }
        Some((at, found, expected)) => bail!(
            "verify of {} failed: {} of {} bytes differ, first at flash address 0x{at:x} (flash 0x{found:02x}, file 0x{expected:02x})",
            path.display(),
            s.mismatches,
            s.bytes_compared
        ),
    }
}

fn range(args: &Args, flash: &SpiFlash) -> anyhow::Result<(u64, u64)> {
    let size = flash.info().size_bytes;
    let offset = args.offset.unwrap_or(0);
    if offset >= size {
        bail!("offset 0x{offset:x} is beyond the {size}-byte flash");
    }
    let length = args.length.unwrap_or(size - offset);
    if length == 0 || offset.checked_add(length).is_none_or(|e| e > size) {
        bail!("range 0x{offset:x}+0x{length:x} is not within the {size}-byte flash");
    }
    Ok((offset, length))
}

fn do_dump(args: &Args, path: &PathBuf, flash: &mut SpiFlash) -> anyhow::Result<()> {
    let (offset, length) = range(args, flash)?;
    let data = read_range(flash, offset, length, progress().as_mut()).context("reading flash")?;
    std::fs::write(path, &data).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "Wrote {length} bytes from flash address 0x{offset:x} to {}",
        path.display()
    );
    Ok(())
}

fn do_erase(args: &Args, design: &IdentifiedDesign, flash: &mut SpiFlash) -> anyhow::Result<()> {
    let (offset, length) = range(args, flash)?;
    if !args.yes && std::io::stdin().is_terminal() {
        print!(
            "Erase {length} bytes at flash address 0x{offset:x} of {} at {}? Type 'yes' to continue (or pass --yes): ",
            design.name(),
            design.location
        );
        std::io::stdout().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok();
        if answer.trim() != "yes" {
            bail!("not erased");
        }
    }
    let s = erase_range(flash, offset, length, progress().as_mut()).context("erase failed")?;
    println!(
        "Sectors erased: {}  Sectors already blank: {}",
        s.sectors_erased, s.sectors_already_blank
    );
    Ok(())
}

fn run(args: Args) -> anyhow::Result<()> {
    let opened = open_designs(&args.device)?;
    let action =
        args.dump.is_some() || args.program.is_some() || args.verify.is_some() || args.erase;
    if !action {
        if opened.designs.iter().all(|d| d.quad_spi.is_none()) {
            bail!(
                "{}",
                opened
                    .devices
                    .nothing_found_hint("FPGA design with a Quad SPI flash")
            );
        }
        return report_all(&opened);
    }
    let (design, device) = single_design(&opened)?;
    let mut flash = open_flash(design, device)?;
    println!(
        "{} at {}: {} ({} bytes)",
        design.name(),
        design.location,
        flash.info().name(),
        flash.info().size_bytes
    );
    if let Some(path) = &args.program {
        do_program(&args, path, design, &mut flash)
    } else if let Some(path) = &args.verify {
        do_verify(&args, path, &mut flash)
    } else if let Some(path) = &args.dump {
        do_dump(&args, path, &mut flash)
    } else {
        do_erase(&args, design, &mut flash)
    }
}

fn main() -> std::process::ExitCode {
    let args: Args = cli::parse();
    cli::run(|| run(args))
}
