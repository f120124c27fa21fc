//! The primary side under simulation, through the library: three `test_vfio_edu`
//! secondaries each get a disjoint window and the simulation choice, allocate inside their
//! window, and pass; exit statuses and signals are reported per secondary.

use std::ffi::OsString;
use std::path::PathBuf;

use vfio_access::messages::{CollectedMessages, MessageKind};
use vfio_access::multiprocess::{self, PrimaryOptions, Secondary, SecondaryExit, WindowMode};
use vfio_access::{Messages, OpenOptions, Session, SimSelection};
use vfio_tools::edu;

fn sh(script: &str) -> Secondary {
    Secondary {
        name: "sh".into(),
        path: PathBuf::from("/bin/sh"),
        args: vec!["-c".into(), script.into()],
    }
}

fn iovas(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.split_once("DMA buffers at IOVA 0x"))
        .flat_map(|(_, rest)| {
            let a = rest.split_whitespace().next().unwrap_or("");
            let b = rest
                .split_once("and 0x")
                .map(|(_, r)| r.split_whitespace().next().unwrap_or(""))
                .unwrap_or("");
            [a, b]
        })
        .map(|h| u64::from_str_radix(h, 16).unwrap())
        .collect()
}

#[test]
fn simulated_primary_runs_three_edu_secondaries_in_their_windows() {
    let edu_bin = env!("CARGO_BIN_EXE_test_vfio_edu");
    let out = tempfile::tempdir().unwrap();
    let selection = SimSelection::Default;
    let messages = CollectedMessages::new();
    let session = Session::open_sim(
        edu::sim_boards(&selection),
        &OpenOptions::default(),
        &[edu::FILTER],
    )
    .unwrap();
    let mut secondaries: Vec<Secondary> = (0..3)
        .map(|i| {
            sh(&format!(
                "exec {edu_bin} -d 0000:00:0{}.0 --iterations 4 >{}/s{i}.txt 2>&1",
                3 + i,
                out.path().display()
            ))
        })
        .collect();
    secondaries.push(sh("exit 3"));
    secondaries.push(sh("kill -TERM $$"));
    secondaries.push(Secondary {
        name: "missing".into(),
        path: PathBuf::from("/nonexistent/missing"),
        args: Vec::<OsString>::new(),
    });
    let reports = multiprocess::run(
        &session,
        &secondaries,
        &PrimaryOptions {
            windows: WindowMode::EqualShares,
            show_fds: false,
            simulation: Some(selection),
            messages: Messages::from(std::sync::Arc::clone(&messages)),
            ..PrimaryOptions::default()
        },
    )
    .unwrap();
    assert_eq!(reports.len(), 6);
    // Windows: disjoint, below the edu's 28-bit limit.
    let windows: Vec<_> = reports.iter().map(|r| r.window.unwrap()).collect();
    for (i, w) in windows.iter().enumerate() {
        assert!(w.end < 1 << 28, "{w:?}");
        for o in &windows[i + 1..] {
            assert!(w.intersect(o).is_none());
        }
    }
    for (i, r) in reports.iter().take(3).enumerate() {
        let text = std::fs::read_to_string(out.path().join(format!("s{i}.txt"))).unwrap();
        assert!(r.succeeded(), "secondary {i}: {:?}\n{text}", r.exit);
        assert!(
            text.contains("4 DMA round trips of 2048 bytes verified"),
            "{text}"
        );
        let used = iovas(&text);
        assert_eq!(used.len(), 2, "{text}");
        for iova in used {
            assert!(
                windows[i].start <= iova && iova <= windows[i].end,
                "secondary {i} used IOVA 0x{iova:x} outside {:?}",
                windows[i]
            );
        }
    }
    assert_eq!(reports[3].exit, SecondaryExit::Exited(3));
    assert_eq!(reports[4].exit, SecondaryExit::Signalled(15));
    assert!(
        matches!(&reports[5].exit, SecondaryExit::NotStarted(m) if m.contains("execv (/nonexistent/missing) failed : No such file or directory")),
        "{:?}",
        reports[5].exit
    );
    assert_eq!(
        multiprocess::summary_line(&reports),
        "3 out of 6 child processes had non-successful exit"
    );
    // The run reported to the sink it was given, nothing went to this process's stdout.
    let received = messages.received();
    let has = |kind: MessageKind, text: &str| received.iter().any(|(k, t)| *k == kind && t == text);
    assert!(
        has(MessageKind::Warning, "Secondary sh exited with status 3"),
        "{received:?}"
    );
    assert!(
        has(MessageKind::Warning, "Secondary sh killed with signal 15"),
        "{received:?}"
    );
    assert!(
        has(
            MessageKind::Error,
            "execv (/nonexistent/missing) failed : No such file or directory"
        ),
        "{received:?}"
    );
    assert_eq!(
        received.last().map(|(_, t)| t.as_str()),
        Some("3 out of 6 child processes had non-successful exit")
    );
    let started = received
        .iter()
        .filter(|(k, t)| *k == MessageKind::Progress && t.starts_with("Started secondary "))
        .count();
    assert_eq!(started, 5, "{received:?}");
}
