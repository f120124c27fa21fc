//! Driver against the simulated AXI Quad SPI core and flash, for all three flash parts
//! and both FIFO depths.

use std::sync::Arc;
use std::time::Duration;

use fpga_sim::peripheral::{Peripheral, PeripheralSpace};
use fpga_sim::quad_spi::{
    FlashFault, FlashPart, IdentOverrides, QuadSpiConfig, QuadSpiModel, QUAD_SPI_FRAME_SIZE,
};
use xilinx_quad_spi::controller::{ControllerError, QuadSpiController};
use xilinx_quad_spi::flash::{FlashError, FlashTimeouts, SpiFlash, WriteError};
use xilinx_quad_spi::programming::{
    erase_range, program_image, program_image_with_backup, read_range, rewrite_sector,
    verify_image, FlashProgress, ImageError, NoFlashProgress, SectorBackup,
};

const PARTS: [FlashPart; 3] = [
    FlashPart::MicronN25q256a,
    FlashPart::SpansionS25fl256s,
    FlashPart::MacronixMx25l12835f,
];

fn model(config: QuadSpiConfig) -> Arc<QuadSpiModel> {
    QuadSpiModel::new(config)
}

fn config(part: FlashPart, depth: u32) -> QuadSpiConfig {
    QuadSpiConfig {
        flash: part,
        fifo_depth: depth,
        ..Default::default()
    }
}

fn open_with(m: &Arc<QuadSpiModel>) -> (Result<SpiFlash, FlashError>, Vec<String>) {
    let mmio = PeripheralSpace::mmio(m.clone() as Arc<dyn Peripheral>, QUAD_SPI_FRAME_SIZE);
    let mut log = Vec::new();
    let r = SpiFlash::open(mmio, &mut |l| log.push(l));
    (r, log)
}

fn open(m: &Arc<QuadSpiModel>) -> SpiFlash {
    let (r, log) = open_with(m);
    assert!(log.is_empty(), "{log:?}");
    r.expect("flash identified")
}

fn expected_identification(part: FlashPart, depth: u32) -> String {
    let (name, ids, size, addr) = match part {
        FlashPart::MicronN25q256a => (
            "Micron N25Q256A",
            "0x20  Memory Interface Type=0xbb  Density=0x19",
            33554432,
            4,
        ),
        FlashPart::SpansionS25fl256s => (
            "Spansion S25FL_A",
            "0x01  Memory Interface Type=0x02  Density=0x19",
            33554432,
            4,
        ),
        FlashPart::MacronixMx25l12835f => (
            "Macronix MX25L128",
            "0xc2  Memory Interface Type=0x20  Density=0x18",
            16777216,
            3,
        ),
    };
    format!(
        "FIFO depth={depth}\nFlash device : {name}\nManufacturer ID={ids}\nFlash Size Bytes={size}  Page Size Bytes=256  Num Address Bytes={addr}\n"
    )
}

#[test]
fn identification_lines_for_each_part_and_depth() {
    for part in PARTS {
        for depth in [16, 256] {
            let m = model(config(part, depth));
            let flash = open(&m);
            assert_eq!(
                flash.info().identification_lines(),
                expected_identification(part, depth),
                "{part:?} depth {depth}"
            );
        }
    }
}

