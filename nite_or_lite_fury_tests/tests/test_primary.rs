//! Host-side tests of `test_primary` (no VFIO needed): command-line splitting, executable
//! lookup, `--pci-id`, the catalog's simulated boards, and whole `--sim` runs with three
//! secondaries, exit reporting and signal forwarding.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nite_or_lite_fury_tests::launcher::FuryCatalog;
use vfio_access::iova::IovaRange;
use vfio_access::multiprocess::{
    parse_pci_id, resolve_executable, resolve_secondaries, split_secondaries, DeviceCatalog,
    Handover,
};
use vfio_access::{DmaCapability, IdMatch, IdentityFilter, SimSelection};

const TEST_PRIMARY: &str = env!("CARGO_BIN_EXE_test_primary");

fn os(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn splitter_separates_at_every_double_dash() {
    let s = split_secondaries(&os(&["a", "-x", "--y=1", "--", "b", "--", "c", "1", "2"])).unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].program, "a");
    assert_eq!(s[0].args, os(&["-x", "--y=1"]));
    assert!(s[1].args.is_empty());
    assert_eq!(s[2].args, os(&["1", "2"]));
    // No limit of 8 secondaries or 16 arguments.
    let mut many = Vec::new();
    for i in 0..20 {
        many.push(format!("tool{i}"));
        many.extend((0..30).map(|a| a.to_string()));
        many.push("--".into());
    }
    many.pop();
    let s = split_secondaries(&many).unwrap();
    assert_eq!(s.len(), 20);
    assert!(s.iter().all(|c| c.args.len() == 30));
    for bad in [&["--", "a"][..], &["a", "--"], &["a", "--", "--", "b"], &[]] {
        assert!(split_secondaries(&os(bad)).is_err(), "{bad:?}");
    }
}

#[test]
fn executables_are_found_beside_then_on_path() {
    let beside = tempfile::tempdir().unwrap();
    let on_path = tempfile::tempdir().unwrap();
    let b = script(beside.path(), "tool", "exit 0");
    let p = script(on_path.path(), "tool", "exit 0");
    let only_path = script(on_path.path(), "other", "exit 0");
    std::fs::write(on_path.path().join("not_exec"), "x").unwrap();
    let path_var = std::env::join_paths([Path::new("/nonexistent"), on_path.path()]).unwrap();
    let find = |n: &str, beside_dir: Option<&Path>| {
        resolve_executable(n.as_ref(), beside_dir, Some(path_var.as_os_str()))
    };
    assert_eq!(find("tool", Some(beside.path())), Some(b.clone()));
    assert_eq!(find("tool", None), Some(p.clone()));
    assert_eq!(find("other", Some(beside.path())), Some(only_path));
    // The original's crate/tool form: the last component when no such path exists.
    assert_eq!(
        find("xilinx_dma_bridge_for_pcie/tool", Some(beside.path())),
        Some(b.clone())
    );
    // A path with '/' that exists is used as given.
    assert_eq!(find(p.to_str().unwrap(), Some(beside.path())), Some(p));
    assert_eq!(find("not_exec", None), None);
    assert_eq!(find("missing", Some(beside.path())), None);
    assert_eq!(find("", Some(beside.path())), None);
    let r = resolve_secondaries(
        &os(&["tool", "-a", "--", "nope"]),
        Some(beside.path()),
        Some(&path_var),
    );
    let e = r.unwrap_err();
    assert!(
        e.starts_with("secondary executable nope not found next to test_primary"),
        "{e}"
    );
}

fn sim_boards(
    selection: &SimSelection,
    pci_ids: &[IdentityFilter],
) -> Result<Vec<vfio_access::sim::SimBoard>, String> {
    FuryCatalog
        .sim_boards(selection, pci_ids)
        .map_err(|e| e.to_string())
}

#[test]
fn pci_ids_parse_with_known_dma_widths() {
    let parse_pci_id = |text: &str| parse_pci_id(text, &FuryCatalog);
    let edu = parse_pci_id("1234:11e8").unwrap();
    assert_eq!(edu.vendor_id, IdMatch::Value(0x1234));
    assert_eq!(edu.device_id, IdMatch::Value(0x11e8));
    assert_eq!(edu.subsystem_vendor_id, IdMatch::Any);
    assert_eq!(edu.dma_capability, DmaCapability::Bits(28));
    let full = parse_pci_id("10ee:7024:0002:0007").unwrap();
    assert_eq!(full.subsystem_device_id, IdMatch::Value(7));
    assert_eq!(full.dma_capability, DmaCapability::A32);
    for bad in ["", "1234", "1234:", "12345:1", "x:1", "1:2:3", "1:2:3:4:5"] {
        assert!(parse_pci_id(bad).is_err(), "{bad}");
    }
    // The default set: three FPGA design boards, plus three edu devices when asked for.
    assert_eq!(sim_boards(&SimSelection::Default, &[edu]).unwrap().len(), 6);
    assert_eq!(
        sim_boards(&SimSelection::Default, &[full]).unwrap().len(),
        3
    );
    let only_edu = SimSelection::Boards("edu@0000:00:03.0".into());
    assert_eq!(sim_boards(&only_edu, &[edu]).unwrap().len(), 1);
    let mixed = SimSelection::Boards("edu,dma_blkram@0000:03:00.0".into());
    assert_eq!(sim_boards(&mixed, &[edu]).unwrap().len(), 2);
    assert!(sim_boards(&SimSelection::Boards("no_such_design".into()), &[]).is_err());
}

