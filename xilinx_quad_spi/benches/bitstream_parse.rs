//! Parser throughput on the real bitstreams in `shared/data/bitstreams`, held in
//! memory (criterion reports MB/s through `Throughput::Bytes`). Falls back to a
//! generated bitstream when the shared folder is absent.

use std::path::PathBuf;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use xilinx_quad_spi::bitstream::{parse_bitstream, render_report, LoadedBitstream, ReportSource};

fn inputs() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/bitstreams");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "bit"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter_map(|path| {
            let loaded = LoadedBitstream::load_file(path).ok()?;
            let name = path.file_stem()?.to_string_lossy().to_string();
            Some((name, loaded.payload().to_vec()))
        })
        .collect();
    if out.is_empty() {
        eprintln!(
            "{} absent: benchmarking a generated bitstream",
            dir.display()
        );
        let spec = fpga_sim::bitstream_writer::BitstreamSpec::new(0x0363_6093).with_frames(5000);
        let generated = fpga_sim::bitstream_writer::generate(&spec).expect("generate");
        out.push(("generated".into(), generated.payload().to_vec()));
    }
    out
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("bitstream_parse");
    for (name, payload) in inputs() {
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| {
                let parsed = parse_bitstream(black_box(&payload));
                assert!(parsed.is_valid());
                parsed.packet_count()
            })
        });
        group.bench_function(format!("parse_and_report/{name}"), |b| {
            b.iter(|| {
                let parsed = parse_bitstream(black_box(&payload));
                let source = ReportSource::File {
                    path: "bench.bin",
                    bit_header: None,
                };
                render_report(&parsed, &source).len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