#[test]
fn identified_parameters_match_the_fact_sheet() {
    let micron = open(&model(config(FlashPart::MicronN25q256a, 256)));
    let i = micron.info();
    assert_eq!(
        (i.read_opcode, i.read_dummy_bytes, i.mode_bit_reset),
        (0xEC, 5, false)
    );
    assert_eq!(i.erase_regions.len(), 1);
    let r = i.erase_regions[0];
    assert_eq!((r.sectors, r.sector_size, r.opcode), (8192, 4096, 0x21));
    assert_eq!(i.micron_vcr, Some(0xFB));
    assert_eq!(i.micron_nvcr, Some(0xFFFF));

    let spansion = open(&model(config(FlashPart::SpansionS25fl256s, 256)));
    let i = spansion.info();
    assert_eq!(
        (i.read_opcode, i.read_dummy_bytes, i.mode_bit_reset),
        (0xEC, 3, true)
    );
    let regions: Vec<_> = i
        .erase_regions
        .iter()
        .map(|r| (r.sectors, r.sector_size, r.opcode))
        .collect();
    assert_eq!(regions, vec![(2, 65536, 0xDC), (510, 65536, 0xDC)]);
    assert_eq!(i.spansion_cr1, Some(0x02));
    assert!(i
        .raw
        .dump()
        .starts_with("CFI raw parameter bytes:\n  [000] = 01 .\n"));

    let macronix = open(&model(config(FlashPart::MacronixMx25l12835f, 16)));
    let i = macronix.info();
    assert_eq!((i.read_opcode, i.read_dummy_bytes), (0xBB, 1));
    let r = i.erase_regions[0];
    assert_eq!((r.sectors, r.sector_size, r.opcode), (4096, 4096, 0x20));
    assert!(i
        .raw
        .dump()
        .starts_with("SFDP raw parameter bytes:\n  [000] = 53 S\n  [001] = 46 F\n"));
}

#[test]
fn read_returns_the_array_contents_across_fifo_chunks() {
    let pattern: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    for part in PARTS {
        for depth in [16, 256] {
            let m = model(QuadSpiConfig {
                initial_image: Some(pattern.clone()),
                ..config(part, depth)
            });
            let mut flash = open(&m);
            let mut buf = vec![0u8; 5000];
            flash.read(12_345, &mut buf).unwrap();
            assert_eq!(buf, pattern[12_345..17_345], "{part:?} {depth}");
            // Byte-per-transaction reads give the same bytes (no continuous-read mode left on).
            for a in [0x9u64, 0xA, 0xB, 0x1A, 0x2A] {
                let mut one = [0u8];
                flash.read(a, &mut one).unwrap();
                assert_eq!(one[0], pattern[a as usize], "{part:?} addr {a:#x}");
            }
            // Beyond the image the flash is erased.
            let mut tail = [0u8; 16];
            flash.read(70_000, &mut tail).unwrap();
            assert_eq!(tail, [0xFF; 16]);
        }
    }
}

#[test]
fn read_errors() {
    let mut flash = open(&model(config(FlashPart::MacronixMx25l12835f, 256)));
    assert_eq!(
        flash.read(0, &mut []).unwrap_err().to_string(),
        "Invalid read length of zero"
    );
    let mut b = [0u8; 2];
    assert_eq!(
        flash
            .read(16 * 1024 * 1024 - 1, &mut b)
            .unwrap_err()
            .to_string(),
        "Attempt to read off the end of the flash device"
    );
}

#[test]
fn mmio_reads_per_byte_stay_near_one() {
    for depth in [16u32, 256] {
        let m = model(config(FlashPart::MicronN25q256a, depth));
        let mut flash = open(&m);
        let mut buf = vec![0u8; 1 << 20];
        m.reset_counters();
        flash.read(0, &mut buf).unwrap();
        let c = m.counters();
        let per_byte = c.reads as f64 / buf.len() as f64;
        let limit = if depth == 256 { 1.01 } else { 1.07 };
        assert!(
            per_byte <= limit,
            "depth {depth}: {per_byte} reads/byte ({c:?})"
        );
        assert_eq!(
            c.drr_reads,
            buf.len() as u64 + 10,
            "opcode+4 address+5 dummy bytes"
        );
    }
}

#[test]
fn first_clocks_lost_prints_the_original_line() {
    for part in PARTS {
        let m = model(QuadSpiConfig {
            first_clocks_lost: true,
            ..config(part, 256)
        });
        let (r, log) = open_with(&m);
        assert!(r.is_ok());
        assert_eq!(
            log,
            vec!["Initial device identification incorrect - ignoring due to Quad SPI core not outputting initial clock cycles"]
        );
    }
}

