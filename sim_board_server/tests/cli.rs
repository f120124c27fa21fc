//! The binary's failures: one line on stderr, exit status 1.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vfio_user_sim_board"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_existing_socket_path_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("taken.sock");
    std::fs::write(&taken, b"user data").unwrap();
    let state = dir.path().to_str().unwrap();
    let (code, err) = run(&[
        "--socket",
        taken.to_str().unwrap(),
        "--state-dir",
        state,
        "dma_blkram",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot listen on") && err.contains("taken.sock"),
        "{err}"
    );
    // Nothing the user owns is lost.
    assert_eq!(std::fs::read(&taken).unwrap(), b"user data");
}

#[test]
fn an_unknown_design_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s.sock");
    let (code, err) = run(&["--socket", sock.to_str().unwrap(), "no_such_board"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unknown simulated design 'no_such_board'"),
        "{err}"
    );
    assert!(!sock.exists());
}
