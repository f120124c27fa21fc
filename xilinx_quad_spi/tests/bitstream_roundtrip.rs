//! Round trips: simulator writer → parser for every IDCODE in the table, `.bit` →
//! `.bin` → parse, and Intel HEX `.mcs` → parse, giving the same report.

use std::fmt::Write;
use std::path::PathBuf;

use fpga_sim::bitstream_writer::{generate, BitFileHeader, BitstreamSpec};
use xilinx_quad_spi::bitstream::{
    bit_to_bin, device_name, parse_bitstream, render_report, BitstreamFormat, LoadedBitstream,
    ReportSource, UsrAccessTimestamp, IDCODE_TABLE,
};

/// Report lines from the `Sync word` line on, plus the status line.
fn packet_lines(report: &str) -> (String, Vec<String>) {
    let status = report.lines().next().unwrap_or_default().to_string();
    let rest = report
        .lines()
        .skip_while(|l| !l.starts_with("Sync word"))
        .map(str::to_string)
        .collect();
    (status, rest)
}

/// Independent Intel HEX encoder (not the library's), 32 bytes per record.
fn to_intel_hex(bytes: &[u8]) -> String {
    fn record(out: &mut String, addr: u16, kind: u8, data: &[u8]) {
        let mut all = vec![data.len() as u8, (addr >> 8) as u8, addr as u8, kind];
        all.extend_from_slice(data);
        let sum: u32 = all.iter().map(|b| u32::from(*b)).sum();
        all.push((0x100 - (sum & 0xFF)) as u8);
        out.push(':');
        for b in all {
            write!(out, "{b:02x}").unwrap();
        }
        out.push('\n');
    }
    let mut out = String::new();
    let mut upper = None;
    for (i, chunk) in bytes.chunks(32).enumerate() {
        let addr = i * 32;
        if upper != Some(addr >> 16) {
            upper = Some(addr >> 16);
            record(&mut out, 0, 4, &((addr >> 16) as u16).to_be_bytes());
        }
        record(&mut out, addr as u16, 0, chunk);
    }
    record(&mut out, 0, 1, &[]);
    out
}

#[test]
fn writer_output_parses_for_every_idcode() {
    let stamp = UsrAccessTimestamp {
        day: 21,
        month: 12,
        year: 2024,
        hour: 9,
        minute: 21,
        second: 25,
    };
    for (idcode, _) in IDCODE_TABLE {
        let spec = BitstreamSpec::new(*idcode)
            .with_frames(3)
            .with_usr_access(stamp.encode());
        let generated = generate(&spec).expect("generate");
        let parsed = parse_bitstream(generated.payload());
        assert!(parsed.is_valid(), "{idcode:08X}: {:?}", parsed.error());
        assert_eq!(parsed.idcode(), Some(*idcode));
        assert_eq!(parsed.usr_access(), Some(stamp.encode()));
        assert_eq!(parsed.packet_count(), generated.packet_count);
        assert_eq!(parsed.length(), generated.payload().len());
        assert_eq!(parsed.slrs()[0].sync_index, generated.sync_index);

        let report = render_report(
            &parsed,
            &ReportSource::File {
                path: "sim.bin",
                bit_header: None,
            },
        );
        let name = device_name(*idcode).expect("table name");
        let lines: Vec<&str> = report.lines().collect();
        assert!(lines
            .contains(&format!("  Type 1 packet opcode write register IDCODE {name}").as_str()));
        assert!(lines.contains(
            &"  Type 1 packet opcode write register AXSS AE309559 - 21/12/2024 09:21:25"
        ));
        assert!(lines.contains(&"    1 FDRI writes with a total of 0 words"));
        let type2 = format!(
            "    1 Type 2 packets with a total of {} words",
            generated.frame_data_words
        );
        assert!(lines.contains(&type2.as_str()), "{report}");
        assert!(lines.contains(&"  Type 1 packet opcode write register CMD command DESYNC"));
        assert_eq!(
            lines[0],
            format!(
                "Successfully parsed bitstream of length {} bytes with {} configuration packets",
                generated.payload().len(),
                generated.packet_count
            )
        );
    }
}

