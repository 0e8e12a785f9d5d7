//! The `wrkflw` binary at the edges of the README's "Command line" promises: a closed
//! stderr, Ctrl-C while waiting for the write lock, a busy timeout longer than SQLite takes,
//! `sqlite:` URLs with escapes or query parameters, `status` and `plan` on a WAL file with
//! frames to checkpoint (they write nothing), and `status` and `migrate --on-conflict` with
//! conflicts the change capture logged.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use wrkflw_tests::{exists, DbFile};

const BIN: &str = env!("CARGO_BIN_EXE_wrkflw-cli");

fn wrkflw() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("WRKFLW_DATABASE")
        .env_remove("DATABASE_URL")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    command
}

fn run(args: &[&str], db: &DbFile) -> Output {
    wrkflw()
        .args(args)
        .arg("--database")
        .arg(db.path())
        .output()
        .unwrap()
}

fn show(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A busy timeout longer than SQLite takes (`i32::MAX` ms) is a usage error (exit 1, one JSON
/// object), never a panic.
#[test]
fn a_long_busy_timeout_is_a_usage_error_or_works_never_a_panic() {
    for format in ["text", "json"] {
        let db = DbFile::legacy(10);
        let out = run(
            &["migrate", "--format", format, "--busy-timeout", "1000h"],
            &db,
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{format}: {}",
            show(&out)
        );
        if format == "json" {
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", show(&out)));
        }
    }
}

/// Progress on stderr is best effort: with stderr a closed pipe (a log reader that went
/// away), the migration completes (exit 0) and stdout holds the report.
#[test]
fn migrate_completes_when_stderr_is_a_closed_pipe() {
    for format in ["text", "json"] {
        let db = DbFile::legacy(10);
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = wrkflw()
            .args(["migrate", "--format", format, "--database"])
            .arg(db.path())
            .stdout(Stdio::piped())
            .stderr(writer)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", show(&out));
        assert!(
            exists(&db.open(), "wrkflw_workflow_runs"),
            "{format}: not migrated"
        );
    }
}

/// The same with Ctrl-C, as in `wrkflw migrate 2>&1 | tee log`: the shell interrupts the whole
/// pipeline, `tee` is gone, and the command still rolls back and exits 130.
#[test]
fn ctrl_c_with_stderr_a_closed_pipe_still_exits_130() {
    let db = DbFile::legacy(300_000);
    let before = db.bytes();
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut child = wrkflw()
        .args(["migrate", "--database"])
        .arg(db.path())
        .stdout(Stdio::piped())
        .stderr(writer)
        .spawn()
        .unwrap();
    // Wait for the copy to start, then close stderr's reader and interrupt, as a shell
    // does to `wrkflw migrate 2>&1 | tee log` on Ctrl-C.
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("copy (") {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "no copy started: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    drop(reader);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(db.bytes() == before, "the interrupted run changed the file");
}

/// Ctrl-C while `migrate` waits for another connection's write lock (nothing written yet)
/// ends it with 130 at once, not after the busy timeout.
#[test]
fn ctrl_c_while_waiting_for_the_write_lock_exits_130_at_once() {
    let db = DbFile::legacy(10);
    let holder = db.open();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut child = wrkflw()
        .args(["migrate", "--busy-timeout", "8s", "--database"])
        .arg(db.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let interrupted = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    let took = interrupted.elapsed();
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        (status.code(), took < Duration::from_secs(3)),
        (Some(130), true),
        "exit and whether it stopped within 3 s of Ctrl-C (took {took:?})"
    );
}

/// `sqlite:runs.db?mode=ro` asks for read-only: the command line, which would not honour the
/// query, refuses the URL (`database_url`, exit 1) and writes nothing.
#[test]
fn a_read_only_sqlite_url_is_not_written() {
    let db = DbFile::legacy(10);
    let before = db.bytes();
    let url = format!("sqlite:{}?mode=ro", db.path().display());
    let out = wrkflw()
        .args(["migrate", "--database", &url])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", show(&out));
    assert!(db.bytes() == before, "migrate wrote through a mode=ro URL");
}

/// A `sqlite:` URL's path is percent-decoded, as sqlx (whose `DATABASE_URL` convention this
/// follows) decodes it: `sqlite:///srv/my%20runs.db` names `/srv/my runs.db`.
#[test]
fn a_percent_encoded_sqlite_url_names_the_decoded_path() {
    let db = DbFile::legacy(10);
    let dir = db.path().parent().unwrap();
    let spaced = dir.join("my runs.db");
    std::fs::copy(db.path(), &spaced).unwrap();
    let url = format!("sqlite://{}/my%20runs.db", dir.display());
    let out = wrkflw()
        .args(["status", "--database", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

/// `status` and `plan` write nothing, also on a WAL database left with committed frames in
/// its `-wal` (the application was killed): as the last connection they do not checkpoint on
/// close, so the file's bytes and mtime and the `-wal` stay as they were.
#[test]
fn status_and_plan_do_not_checkpoint_a_wal_database() {
    for command in ["status", "plan"] {
        let db = DbFile::legacy(10);
        let wal = db.path().with_extension("sqlite3-wal");
        let snapshot = DbFile::new();
        {
            let conn = db.open();
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('late', 'w', 'done');",
            )
            .unwrap();
            // The files as a killed application leaves them: committed frames in the -wal.
            std::fs::copy(db.path(), snapshot.path()).unwrap();
            std::fs::copy(&wal, snapshot.path().with_extension("sqlite3-wal")).unwrap();
        }
        let before = snapshot.bytes();
        let modified = |p: &std::path::Path| -> SystemTime {
            std::fs::metadata(p).unwrap().modified().unwrap()
        };
        let mtime = modified(snapshot.path());
        std::thread::sleep(Duration::from_millis(1100));
        let out = run(&[command], &snapshot);
        assert_eq!(out.status.code(), Some(0), "{command}: {}", show(&out));
        assert!(
            snapshot.bytes() == before && modified(snapshot.path()) == mtime,
            "`{command}` rewrote the database file (checkpoint on close)"
        );
        assert!(
            snapshot.path().with_extension("sqlite3-wal").exists(),
            "`{command}` removed the -wal file"
        );
    }
}

/// A file migrated with the legacy table kept, where the application and an old deployment
/// then wrote one key: the change capture logs the conflict (`'new1'`, the table's row has
/// workflow `w`, the legacy row `w2`).
fn migrated_with_a_conflict() -> DbFile {
    let db = DbFile::legacy(10);
    assert_eq!(run(&["migrate"], &db).status.code(), Some(0));
    db.open()
        .execute_batch(
            "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('new1', 'w', 'a');
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('new1', 'w2', 'b');",
        )
        .unwrap();
    db
}

/// `status` is where an operator looks when something needs attention, and `status --check`
/// is the deploy check: a logged conflict is shown with its keys, as something the next
/// migration has to settle, and `--check` exits 2.
#[test]
fn status_reports_logged_conflicts_instead_of_failing() {
    let db = migrated_with_a_conflict();
    let status = run(&["status"], &db);
    assert_eq!(status.status.code(), Some(0), "{}", show(&status));
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("conflicts:      1 logged (keys 'new1')"),
        "{}",
        show(&status)
    );
    let check = run(&["status", "--check", "--format", "json"], &db);
    assert_eq!(check.status.code(), Some(2), "{}", show(&check));
    let json: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(json["tables"][0]["conflicts"]["count"], 1);
    assert_eq!(json["tables"][0]["conflicts"]["sample_keys"][0], "'new1'");
}

/// A conflict the capture logged fails `migrate` (exit 1, with the flag in the hint) until
/// `--on-conflict` chooses which row stays; then the table holds that row.
#[test]
fn on_conflict_settles_logged_conflicts_from_the_command_line() {
    for (policy, kept) in [("keep-table", "w"), ("take-legacy", "w2")] {
        let db = migrated_with_a_conflict();
        let refused = run(&["migrate"], &db);
        assert_eq!(refused.status.code(), Some(1), "{}", show(&refused));
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("--on-conflict keep-table"),
            "{}",
            show(&refused)
        );
        let settled = run(&["migrate", "--on-conflict", policy], &db);
        assert_eq!(settled.status.code(), Some(0), "{}", show(&settled));
        let workflow: String = db
            .open()
            .query_row(
                "SELECT workflow_id FROM wrkflw_workflow_runs WHERE run_id = 'new1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(workflow, kept, "{policy}");
        let check = run(&["status", "--check"], &db);
        assert_eq!(check.status.code(), Some(0), "{}", show(&check));
    }
}
