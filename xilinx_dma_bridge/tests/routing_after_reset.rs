//! A revision-1 loopback board loses its routing on every VFIO open and reset
//! (designs_after_seed.md §2.4, §6 pitfall 1): `stream_pairs` must find the switch disabled
//! and route it again, and must keep routes someone else enabled.

use command_line::DeviceArgs;
use xilinx_axi_stream_switch::{DeviceRoutings, Route};
use xilinx_dma_bridge::designs::dma_designs;
use xilinx_dma_bridge::stream_routing::stream_pairs;

#[test]
fn routes_are_written_after_open_and_after_reset() {
    let state = tempfile::tempdir().expect("state dir");
    std::env::set_var("FPGA_SIO_SIM_DIR", state.path());
    let args = DeviceArgs {
        sim: Some("TOSING_160T_dma_stream_loopback_rev1".into()),
        ..DeviceArgs::default()
    };
    let devices = identify_design::open_devices(&args, &identify_design::design_filters())
        .expect("simulated board");
    let opened = identify_design::OpenedDesigns::identify(devices);
    let d = dma_designs(&opened)[0];
    let switch = || {
        d.design
            .routed_design(d.device)
            .switch
            .expect("revision 1 has a switch")
    };
    let disabled = vec![Route::disabled(0), Route::disabled(1)];
    assert_eq!(switch().read_routes(), disabled, "after open");

    let none = DeviceRoutings::default();
    let mut out = Vec::new();
    assert_eq!(stream_pairs(&d, &none, &mut out).unwrap(), [(1, 0), (0, 1)]);
    let updated = format!(
        "Device {} design TOSING_160T_dma_stream_loopback routes updated\n",
        d.design.location
    );
    assert_eq!(String::from_utf8(out).unwrap(), updated);
    assert_eq!(
        switch().read_routes(),
        [Route::enabled(0, 1), Route::enabled(1, 0)]
    );

    // Routed already: nothing written.
    let mut out = Vec::new();
    assert_eq!(stream_pairs(&d, &none, &mut out).unwrap(), [(1, 0), (0, 1)]);
    assert!(out.is_empty());

    assert!(d.device.reset().unwrap());
    assert_eq!(switch().read_routes(), disabled, "after reset");
    let mut out = Vec::new();
    assert_eq!(stream_pairs(&d, &none, &mut out).unwrap(), [(1, 0), (0, 1)]);
    assert_eq!(String::from_utf8(out).unwrap(), updated);

    // Routes set by someone else (one enabled port) are kept and used as they are.
    switch()
        .set_routes(&[Route::disabled(0), Route::enabled(1, 1)])
        .unwrap();
    let mut out = Vec::new();
    assert_eq!(stream_pairs(&d, &none, &mut out).unwrap(), [(1, 1)]);
    assert!(out.is_empty());
}
