//! `xilinx_axi_stream_switch_set_routing` against the simulated revision-1 loopback boards
//! (designs_after_seed.md §2.8): exact lines, argument errors, range errors, the pause, and
//! in-process checks of what the switch holds afterwards.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use fpga_sim::axi_stream_switch::AxiStreamSwitchModel;
use fpga_sim::board::{build_boards, BoardOptions};
use identify_design::switch_routing::{set_switch_routing, SetRoutingOptions};
use identify_design::{design_filters, open_sim_boards, OpenedDesigns};
use vfio_access::OpenOptions;
use xilinx_axi_stream_switch::DeviceRoutings;

const TOOL: &str = env!("CARGO_BIN_EXE_xilinx_axi_stream_switch_set_routing");
const BOARDS: &str = "--sim=TEF1001_dma_stream_loopback_rev1,NiteFury_dma_stream_loopback_rev1,TEF1001_dma_stream_crc64@0000:05:00.0";

fn run(args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(TOOL)
        .args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out, dir)
}

/// stdout without the device-open lines.
fn report(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("Opening device") && !l.starts_with("Enabling bus master"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn default_routing_updates_every_switch() {
    let (out, _dir) = run(&[BOARDS, "--default_routing"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report(&out),
        "Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n\
         Device 0000:30:00.0 design NiteFury_dma_stream_loopback routes updated\n"
    );
}

#[test]
fn device_routing_opens_only_the_named_devices() {
    // After the open's reset every port is disabled with slave 0: a bare entry matches.
    let (out, _dir) = run(&[BOARDS, "--device_routing", "0:30:00.0"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        report(&out),
        "Device 0000:30:00.0 design NiteFury_dma_stream_loopback routes unchanged\n"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("0000:15:00.0"));
    let (out, _dir) = run(&[BOARDS, "--device_routing", "0:30:00.0", "--force_update"]);
    assert_eq!(
        report(&out),
        "Device 0000:30:00.0 design NiteFury_dma_stream_loopback routes update forced\n"
    );
    let (out, _dir) = run(&[
        BOARDS,
        "--device_routing",
        "0:15:00.0,1:1",
        "--device_routing",
        "0:30:00.0,,0:0",
    ]);
    assert_eq!(
        report(&out),
        "Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n\
         Device 0000:30:00.0 design NiteFury_dma_stream_loopback routes updated\n"
    );
}

#[test]
fn devices_without_a_switch_are_not_processed() {
    let (out, _dir) = run(&[BOARDS, "--device_routing", "0:05:00.0,0:0"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        report(&out),
        "No devices processed, the devices specified on the command line either:\n\
         - Don't exist\n\
         - Don't have a AXI4-Stream Switch\n"
    );
    // Revision 0 loopback designs have no switch either.
    let (out, _dir) = run(&["--sim=TEF1001_dma_stream_loopback", "--default_routing"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(report(&out).starts_with("No devices processed"));
}

#[test]
fn argument_and_range_errors() {
    for (args, code, stream, text) in [
        (vec![BOARDS], 1, "stderr", "Either default_routing or at least one device_routing option must be specified\n"),
        (vec![BOARDS, "--default_routing", "--device_routing", "0:15:00.0"], 1, "stderr", "Use of both default_routing and device_routing options is invalid\n"),
        (vec![BOARDS, "--device_routing", "0:15:00"], 1, "stderr", "Failed to extract device from 0:15:00\n"),
        (vec![BOARDS, "--device_routing", "0:15:00.0,1-0"], 1, "stderr", "Failed to extract ports from 1-0\n"),
        (vec![BOARDS, "--device_routing", "0:15:00.0,2:0"], 1, "stdout", "master_port 2 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback\n"),
        (vec![BOARDS, "--device_routing", "0:15:00.0,0:-1"], 1, "stdout", "slave_port 4294967295 outside of range for device 0000:15:00.0 design TEF1001_dma_stream_loopback\n"),
    ] {
        let (out, _dir) = run(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let got = if stream == "stderr" {
            String::from_utf8_lossy(&out.stderr).into_owned()
        } else {
            report(&out)
        };
        assert_eq!(got, text, "{args:?}");
    }
}

#[test]
fn pause_waits_for_return_before_closing() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(TOOL)
        .args([BOARDS, "--default_routing", "--pause_before_vfio_close"])
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let prompt = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.starts_with("Routes processed"))
        .unwrap();
    assert_eq!(
        prompt,
        "Routes processed in 2 devices. Press return to close the VFIO devices."
    );
    assert!(child.try_wait().unwrap().is_none(), "waits for Return");
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_switch_holds_the_requested_routes() {
    let dir = tempfile::tempdir().unwrap();
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.path().to_path_buf()),
    };
    let boards = build_boards(Some("TEF1001_dma_stream_loopback_rev1"), &options).unwrap();
    let opened = OpenedDesigns::identify(
        open_sim_boards(boards, &OpenOptions::default(), &design_filters()).unwrap(),
    );
    let model = opened.devices.sim_boards[0]
        .board
        .peripheral::<AxiStreamSwitchModel>()
        .unwrap();
    let routings = DeviceRoutings::parse(["0:15:00.0,1:0"]).unwrap();
    let mut out = Vec::new();
    let n = set_switch_routing(&opened, &routings, SetRoutingOptions::default(), &mut out).unwrap();
    assert_eq!(n, 1);
    assert_eq!(model.committed_routes(), vec![None, Some(0)]);
    assert_eq!(model.commits(), 1);
    // Unchanged: no second commit (no needless soft reset); forced: a commit.
    set_switch_routing(&opened, &routings, SetRoutingOptions::default(), &mut out).unwrap();
    assert_eq!(model.commits(), 1);
    let forced = SetRoutingOptions {
        force_update: true,
        ..SetRoutingOptions::default()
    };
    set_switch_routing(&opened, &routings, forced, &mut out).unwrap();
    assert_eq!(model.commits(), 2);
    // --default_routing applies the table even though a route is enabled.
    let defaults = SetRoutingOptions {
        default_routing: true,
        ..SetRoutingOptions::default()
    };
    set_switch_routing(&opened, &DeviceRoutings::default(), defaults, &mut out).unwrap();
    assert_eq!(model.committed_routes(), vec![Some(1), Some(0)]);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n\
         Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes unchanged\n\
         Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes update forced\n\
         Device 0000:15:00.0 design TEF1001_dma_stream_loopback routes updated\n"
    );
}