#[test]
fn slow_clock_reset_wait_and_invalid_depth() {
    let m = model(QuadSpiConfig {
        slow_ext_clock: true,
        ..config(FlashPart::SpansionS25fl256s, 256)
    });
    assert!(open_with(&m).0.is_ok());

    let m = model(config(FlashPart::MicronN25q256a, 64));
    let mmio = PeripheralSpace::mmio(m as Arc<dyn Peripheral>, QUAD_SPI_FRAME_SIZE);
    let e = QuadSpiController::init(mmio).unwrap_err();
    assert_eq!(e, ControllerError::InvalidFifoDepth(64));
    assert_eq!(e.to_string(), "Invalid Quad SPI core fifo_depth of 64");
}

#[test]
fn latency_between_shifts_does_not_change_results() {
    let pattern: Vec<u8> = (0..4096u32).map(|i| (i ^ (i >> 3)) as u8).collect();
    let m = model(QuadSpiConfig {
        shift_bytes_per_access: 1,
        initial_image: Some(pattern.clone()),
        ..config(FlashPart::SpansionS25fl256s, 16)
    });
    let mut flash = open(&m);
    let mut buf = vec![0u8; 4096];
    flash.read(0, &mut buf).unwrap();
    assert_eq!(buf, pattern);
}

#[test]
fn command_error_reports_the_original_message() {
    // 0x70 is not in the Macronix command table of the core.
    let m = model(config(FlashPart::MacronixMx25l12835f, 256));
    let mmio = PeripheralSpace::mmio(m as Arc<dyn Peripheral>, QUAD_SPI_FRAME_SIZE);
    let mut c = QuadSpiController::init(mmio).unwrap();
    let mut b = [0u8; 1];
    let e = c.transfer(&[0x70], &mut b).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Quad SPI transaction failed for opcode 0x70: core status_register=0x421"
    );
}

fn unsupported(part: FlashPart, o: IdentOverrides) -> (String, Vec<String>) {
    let m = model(QuadSpiConfig {
        ident_overrides: o,
        ..config(part, 256)
    });
    let (r, log) = open_with(&m);
    (r.unwrap_err().to_string(), log)
}

fn sfdp_with(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    // A valid Micron SFDP image to start from, as read through the driver.
    let m = model(config(FlashPart::MicronN25q256a, 256));
    let flash = open(&m);
    let mut v = flash.info().raw.bytes[..flash.info().raw.populated_len].to_vec();
    edit(&mut v);
    v
}

#[test]
fn identification_failures() {
    let (e, log) = unsupported(
        FlashPart::MicronN25q256a,
        IdentOverrides {
            jedec: Some(vec![0x9D, 0x60, 0x19]),
            ..Default::default()
        },
    );
    assert_eq!(
        e,
        "Unsupported flash manufacturer_id 0x9d (memory_interface_type 0x60 density 0x19)"
    );
    assert!(log.is_empty());

    let micron_unsupported =
        "Unsupported flash manufacturer_id 0x20 (memory_interface_type 0xbb density 0x19)";
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (sfdp_with(|v| v[0] = b'X'), "Failed to find SFDP string"),
        (
            sfdp_with(|v| {
                v[11] = 0xFF;
                v[12] = 0x10;
                v[13] = 0x07;
            }),
            "Attempt to read table off end of SFDP data",
        ),
        (
            {
                // 256 headers: the last one starts at byte 2048.
                let mut v = b"SFDP\x00\x01\xFF\xFF".to_vec();
                for _ in 0..255 {
                    v.extend([0x00, 0x00, 0x01, 0x09, 0x30, 0x00, 0x00, 0xFF]);
                }
                v
            },
            "Attempt to read header off end of SFDP data",
        ),
        (
            sfdp_with(|v| v[11] = 8),
            "SFDP basic parameter length only 8",
        ),
    ];
    for (sfdp, reason) in cases {
        let (e, log) = unsupported(
            FlashPart::MicronN25q256a,
            IdentOverrides {
                sfdp: Some(sfdp),
                ..Default::default()
            },
        );
        assert_eq!(e, micron_unsupported);
        assert_eq!(log, vec![reason.to_string()]);
    }

    let spansion_unsupported =
        "Unsupported flash manufacturer_id 0x01 (memory_interface_type 0x02 density 0x19)";
    let cfi = |edit: &dyn Fn(&mut Vec<u8>)| {
        let m = model(config(FlashPart::SpansionS25fl256s, 256));
        let mut v = open(&m).info().raw.bytes.clone();
        edit(&mut v);
        v
    };
    let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
        (
            cfi(&|v| v[0x10] = b'X'),
            Some("Failed to find QRY string in CFI parameters"),
        ),
        (
            cfi(&|v| v[0x18] = b'X'),
            Some("Failed to find Alternate OEM Command Set in CFI parameters"),
        ),
        (
            cfi(&|v| v[0x2C] = 0),
            Some("Out of range num_erase_block_regions value of 0"),
        ),
        (
            cfi(&|v| v[0x2C] = 3),
            Some("Out of range num_erase_block_regions value of 3"),
        ),
    ];
    for (jedec, reason) in cases {
        let (e, log) = unsupported(
            FlashPart::SpansionS25fl256s,
            IdentOverrides {
                jedec: Some(jedec),
                ..Default::default()
            },
        );
        assert_eq!(e, spansion_unsupported);
        assert_eq!(
            log,
            reason.into_iter().map(String::from).collect::<Vec<_>>()
        );
    }
    // Latency code bits set in CR1: the generic message only.
    let (e, log) = unsupported(
        FlashPart::SpansionS25fl256s,
        IdentOverrides {
            spansion_cr1: Some(0x82),
            ..Default::default()
        },
    );
    assert_eq!(e, spansion_unsupported);
    assert!(log.is_empty());

    // Erase regions not adding up to the flash size.
    let (e, _) = unsupported(
        FlashPart::SpansionS25fl256s,
        IdentOverrides {
            jedec: Some(cfi(&|v| v[0x31] = 0xFC)),
            ..Default::default()
        },
    );
    assert_eq!(
        e,
        "Flash size inconsistency : total_erase_block_bytes=33488896  flash_size_bytes=33554432"
    );
}

