//! Running the tools against simulated boards, shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Every simulated design with a DMA bridge (names as `--sim=` takes them).
#[allow(dead_code)] // not every test file uses it
pub const DMA_DESIGNS: [&str; 9] = [
    "dma_blkram",
    "TOSING_160T_dma_ddr3",
    "Litefury_Project-0",
    "Nitefury_Project-0",
    "TEF1001_dma_ddr3",
    "NiteFury_dma_ddr3",
    "TEF1001_dma_stream_loopback",
    "NiteFury_dma_stream_loopback",
    "TOSING_160T_dma_stream_loopback",
];

/// What a tool run printed and its exit code.
pub struct ToolRun {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs `exe` with `args`, no simulated boards from the environment, its own simulated
/// state directory (so DMA channel locks of concurrent tests never meet) and, if given,
/// the injected XDMA fault `FPGA_SIM_XDMA_FAULT=<fault>`.
pub fn run_tool(exe: &str, args: &[&str], fault: Option<&str>) -> ToolRun {
    let state = tempfile::tempdir().expect("state dir");
    run_tool_in(exe, args, fault, state.path())
}

/// [`run_tool`] with the simulated state directory `state_dir`.
pub fn run_tool_in(exe: &str, args: &[&str], fault: Option<&str>, state_dir: &Path) -> ToolRun {
    let mut cmd = tool_command(exe, state_dir);
    cmd.args(args);
    if let Some(f) = fault {
        cmd.env("FPGA_SIM_XDMA_FAULT", f);
    }
    let Output {
        stdout,
        stderr,
        status,
    } = cmd.output().expect("tool runs");
    ToolRun {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code().unwrap_or(-1),
    }
}

/// A command for `exe` with no simulation or fault from the environment and the
/// simulated state directory `state_dir`.
pub fn tool_command(exe: &str, state_dir: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env_remove("FPGA_SIO_SIM")
        .env_remove("FPGA_SIM_XDMA_FAULT")
        .env("FPGA_SIO_SIM_DIR", state_dir);
    cmd
}
