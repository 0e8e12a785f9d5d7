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

/// `--busy-timeout` accepts any number of hours, but rusqlite panics ("too big") on a
/// timeout past `i32::MAX` ms: `migrate --busy-timeout 1000h` exits 101 with a panic and, in
/// JSON, prints nothing on stdout. Expected: exit 0 (saturate the wait) or a usage error
/// (exit 1, one JSON object).
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

/// Progress lines go to stderr with `eprintln!`, which panics when stderr cannot be written
/// (a reader that went away: `wrkflw migrate 2>&1 | tee log` after Ctrl-C kills `tee`, a
/// log pipe that closed, a full disk). The migration is abandoned with exit 101 and, in
/// JSON, no object on stdout. Expected: progress is best effort; the migration completes
/// (exit 0) and stdout holds the report.
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

/// The same with Ctrl-C, the case the README names: the interrupt lands while stderr is a
/// closed pipe (the shell sent SIGINT to the whole pipeline and `tee` is gone). Expected:
/// 130, as documented, not a panic's 101.
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

/// "Ctrl-C cancels": but the flag Ctrl-C sets is read only by the progress callback, which
/// SQLite does not call while it waits for another connection's write lock. Ctrl-C while
/// `migrate` waits is ignored for the whole busy timeout (30 s by default), after which the
/// command exits 3 (busy), not 130. Expected: 130 within a moment of the signal.
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

/// `sqlite:runs.db?mode=ro` is the read-only URL of sqlx and of SQLite's own URI syntax; the
/// command line drops the query and opens the file read-write, so `migrate` writes to a
/// database its URL says to open read-only. Expected: the query honoured (`mode=ro` →
/// opened read-only, migrate refused with exit 1) or refused as a `database_url` error.
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

/// A `sqlite:` URL is a URL: sqlx (whose `DATABASE_URL` convention this follows)
/// percent-decodes its path, so `sqlite:///srv/my%20runs.db` names `/srv/my runs.db`. The
/// command line looks for a file literally named `my%20runs.db`. Expected: found.
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

/// "`status` ... writes nothing": on a WAL database left with committed frames in its
/// `-wal` (the application was killed, or stopped with `wal_autocheckpoint` off), `status`
/// is the last connection to close and SQLite checkpoints on close: the database file's
/// bytes and mtime change and the `-wal` is deleted. Expected: the file untouched (e.g.
/// `SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`, or opening `status`/`plan` read-only).
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

/// `status` is where an operator looks when something needs attention, and `status --check`
/// is the deploy check ("exits with 2 when the next migration has anything to do"). Once the
/// change capture has logged a conflict, both fail outright (exit 1) with a message that
/// starts "migrating ... nothing was changed", and show no table at all. Expected: the
/// status is shown (the conflicts are something the next migration has to do) and
/// `--check` exits 2.
#[test]
fn status_reports_logged_conflicts_instead_of_failing() {
    let db = DbFile::legacy(10);
    assert_eq!(run(&["migrate"], &db).status.code(), Some(0));
    db.open()
        .execute_batch(
            "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('new1', 'w', 'a');
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('new1', 'w2', 'b');",
        )
        .unwrap();
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
        let db = DbFile::legacy(10);
        assert_eq!(run(&["migrate"], &db).status.code(), Some(0));
        db.open()
            .execute_batch(
                "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('new1', 'w', 'a');
                 INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('new1', 'w2', 'b');",
            )
            .unwrap();
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