fn windows_of(dir: &Path, names: &[&str]) -> Vec<IovaRange> {
    names
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(n)).unwrap();
            let mut lines = text.lines();
            let h = Handover::decode(lines.next().unwrap()).unwrap();
            assert!(h.simulated && h.containers.is_empty() && h.devices.is_empty());
            assert_eq!(lines.next(), Some("sim=default"));
            h.window.unwrap()
        })
        .collect()
}

#[test]
fn sim_run_with_three_secondaries() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "record_env",
        r#"printf '%s\nsim=%s\n' "$FPGA_SIO_SECONDARY" "$FPGA_SIO_SIM" > "$1""#,
    );
    let path_var = std::env::join_paths(std::iter::once(dir.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new(TEST_PRIMARY)
        .env("PATH", &path_var)
        .env_remove("FPGA_SIO_SIM")
        .current_dir(dir.path())
        .args([
            "--sim",
            "record_env",
            "a.txt",
            "--",
            "some_crate/record_env",
            "b.txt",
        ])
        .args(["--", "./record_env", "c.txt"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("All 3 child processed exited successfully"),
        "{stdout}"
    );
    let w = windows_of(dir.path(), &["a.txt", "b.txt", "c.txt"]);
    for (i, a) in w.iter().enumerate() {
        // The default boards are 64-bit DMA capable: windows lie inside the simulated
        // IOMMU's ranges (39 address bits, MSI window excluded).
        assert!(a.end <= 0x7f_ffff_ffff, "{a:?} beyond the IOVA ranges");
        assert!(
            a.intersect(&IovaRange::new(0xfee0_0000, 0xfeef_ffff))
                .is_none(),
            "{a:?} overlaps the MSI window"
        );
        for b in &w[i + 1..] {
            assert!(a.intersect(b).is_none(), "{a:?} overlaps {b:?}");
        }
        assert!(stdout.contains(&format!("IOVA window 0x{:x}-0x{:x}", a.start, a.end)));
    }

    // A fixed window size, a failing secondary and a killed one are reported; exit is 1.
    let out = Command::new(TEST_PRIMARY)
        .env("PATH", &path_var)
        .current_dir(dir.path())
        .args(["--sim", "--pci-id", "1234:11e8", "--iova-window", "1M"])
        .args([
            "record_env",
            "d.txt",
            "--",
            "sh",
            "-c",
            "exit 4",
            "--",
            "sh",
            "-c",
            "kill -KILL $$",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let w = windows_of(dir.path(), &["d.txt"]);
    assert_eq!(w[0].size(), 1 << 20);
    assert!(w[0].end < 1 << 28, "edu's 28-bit limit: {:?}", w[0]);
    assert!(
        stdout.contains("\nSecondary sh exited with status 4\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nSecondary sh killed with signal 9\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n2 out of 3 child processes had non-successful exit\n"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim(), "error: 2 of 3 secondary processes failed");
}

#[test]
fn bad_command_lines_fail_with_one_line() {
    let out = Command::new(TEST_PRIMARY).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(TEST_PRIMARY)
        .args(["--sim", "no_such_tool_anywhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("secondary executable no_such_tool_anywhere not found"),
        "{stderr}"
    );
    let out = Command::new(TEST_PRIMARY)
        .args(["--iova-window", "12Q", "sh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// SIGTERM and a SIGINT sent with kill() (not from a terminal) reach the secondaries, and
/// the primary waits for them and reports their (normal) exits.
///
/// Synchronised on the secondaries' own output: each prints `ready` once its trap is set,
/// and the primary catches the signals before it starts the first secondary, so after
/// both `ready` lines the signal is caught and forwarded.
#[test]
fn signals_are_forwarded_to_the_secondaries() {
    for sig in ["TERM", "INT"] {
        let body = format!(
            "trap 'echo got {sig}; exit 0' {sig}; echo ready; while :; do sleep 0.05; done"
        );
        let mut child = Command::new(TEST_PRIMARY)
            .args(["--sim", "sh", "-c", &body, "--", "sh", "-c", &body])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut before = String::new();
        let mut ready = 0;
        while ready < 2 {
            let mut line = String::new();
            let n = stdout.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "the run ended before both secondaries were ready:\n{before}"
            );
            ready += usize::from(line == "ready\n");
            before += &line;
        }
        let kill = Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let status = child.wait().unwrap();
        let stdout = before + &rest;
        assert!(status.success(), "{sig}: {stdout}");
        assert_eq!(stdout.matches(&format!("got {sig}")).count(), 2, "{stdout}");
        assert!(
            stdout.contains("All 2 child processed exited successfully"),
            "{stdout}"
        );
    }
}
