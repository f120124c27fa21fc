//! Simulated boards opened through the vfio_access session API, as the tools see them.

use fpga_sim::board::{build_boards, parse_board_list, BoardOptions, Design, PlacedBoard};
use fpga_sim::xadc::XadcModel;
use vfio_access::{
    AccessWidth, DmaCapability, IdMatch, IdentityFilter, OpenOptions, PciLocation, Session,
};

const ANY_XILINX: IdentityFilter = IdentityFilter {
    vendor_id: IdMatch::Value(0x10EE),
    device_id: IdMatch::Any,
    subsystem_vendor_id: IdMatch::Any,
    subsystem_device_id: IdMatch::Any,
    dma_capability: DmaCapability::A64,
};

fn options(dir: &tempfile::TempDir) -> BoardOptions {
    BoardOptions {
        xadc_seed: Some(1),
        state_dir: Some(dir.path().to_path_buf()),
    }
}

#[test]
fn default_set_opens_with_real_identities_and_bars() {
    let dir = tempfile::tempdir().unwrap();
    let boards = build_boards(None, &options(&dir)).unwrap();
    let session = Session::open_sim(
        boards.iter().map(PlacedBoard::sim_board).collect(),
        &OpenOptions::default(),
        &[ANY_XILINX],
    )
    .unwrap();
    let seen: Vec<(String, u32, u16, u16, u16)> = session
        .devices()
        .iter()
        .map(|d| {
            (
                d.location().to_string(),
                d.iommu_group(),
                d.config_read16(0x02).unwrap(),
                d.config_read16(0x2c).unwrap(),
                d.config_read16(0x2e).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("0000:15:00.0".into(), 41, 0x7024, 0x0002, 0x0007),
            ("0000:2e:00.0".into(), 86, 0x7011, 0x0000, 0x0000),
            ("0000:30:00.0".into(), 89, 0x7024, 0x0002, 0x0008),
        ]
    );
    let tef = &session.devices()[0];
    let bar0 = tef.bar_info(0).unwrap();
    assert_eq!(
        (bar0.size, bar0.is_64bit, bar0.prefetchable),
        (0x8000, true, true)
    );
    assert!(tef.bar_info(1).is_none(), "upper half of the 64-bit BAR");
    assert_eq!(tef.bar_info(2).unwrap().size, 0x10000);
    // Fury Project-0 GPIO 0: tag and board version.
    let fury = &session.devices()[1];
    assert_eq!(fury.bar_info(0).unwrap().size, 0x20000);
    let gpio0 = fury.frame(0, 0, 0x1000).unwrap();
    assert_eq!(gpio0.read32(0), 0x4E49_5445);
    assert_eq!(gpio0.read32(8), 2);
    // The XADC of each board is reachable as a typed model.
    for b in &boards {
        assert_eq!(b.board.peripheral::<XadcModel>().unwrap().config().seed, 1);
        assert_eq!(b.board.unimplemented_accesses(), 0);
    }
}

#[test]
fn board_lists_place_boards_and_strays_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("FPGA_SIO_SIM_DIR", dir.path());
    let boards = parse_board_list("TEF1001_dma_ddr3@0000:03:00.0,dma_blkram").unwrap();
    assert_eq!(boards.len(), 2);
    assert_eq!(boards[0].location, PciLocation::new(0, 3, 0, 0));
    assert_eq!(boards[1].location, PciLocation::new(0, 1, 0, 0));
    let session = Session::open_sim(boards, &OpenOptions::default(), &[ANY_XILINX]).unwrap();
    let blkram = &session.devices()[0];
    // dma_blkram: the DMA BAR is BAR 0 (SGDMA common identifier at 0x6000); nothing else.
    assert_eq!(blkram.bar(0).unwrap().read32(0x6000) >> 16, 0x1FC6);
    assert!(blkram.bar_info(2).is_none());

    let placed = build_boards(Some("NiteFury_dma_ddr3"), &options(&dir)).unwrap();
    let b = &placed[0].board;
    assert_eq!(b.name(), Design::NiteFuryDmaDdr3.name());
    let sim = placed[0].sim_board();
    // 0x3000 is the MIG reset GPIO: calibrated, not in reset.
    assert_eq!(sim.device.read(0, 0x3000, AccessWidth::U32), 0b1110);
    assert_eq!(b.unimplemented_accesses(), 0);
    // TEF1001_dma_ddr3 has nothing at BAR 0 0x7000: an unimplemented AXI slave.
    let tef = build_boards(Some("TEF1001_dma_ddr3"), &options(&dir)).unwrap();
    let dev = tef[0].sim_board().device;
    assert_eq!(dev.read(0, 0x7000, AccessWidth::U32), 0xFFFF_FFFF);
    dev.write(0, 0x7004, AccessWidth::U32, 5);
    assert_eq!(tef[0].board.unimplemented_accesses(), 2);
}
