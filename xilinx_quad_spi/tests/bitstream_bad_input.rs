//! Malformed input gives its specific typed error and never panics; a property test
//! feeds random bytes and mutated bitstreams (real and generated) to the parser.

use std::path::PathBuf;

use proptest::prelude::*;
use xilinx_quad_spi::bitstream::{
    build_bit_file, parse_bitstream, parse_flash, render_report, status_line, BitHeader,
    BitHeaderError, LoadError, LoadedBitstream, McsError, ParseError, ParsedBitstream,
    ReportSource, SYNC_WORD,
};

const NOP: u32 = 0x2000_0000;
const CMD_DESYNC: [u32; 2] = [0x3000_8001, 0x0000_000D];

/// Bytes of big-endian words.
fn words(list: &[u32]) -> Vec<u8> {
    list.iter().flat_map(|w| w.to_be_bytes()).collect()
}

fn report(parsed: &ParsedBitstream<'_>) -> String {
    render_report(
        parsed,
        &ReportSource::File {
            path: "t.bin",
            bit_header: None,
        },
    )
}

#[test]
fn empty_input() {
    let parsed = parse_bitstream(&[]);
    assert_eq!(parsed.error(), Some(&ParseError::Empty));
    let loaded = LoadedBitstream::from_bytes(Vec::new(), "empty.bin").unwrap();
    assert_eq!(loaded.parse().error(), Some(&ParseError::Empty));
}

#[test]
fn no_sync_word() {
    let parsed = parse_bitstream(&[0xFF; 1000]);
    assert_eq!(parsed.error(), Some(&ParseError::NoSyncWord));
    assert_eq!(
        report(&parsed),
        "Error parsing bitstream: No Sync word found\nRead bitsteam from file t.bin\n"
    );
}

#[test]
fn erased_flash_reads_everything_then_no_sync() {
    let size = 4 * 32768 + 100;
    let result = parse_flash(0, size, |_, buf: &mut [u8]| {
        buf.fill(0xFF);
        Ok::<(), ()>(())
    });
    assert_eq!(result.parsed.error(), Some(&ParseError::NoSyncWord));
    assert_eq!(result.bytes_read, size);
    assert!(result
        .report()
        .starts_with("Error parsing bitstream: No Sync word found\nRead 131172 bytes from SPI flash starting at address 0\n"));
}

#[test]
fn truncated_packet() {
    // Write 5 words to FDRI with only 2 present.
    let data = words(&[SYNC_WORD, 0x3000_4005, 1, 2]);
    let parsed = parse_bitstream(&data);
    assert_eq!(
        parsed.error(),
        Some(&ParseError::TruncatedPacket {
            available: 2,
            needed: 5,
            header_type: 1,
            opcode: 2,
            data_offset: 8
        })
    );
    assert_eq!(
        status_line(&parsed),
        "Error parsing bitstream: Only 2 out of 5 data words available for packet header_type=1 opcode=2 data_words_offset=8"
    );
}

