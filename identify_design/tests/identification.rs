//! Identification of every simulated design, at default and chosen locations, and the
//! robustness cases: unknown Fury tag, BAR too small for a frame, DMA BAR < 64 KiB, `-d`.

use std::sync::Arc;

use fpga_sim::board::{
    build_boards, Board, BoardOptions, BoardSpec, Design, ModelSpec, PlacedBoard,
};
use fpga_sim::gpio::{AxiGpio, GpioChannel};
use identify_design::display::write_identified_designs;
use identify_design::{design_filters, open_sim_boards, DesignId, DmaBridge, Frame, OpenedDesigns};
use vfio_access::{LocationFilters, OpenOptions, PciLocation};

fn options(dir: &tempfile::TempDir) -> BoardOptions {
    BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    }
}

fn place(spec: BoardSpec, bus: u8, group: u32, dir: &tempfile::TempDir) -> PlacedBoard {
    PlacedBoard {
        board: Board::from_spec(spec, PciLocation::new(0, bus, 0, 0), &options(dir)),
        iommu_group: group,
    }
}

fn open(boards: Vec<PlacedBoard>, locations: &[PciLocation]) -> OpenedDesigns {
    let opts = OpenOptions {
        locations: LocationFilters::new(locations),
        ..OpenOptions::default()
    };
    OpenedDesigns::identify(open_sim_boards(boards, &opts, &design_filters()).unwrap())
}

fn display(opened: &OpenedDesigns) -> String {
    let mut out = Vec::new();
    write_identified_designs(&mut out, opened).unwrap();
    String::from_utf8(out).unwrap()
}

fn strays(opened: &OpenedDesigns) -> u64 {
    opened
        .devices
        .sim_boards
        .iter()
        .map(|b| b.board.unimplemented_accesses())
        .sum()
}

const fn f(offset: u64) -> Option<Frame> {
    Some(Frame { bar: 0, offset })
}

#[test]
fn every_design_is_identified_with_its_frames() {
    let dir = tempfile::tempdir().unwrap();
    let expected: [(Design, Option<DesignId>); 12] = [
        (Design::DmaBlkram, Some(DesignId::DmaBlkram)),
        (Design::I2cProbe, Some(DesignId::I2cProbe)),
        (Design::Tosing160tDmaDdr3, Some(DesignId::Tosing160tDmaDdr3)),
        (Design::LitefuryProject0, Some(DesignId::LitefuryProject0)),
        (Design::NitefuryProject0, Some(DesignId::NitefuryProject0)),
        (Design::Tef1001DmaDdr3, Some(DesignId::Tef1001DmaDdr3)),
        (Design::NiteFuryDmaDdr3, Some(DesignId::NiteFuryDmaDdr3)),
        (
            Design::Tef1001DmaStreamLoopback,
            Some(DesignId::Tef1001DmaStreamLoopback),
        ),
        (
            Design::NiteFuryDmaStreamLoopback,
            Some(DesignId::NiteFuryDmaStreamLoopback),
        ),
        (
            Design::Tosing160tDmaStreamLoopback,
            Some(DesignId::Tosing160tDmaStreamLoopback),
        ),
        // Not in the identification table: its tool finds it by sub-device 0x0001.
        (Design::MemmappedBlkram, None),
        (Design::MemmappedBlkram32bitBars, None),
    ];
    let boards: Vec<PlacedBoard> = expected
        .iter()
        .enumerate()
        .map(|(i, (d, _))| place(d.spec(), 0x40 + i as u8, 100 + i as u32, &dir))
        .collect();
    let opened = open(boards, &[]);
    let found: Vec<(PciLocation, DesignId)> = opened
        .designs
        .iter()
        .map(|d| (d.location, d.design))
        .collect();
    let wanted: Vec<(PciLocation, DesignId)> = expected
        .iter()
        .enumerate()
        .filter_map(|(i, (_, id))| id.map(|id| (PciLocation::new(0, 0x40 + i as u8, 0, 0), id)))
        .collect();
    assert_eq!(found, wanted, "no limit of four devices either");

    let by = |id: DesignId| opened.designs.iter().find(|d| d.design == id).unwrap();
    let tef = by(DesignId::Tef1001DmaDdr3);
    assert_eq!(
        tef.dma,
        Some(DmaBridge {
            bar: 2,
            memory_size: 0x2_0000_0000,
            memory_base_address: 0,
        })
    );
    assert_eq!(
        (
            tef.iic,
            tef.bit_banged_i2c_gpio,
            tef.quad_spi,
            tef.xadc,
            tef.user_access
        ),
        (f(0), f(0x1000), f(0x2000), f(0x3000), f(0x4000))
    );
    let blk = by(DesignId::DmaBlkram);
    assert_eq!(
        blk.dma,
        Some(DmaBridge {
            bar: 0,
            memory_size: 0x12_0000,
            memory_base_address: 0,
        })
    );
    assert_eq!((blk.quad_spi, blk.xadc), (None, None));
    let i2c = by(DesignId::I2cProbe);
    assert_eq!(i2c.dma, None);
    assert_eq!((i2c.iic, i2c.xadc), (f(0), f(0x3000)));
    let lite = by(DesignId::LitefuryProject0);
    assert_eq!(lite.board_version, Some(2));
    assert_eq!(
        lite.dma,
        Some(DmaBridge {
            bar: 2,
            memory_size: 0x2000_0000,
            memory_base_address: 0,
        })
    );
    assert_eq!((lite.quad_spi, lite.xadc), (f(0x10000), f(0x3000)));
    let tosing = by(DesignId::Tosing160tDmaDdr3);
    assert_eq!(
        (tosing.quad_spi, tosing.xadc, tosing.user_access),
        (f(0), f(0x1000), f(0x2000))
    );
    // i2c_probe alone is opened without DMA capability (no bus mastering).
    let i2c_device = opened.device(i2c);
    assert!(!i2c_device.dma_capability().does_dma());

    let text = display(&opened);
    assert!(text.contains("\nDesign dma_blkram (TEF1001):\n  PCI device 0000:40:00.0 rev 00 IOMMU group 100\n  DMA bridge bar 0 memory base offset 0x0 size 0x120000\n"), "{text}");
    assert!(text.contains("\nDesign i2c_probe (TEF1001) or TOSING_160T_quad_spi:\n  PCI device 0000:41:00.0 rev 00 IOMMU group 101\n  Quad SPI registers at bar 0 offset 0x2000\n"), "{text}");
    assert!(
        text.contains("\nDesign Litefury Project-0 version 0x2:\n"),
        "{text}"
    );
    assert!(
        text.contains("  DMA bridge bar 2 memory base offset 0x0 size 0x200000000\n"),
        "{text}"
    );
    assert!(
        text.contains("  User access build timestamp : 4E2EE545 - 09/12/2023 14:21:05\n"),
        "{text}"
    );
    assert_eq!(
        strays(&opened),
        0,
        "identification and display stay inside modelled frames"
    );
}

