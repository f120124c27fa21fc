//! Summary of a configuration data block: the run of frame-data packets that starts
//! at a FAR write and is shown as counts instead of one line per packet.

use std::fmt::Write;

use super::commands;
use super::packets::{Packet, ParsedBitstream};
use super::registers;

/// Counts of the packet kinds in a configuration data block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataBlockSummary {
    /// Packets in the block.
    pub packets: usize,
    /// Type 1 NOPs.
    pub nops: usize,
    /// Type 1 writes to FAR.
    pub far_writes: usize,
    /// WCFG commands.
    pub wcfg_commands: usize,
    /// Type 1 writes to FDRI.
    pub fdri_writes: usize,
    /// Data words of those FDRI writes.
    pub fdri_words: u64,
    /// MFW commands.
    pub mfw_commands: usize,
    /// NULL commands.
    pub null_commands: usize,
    /// Type 1 writes to MFWR (compressed bitstreams only).
    pub mfwr_writes: usize,
    /// Data words of those MFWR writes.
    pub mfwr_words: u64,
    /// Type 2 packets.
    pub type2_packets: usize,
    /// Data words of the Type 2 packets.
    pub type2_words: u64,
}

impl DataBlockSummary {
    /// Adds `packet` if it belongs in a data block; false ends the block.
    fn add(&mut self, packet: &Packet, parsed: &ParsedBitstream<'_>) -> bool {
        let command = || {
            if packet.is_single_write_to(registers::CMD) {
                parsed.packet_word(packet, 0)
            } else {
                None
            }
        };
        let words = u64::from(packet.word_count);
        if packet.header_type == 2 {
            self.type2_packets += 1;
            self.type2_words += words;
        } else if packet.is_type1_nop() {
            self.nops += 1;
        } else if packet.is_type1_write_to(registers::FAR) {
            self.far_writes += 1;
        } else if packet.is_type1_write_to(registers::FDRI) {
            self.fdri_writes += 1;
            self.fdri_words += words;
        } else if packet.is_type1_write_to(registers::MFWR) {
            self.mfwr_writes += 1;
            self.mfwr_words += words;
        } else {
            match command() {
                Some(commands::WCFG) => self.wcfg_commands += 1,
                Some(commands::MFW) => self.mfw_commands += 1,
                Some(commands::NULL) => self.null_commands += 1,
                _ => return false,
            }
        }
        self.packets += 1;
        true
    }

    /// Appends the block's report lines (heading at 2 spaces, counts at 4; zero
    /// counts omitted).
    pub fn render(&self, out: &mut String) {
        out.push_str("  Configuration data writes consisting of:\n");
        let mut line = |count: usize, text: &str| {
            if count > 0 {
                let _ = writeln!(out, "    {count} {text}");
            }
        };
        line(self.nops, "NOPs");
        line(self.far_writes, "FAR writes");
        line(self.wcfg_commands, "WCFG commands");
        line(
            self.fdri_writes,
            &format!("FDRI writes with a total of {} words", self.fdri_words),
        );
        line(self.mfw_commands, "MFW commands");
        line(self.null_commands, "NULL commands");
        line(
            self.mfwr_writes,
            &format!("MFWR writes with a total of {} words", self.mfwr_words),
        );
        line(
            self.type2_packets,
            &format!("Type 2 packets with a total of {} words", self.type2_words),
        );
    }
}

/// Summarises the data block starting at `packets[0]` (a FAR write). Returns `None`
/// when the block would hold only that FAR write, which is then shown as an ordinary
/// packet (as happens for the FAR write after START).
pub fn summarise_data_block(
    packets: &[Packet],
    parsed: &ParsedBitstream<'_>,
) -> Option<DataBlockSummary> {
    let mut summary = DataBlockSummary::default();
    for packet in packets {
        if !summary.add(packet, parsed) {
            break;
        }
    }
    (summary.packets > 1).then_some(summary)
}