#[test]
fn absurd_type2_word_count() {
    let data = words(&[SYNC_WORD, 0x3000_4000, 0x57FF_FFFF, 0, 0]);
    match parsed_error(&data) {
        ParseError::TruncatedPacket {
            available,
            needed,
            header_type,
            ..
        } => {
            assert_eq!((available, needed, header_type), (2, 0x07FF_FFFF, 2));
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn parsed_error(data: &[u8]) -> ParseError {
    parse_bitstream(data).error().cloned().expect("an error")
}

#[test]
fn type2_without_type1() {
    let data = words(&[SYNC_WORD, 0x5000_0001, 0]);
    assert_eq!(
        parsed_error(&data),
        ParseError::Type2WithoutType1 {
            word: 0x5000_0001,
            index: 4
        }
    );
    // Two Type 2 packets in a row: the second has no Type 1 directly before it.
    let data = words(&[SYNC_WORD, 0x3000_4000, 0x5000_0001, 7, 0x5000_0001, 8]);
    let parsed = parse_bitstream(&data);
    assert_eq!(
        parsed.error(),
        Some(&ParseError::Type2WithoutType1 {
            word: 0x5000_0001,
            index: 16
        })
    );
    // Packets before the error are kept for the report.
    assert_eq!(parsed.packet_count(), 2);
    assert!(report(&parsed).contains("  Type 1 packet opcode write register FDRI words\n"));
}

#[test]
fn unknown_packet_type() {
    let data = words(&[SYNC_WORD, NOP, 0x6000_0000]);
    assert_eq!(
        status_line(&parse_bitstream(&data)),
        "Error parsing bitstream: Unknown packet type 3 in header word 60000000 at index 8"
    );
}

#[test]
fn data_ends_before_desync_gives_empty_error_text() {
    let data = words(&[SYNC_WORD, NOP, NOP]);
    let parsed = parse_bitstream(&data);
    assert_eq!(parsed.error(), Some(&ParseError::EndedBeforeDesync));
    assert_eq!(status_line(&parsed), "Error parsing bitstream: ");
    assert!(report(&parsed)
        .ends_with("Sync word at byte index 0x0\n  Type 1 packet opcode NOP (2 consecutive)\n"));
}

#[test]
fn after_desync_nops_are_kept_and_erased_words_stop() {
    let mut list = vec![0xFFFF_FFFF, SYNC_WORD];
    list.extend_from_slice(&CMD_DESYNC);
    list.extend_from_slice(&[NOP, 0x2000_0005, 0xFFFF_FFFF, NOP]);
    let data = words(&list);
    let parsed = parse_bitstream(&data);
    assert!(parsed.is_valid());
    assert_eq!(parsed.packet_count(), 3);
    // The NOP with word-count bits consumed no data; length ends at the last NOP.
    assert_eq!(parsed.length(), 24);
}

#[test]
fn unaligned_sync_and_multi_word_display() {
    let mut data = vec![0x00];
    let mut list = vec![SYNC_WORD, 0x3002_2002, 0x1234_5678, 0x9ABC_DEF0];
    list.extend_from_slice(&CMD_DESYNC);
    data.extend(words(&list));
    let parsed = parse_bitstream(&data);
    assert!(parsed.is_valid());
    let text = report(&parsed);
    assert!(text.contains("Sync word at byte index 0x1\n"));
    // Register 0x11 = TIMER; words advance 4 bytes each.
    assert!(text.contains("  Type 1 packet opcode write register TIMER words 12345678 9ABCDEF0\n"));
}

#[test]
fn unknown_register_and_command() {
    let mut list = vec![SYNC_WORD, 0x3003_C001, 5, 0x3000_8001, 0x15];
    list.extend_from_slice(&CMD_DESYNC);
    let text = report(&parse_bitstream(&words(&list)));
    assert!(text.contains("register unknown (0x1e) words 00000005\n"));
    assert!(text.contains("register CMD command unknown (0x15)\n"));
}

#[test]
fn multiple_slrs() {
    let mut list = vec![SYNC_WORD, NOP];
    list.extend_from_slice(&CMD_DESYNC);
    list.extend_from_slice(&[SYNC_WORD, 0xFFFF_FFFF, SYNC_WORD, NOP]);
    list.extend_from_slice(&CMD_DESYNC);
    // The last SLR may carry writes after its DESYNC.
    list.extend_from_slice(&[0x3000_8001, 0x05]);
    list.extend_from_slice(&CMD_DESYNC);
    list.push(NOP);
    let data = words(&list);
    let parsed = parse_bitstream(&data);
    assert!(parsed.is_valid(), "{:?}", parsed.error());
    assert_eq!(parsed.slrs().len(), 2);
    let text = report(&parsed);
    assert!(text.starts_with(
        "Successfully parsed bitstream of length 60 bytes with 7 configuration packets with 2 SLRs\n"
    ));
    assert!(text.contains("SLR[0] Sync word at byte index 0x0\n"));
    assert!(text.contains("SLR[1] Sync word at byte index 0x18\n"));
}

fn sample_header() -> BitHeader {
    BitHeader {
        design_name: "d".into(),
        part_name: "7a200tfbg484".into(),
        date: "2024/01/01".into(),
        time: "00:00:00".into(),
    }
}

#[test]
fn bit_header_length_mismatch() {
    let mut file = build_bit_file(&sample_header(), &words(&[SYNC_WORD])).unwrap();
    file.pop();
    match LoadedBitstream::from_bytes(file, "bad.bit") {
        Err(LoadError::BitHeader(BitHeaderError::LengthMismatch {
            header_length: 4,
            remaining: 3,
            ..
        })) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bit_header_truncated() {
    let file = build_bit_file(&sample_header(), &[]).unwrap();
    let err = LoadedBitstream::from_bytes(file[..30].to_vec(), "cut.bit").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Attempt to read bit header off end of file cut.bit"
    );
}

#[test]
fn mcs_errors() {
    let bad_checksum = b":0400000001020304F3\n:00000001FF\n".to_vec();
    assert!(matches!(
        LoadedBitstream::from_bytes(bad_checksum, "a.mcs"),
        Err(LoadError::Mcs(McsError::BadChecksum { line: 1, .. }))
    ));
    let bad_record = b":0400000001020304F2\n:zz\n:00000001FF\n".to_vec();
    assert!(matches!(
        LoadedBitstream::from_bytes(bad_record, "b.mcs"),
        Err(LoadError::Mcs(McsError::InvalidRecord { line: 2, .. }))
    ));
    let no_eof = b":0400000001020304F2\n".to_vec();
    let err = LoadedBitstream::from_bytes(no_eof, "c.mcs").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Didn't find end of file record in c.mcs, possible truncated Intel HEX file"
    );
    // A .mcs whose first line is already broken is still treated as Intel HEX.
    assert!(matches!(
        LoadedBitstream::from_bytes(b"garbage".to_vec(), "d.MCS"),
        Err(LoadError::Mcs(McsError::InvalidRecord { line: 1, .. }))
    ));
}

#[test]
fn missing_file_is_io_error_with_path() {
    let err = LoadedBitstream::load_file("/nonexistent/dir/x.bit").unwrap_err();
    assert!(matches!(err, LoadError::Io { .. }));
    let text = err.to_string();
    assert!(text.contains("/nonexistent/dir/x.bit"), "{text}");
    assert!(text.contains("No such file or directory"), "{text}");
}

/// Seeds for mutation: the smallest real bitstream (if present) and a generated one.
fn seeds() -> Vec<Vec<u8>> {
    let spec = fpga_sim::bitstream_writer::BitstreamSpec::new(0x0364_C093).with_frames(8);
    let mut seeds = vec![fpga_sim::bitstream_writer::generate(&spec).unwrap().bytes];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bitstreams");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let smallest = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "bit"))
            .min_by_key(|p| p.metadata().map(|m| m.len()).unwrap_or(u64::MAX));
        if let Some(path) = smallest {
            seeds.push(std::fs::read(path).unwrap());
        }
    } else {
        println!(
            "real bitstreams absent ({}): mutating generated data only",
            dir.display()
        );
    }
    seeds
}

/// Parses as a file would be, renders the report, and checks basic consistency.
fn exercise(bytes: Vec<u8>, name: &str) {
    match LoadedBitstream::from_bytes(bytes, name) {
        Ok(loaded) => {
            let (parsed, text) = loaded.report(name);
            assert!(parsed.length() <= loaded.payload().len());
            assert_eq!(
                text.starts_with("Successfully parsed"),
                parsed.is_valid(),
                "status line must agree with the result"
            );
            let _ = parsed.idcode();
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBits(Vec<(usize, u8)>),
    Truncate(usize),
    Splice { from: usize, to: usize, len: usize },
    Overwrite(usize, u32),
}

fn apply(mut data: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let n = data.len().max(1);
    match mutation {
        Mutation::FlipBits(flips) => {
            for (index, bit) in flips {
                if let Some(b) = data.get_mut(index % n) {
                    *b ^= 1 << (bit % 8);
                }
            }
        }
        Mutation::Truncate(at) => data.truncate(at % n),
        Mutation::Splice { from, to, len } => {
            let from = from % n;
            let to = to % n;
            let chunk: Vec<u8> = data[from..(from + len).min(data.len())].to_vec();
            data.splice(to..to, chunk);
        }
        Mutation::Overwrite(at, word) => {
            // Header-like words (packet types, huge counts, sync) hit the parser hardest.
            let at = (at % n) & !3;
            for (i, b) in word.to_be_bytes().iter().enumerate() {
                if let Some(slot) = data.get_mut(at + i) {
                    *slot = *b;
                }
            }
        }
    }
    data
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..16).prop_map(Mutation::FlipBits),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>(), 1usize..4096)
            .prop_map(|(from, to, len)| Mutation::Splice { from, to, len }),
        (
            any::<usize>(),
            prop_oneof![
                Just(SYNC_WORD),
                Just(0x5FFF_FFFF),
                Just(0x3000_87FF),
                Just(0x5000_0000),
                Just(0xE000_0000),
                any::<u32>()
            ]
        )
            .prop_map(|(at, w)| Mutation::Overwrite(at, w)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096),
                                prefix in 0u8..3) {
        // Steer some inputs into the .bit and Intel HEX paths.
        let mut data = match prefix {
            0 => Vec::new(),
            1 => vec![0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x00, 0x00, 0x01],
            _ => b":".to_vec(),
        };
        data.extend_from_slice(&bytes);
        exercise(data.clone(), "random.bin");
        exercise(data, "random.mcs");
    }

    #[test]
    fn random_words_after_sync_never_panic(list in prop::collection::vec(any::<u32>(), 0..512)) {
        let mut all = vec![SYNC_WORD];
        all.extend(list);
        exercise(words(&all), "words.bin");
    }
}

proptest! {
    // Each case parses up to ~1.4 MB, so fewer cases keep the run short.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_bitstreams_never_panic(which in any::<prop::sample::Index>(),
                                      mutations in prop::collection::vec(mutation(), 1..4)) {
        let seeds = seeds();
        let seed = which.get(&seeds).clone();
        let mut data = seed;
        for m in &mutations {
            data = apply(data, m);
        }
        exercise(data, "mutated.bit");
    }
}
