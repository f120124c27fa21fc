//! `memmapped_persistence_vfio`: does block RAM behind memory-mapped BARs keep what the
//! previous run wrote? Each BAR holds a header (magic, run counter, pattern seed, BAR
//! size) followed by a pseudo-random pattern from the seed. A run checks what is there,
//! reports it, then writes the next run's pattern and header (header last, so an
//! interrupted write never looks like a complete one).

use std::io::{self, Write};

use vfio_access::{Device, DmaCapability, IdMatch, IdentityFilter, Mmio};

/// `PERS` as a little-endian word.
pub const MAGIC: u32 = 0x5352_4550;
const HEADER_WORDS: u64 = 4;

/// memmapped_blkram (either BAR variant): in-house sub-device 0x0001, no DMA.
pub const MEMMAPPED_BLKRAM_FILTER: IdentityFilter = IdentityFilter {
    vendor_id: IdMatch::Value(0x10EE),
    device_id: IdMatch::Any,
    subsystem_vendor_id: IdMatch::Value(0x0002),
    subsystem_device_id: IdMatch::Value(identify_design::designs::MEMMAPPED_BLKRAM_SUBSYSTEM_ID),
    dma_capability: DmaCapability::None,
};

/// What a BAR held at the start of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Previous {
    /// No header: first run, or the memory lost its contents.
    Absent,
    /// The previous run's contents, intact.
    Intact { run: u32, seed: u32 },
    /// A header, but the pattern (or the size field) differs.
    Changed {
        run: u32,
        seed: u32,
        differing_words: u64,
        first_offset: u64,
        expected: u32,
        read: u32,
    },
}

/// xorshift32: the pattern generator (never yields 0 from a non-zero seed).
fn next(x: &mut u32) -> u32 {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    *x
}

/// The seed for `run` in BAR `bar`: distinct per run and BAR, never 0.
pub fn seed_for(run: u32, bar: u8) -> u32 {
    let mut z = (u64::from(run) << 8 | u64::from(bar)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32 | 1
}

/// Checks the contents of a BAR left by the previous run.
pub fn check(regs: &Mmio) -> Previous {
    let words = regs.len() / 4;
    if words < HEADER_WORDS || regs.read32(0) != MAGIC {
        return Previous::Absent;
    }
    let run = regs.read32(4);
    let seed = regs.read32(8);
    let mut differing = 0u64;
    let mut first = None;
    if u64::from(regs.read32(12)) != regs.len() & 0xFFFF_FFFF {
        differing += 1;
        first = Some((12, regs.len() as u32, regs.read32(12)));
    }
    let mut x = seed;
    for w in HEADER_WORDS..words {
        let expected = next(&mut x);
        let read = regs.read32(w * 4);
        if read != expected {
            differing += 1;
            first.get_or_insert((w * 4, expected, read));
        }
    }
    match first {
        None => Previous::Intact { run, seed },
        Some((first_offset, expected, read)) => Previous::Changed {
            run,
            seed,
            differing_words: differing,
            first_offset,
            expected,
            read,
        },
    }
}

/// Writes run `run`'s pattern from `seed`, then its header.
pub fn write_run(regs: &Mmio, run: u32, seed: u32) {
    let words = regs.len() / 4;
    if words < HEADER_WORDS {
        return;
    }
    regs.write32(0, 0);
    let mut x = seed;
    for w in HEADER_WORDS..words {
        regs.write32(w * 4, next(&mut x));
    }
    regs.write32(12, regs.len() as u32);
    regs.write32(8, seed);
    regs.write32(4, run);
    regs.write32(0, MAGIC);
}

/// The summary of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceOutcome {
    pub bars: usize,
    pub intact: usize,
}

/// Reports and rewrites every BAR of one memmapped_blkram device.
pub fn run_device(out: &mut impl Write, device: &Device) -> io::Result<DeviceOutcome> {
    let mut outcome = DeviceOutcome::default();
    writeln!(
        out,
        "memmapped_blkram in PCI device {} IOMMU group {}:",
        device.location(),
        device.iommu_group()
    )?;
    for bar in 0u8..6 {
        let Some(info) = device.bar_info(bar) else {
            continue;
        };
        writeln!(
            out,
            "  BAR {bar} size 0x{:x} prefetchable={} 64-bit={}",
            info.size,
            u8::from(info.prefetchable),
            u8::from(info.is_64bit)
        )?;
        let regs = match device.bar(bar) {
            Ok(r) if info.mappable && r.len() >= HEADER_WORDS * 4 => r,
            _ => {
                writeln!(out, "    not mappable")?;
                continue;
            }
        };
        outcome.bars += 1;
        let previous = check(&regs);
        let next_run = match previous {
            Previous::Absent => {
                writeln!(out, "    No contents from a previous run")?;
                1
            }
            Previous::Intact { run, seed } => {
                writeln!(
                    out,
                    "    Contents from run {run} (pattern seed 0x{seed:08x}) still present"
                )?;
                outcome.intact += 1;
                run.wrapping_add(1)
            }
            Previous::Changed {
                run,
                seed,
                differing_words,
                first_offset,
                expected,
                read,
            } => {
                writeln!(
                    out,
                    "    Contents from run {run} (pattern seed 0x{seed:08x}) changed: {differing_words} words differ, first at offset 0x{first_offset:x} expected 0x{expected:08x} read 0x{read:08x}"
                )?;
                run.wrapping_add(1)
            }
        };
        let seed = seed_for(next_run, bar);
        write_run(&regs, next_run, seed);
        writeln!(
            out,
            "    Wrote header and pattern for run {next_run} (pattern seed 0x{seed:08x})"
        )?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use vfio_access::mmio::MemorySpace;

    #[test]
    fn pattern_round_trip_and_corruption_is_located() {
        let m = Mmio::new(Arc::new(MemorySpace::new(0x1000)));
        assert_eq!(check(&m), Previous::Absent);
        write_run(&m, 5, seed_for(5, 0));
        assert_eq!(
            check(&m),
            Previous::Intact {
                run: 5,
                seed: seed_for(5, 0)
            }
        );
        m.write32(0x100, 0);
        match check(&m) {
            Previous::Changed {
                differing_words,
                first_offset,
                read,
                ..
            } => assert_eq!((differing_words, first_offset, read), (1, 0x100, 0)),
            other => panic!("{other:?}"),
        }
        assert_ne!(seed_for(1, 0), seed_for(1, 2));
        assert_ne!(seed_for(1, 0), seed_for(2, 0));
    }
}
