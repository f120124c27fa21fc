//! Scans the BARs of every Xilinx-vendor device for identifiable Xilinx IP: the Fury
//! Project-0 GPIO tag and XDMA identifier registers, pattern-testing the XDMA writeback
//! and descriptor address registers found (designs_after_seed.md §4.8).
//!
//! Caution: reading undecoded AXI-Lite space can hang a real host; narrow the scan with
//! `-b/-s/-e`. The XDMA register tests write those registers.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use command_line::{cli, DeviceArgs};
use identify_design::ip_probe::{parse_c_integer, probe_device, ProbeRange};
use identify_design::open_devices;
use vfio_access::{DmaCapability, IdMatch, IdentityFilter};

#[derive(Parser, Debug)]
#[command(about = "Probe the BARs of Xilinx PCIe devices for identifiable Xilinx IP")]
struct Cli {
    #[command(flatten)]
    device: DeviceArgs,

    /// Only probe this BAR (0..5).
    #[arg(short = 'b', value_name = "BAR")]
    bar: Option<String>,

    /// Start offset in the BAR (decimal, 0x hex or 0 octal).
    #[arg(short = 's', value_name = "BAR_START_OFFSET")]
    start: Option<String>,

    /// End offset in the BAR (exclusive; decimal, 0x hex or 0 octal).
    #[arg(short = 'e', value_name = "BAR_END_OFFSET")]
    end: Option<String>,
}

/// One line on stdout and exit 1, as the original's option checks.
fn invalid(what: &str, arg: &str) -> ExitCode {
    println!("Invalid {what} {arg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let bar = match args.bar.as_deref() {
        None => None,
        Some(text) => match parse_c_integer(text).filter(|b| *b <= 5) {
            Some(b) => Some(b as u8),
            None => return invalid("BAR", text),
        },
    };
    let start = match args.start.as_deref() {
        None => 0,
        Some(text) => match parse_c_integer(text) {
            Some(s) => s,
            None => return invalid("BAR start offset", text),
        },
    };
    let end = match args.end.as_deref() {
        None => None,
        Some(text) => match parse_c_integer(text) {
            Some(e) => Some(e),
            None => return invalid("BAR end offset", text),
        },
    };
    let range = ProbeRange { bar, start, end };
    // Every Xilinx-vendor device, without bus mastering.
    let filter = IdentityFilter {
        vendor_id: IdMatch::Value(identify_design::designs::XILINX_VENDOR_ID),
        device_id: IdMatch::Any,
        subsystem_vendor_id: IdMatch::Any,
        subsystem_device_id: IdMatch::Any,
        dma_capability: DmaCapability::None,
    };
    cli::run(|| {
        let opened = open_devices(&args.device, &[filter])?;
        let mut out = std::io::stdout().lock();
        for device in opened.devices() {
            probe_device(device, range, &mut out)?;
        }
        out.flush()?;
        if opened.devices().is_empty() {
            eprintln!("{}", opened.nothing_found_hint("Xilinx devices"));
        }
        Ok(())
    })
}
