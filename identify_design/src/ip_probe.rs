//! The work of `probe_xilinx_ip` (designs_after_seed.md §4.8): scan BARs for the Fury GPIO
//! tag and for XDMA identifier registers, and pattern-test the XDMA writeback and
//! descriptor address registers it finds.
//!
//! Hazard (§6.9): on hardware, reading AXI-Lite addresses with no slave behind them can
//! hang the host; the Fury probe therefore stops at the first tag, and `-b/-s/-e` narrow
//! the scan. The XDMA probe writes registers.

use std::io::{self, Write};

use vfio_access::{Device, Mmio};

use crate::designs::{LITE_TAG, NITE_TAG};

const FURY_STEP: u64 = 0x200;
const XDMA_STEP: u64 = 0x100;
const XDMA_SUBSYSTEM: u32 = 0x1FC;
const ALIGNMENT_REGISTER: u64 = 0x4C;
const WRITEBACK_ADDRESS: u64 = 0x88;
const DESCRIPTOR_ADDRESS: u64 = 0x80;

/// Which part of which BARs to probe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeRange {
    /// Only this BAR (0..5); None: every BAR.
    pub bar: Option<u8>,
    pub start: u64,
    /// End offset (exclusive); None or beyond the BAR: the BAR's size.
    pub end: Option<u64>,
}

/// Probes every mappable BAR of `device` within `range`.
pub fn probe_device(device: &Device, range: ProbeRange, out: &mut impl Write) -> io::Result<()> {
    let bars: Vec<u8> = match range.bar {
        Some(b) => vec![b],
        None => (0..6).collect(),
    };
    for index in bars {
        let Ok(bar) = device.bar(index) else {
            continue;
        };
        let size = bar.len();
        let end = range.end.filter(|e| *e < size).unwrap_or(size);
        if range.start != 0 || end != size {
            writeln!(
                out,
                "Probing part of BAR {index} in device {} over range 0x{:x}..0x{end:x}",
                device.location(),
                range.start
            )?;
        } else {
            writeln!(
                out,
                "Probing BAR {index} in device {} of size 0x{size:x}",
                device.location()
            )?;
        }
        if !probe_fury(&bar, range.start, end, out)? {
            probe_xdma(&bar, range.start, end, out)?;
        }
    }
    Ok(())
}

/// Offsets `start`, `start + step`, ... whose `step` bytes fit before `end`.
fn offsets(start: u64, end: u64, step: u64) -> impl Iterator<Item = u64> {
    (0..)
        .map(move |i| start + i * step)
        .take_while(move |o| o.checked_add(step).is_some_and(|e| e <= end))
}

/// True when a tag was found (probing of this BAR then stops).
fn probe_fury(bar: &Mmio, start: u64, end: u64, out: &mut impl Write) -> io::Result<bool> {
    for offset in offsets(start, end, FURY_STEP) {
        let tag = bar.read32(offset);
        let name = match tag {
            LITE_TAG => "LITE",
            NITE_TAG => "NITE",
            _ => continue,
        };
        let version = bar.read32(offset + 8);
        writeln!(
            out,
            "Found {name} Fury at BAR offset 0x{offset:x} board_version={version}"
        )?;
        return Ok(true);
    }
    Ok(false)
}

