//! Issue "results you can trust": a tool that runs on simulated boards says so in its first
//! line of output, also when the choice came from a `FPGA_SIO_SIM` left in the environment.
//! The tools are other crates' binaries, built next to test_primary by
//! `cargo test --workspace`.

use std::path::Path;
use std::process::Command;

const TEST_PRIMARY: &str = env!("CARGO_BIN_EXE_test_primary");

/// One tool per crate family, each run the way a user would, with no `--sim`.
const TOOLS: [(&str, &[&str]); 6] = [
    ("display_identified_pcie_fpga_designs", &[]),
    ("display_xadc_values", &["-d", "0000:15:00.0"]),
    ("quad_spi_flasher", &["-d", "0000:30:00.0"]),
    ("i2c_probe", &[]),
    ("display_possible_fpga_designs", &[]),
    ("test_general", &[]),
];

fn run(tool: &str, args: &[&str], sim_env: Option<&str>, extra: &[&str]) -> (String, String) {
    let exe = Path::new(TEST_PRIMARY).parent().unwrap().join(tool);
    assert!(
        exe.exists(),
        "{tool} is not built next to test_primary: run `cargo test --workspace`"
    );
    let state = tempfile::tempdir().unwrap();
    let mut command = Command::new(&exe);
    command
        .args(extra)
        .args(args)
        .env("FPGA_SIO_SIM_DIR", state.path())
        .env_remove("FPGA_SIO_SECONDARY")
        .env_remove("FPGA_SIO_SIM_NOTICE")
        .env_remove("FPGA_SIO_SIM");
    if let Some(value) = sim_env {
        command.env("FPGA_SIO_SIM", value);
    }
    let out = command.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn simulation_from_the_environment_is_announced_first() {
    for (tool, args) in TOOLS {
        let (_, stderr) = run(tool, args, Some("default"), &[]);
        assert_eq!(
            stderr.lines().next(),
            Some("Simulated boards, not hardware (FPGA_SIO_SIM=default in the environment)"),
            "{tool}: stderr was {stderr:?}"
        );
    }
}

#[test]
fn simulation_on_the_command_line_is_announced_first() {
    for (tool, args) in TOOLS {
        let (_, stderr) = run(tool, args, None, &["--sim"]);
        assert_eq!(
            stderr.lines().next(),
            Some("Simulated boards, not hardware (--sim=default)"),
            "{tool}: stderr was {stderr:?}"
        );
    }
}

#[test]
fn hardware_runs_say_nothing_of_simulation() {
    for (tool, args) in TOOLS {
        let (stdout, stderr) = run(tool, args, None, &[]);
        assert!(
            !stdout.contains("Simulated") && !stderr.contains("Simulated"),
            "{tool}: {stdout:?} {stderr:?}"
        );
    }
}
