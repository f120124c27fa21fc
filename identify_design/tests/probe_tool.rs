//! `probe_xilinx_ip` (designs_after_seed.md §4.8) on simulated boards: the Fury tag, XDMA
//! blocks with the register pattern tests, partial ranges and option errors.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_probe_xilinx_ip"))
        .args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const C2H_CHANNELS: &str = "\
Xilinx DMA bridge at BAR offset 0x1000 C2H Channels stream=AXI4-Stream Interface channel_id_target=0 version=6
  addr_alignment=1 len_granularity=1 address_bits=64
  Test of reg32 at offset 0x1088 PASS : initial=0x00000000 final=0x7fffffff
  Test of reg64 at offset 0x1088 PASS : initial=0x000000007fffffff final=0x7fffffffffffffff
Xilinx DMA bridge at BAR offset 0x1100 C2H Channels stream=AXI4-Stream Interface channel_id_target=1 version=6
  addr_alignment=1 len_granularity=1 address_bits=64
  Test of reg32 at offset 0x1188 PASS : initial=0x00000000 final=0x7fffffff
  Test of reg64 at offset 0x1188 PASS : initial=0x000000007fffffff final=0x7fffffffffffffff
";

#[test]
fn fury_tag_stops_the_bar_probe() {
    let out = run(&["--sim=Nitefury_Project-0", "-b", "0"]);
    assert_eq!(
        stdout(&out),
        "Opening device 0000:2e:00.0 (10ee:7011) with IOMMU group 86\n\
         Probing BAR 0 in device 0000:2e:00.0 of size 0x20000\n\
         Found NITE Fury at BAR offset 0x0 board_version=2\n"
    );
}

#[test]
fn xdma_blocks_in_a_partial_range() {
    let out = run(&[
        "--sim=TOSING_160T_dma_stream_crc64",
        "-b",
        "2",
        "-s",
        "0x1000",
        "-e",
        "011000",
    ]);
    assert_eq!(
        stdout(&out),
        format!(
            "Opening device 0000:01:00.0 (10ee:7024) with IOMMU group 1\n\
             Probing part of BAR 2 in device 0000:01:00.0 over range 0x1000..0x1200\n{C2H_CHANNELS}"
        )
    );
    // An end beyond the BAR is the BAR's size; SGDMA blocks test the descriptor address.
    let out = stdout(&run(&[
        "--sim=TOSING_160T_dma_stream_crc64",
        "-b",
        "2",
        "-e",
        "0x20000",
    ]));
    assert!(
        out.contains("Probing BAR 2 in device 0000:01:00.0 of size 0x10000\n"),
        "{out}"
    );
    assert!(out.contains(C2H_CHANNELS), "{out}");
    assert!(out.contains(
        "Xilinx DMA bridge at BAR offset 0x5100 C2H SGDMA stream=AXI4-Stream Interface channel_id_target=1 version=6\n  Test of reg32 at offset 0x5180 PASS : initial=0x00000000 final=0x7fffffff\n"
    ), "{out}");
    assert!(
        out.ends_with("Xilinx DMA bridge at BAR offset 0x6000 SGDMA Common version=6\n"),
        "{out}"
    );
}

#[test]
fn option_errors() {
    for (args, line) in [
        (vec!["-b", "6"], "Invalid BAR 6\n"),
        (vec!["-s", "x"], "Invalid BAR start offset x\n"),
        (vec!["-e", "0x1g"], "Invalid BAR end offset 0x1g\n"),
    ] {
        let mut all = vec!["--sim"];
        all.extend(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), line);
    }
}