fn image(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn program_verify_and_reprogram_for_each_part() {
    for part in PARTS {
        for depth in [16, 256] {
            let m = model(config(part, depth));
            let mut flash = open(&m);
            let sector = flash.info().erase_regions[0].sector_size as u64;
            // Above 16 MiB on the 32 MiB parts exercises the 4-byte opcodes.
            let base = if flash.info().size_bytes > 16 << 20 {
                (16 << 20) + sector
            } else {
                sector
            };
            let data = image(3 * sector as usize / 2 + 100, depth + part as u32);
            let s = program_image(&mut flash, base, &data, &mut NoFlashProgress).unwrap();
            assert_eq!(s.bytes_verified, data.len() as u64);
            assert_eq!(s.sectors_erased, 0, "erased flash needs no erase");
            assert_eq!(s.pages_written, (data.len() as u64).div_ceil(256));
            assert_eq!(m.flash_contents(base, data.len()), data, "{part:?}");
            // Same image again: nothing to do.
            let s = program_image(&mut flash, base, &data, &mut NoFlashProgress).unwrap();
            assert_eq!((s.sectors_erased, s.pages_written), (0, 0));
            // A different image: sectors erased, bytes after the image in its last sector kept.
            let marker = image(64, 99);
            let after = base + data.len() as u64 + 10;
            program_image(&mut flash, after, &marker, &mut NoFlashProgress).unwrap();
            let data2 = image(data.len(), 7);
            let s = program_image(&mut flash, base, &data2, &mut NoFlashProgress).unwrap();
            assert_eq!(s.sectors_erased, 2);
            assert_eq!(m.flash_contents(base, data2.len()), data2);
            assert_eq!(m.flash_contents(after, 64), marker, "preserved");
            let v = verify_image(&mut flash, base, &data, &mut NoFlashProgress).unwrap();
            assert!(v.mismatches > 0);
            // Erase back to blank.
            let e = erase_range(&mut flash, base, 2 * sector, &mut NoFlashProgress).unwrap();
            assert_eq!(e.sectors_erased, 2);
            let blank = read_range(&mut flash, base, 2 * sector, &mut NoFlashProgress).unwrap();
            assert!(blank.iter().all(|&b| b == 0xFF));
        }
    }
}

#[test]
fn image_that_does_not_fit_is_refused_untouched() {
    let m = model(config(FlashPart::MacronixMx25l12835f, 256));
    let mut flash = open(&m);
    let data = vec![0u8; 4096];
    let e = program_image(&mut flash, (16 << 20) - 2048, &data, &mut NoFlashProgress).unwrap_err();
    assert!(matches!(e, ImageError::DoesNotFit { .. }), "{e}");
    assert_eq!(
        m.flash_stats().sectors_erased + m.flash_stats().pages_programmed,
        0
    );
    let e = erase_range(&mut flash, 100, 4096, &mut NoFlashProgress).unwrap_err();
    assert!(e.to_string().contains("not aligned"), "{e}");
}

fn short_timeouts() -> FlashTimeouts {
    FlashTimeouts {
        page_program: Duration::from_millis(50),
        ..FlashTimeouts::default()
    }
}

#[test]
fn fault_hooks_give_clear_errors() {
    for part in PARTS {
        let data = image(8192, 5);
        // Program error after two pages.
        let m = model(QuadSpiConfig {
            fault: Some(FlashFault::ProgramError { after_pages: 2 }),
            ..config(part, 256)
        });
        let mut flash = open(&m);
        let e = program_image(&mut flash, 0, &data, &mut NoFlashProgress).unwrap_err();
        match e {
            ImageError::Flash(FlashError::Write(WriteError::Failed {
                address, detail, ..
            })) => {
                assert_eq!(address, 512, "{part:?}");
                assert!(detail.contains("program"), "{detail}");
            }
            other => panic!("{part:?}: {other}"),
        }
        // The device answers again: with the fault cleared, a re-run completes.
        m.set_fault(None);
        let s = program_image(&mut flash, 0, &data, &mut NoFlashProgress).unwrap();
        assert_eq!(s.pages_written, 30);

        // Erase error.
        let m = model(QuadSpiConfig {
            fault: Some(FlashFault::EraseError { after_erases: 0 }),
            initial_image: Some(vec![0; 100]),
            ..config(part, 256)
        });
        let mut flash = open(&m);
        let e = program_image(&mut flash, 0, &data, &mut NoFlashProgress).unwrap_err();
        assert!(
            e.to_string().contains("erase") && e.to_string().contains("failed"),
            "{e}"
        );

        // Stuck busy: a bounded wait, then a timeout error.
        let m = model(QuadSpiConfig {
            fault: Some(FlashFault::StuckBusy { after_pages: 1 }),
            ..config(part, 256)
        });
        let mut flash = open(&m);
        flash.set_timeouts(short_timeouts());
        let e = program_image(&mut flash, 0, &data, &mut NoFlashProgress).unwrap_err();
        assert!(
            e.to_string().contains("did not complete within 50ms"),
            "{e}"
        );

        // Power loss after three pages: half a page written, then silence.
        let m = model(QuadSpiConfig {
            fault: Some(FlashFault::PowerLoss { after_pages: 3 }),
            ..config(part, 256)
        });
        let mut flash = open(&m);
        flash.set_timeouts(short_timeouts());
        let e = program_image(&mut flash, 0, &data, &mut NoFlashProgress).unwrap_err();
        assert!(matches!(e, ImageError::Flash(_)), "{e}");
        let got = m.flash_contents(0, 1024);
        assert_eq!(got[..768], data[..768]);
        assert_eq!(got[768..896], data[768..896], "half of the 4th page");
        assert!(got[896..].iter().all(|&b| b == 0xFF));
        m.power_cycle();
        m.set_fault(None);
        let mut flash = open(&m);
        program_image(&mut flash, 0, &data, &mut NoFlashProgress).unwrap();
        assert_eq!(m.flash_contents(0, data.len()), data);
    }
}

/// Asks to stop once `after` pages (or sectors) were done in phase `phase`.
struct StopAfter {
    phase: &'static str,
    after: u64,
    current: String,
    done: u64,
}

impl FlashProgress for StopAfter {
    fn start(&mut self, phase: &str, _total: u64) {
        self.current = phase.to_string();
        self.done = 0;
    }
    fn advance(&mut self, _n: u64) {
        self.done += 1;
    }
    fn finish(&mut self) {}
    fn stop_requested(&mut self) -> bool {
        self.current == self.phase && self.done >= self.after
    }
}

/// Records what was kept, and whether the flash still held it when it was discarded.
#[derive(Default)]
struct RecordingBackup {
    saved: Vec<(u64, Vec<u8>)>,
    discarded: Vec<u64>,
}

impl SectorBackup for RecordingBackup {
    fn save(&mut self, start: u64, contents: &[u8]) -> std::io::Result<()> {
        self.saved.push((start, contents.to_vec()));
        Ok(())
    }
    fn discard(&mut self, start: u64) -> std::io::Result<()> {
        self.discarded.push(start);
        Ok(())
    }
}

#[test]
fn stop_requests_end_program_and_erase_at_a_boundary() {
    let m = model(config(FlashPart::MicronN25q256a, 256));
    let mut flash = open(&m);
    let data = image(10 * 256, 3);
    let mut stop = StopAfter {
        phase: "program",
        after: 4,
        current: String::new(),
        done: 0,
    };
    let e = program_image(&mut flash, 0x1000, &data, &mut stop).unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::Interrupted {
                phase: "program",
                done: 4,
                total: 10,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "interrupted during program after 4 of 10 pages"
    );
    // Exactly the pages before the stop, each complete.
    assert_eq!(m.flash_stats().pages_programmed, 4);
    assert_eq!(m.flash_contents(0x1000, 4 * 256), data[..4 * 256]);
    // Resuming finishes the image.
    program_image(&mut flash, 0x1000, &data, &mut NoFlashProgress).unwrap();
    let mut stop = StopAfter {
        phase: "erase",
        after: 1,
        current: String::new(),
        done: 0,
    };
    let e = erase_range(&mut flash, 0x1000, 0x3000, &mut stop).unwrap_err();
    assert_eq!(
        e.to_string(),
        "interrupted during erase after 1 of 3 sectors"
    );
    assert_eq!(m.flash_stats().sectors_erased, 1);
}

#[test]
fn sectors_with_bytes_outside_the_image_are_kept_until_verified() {
    let m = model(config(FlashPart::MicronN25q256a, 256));
    let mut flash = open(&m);
    let old = image(0x3000, 5);
    program_image(&mut flash, 0x1000, &old, &mut NoFlashProgress).unwrap();
    // A new image covering the middle of the first sector to the middle of the third.
    let new = image(0x2000, 6);
    let mut backup = RecordingBackup::default();
    program_image_with_backup(&mut flash, 0x1800, &new, &mut NoFlashProgress, &mut backup).unwrap();
    let kept: Vec<u64> = backup.saved.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        kept,
        [0x1000, 0x3000],
        "the sectors the image only partly covers"
    );
    assert_eq!(backup.saved[0].1, old[..0x1000]);
    assert_eq!(backup.discarded, [0x1000, 0x3000]);
    assert_eq!(m.flash_contents(0x1000, 0x800), old[..0x800]);
    assert_eq!(m.flash_contents(0x3800, 0x800), old[0x2800..]);
    assert_eq!(m.flash_contents(0x1800, 0x2000), new);

    // A power loss after the erases: the kept copy puts the sector back whole.
    m.set_fault(Some(FlashFault::PowerLoss {
        after_pages: m.flash_stats().pages_programmed + 2,
    }));
    let newer = image(0x2000, 8);
    let mut backup = RecordingBackup::default();
    let e = program_image_with_backup(
        &mut flash,
        0x1800,
        &newer,
        &mut NoFlashProgress,
        &mut backup,
    )
    .unwrap_err();
    assert!(e.to_string().contains("device not responding"), "{e}");
    assert!(
        backup.discarded.is_empty(),
        "nothing verified, nothing discarded"
    );
    m.set_fault(None);
    m.power_cycle();
    let mut flash = open(&m);
    let (start, contents) = backup.saved[0].clone();
    rewrite_sector(&mut flash, start, &contents).unwrap();
    assert_eq!(m.flash_contents(start, contents.len()), contents);
    let e = rewrite_sector(&mut flash, start, &contents[..100]).unwrap_err();
    assert!(matches!(e, ImageError::SectorMismatch { .. }), "{e}");
}
