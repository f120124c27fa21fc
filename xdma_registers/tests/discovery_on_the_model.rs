//! Channel discovery against the register-level XDMA model of `fpga_sim`.

use fpga_sim::peripheral::PeripheralSpace;
use fpga_sim::xdma::{XdmaConfig, XdmaModel, XDMA_BAR_SIZE};
use xdma_registers::discovery::{channel_table_row, ChannelBlocks, IdentityError};
use xdma_registers::{discover_channels, DmaDirection};

fn model(h2c: u8, c2h: u8, stream: bool) -> vfio_access::Mmio {
    PeripheralSpace::mmio(
        XdmaModel::new(XdmaConfig {
            h2c_channels: h2c,
            c2h_channels: c2h,
            stream,
            card_memory_bytes: if stream { 0 } else { 0x10000 },
            user_logic: fpga_sim::xdma::StreamUserLogic::default(),
        }),
        XDMA_BAR_SIZE,
    )
}

#[test]
fn finds_every_channel_and_stops_at_the_first_missing_one() {
    let bar = model(2, 1, true);
    let found = discover_channels(&bar, true);
    let ids: Vec<(DmaDirection, u8)> = found.iter().map(|c| (c.direction, c.channel_id)).collect();
    assert_eq!(
        ids,
        [
            (DmaDirection::H2C, 0),
            (DmaDirection::H2C, 1),
            (DmaDirection::C2H, 0)
        ]
    );
    assert_eq!(
        channel_table_row(&found.h2c[1]),
        "       H2C 1               1                1                64"
    );
}

#[test]
fn the_wrong_interface_is_named() {
    let bar = model(1, 1, false);
    assert!(discover_channels(&bar, true).iter().next().is_none());
    let err = ChannelBlocks::check(&bar, DmaDirection::C2H, 0, true).unwrap_err();
    assert_eq!(
        err,
        IdentityError::Interface {
            target: 1,
            actual_stream: false
        }
    );
}

#[test]
fn a_small_window_has_no_channels() {
    let bar = model(1, 1, false).window(0, 0x1000).expect("window");
    assert!(discover_channels(&bar, false).iter().next().is_none());
}
