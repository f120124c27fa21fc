//! The text report (spec section 12): status line, source, optional `.bit` header,
//! then one line per packet with NOP runs collapsed and data blocks summarised.

use std::fmt::Write;

use super::bit_header::BitHeader;
use super::commands::command_display;
use super::data_block::summarise_data_block;
use super::idcode::device_display;
use super::packets::{Packet, ParsedBitstream, Slr};
use super::registers::{self, register_display};
use super::timestamp::UsrAccessTimestamp;

/// Where the parsed bytes came from, for the report's source line.
#[derive(Debug, Clone, Copy)]
pub enum ReportSource<'a> {
    /// A file, with its `.bit` header when it had one.
    File {
        /// Path as given by the user.
        path: &'a str,
        /// Header strings of a `.bit` file.
        bit_header: Option<&'a BitHeader>,
    },
    /// SPI flash contents.
    Flash {
        /// Bytes read from flash.
        bytes_read: u64,
        /// Flash address the bitstream was read from.
        start_address: u64,
    },
}

/// The status line: success with length and packet count, or the error text.
pub fn status_line(parsed: &ParsedBitstream<'_>) -> String {
    match parsed.error() {
        None => {
            let mut line = format!(
                "Successfully parsed bitstream of length {} bytes with {} configuration packets",
                parsed.length(),
                parsed.packet_count()
            );
            if parsed.slrs().len() > 1 {
                let _ = write!(line, " with {} SLRs", parsed.slrs().len());
            }
            line
        }
        Some(error) => format!("Error parsing bitstream: {}", error.report_text()),
    }
}

/// Renders the full report; every line ends with a newline.
pub fn render_report(parsed: &ParsedBitstream<'_>, source: &ReportSource<'_>) -> String {
    let mut out = String::new();
    out.push_str(&status_line(parsed));
    out.push('\n');
    match source {
        ReportSource::File { path, bit_header } => {
            // "bitsteam" (sic) is part of the original's output format.
            let _ = writeln!(out, "Read bitsteam from file {path}");
            if let Some(header) = bit_header {
                let _ = writeln!(out, ".bit format header:");
                let _ = writeln!(out, "  design_name={}", header.design_name);
                let _ = writeln!(out, "  part_name={}", header.part_name);
                let _ = writeln!(out, "  date={}", header.date);
                let _ = writeln!(out, "  time={}", header.time);
            }
        }
        ReportSource::Flash {
            bytes_read,
            start_address,
        } => {
            let _ = writeln!(
                out,
                "Read {bytes_read} bytes from SPI flash starting at address {start_address}"
            );
        }
    }
    let multi_slr = parsed.slrs().len() > 1;
    for (index, slr) in parsed.slrs().iter().enumerate() {
        render_slr(&mut out, parsed, slr, multi_slr.then_some(index));
    }
    out
}

/// Sync line and packet lines of one SLR (`slr_index` only for multi-SLR bitstreams).
fn render_slr(out: &mut String, parsed: &ParsedBitstream<'_>, slr: &Slr, slr_index: Option<usize>) {
    if let Some(index) = slr_index {
        let _ = write!(out, "SLR[{index}] ");
    }
    let _ = writeln!(out, "Sync word at byte index 0x{:X}", slr.sync_index);
    let packets = &slr.packets;
    let mut i = 0;
    while let Some(packet) = packets.get(i) {
        if packet.is_type1_write_to(registers::FAR) {
            if let Some(summary) = packets
                .get(i..)
                .and_then(|rest| summarise_data_block(rest, parsed))
            {
                summary.render(out);
                i += summary.packets;
                continue;
            }
        }
        if packet.header_type == 2 {
            let _ = writeln!(
                out,
                "  Type 2 packet opcode {} word_count {}",
                packet.opcode.name(),
                packet.word_count
            );
            i += 1;
            continue;
        }
        let _ = write!(out, "  Type 1 packet opcode {}", packet.opcode.name());
        if packet.is_type1_nop() {
            let run = packets
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|p| p.is_type1_nop())
                .count();
            if run > 1 {
                let _ = write!(out, " ({run} consecutive)");
            }
            out.push('\n');
            i += run.max(1);
            continue;
        }
        render_register_packet(out, parsed, packet);
        out.push('\n');
        i += 1;
    }
}

/// The ` register ...` part of a Type 1 read/write line.
fn render_register_packet(out: &mut String, parsed: &ParsedBitstream<'_>, packet: &Packet) {
    let _ = write!(out, " register {}", register_display(packet.register));
    let single = |register| {
        if packet.is_single_write_to(register) {
            parsed.packet_word(packet, 0)
        } else {
            None
        }
    };
    if let Some(command) = single(registers::CMD) {
        let _ = write!(out, " command {}", command_display(command));
    } else if let Some(idcode) = single(registers::IDCODE) {
        let _ = write!(out, " {}", device_display(idcode));
    } else if let Some(value) = single(registers::AXSS) {
        let _ = write!(out, " {value:08X} - {}", UsrAccessTimestamp::decode(value));
    } else {
        out.push_str(" words");
        // Words advance 4 bytes each (the original's one-byte stride was a bug).
        for index in 0..packet.word_count {
            if let Some(word) = parsed.packet_word(packet, index) {
                let _ = write!(out, " {word:08X}");
            }
        }
    }
}
