//! Golden test: `display_identified_pcie_fpga_designs` for every design added after the
//! seed (designs_after_seed.md §1.3), with the switch section of the revision-1 loopback
//! designs: all ports disabled after the open's reset, then the enabled routes.

use std::process::Command;

use fpga_sim::board::{build_boards, BoardOptions};
use identify_design::display::{write_identified_designs, write_identified_designs_with_slots};
use identify_design::{design_filters, open_sim_boards, DesignId, OpenedDesigns};
use vfio_access::OpenOptions;
use xilinx_axi_stream_switch::Route;

const CHANNELS: &str = "  DMA bridge bar 2 AXI Stream
  Channel ID  addr_alignment  len_granularity  num_address_bits
       H2C 0               1                1                64
       H2C 1               1                1                64
       C2H 0               1                1                64
       C2H 1               1                1                64
";
const TEF1001_FRAMES: &str = "  Quad SPI registers at bar 0 offset 0x2000
  XADC registers at bar 0 offset 0x3000
  IIC registers at bar 0 offset 0x0
  bit-banged I2C GPIO registers at bar 0 offset 0x1000
";
const SMALL_BAR_FRAMES: &str = "  Quad SPI registers at bar 0 offset 0x0
  XADC registers at bar 0 offset 0x1000
";
const DISABLED: &str = "  All 2 master ports in AXI4-Stream Switch are disabled\n";

/// (sim name, display name, revision, timestamp line, frames, switch section).
const NEW_DESIGNS: [(&str, &str, &str, &str, &str, &str); 10] = [
    (
        "TEF1001_dma_stream_fixed_data",
        "TEF1001_dma_stream_fixed_data",
        "00",
        "6E30B16A - 13/12/2024 11:05:42",
        TEF1001_FRAMES,
        "",
    ),
    (
        "NiteFury_dma_stream_fixed_data",
        "NiteFury_dma_stream_fixed_data",
        "00",
        "6E30C7C7 - 13/12/2024 12:31:07",
        SMALL_BAR_FRAMES,
        "",
    ),
    (
        "TOSING_160T_dma_stream_fixed_data",
        "TOSING_160T_dma_stream_fixed_data",
        "00",
        "6E30E093 - 13/12/2024 14:02:19",
        SMALL_BAR_FRAMES,
        "",
    ),
    (
        "TEF1001_ddr3_throughput",
        "TEF1001_ddr3_throughput",
        "00",
        "90B2AB03 - 18/01/2025 10:44:03",
        "  XADC registers at bar 0 offset 0x0\n",
        "",
    ),
    (
        "TEF1001_dma_stream_crc64",
        "TEF1001_dma_stream_crc64",
        "00",
        "AB33050B - 21/06/2025 16:20:11",
        TEF1001_FRAMES,
        "",
    ),
    (
        "TOSING_160T_dma_stream_crc64",
        "TOSING_160T_dma_stream_crc64",
        "00",
        "B332933A - 22/06/2025 09:12:58",
        SMALL_BAR_FRAMES,
        "",
    ),
    (
        "NiteFury_dma_stream_crc64",
        "NiteFury_dma_stream_crc64",
        "01",
        "2BB2F868 - 05/07/2025 15:33:40",
        SMALL_BAR_FRAMES,
        "",
    ),
    (
        "TEF1001_dma_stream_loopback_rev1",
        "TEF1001_dma_stream_loopback",
        "01",
        "C630A042 - 24/12/2024 10:01:02",
        TEF1001_FRAMES,
        DISABLED,
    ),
    (
        "NiteFury_dma_stream_loopback_rev1",
        "NiteFury_dma_stream_loopback",
        "01",
        "C630AA1E - 24/12/2024 10:40:30",
        SMALL_BAR_FRAMES,
        DISABLED,
    ),
    (
        "TOSING_160T_dma_stream_loopback_rev1",
        "TOSING_160T_dma_stream_loopback",
        "01",
        "C630B3C9 - 24/12/2024 11:15:09",
        SMALL_BAR_FRAMES,
        DISABLED,
    ),
];

