//! `--json` of the two display tools: stdout is one document that deserializes into the
//! documented types (docs/json_schema.md) and says what the text says (golden_display.rs
//! holds the reference log's text for the same boards).

use std::process::{Command, Output};

use identify_design::json::{
    BuildTimestampEntry, DmaChannelEntry, IdentifiedDesignsReport, PeripheralFrameEntry,
    PossibleDesignEntry, PossibleDesignsReport, SCHEMA_VERSION,
};

fn run(exe: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(exe)
        .args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_XADC_SEED")
        .output()
        .unwrap()
}

fn identified(args: &[&str]) -> (IdentifiedDesignsReport, Output) {
    let out = run(
        env!("CARGO_BIN_EXE_display_identified_pcie_fpga_designs"),
        args,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (report, out)
}

fn frame(name: &str, bar: u8, offset_bytes: u64) -> PeripheralFrameEntry {
    PeripheralFrameEntry {
        name: name.into(),
        bar,
        offset_bytes,
    }
}

#[test]
fn identified_designs_document_holds_the_reference_blocks() {
    let (report, out) = identified(&["--json", "--sim"]);
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert!(report.simulated);
    let names: Vec<&str> = report.designs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "TEF1001_dma_stream_loopback",
            "Nitefury Project-0",
            "NiteFury_dma_stream_loopback"
        ]
    );
    // The TEF1001 block of the reference log (golden_display.rs TEF1001_BLOCK).
    let tef = &report.designs[0];
    assert_eq!(tef.pci_location, "0000:15:00.0");
    assert_eq!((tef.pci_revision, tef.iommu_group), (0, 41));
    assert_eq!(tef.board_version, None);
    let dma = tef.dma_bridge.as_ref().unwrap();
    assert!(dma.stream);
    assert_eq!((dma.bar, dma.memory_size_bytes), (2, 0));
    let channels: Vec<(String, u8)> = dma
        .channels
        .iter()
        .map(|c| (c.direction.clone(), c.channel_id))
        .collect();
    assert_eq!(
        channels,
        [
            ("H2C".into(), 0),
            ("H2C".into(), 1),
            ("C2H".into(), 0),
            ("C2H".into(), 1)
        ]
    );
    assert_eq!(
        dma.channels[0],
        DmaChannelEntry {
            direction: "H2C".into(),
            channel_id: 0,
            addr_alignment_bytes: 1,
            len_granularity_bytes: 1,
            num_address_bits: 64,
        }
    );
    assert_eq!(
        tef.user_access_build_timestamp,
        Some(BuildTimestampEntry {
            register_value: 0xC131_0413,
            text: "24/02/2024 16:16:19".into(),
        })
    );
    assert_eq!(
        tef.peripherals,
        [
            frame("Quad SPI", 0, 0x2000),
            frame("XADC", 0, 0x3000),
            frame("IIC", 0, 0),
            frame("bit-banged I2C GPIO", 0, 0x1000),
        ]
    );
    assert_eq!(tef.axi_stream_switch_routes, None);
    // Project-0: memory-mapped, 1 GiB, version 2, no timestamp.
    let p0 = &report.designs[1];
    assert_eq!(p0.board_version, Some(2));
    let dma = p0.dma_bridge.as_ref().unwrap();
    assert!(!dma.stream);
    assert_eq!(dma.memory_size_bytes, 0x4000_0000);
    assert_eq!(dma.channels.len(), 2);
    assert_eq!(p0.user_access_build_timestamp, None);
    // Nothing but the document on stdout: the opening lines went to stderr.
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("Opening device 0000:15:00.0 (10ee:7024) with IOMMU group 41"),
        "{err}"
    );
}

#[test]
fn switch_routes_are_listed_for_revision_one() {
    let (report, _) = identified(&["--json", "--sim=TEF1001_dma_stream_loopback_rev1"]);
    let design = &report.designs[0];
    assert_eq!(design.pci_revision, 1);
    let routes = design.axi_stream_switch_routes.as_ref().unwrap();
    // Every VFIO open leaves the switch with all master ports disabled
    // (designs_after_seed.md §1.2).
    assert_eq!(routes.len(), 2);
    assert!(routes.iter().all(|r| !r.enabled), "{routes:?}");
}

#[test]
fn nothing_found_is_an_empty_document_and_success() {
    let (report, out) = identified(&["--json", "--sim", "-d", "0000:99:00.0"]);
    assert!(report.designs.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn possible_designs_document_lists_the_simulated_bus() {
    let out = run(
        env!("CARGO_BIN_EXE_display_possible_fpga_designs"),
        &[
            "--json",
            "--sim=dma_blkram@0000:03:00.0,Nitefury_Project-0,memmapped_blkram",
        ],
    );
    assert!(out.status.success());
    let report: PossibleDesignsReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert_eq!(report.design_filter_count, 17);
    assert_eq!(
        report.devices,
        [
            PossibleDesignEntry {
                pci_location: "0000:03:00.0".into(),
                physical_slot: None,
                design_names: vec!["dma_blkram (TEF1001)".into()],
                iommu_group: Some(1),
            },
            PossibleDesignEntry {
                pci_location: "0000:2e:00.0".into(),
                physical_slot: None,
                design_names: vec!["Litefury Project-0".into(), "Nitefury Project-0".into()],
                iommu_group: Some(86),
            },
        ]
    );
}
