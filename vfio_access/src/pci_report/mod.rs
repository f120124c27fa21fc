//! lspci-grade decoding of a PCI function's configuration space, for `dump_pci_info`.
//!
//! Everything here decodes raw config-space bytes (as read from sysfs `config`, or as a
//! simulated board serves them) into [`ReportLine`]s; [`write_report`] prints them. Where
//! `lspci -vv` (pciutils) prints the same field, the words, `+`/`-` flags and number formats
//! are the same, so the two can be compared line by line.
//!
//! - [`header`]: revision, class, command and status registers, bridge bus numbers.
//! - [`capabilities`]: the standard capability list (PM, MSI, MSI-X, vendor specific).
//! - [`express`]: the PCI Express capability (device, link and link-2 registers).
//! - [`extended`] and [`aer`]: the extended capability list, AER, Device Serial Number.
//! - [`bridges`]: the chain of parent bridges and their links.
//! - [`device_report`]: one device block from sysfs facts plus the decoders above.
//! - [`selection`]: the positional device filters (`dddd:bb:dd.f`, `vid:did`, `vid`).

pub mod aer;
pub mod bridges;
pub mod capabilities;
pub mod device_report;
pub mod express;
pub mod extended;
pub mod header;
pub mod selection;

use std::io::{self, Write};

pub use device_report::{render_device, DeviceFacts};
pub use selection::DeviceSelector;

/// Size of the conventional config space; extended capabilities live above it.
pub const CONVENTIONAL_CONFIG_SIZE: usize = 256;
/// Size of the PCI Express extended config space.
pub const EXTENDED_CONFIG_SIZE: usize = 4096;

/// Raw config-space bytes of one function. Reads outside what was readable give `None`
/// (a normal user reads only the first 64 bytes of sysfs `config`).
#[derive(Debug, Clone, Copy)]
pub struct ConfigSpace<'a> {
    bytes: &'a [u8],
}

impl<'a> ConfigSpace<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// How many bytes were readable.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// True when `count` bytes from `offset` were readable.
    pub fn has(&self, offset: usize, count: usize) -> bool {
        offset
            .checked_add(count)
            .is_some_and(|end| end <= self.bytes.len())
    }

    pub fn u8(&self, offset: usize) -> Option<u8> {
        self.bytes.get(offset).copied()
    }

    pub fn u16(&self, offset: usize) -> Option<u16> {
        let b = self.bytes.get(offset..offset.checked_add(2)?)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&self, offset: usize) -> Option<u32> {
        let b = self.bytes.get(offset..offset.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The 16-bit register at `offset`, 0 when it was not readable (callers check
    /// [`has`](Self::has) for the whole structure first).
    pub(crate) fn w(&self, offset: usize) -> u16 {
        self.u16(offset).unwrap_or(0)
    }

    pub(crate) fn l(&self, offset: usize) -> u32 {
        self.u32(offset).unwrap_or(0)
    }

    pub(crate) fn b(&self, offset: usize) -> u8 {
        self.u8(offset).unwrap_or(0)
    }
}

/// One output line: `indent` levels (two spaces each) then text. lspci's tab levels map
/// one to one: field lines at 1, capability details at 2, their continuations at 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    pub indent: usize,
    pub text: String,
}

impl ReportLine {
    pub fn new(indent: usize, text: impl Into<String>) -> Self {
        Self {
            indent,
            text: text.into(),
        }
    }
}

/// A growing list of report lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines(pub Vec<ReportLine>);

impl Lines {
    pub fn push(&mut self, indent: usize, text: impl Into<String>) {
        self.0.push(ReportLine::new(indent, text));
    }

    pub fn extend(&mut self, other: Lines) {
        self.0.extend(other.0);
    }

    /// The lines as text (two spaces per indent level, one line each).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for l in &self.0 {
            for _ in 0..l.indent {
                s.push_str("  ");
            }
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }
}

/// Writes report lines to `out`.
pub fn write_report(out: &mut dyn Write, lines: &Lines) -> io::Result<()> {
    out.write_all(lines.to_text().as_bytes())
}

/// lspci's flag character: `+` when set.
pub(crate) fn flag(value: u32, mask: u32) -> char {
    if value & mask != 0 {
        '+'
    } else {
        '-'
    }
}

/// Bits `shift..shift+width` of `value`.
pub(crate) fn bits(value: u32, shift: u32, width: u32) -> u32 {
    (value >> shift) & ((1u32 << width) - 1)
}

#[cfg(test)]
pub(crate) mod test_config;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_by_what_was_readable() {
        let bytes = [1u8, 2, 3, 4, 5];
        let c = ConfigSpace::new(&bytes);
        assert_eq!(c.u8(4), Some(5));
        assert_eq!(c.u8(5), None);
        assert_eq!(c.u16(3), Some(0x0504));
        assert_eq!(c.u16(4), None);
        assert_eq!(c.u32(0), Some(0x0403_0201));
        assert_eq!(c.u32(2), None);
        assert_eq!(c.u32(usize::MAX), None);
        assert!(c.has(1, 4) && !c.has(2, 4) && !c.has(usize::MAX, 2));
    }

    #[test]
    fn lines_indent_two_spaces_per_level() {
        let mut l = Lines::default();
        l.push(0, "a");
        l.push(2, "b");
        assert_eq!(l.to_text(), "a\n    b\n");
        let mut out = Vec::new();
        write_report(&mut out, &l).unwrap();
        assert_eq!(out, b"a\n    b\n");
    }

    #[test]
    fn flags_and_bit_fields() {
        assert_eq!(flag(0x10, 0x10), '+');
        assert_eq!(flag(0x10, 0x20), '-');
        assert_eq!(bits(0xabcd, 4, 8), 0xbc);
    }
}

#[cfg(test)]
mod arbitrary_bytes {
    use super::bridges::{bridge_chain_lines, ParentBridge};
    use super::capabilities::standard_capabilities;
    use super::express::PortType;
    use super::extended::extended_capabilities;
    use super::header::header_lines;
    use super::*;
    use crate::location::PciLocation;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a device (or a broken one) returns, decoding ends without a panic.
        #[test]
        fn any_config_bytes_decode(
            bytes in proptest::collection::vec(any::<u8>(), 0..=4200),
            status_cap in any::<bool>(),
            class24 in any::<u32>(),
        ) {
            let mut bytes = bytes;
            if status_cap && bytes.len() > 6 {
                bytes[6] |= 0x10;
            }
            let cfg = ConfigSpace::new(&bytes);
            let loc = PciLocation::new(0, 1, 2, 3);
            let _ = header_lines(&cfg, class24 & 0xff_ffff, Some(5));
            let caps = standard_capabilities(&cfg, loc, 0x1af4);
            let _ = extended_capabilities(&cfg, caps.express.map(|e| e.port_type));
            let _ = extended_capabilities(&cfg, Some(PortType::RootPort));
            let _ = bridge_chain_lines(&[ParentBridge {
                location: loc,
                vendor_id: 0x8086,
                device_id: 0x1234,
                config: bytes.clone(),
            }]);
        }
    }
}