#[test]
fn generated_bit_converts_to_bin_and_mcs_with_same_report() {
    let header = BitFileHeader {
        design_name: "sim_top;COMPRESS=FALSE;UserID=0XFFFFFFFF;Version=2024.2".into(),
        part_name: "7a200tfbg484".into(),
        date: "2024/12/21".into(),
        time: "09:21:34".into(),
    };
    let spec = BitstreamSpec::new(0x0363_6093)
        .with_frames(20)
        .with_bit_header(header.clone());
    let generated = generate(&spec).expect("generate");
    let bit = LoadedBitstream::from_bytes(generated.bytes.clone(), "sim.bit").expect("load .bit");
    assert_eq!(bit.format(), BitstreamFormat::Bit);
    let parsed_header = bit.bit_header().expect("header");
    assert_eq!(parsed_header.design_name, header.design_name);
    assert_eq!(parsed_header.part_name, header.part_name);
    assert_eq!(parsed_header.date, header.date);
    assert_eq!(parsed_header.time, header.time);
    assert_eq!(bit.payload(), generated.payload());

    let bin_bytes = bit_to_bin(&bit).expect("convert").to_vec();
    assert_eq!(bin_bytes, generated.payload());
    let bin = LoadedBitstream::from_bytes(bin_bytes.clone(), "sim.bin").expect("load .bin");
    assert_eq!(bin.format(), BitstreamFormat::Bin);

    let mcs_text = to_intel_hex(&bin_bytes);
    let mcs = LoadedBitstream::from_bytes(mcs_text.into_bytes(), "sim.mcs").expect("load .mcs");
    assert_eq!(mcs.format(), BitstreamFormat::IntelHex);
    assert_eq!(mcs.payload(), &bin_bytes[..]);

    let (_, bit_report) = bit.report("sim.bit");
    let (_, bin_report) = bin.report("sim.bin");
    let (_, mcs_report) = mcs.report("sim.mcs");
    assert!(bit_report.contains(".bit format header:\n  design_name=sim_top;"));
    assert!(!bin_report.contains(".bit format header:"));
    assert_eq!(packet_lines(&bit_report), packet_lines(&bin_report));
    assert_eq!(packet_lines(&bin_report), packet_lines(&mcs_report));
}

#[test]
fn real_bit_to_bin_and_mcs_give_same_report() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bitstreams");
    if !dir.is_dir() {
        println!("skipped: {} is absent (CI always has it)", dir.display());
        return;
    }
    let mut bits: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bit"))
        .collect();
    bits.sort();
    assert!(!bits.is_empty());
    for path in bits {
        let bit = LoadedBitstream::load_file(&path).expect("load");
        let (bit_parsed, bit_report) = bit.report("x.bit");
        let bin_bytes = bit_to_bin(&bit).expect("convert").to_vec();
        // No byte swapping: the .bin is the file's tail.
        let file = std::fs::read(&path).unwrap();
        assert!(file.ends_with(&bin_bytes));
        let bin = LoadedBitstream::from_bytes(bin_bytes.clone(), "x.bin").unwrap();
        let (bin_parsed, bin_report) = bin.report("x.bin");
        assert_eq!(packet_lines(&bit_report), packet_lines(&bin_report));
        assert_eq!(bin_parsed.idcode(), bit_parsed.idcode());
        let mcs =
            LoadedBitstream::from_bytes(to_intel_hex(&bin_bytes).into_bytes(), "x.mcs").unwrap();
        let (_, mcs_report) = mcs.report("x.mcs");
        assert_eq!(packet_lines(&mcs_report), packet_lines(&bin_report));
        // The IDCODE matches the part named in the .bit header.
        let part = &bit.bit_header().unwrap().part_name;
        assert_eq!(
            xilinx_quad_spi::bitstream::idcode_for_part(part),
            bit_parsed.idcode(),
            "{part}"
        );
    }
}
