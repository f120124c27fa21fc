//! Under `--sim` a board's config space is the board's own (the bytes its vfio-user server
//! serves), with BAR addresses assigned and memory decoding on, and its link status is
//! how the `--sim` entry's link trained.

use fpga_sim::board::config_space::ConfigSpace;
use fpga_sim::board::{build_boards, BoardOptions, PlacedBoard};
use vfio_access::{DmaCapability, IdMatch, IdentityFilter, OpenOptions, Session};

const ANY_XILINX: IdentityFilter = IdentityFilter {
    vendor_id: IdMatch::Value(0x10EE),
    device_id: IdMatch::Any,
    subsystem_vendor_id: IdMatch::Any,
    subsystem_device_id: IdMatch::Any,
    dma_capability: DmaCapability::A64,
};

#[test]
fn sim_devices_read_the_boards_own_config_space() {
    let dir = tempfile::tempdir().unwrap();
    let options = BoardOptions {
        xadc_seed: Some(1),
        state_dir: Some(dir.path().to_path_buf()),
    };
    let boards = build_boards(
        Some("TEF1001_dma_ddr3,NiteFury_dma_stream_loopback:link=2.5GT/s x1"),
        &options,
    )
    .unwrap();
    let session = Session::open_sim(
        boards.iter().map(PlacedBoard::sim_board).collect(),
        &OpenOptions::default(),
        &[ANY_XILINX],
    )
    .unwrap();
    assert_eq!(session.devices().len(), 2);
    let device_of = |board: &PlacedBoard| {
        session
            .devices()
            .iter()
            .find(|d| d.location() == board.location())
            .expect("every board opened")
    };
    for board in &boards {
        let device = device_of(board);
        let served = ConfigSpace::of_device(board.board.as_ref());
        // The upper half of a 64-bit BAR holds address bits only.
        let mut upper_half = false;
        for offset in (0..4096u64).step_by(4) {
            let seen = device.config_read32(offset).unwrap();
            let mut want = [0u8; 4];
            served.read(offset, &mut want).unwrap();
            let want = u32::from_le_bytes(want);
            match offset {
                // Command: memory decoding on (vfio-pci enables the device on open; the
                // session then switches bus mastering on).
                0x04 => assert_eq!(seen & 0xffff_0000, want & 0xffff_0000),
                // BARs: the type bits of the board, an address from the seam.
                0x10..=0x24 => {
                    if !std::mem::take(&mut upper_half) {
                        assert_eq!(seen & 0xf, want & 0xf, "BAR at 0x{offset:x}");
                        upper_half = want & 0x7 == 0x4;
                    }
                }
                _ => assert_eq!(
                    seen,
                    want,
                    "config offset 0x{offset:x} of {}",
                    board.location()
                ),
            }
        }
    }
    // LnkCap 5 GT/s x4; LnkSta as trained.
    let lnk = |d: &vfio_access::Device| {
        (
            d.config_read32(0x6c).unwrap() & 0x3ff,
            d.config_read16(0x72).unwrap() & 0x3ff,
        )
    };
    let (ddr3, loopback) = (device_of(&boards[0]), device_of(&boards[1]));
    assert_eq!(lnk(ddr3), (0x42, 0x42));
    assert_eq!(lnk(loopback), (0x42, 0x11));
    assert!(ddr3.link_warning().is_none());
    assert_eq!(
        loopback.link_warning().unwrap(),
        "Warning: Device device 0000:30:00.0 (10ee:7024) has reduced bandwidth\n         Max width x4 speed 5 GT/s. Negotiated width x1 speed 2.5 GT/s"
    );
}
