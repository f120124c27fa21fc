//! Golden test: `display_identified_pcie_fpga_designs --sim` prints exactly the reference
//! log's blocks for the two loopback boards, plus the Project-0 board's block, in the
//! newest form of their lines (designs_after_seed.md §1.3, transcript_fidelity.md §7: the
//! PCI line gained `rev <rr>`, the memory-mapped DMA line the memory base); and the block
//! of every design added after the seed.

use std::process::Command;

/// Reference log (multiprocess_notes section 5.1), TEF1001 block.
const TEF1001_BLOCK: &str = "
Design TEF1001_dma_stream_loopback:
  PCI device 0000:15:00.0 rev 00 IOMMU group 41
  DMA bridge bar 2 AXI Stream
  Channel ID  addr_alignment  len_granularity  num_address_bits
       H2C 0               1                1                64
       H2C 1               1                1                64
       C2H 0               1                1                64
       C2H 1               1                1                64
  User access build timestamp : C1310413 - 24/02/2024 16:16:19
  Quad SPI registers at bar 0 offset 0x2000
  XADC registers at bar 0 offset 0x3000
  IIC registers at bar 0 offset 0x0
  bit-banged I2C GPIO registers at bar 0 offset 0x1000
";

/// Reference log, NiteFury block.
const NITEFURY_BLOCK: &str = "
Design NiteFury_dma_stream_loopback:
  PCI device 0000:30:00.0 rev 00 IOMMU group 89
  DMA bridge bar 2 AXI Stream
  Channel ID  addr_alignment  len_granularity  num_address_bits
       H2C 0               1                1                64
       H2C 1               1                1                64
       C2H 0               1                1                64
       C2H 1               1                1                64
  User access build timestamp : C1310A5B - 24/02/2024 16:41:27
  Quad SPI registers at bar 0 offset 0x0
  XADC registers at bar 0 offset 0x1000
";

/// The factory Project-0 image (one H2C and one C2H channel, 1 GiB DDR3).
const PROJECT0_BLOCK: &str = "
Design Nitefury Project-0 version 0x2:
  PCI device 0000:2e:00.0 rev 00 IOMMU group 86
  DMA bridge bar 2 memory base offset 0x0 size 0x40000000
  Channel ID  addr_alignment  len_granularity  num_address_bits
       H2C 0               1                1                64
       C2H 0               1                1                64
  Quad SPI registers at bar 0 offset 0x10000
  XADC registers at bar 0 offset 0x3000
";

const OPENING: &str = "Opening device 0000:15:00.0 (10ee:7024) with IOMMU group 41
Enabling bus master for 0000:15:00.0
Opening device 0000:2e:00.0 (10ee:7011) with IOMMU group 86
Enabling bus master for 0000:2e:00.0
Opening device 0000:30:00.0 (10ee:7024) with IOMMU group 89
Enabling bus master for 0000:30:00.0
";

fn run(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_display_identified_pcie_fpga_designs"))
        .args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_XADC_SEED")
        .output()
        .unwrap()
}

#[test]
fn default_simulated_boards_match_the_reference_log() {
    let out = run(&["--sim"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!("{OPENING}{TEF1001_BLOCK}{PROJECT0_BLOCK}{NITEFURY_BLOCK}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn device_filter_selects_one_board() {
    let out = run(&["--sim", "-d", "0000:30:00.0"]);
    assert!(out.status.success());
    let expected = format!(
        "Opening device 0000:30:00.0 (10ee:7024) with IOMMU group 89\n\
         Enabling bus master for 0000:30:00.0\n{NITEFURY_BLOCK}"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn nothing_found_is_one_line_and_success() {
    let out = run(&["--sim", "-d", "0000:99:00.0"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("No FPGA designs found among the simulated boards"),
        "{err}"
    );
    assert!(err.contains("--sim="), "{err}");
}

#[test]
fn bad_arguments_give_one_line_errors() {
    let out = run(&["--sim=TEF1001_dma_ddr4"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unknown simulated design 'TEF1001_dma_ddr4'"),
        "{err}"
    );
    assert!(err.contains("NiteFury_dma_stream_loopback"), "{err}");
    let out = run(&["-d", "garbage"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("Invalid PCI device location filter garbage"),
        "{err}"
    );
}

#[test]
fn possible_designs_lists_the_simulated_bus() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_display_possible_fpga_designs"))
        .arg("--sim=dma_blkram@0000:03:00.0,Nitefury_Project-0,memmapped_blkram")
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Scanning bus for 17 PCI device filters\n\
         PCI device 0000:03:00.0  Design name dma_blkram (TEF1001)  IOMMU group 1\n\
         PCI device 0000:2e:00.0  Design name Litefury Project-0 or Nitefury Project-0  IOMMU group 86\n"
    );
}