#[test]
fn board_at_a_chosen_location_is_identified_there() {
    let dir = tempfile::tempdir().unwrap();
    let boards = build_boards(
        Some("nitefury_dma_stream_loopback@0000:03:00.0,TOSING_160T_dma_ddr3@0001:c0:1f.7/12"),
        &options(&dir),
    )
    .unwrap();
    let opened = open(boards, &[]);
    let got: Vec<(String, u32, DesignId)> = opened
        .designs
        .iter()
        .map(|d| (d.location.to_string(), d.iommu_group, d.design))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "0000:03:00.0".into(),
                1,
                DesignId::NiteFuryDmaStreamLoopback
            ),
            ("0001:c0:1f.7".into(), 12, DesignId::Tosing160tDmaDdr3),
        ]
    );
    let text = display(&opened);
    assert!(
        text.starts_with(
            "\nDesign NiteFury_dma_stream_loopback:\n  PCI device 0000:03:00.0 rev 00 IOMMU group 1\n"
        ),
        "{text}"
    );
}

#[test]
fn fury_with_an_unknown_tag_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut odd = Design::NitefuryProject0.spec();
    let gpio0 = odd
        .frames
        .iter_mut()
        .find(|f| f.offset == 0 && matches!(f.model, ModelSpec::Gpio { .. }))
        .unwrap();
    gpio0.model = ModelSpec::Gpio {
        channel1: GpioChannel::Inputs {
            width: 32,
            value: 0x4142_4344,
        },
        channel2: GpioChannel::Inputs {
            width: 32,
            value: 2,
        },
    };
    let lite = place(Design::LitefuryProject0.spec(), 0x2f, 87, &dir);
    let opened = open(vec![place(odd, 0x2e, 86, &dir), lite], &[]);
    assert_eq!(opened.devices.devices().len(), 2, "both opened");
    assert_eq!(opened.designs.len(), 1);
    assert_eq!(opened.designs[0].design, DesignId::LitefuryProject0);
    assert_eq!(opened.designs[0].device_index, 1);
    // A tag changed at run time through the model's hook is seen too.
    let board: &Arc<Board> = &opened.devices.sim_boards[1].board;
    board
        .peripheral_at::<AxiGpio>(0, 0)
        .unwrap()
        .set_inputs(1, 0x4E49_5445);
    board
        .peripheral_at::<AxiGpio>(0, 0)
        .unwrap()
        .set_inputs(2, 4);
    let again = identify_design::identify_devices(opened.devices.devices());
    assert_eq!(again[0].design, DesignId::NitefuryProject0);
    assert_eq!(again[0].board_version, Some(4));
}

#[test]
fn frames_outside_a_small_bar_are_absent_and_small_dma_bar_has_no_channels() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = Design::Tef1001DmaStreamLoopback.spec();
    // BAR 0 ends at 0x4000: the user-access frame no longer fits.
    spec.bars[0].as_mut().unwrap().size = 0x4000;
    spec.bars[2].as_mut().unwrap().size = 0x8000;
    let opened = open(vec![place(spec, 0x15, 41, &dir)], &[]);
    let d = &opened.designs[0];
    assert_eq!(d.user_access, None);
    assert_eq!(d.xadc, f(0x3000));
    assert_eq!(
        display(&opened),
        "\nDesign TEF1001_dma_stream_loopback:\n  PCI device 0000:15:00.0 rev 00 IOMMU group 41\n  DMA bridge bar 2 AXI Stream\n  Channel ID  addr_alignment  len_granularity  num_address_bits\n  Quad SPI registers at bar 0 offset 0x2000\n  XADC registers at bar 0 offset 0x3000\n  IIC registers at bar 0 offset 0x0\n  bit-banged I2C GPIO registers at bar 0 offset 0x1000\n"
    );
    assert_eq!(strays(&opened), 0);
}

#[test]
fn device_filter_restricts_what_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let boards = build_boards(None, &options(&dir)).unwrap();
    let opened = open(
        boards,
        &[
            PciLocation::new(0, 0x2e, 0, 0),
            PciLocation::new(0, 0x99, 0, 0),
        ],
    );
    assert_eq!(opened.devices.devices().len(), 1);
    assert_eq!(opened.designs.len(), 1);
    assert_eq!(opened.designs[0].design, DesignId::NitefuryProject0);
}
