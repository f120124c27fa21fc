//! Running the tools on simulated boards in a child process.

use std::process::{Command, Output};

/// Runs `bin` with `args`; `faults` goes to the bus fault-hook variable. State files go
/// to a temporary directory; the XADC seed is the board's default.
pub fn run(bin: &str, args: &[&str], faults: Option<&str>) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = Command::new(bin);
    c.args(args)
        .env(fpga_sim::persist::SIM_DIR_ENV, dir.path())
        .env_remove(fpga_sim::board::XADC_SEED_ENV)
        .env_remove(vfio_access::SIM_ENV)
        .env_remove(fpga_sim::i2c_bus::I2C_FAULTS_ENV);
    if let Some(f) = faults {
        c.env(fpga_sim::i2c_bus::I2C_FAULTS_ENV, f);
    }
    c.output().expect("tool runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The text from the first `Using design` line on (earlier lines come from the device
/// access layer: `Opening device ...`, `Enabling bus master ...`).
pub fn from_using(text: &str) -> &str {
    text.find("Using design").map_or("", |i| &text[i..])
}
