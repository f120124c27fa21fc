//! One user of a design's I2C bus at a time: with the bus locked by this process,
//! `i2c_probe` and `i2c_dump_info` wait (saying for whom) and run once it is released.
//! The probe logic also runs in-process through `probe_tool`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use fpga_sim::board::{build_boards, BoardOptions};
use i2c_probe::bus_lock::lock_i2c_bus;
use i2c_probe::probe_tool::{probe_designs, Mode, Scan};
use identify_design::{open_sim_boards, OpenedDesigns};
use vfio_access::OpenOptions;

const PROBE: &str = env!("CARGO_BIN_EXE_i2c_probe");
const DUMP: &str = env!("CARGO_BIN_EXE_i2c_dump_info");
const TEF1001: &str = "TEF1001_dma_stream_loopback@0000:15:00.0";

fn open_tef1001(dir: &std::path::Path) -> OpenedDesigns {
    let options = BoardOptions {
        xadc_seed: None,
        state_dir: Some(dir.to_path_buf()),
    };
    let boards = build_boards(Some(TEF1001), &options).unwrap();
    OpenedDesigns::identify(
        open_sim_boards(
            boards,
            &OpenOptions::default(),
            &identify_design::design_filters(),
        )
        .unwrap(),
    )
}

fn waits_for_the_held_bus(bin: &str, args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let opened = open_tef1001(dir.path());
    let device = &opened.devices.devices()[0];
    let lock = lock_i2c_bus(device, &mut std::io::sink()).unwrap();
    let mut child = Command::new(bin)
        .args(["--sim=".to_string() + TEF1001])
        .args(args)
        .env("FPGA_SIO_SIM_DIR", dir.path())
        .env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIO_SIM_I2C_FAULTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        format!(
            "waiting for the I2C bus of {} held by PID {}\n",
            device.description(),
            std::process::id()
        )
    );
    lock.release().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{out}\n{rest}");
    assert!(
        out.contains("Using design TEF1001_dma_stream_loopback in device 0000:15:00.0"),
        "{out}"
    );
}

#[test]
fn i2c_probe_waits_for_the_bus() {
    waits_for_the_held_bus(PROBE, &["-a", "0x50:0x50"]);
}

#[test]
fn i2c_dump_info_waits_for_the_bus() {
    waits_for_the_held_bus(DUMP, &[]);
}

#[test]
fn probe_runs_in_process_with_output_to_writers() {
    let dir = tempfile::tempdir().unwrap();
    let opened = open_tef1001(dir.path());
    let scan = Scan {
        mode: Mode::IicLib,
        mode_name: "iic_lib".into(),
        iterations: 1,
        bytes: 1,
        min: 0x51,
        max: 0x51,
    };
    let (mut out, mut diagnostics) = (Vec::new(), Vec::new());
    probe_designs(&opened, &scan, &mut out, &mut diagnostics).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with(
            "Using design TEF1001_dma_stream_loopback in device 0000:15:00.0\nIteration 1 of 1 using IIC iic_lib\nSlave 0x51 replied with data 0x92\n"
        ),
        "{out}"
    );
    assert!(
        diagnostics.is_empty(),
        "{}",
        String::from_utf8_lossy(&diagnostics)
    );
}