#[test]
fn every_new_design_prints_its_block() {
    let list: Vec<String> = NEW_DESIGNS
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}@0000:{:02x}:00.0/{}", d.0, i + 1, i + 1))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_display_identified_pcie_fpga_designs"))
        .arg(format!("--sim={}", list.join(",")))
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut expected = String::new();
    for (i, _) in NEW_DESIGNS.iter().enumerate() {
        let bdf = format!("0000:{:02x}:00.0", i + 1);
        expected.push_str(&format!(
            "Opening device {bdf} (10ee:7024) with IOMMU group {}\n",
            i + 1
        ));
        // The throughput design has no DMA engine: opened without bus mastering.
        if i != 3 {
            expected.push_str(&format!("Enabling bus master for {bdf}\n"));
        }
    }
    for (i, (_, name, rev, timestamp, frames, switch)) in NEW_DESIGNS.iter().enumerate() {
        let dma = if i == 3 { "" } else { CHANNELS };
        expected.push_str(&format!(
            "\nDesign {name}:\n  PCI device 0000:{:02x}:00.0 rev {rev} IOMMU group {}\n{dma}  User access build timestamp : {timestamp}\n{frames}{switch}",
            i + 1,
            i + 1
        ));
    }
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn open(list: &str, dir: &tempfile::TempDir) -> OpenedDesigns {
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let boards = build_boards(Some(list), &options).unwrap();
    OpenedDesigns::identify(
        open_sim_boards(boards, &OpenOptions::default(), &design_filters()).unwrap(),
    )
}

#[test]
fn revision_decides_the_switch_and_enabled_routes_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let opened = open(
        "NiteFury_dma_stream_loopback@0000:03:00.0,NiteFury_dma_stream_loopback_rev1@0000:04:00.0,NiteFury_dma_stream_crc64@0000:05:00.0",
        &dir,
    );
    let d: Vec<_> = opened.designs.iter().collect();
    assert_eq!(
        d.iter().map(|d| (d.design, d.revision)).collect::<Vec<_>>(),
        vec![
            (DesignId::NiteFuryDmaStreamLoopback, 0),
            (DesignId::NiteFuryDmaStreamLoopback, 1),
            (DesignId::NiteFuryDmaStreamCrc64, 1),
        ]
    );
    assert!(d[0].axi_stream_switch.is_none(), "revision 0 has no switch");
    assert!(d[1].axi_stream_switch.is_some());
    assert!(
        d[2].axi_stream_switch.is_none(),
        "CRC64 ignores its revision"
    );
    assert_eq!(d[2].crc64_stream_width_bytes, 16);
    assert_eq!(d[0].crc64_stream_width_bytes, 0);

    let switch = d[1]
        .axi_stream_switch
        .unwrap()
        .driver(opened.device(d[1]))
        .unwrap();
    switch
        .set_routes(&[Route::enabled(0, 1), Route::enabled(1, 0)])
        .unwrap();
    let mut out = Vec::new();
    write_identified_designs(&mut out, &opened).unwrap();
    let text = String::from_utf8(out).unwrap();
    let block = "  XADC registers at bar 0 offset 0x1000\n  Enabled AXI4-Stream Switch route(s):\n    Master  0 -> Slave  1\n    Master  1 -> Slave  0\n\nDesign NiteFury_dma_stream_crc64:\n";
    assert!(text.contains(block), "{text}");
    assert!(
        text.contains("  XADC registers at bar 0 offset 0x1000\n\nDesign NiteFury_dma_stream_loopback:\n  PCI device 0000:04:00.0 rev 01"),
        "revision 0 prints no switch section: {text}"
    );
    // One port: only it is listed.
    switch.set_routes(&[Route::disabled(0)]).unwrap();
    let mut out = Vec::new();
    write_identified_designs(&mut out, &opened).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("  Enabled AXI4-Stream Switch route(s):\n    Master  1 -> Slave  0\n\n"),
        "{text}"
    );
    let strays: u64 = opened
        .devices
        .sim_boards
        .iter()
        .map(|b| b.board.unimplemented_accesses())
        .sum();
    assert_eq!(strays, 0);
}

#[test]
fn a_physical_slot_ends_the_pci_line_and_leaves_an_empty_line() {
    let dir = tempfile::tempdir().unwrap();
    let opened = open("TEF1001_ddr3_throughput@0000:15:00.0", &dir);
    let mut out = Vec::new();
    write_identified_designs_with_slots(&mut out, &opened, |_| Some("3-1".to_string())).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\nDesign TEF1001_ddr3_throughput:\n  PCI device 0000:15:00.0 rev 00 IOMMU group 41  physical slot 3-1\n\n  User access build timestamp : 90B2AB03 - 18/01/2025 10:44:03\n  XADC registers at bar 0 offset 0x0\n"
    );
}
