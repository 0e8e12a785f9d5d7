//! The `wrkflw` binary as an operator sees it: under a pseudo-terminal `migrate` draws a
//! progress bar on stderr and prints the report on stdout; piped, it writes plain progress
//! lines on stderr and leaves stdout to the results; Ctrl-C during the copy rolls the
//! migration back, leaves the file byte for byte as it was and exits 130.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::pty::openpty;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use wrkflw_tests::DbFile;

const BIN: &str = env!("CARGO_BIN_EXE_wrkflw-cli");

#[test]
fn migrate_draws_a_progress_bar_on_a_terminal_and_prints_the_report() {
    let db = DbFile::legacy(200_000);
    let pty = openpty(None, None).expect("a pseudo-terminal");
    let stderr = std::fs::File::from(pty.slave);
    let mut child = Command::new(BIN)
        .args(["migrate", "--database"])
        .arg(db.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .env("COLUMNS", "120")
        .spawn()
        .unwrap();
    // What the terminal shows, read until the child closes it (EIO on Linux).
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let terminal = reader.join().unwrap();
    assert!(status.success(), "{status}\n{terminal}");
    assert!(terminal.contains("rows, "), "no bar drawn:\n{terminal}");
    assert!(terminal.contains("ETA"), "no bar drawn:\n{terminal}");
    assert!(
        terminal.contains('\r') || terminal.contains("\x1b["),
        "nothing redrawn:\n{terminal}"
    );
    assert!(
        stdout.contains("wrkflw_workflow_runs"),
        "no report:\n{stdout}"
    );
    assert!(stdout.contains("200000"), "no report:\n{stdout}");
}

#[test]
fn ctrl_c_during_the_copy_rolls_back_and_exits_130() {
    let db = DbFile::legacy(600_000);
    let before = db.bytes();
    let mut child = Command::new(BIN)
        .args(["migrate", "--database"])
        .arg(db.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stderr is drained to the end on a thread of its own: a closed pipe would end the
    // child with EPIPE instead of the interrupt.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut lines = Vec::new();
    loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no copy started: {lines:?}"));
        let copying = line.contains("copy (");
        lines.push(line);
        if copying {
            kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{lines:?}");
    assert_eq!(db.bytes(), before);
}

#[test]
fn migrate_writes_plain_progress_lines_when_stderr_is_not_a_terminal() {
    let db = DbFile::legacy(1_000);
    let output = Command::new(BIN)
        .args(["migrate", "--format", "json", "--database"])
        .arg(db.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.contains(&"wrkflw_workflow_runs: create"), "{stderr}");
    assert!(
        lines.contains(&"wrkflw_workflow_runs: copy (1000 rows)"),
        "{stderr}"
    );
    assert!(
        lines.contains(&"wrkflw_workflow_runs: copy: 1000 rows"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r') && !stderr.contains("\x1b["),
        "{stderr}"
    );
    // The results stay alone on stdout: one JSON object.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["command"], "migrate");
}