fn probe_xdma(bar: &Mmio, start: u64, end: u64, out: &mut impl Write) -> io::Result<()> {
    for offset in offsets(start, end, XDMA_STEP) {
        let identifier = bar.read32(offset);
        let alignment = bar.read32(offset + ALIGNMENT_REGISTER);
        if identifier >> 20 != XDMA_SUBSYSTEM {
            continue;
        }
        let target = (identifier >> 16) & 0xf;
        let stream = if identifier & 0x8000 != 0 {
            "AXI4-Stream Interface"
        } else {
            "AXI4 Memory Mapped Interface"
        };
        let channel = (identifier >> 8) & 0xf;
        let version = identifier & 0xff;
        let per_channel = matches!(target, 0 | 1 | 4 | 5);
        if !per_channel && (offset >> 8) & 0xf != 0 {
            // An alias of a block that exists once.
            continue;
        }
        let direction = if target == 0 || target == 4 {
            "H2C"
        } else {
            "C2H"
        };
        let at = format!("Xilinx DMA bridge at BAR offset 0x{offset:x}");
        match target {
            0 | 1 => {
                writeln!(out, "{at} {direction} Channels stream={stream} channel_id_target={channel} version={version}")?;
                writeln!(
                    out,
                    "  addr_alignment={} len_granularity={} address_bits={}",
                    (alignment >> 16) & 0xff,
                    (alignment >> 8) & 0xff,
                    alignment & 0xff
                )?;
                test_register_pair(bar, offset + WRITEBACK_ADDRESS, out)?;
            }
            2 => writeln!(out, "{at} IRQ Block version={version}")?,
            3 => writeln!(out, "{at} Config Block version={version}")?,
            6 => writeln!(out, "{at} SGDMA Common version={version}")?,
            4 | 5 => {
                writeln!(out, "{at} {direction} SGDMA stream={stream} channel_id_target={channel} version={version}")?;
                test_register_pair(bar, offset + DESCRIPTOR_ADDRESS, out)?;
            }
            other => writeln!(out, "{at} unknown channel_target=0x{other}")?,
        }
    }
    Ok(())
}

fn test_register_pair(bar: &Mmio, offset: u64, out: &mut impl Write) -> io::Result<()> {
    test_reg32(bar, offset, out)?;
    test_reg64(bar, offset, out)
}

/// 0, all ones, 0xAA.., 0x55.., walking ones, walking zeros, over `bits` bits.
fn patterns(bits: u32) -> Vec<u64> {
    let ones = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let mut p = vec![
        0,
        ones,
        0xAAAA_AAAA_AAAA_AAAA & ones,
        0x5555_5555_5555_5555 & ones,
    ];
    p.extend((0..bits).map(|b| 1u64 << b));
    p.extend((0..bits).map(|b| !(1u64 << b) & ones));
    p
}

fn test_reg32(bar: &Mmio, offset: u64, out: &mut impl Write) -> io::Result<()> {
    let initial = bar.read32(offset);
    let mut pass = true;
    for p in patterns(32) {
        let wrote = p as u32;
        bar.write32(offset, wrote);
        let read = bar.read32(offset);
        if read != wrote {
            writeln!(
                out,
                "reg32 test failed. Wrote 0x{wrote:08x} read 0x{read:08x}"
            )?;
            pass = false;
            break;
        }
    }
    let last = bar.read32(offset);
    let verdict = if pass { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "  Test of reg32 at offset 0x{offset:x} {verdict} : initial=0x{initial:08x} final=0x{last:08x}"
    )
}

fn test_reg64(bar: &Mmio, offset: u64, out: &mut impl Write) -> io::Result<()> {
    let initial = bar.read64_split(offset);
    let mut pass = true;
    for wrote in patterns(64) {
        bar.write64_split(offset, wrote);
        let read = bar.read64_split(offset);
        if read != wrote {
            writeln!(
                out,
                "reg64 test failed. Wrote 0x{wrote:016x} read 0x{read:016x}"
            )?;
            pass = false;
            break;
        }
    }
    let last = bar.read64_split(offset);
    let verdict = if pass { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "  Test of reg64 at offset 0x{offset:x} {verdict} : initial=0x{initial:016x} final=0x{last:016x}"
    )
}

/// A C integer as `strtoul(..., 0)` takes it: decimal, `0x` hex or leading-0 octal, with
/// nothing after it.
pub fn parse_c_integer(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if t.len() > 1 && t.starts_with('0') {
        return u64::from_str_radix(&t[1..], 8).ok();
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_integers_and_offsets() {
        assert_eq!(parse_c_integer("0x1000"), Some(0x1000));
        assert_eq!(parse_c_integer("010"), Some(8));
        assert_eq!(parse_c_integer("0"), Some(0));
        assert_eq!(parse_c_integer("12z"), None);
        assert_eq!(
            offsets(0, 0x300, 0x100).collect::<Vec<_>>(),
            vec![0, 0x100, 0x200]
        );
        assert_eq!(offsets(0x10, 0x200, 0x100).collect::<Vec<_>>(), vec![0x10]);
        assert_eq!(patterns(32).len(), 68);
        assert_eq!(*patterns(64).last().unwrap(), 0x7fff_ffff_ffff_ffff);
    }
}
