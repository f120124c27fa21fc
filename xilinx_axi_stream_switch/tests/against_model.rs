//! The driver and "configure routing" (designs_after_seed.md §2.3, §2.5) against the
//! fpga_sim switch model.

use std::sync::Arc;

use fpga_sim::axi_stream_switch::AxiStreamSwitchModel;
use fpga_sim::peripheral::{Peripheral, PeripheralSpace};
use vfio_access::PciLocation;
use xilinx_axi_stream_switch::{
    configure_routing, AxiStreamSwitch, DeviceRoutings, Route, RouteUpdate, RoutedDesign,
    RoutingError, SwitchError,
};

fn switch() -> (Arc<AxiStreamSwitchModel>, AxiStreamSwitch) {
    let model = Arc::new(AxiStreamSwitchModel::new(2, 2));
    let regs = PeripheralSpace::mmio(model.clone() as Arc<dyn Peripheral>, 0x1000);
    (model, AxiStreamSwitch::new(regs, 2, 2).unwrap())
}

const LOCATION: PciLocation = PciLocation::new(0, 0x15, 0, 0);

fn design(switch: Option<AxiStreamSwitch>, defaults: &'static [(u8, u8)]) -> RoutedDesign<'static> {
    RoutedDesign {
        location: LOCATION,
        name: "TEF1001_dma_stream_loopback",
        switch,
        default_routes: defaults,
    }
}

#[test]
fn driver_reads_sets_and_updates_only_when_changed() {
    let (model, s) = switch();
    assert_eq!(
        s.read_routes(),
        vec![Route::disabled(0), Route::disabled(1)]
    );
    let routes = [Route::enabled(0, 1), Route::enabled(1, 0)];
    assert_eq!(s.update_routes(&routes), Ok(RouteUpdate::Updated));
    assert_eq!(model.committed_routes(), vec![Some(1), Some(0)]);
    assert_eq!(s.update_routes(&routes), Ok(RouteUpdate::Unchanged));
    assert_eq!(model.commits(), 1);
    // The slave bits of a disabled port are compared too.
    let odd = [Route {
        master_port: 0,
        slave_port: 1,
        enabled: false,
    }];
    assert_eq!(s.update_routes(&odd), Ok(RouteUpdate::Updated));
    assert_eq!(s.read_route(0), Ok(odd[0]));
    assert_eq!(model.committed_routes(), vec![None, Some(0)]);
    assert_eq!(
        s.set_routes(&[Route::enabled(2, 0)]),
        Err(SwitchError::MasterPortOutOfRange {
            master_port: 2,
            master_ports: 2
        })
    );
    assert!(AxiStreamSwitch::new(
        PeripheralSpace::mmio(model as Arc<dyn Peripheral>, 0x1000),
        17,
        2
    )
    .is_err());
}

#[test]
fn configure_routing_applies_defaults_only_to_an_unrouted_switch() {
    let (model, s) = switch();
    let d = design(Some(s), &[(0, 1), (1, 0)]);
    let none = DeviceRoutings::default();
    let mut out = Vec::new();
    let routes = configure_routing(&d, &none, &mut out).unwrap();
    assert_eq!(routes, vec![Route::enabled(0, 1), Route::enabled(1, 0)]);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n"
    );
    assert_eq!(model.committed_routes(), vec![Some(1), Some(0)]);
    // Someone enabled one route only: it is left alone and returned as read.
    d.switch
        .as_ref()
        .unwrap()
        .set_routes(&[Route::disabled(0)])
        .unwrap();
    let mut out = Vec::new();
    let routes = configure_routing(&d, &none, &mut out).unwrap();
    assert_eq!(routes, vec![Route::disabled(0), Route::enabled(1, 0)]);
    assert!(out.is_empty());
    // The command line: every master port, unlisted ones disabled.
    let cli = DeviceRoutings::parse(["0:15:00.0,0:0"]).unwrap();
    let mut out = Vec::new();
    let routes = configure_routing(&d, &cli, &mut out).unwrap();
    assert_eq!(routes, vec![Route::enabled(0, 0), Route::disabled(1)]);
    assert_eq!(model.committed_routes(), vec![Some(0), None]);
    assert!(!out.is_empty());
}

#[test]
fn configure_routing_errors_are_the_sheets_lines() {
    let none = DeviceRoutings::default();
    let mut out = Vec::new();
    let fixed = RoutedDesign {
        name: "TEF1001_dma_stream_fixed_data",
        ..design(None, &[])
    };
    let e = configure_routing(&fixed, &none, &mut out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "No routing available for device 0000:15:00.0 design TEF1001_dma_stream_fixed_data"
    );
    // A design without a switch has 0 ports: any pair is out of range.
    let crc = design(None, &[(0, 0), (1, 1)]);
    let cli = DeviceRoutings::parse(["0:15:00.0,0:0"]).unwrap();
    let e = configure_routing(&crc, &cli, &mut out).unwrap_err();
    assert!(matches!(e, RoutingError::MasterPortOutOfRange { .. }));
    assert_eq!(
        e.to_string(),
        "master_port 0 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback"
    );
    // Without a switch the defaults only name the pairs; a bare entry gives no routes.
    assert_eq!(
        configure_routing(&crc, &none, &mut out).unwrap(),
        vec![Route::enabled(0, 0), Route::enabled(1, 1)]
    );
    let bare = DeviceRoutings::parse(["0:15:00.0"]).unwrap();
    assert!(configure_routing(&crc, &bare, &mut out).unwrap().is_empty());
    let (_, s) = switch();
    let e = configure_routing(
        &design(Some(s), &[]),
        &DeviceRoutings::parse(["0:15:00.0,1:2"]).unwrap(),
        &mut out,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "slave_port 2 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback"
    );
    assert!(out.is_empty());
}
