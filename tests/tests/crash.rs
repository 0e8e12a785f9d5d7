//! A migration killed with SIGKILL at any moment leaves a sound database: the legacy table
//! intact, the new table absent (as before) or complete, and the next `migrate` finishes.
//! Proved by killing a child process at many points of a 100,000-row migration, in
//! rollback-journal and WAL mode, during a reconcile, and while old deployments in other
//! processes write the legacy table; and a rebuild of the table, killed at many points, leaves
//! the table as it was or rebuilt, never in between.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wrkflw::rusqlite::Connection;
use wrkflw::{CaptureStatus, LegacyTable, Table};
use wrkflw_tests::{
    capture_triggers, count, exists, integrity, mirror_differences, runs_to_rebuild, schema,
    table_info, DbFile, LooseRun, WorkflowRun,
};

const ROWS: u64 = 100_000;
/// Kill points spread over SQLite's work (progress callbacks), then over wall time so that
/// the commit itself, which runs no SQLite instructions, is hit too.
const PROGRESS_POINTS: u64 = 6;
const TIME_FRACTIONS: [f64; 4] = [0.6, 0.85, 0.95, 1.0];

/// What the legacy table holds, compactly: row count and sums over two columns.
fn fingerprint(conn: &Connection, table: &str) -> (i64, i64, i64) {
    conn.query_row(
        &format!("SELECT count(*), sum(created_at), total(length(input_data)) FROM \"{table}\""),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, f64>(2)? as i64)),
    )
    .unwrap()
}

fn child(db: &DbFile, pause_after: Option<u64>) -> Child {
    spawn(&[], db, pause_after)
}

/// `migrate-child [mode...] <db> [pause-after n]`.
fn spawn(mode: &[&str], db: &DbFile, pause_after: Option<u64>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate-child"));
    command.args(mode).arg(db.path());
    if let Some(n) = pause_after {
        command.args(["pause-after", &n.to_string()]);
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start migrate-child")
}

/// Starts a child that pauses inside SQLite after `point` progress callbacks, kills it with
/// SIGKILL there, and says whether it had paused (rather than finished first).
fn kill_when_paused(db: &DbFile, point: u64) -> bool {
    kill_paused(spawn(&[], db, Some(point)))
}

fn kill_paused(mut running: Child) -> bool {
    let mut line = String::new();
    BufReader::new(running.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    running.kill().unwrap(); // SIGKILL on Unix
    running.wait().unwrap();
    line.trim() == "paused"
}

/// After a kill: the file is sound, the legacy table untouched, the new table absent or
/// complete; then a normal migration completes the job.
fn check_recovers(db: &DbFile, legacy: (i64, i64, i64), point: &str) {
    let mut conn = db.open();
    assert_eq!(integrity(&conn), "ok", "{point}");
    assert_eq!(
        fingerprint(&conn, "workflow_runs"),
        legacy,
        "{point}: legacy intact"
    );
    if exists(&conn, "wrkflw_workflow_runs") {
        assert_eq!(
            fingerprint(&conn, "wrkflw_workflow_runs"),
            legacy,
            "{point}: the new table is complete or absent"
        );
    }
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(
        report.rows_copied == 0 || report.rows_copied == ROWS,
        "{point}: {report}"
    );
    assert_eq!(
        fingerprint(&conn, "wrkflw_workflow_runs"),
        legacy,
        "{point}"
    );
    assert_eq!(count(&conn, "wrkflw_migrations"), 1, "{point}");
}

fn kill_at_many_points(wal: bool) {
    let template = DbFile::legacy(ROWS);
    if wal {
        let conn = template.open();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let legacy = fingerprint(&template.open(), "workflow_runs");

    // One undisturbed run measures the work: progress callbacks and wall time.
    let db = template.copy();
    let started = Instant::now();
    let output = child(&db, None).wait_with_output().unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let callbacks: u64 = stdout.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(callbacks > PROGRESS_POINTS * 10, "{stdout}");

    let mut killed_mid_statement = 0;
    for i in 1..=PROGRESS_POINTS {
        let point = callbacks * i / (PROGRESS_POINTS + 1);
        let db = template.copy();
        if kill_when_paused(&db, point) {
            killed_mid_statement += 1;
        }
        check_recovers(
            &db,
            legacy,
            &format!("wal={wal}, callback {point} of {callbacks}"),
        );
    }
    assert_eq!(
        killed_mid_statement, PROGRESS_POINTS,
        "every progress point was reached"
    );

    for fraction in TIME_FRACTIONS {
        let db = template.copy();
        let mut running = child(&db, None);
        std::thread::sleep(Duration::from_secs_f64(took.as_secs_f64() * fraction));
        let _ = running.kill();
        running.wait().unwrap();
        check_recovers(&db, legacy, &format!("wal={wal}, {fraction} of {took:?}"));
    }
}

#[test]
fn sigkill_at_any_point_in_rollback_journal_mode() {
    kill_at_many_points(false);
}

#[test]
fn sigkill_at_any_point_in_wal_mode() {
    kill_at_many_points(true);
}

#[test]
fn sigkill_during_a_reconcile_after_the_capture_was_removed() {
    // The table is migrated; its capture is then dropped by hand and an old deployment adds
    // 20,000 rows nobody captures. The next run reconciles by key, and is killed part-way.
    const NEW_ROWS: u64 = 20_000;
    let template = DbFile::legacy(ROWS);
    let mut conn = template.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    for trigger in capture_triggers(&conn) {
        conn.execute_batch(&format!("DROP TRIGGER {trigger}"))
            .unwrap();
    }
    wrkflw_tests::seed::insert_legacy_runs(&mut conn, ROWS, NEW_ROWS).unwrap();
    let legacy = fingerprint(&conn, "workflow_runs");
    drop(conn);

    let output = child(&template.copy(), None).wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("copied {NEW_ROWS} ")),
        "{stdout}"
    );
    let callbacks: u64 = stdout.split_whitespace().nth(3).unwrap().parse().unwrap();

    for i in 1..=4 {
        let point = callbacks * i / 5;
        let db = template.copy();
        assert!(
            kill_when_paused(&db, point),
            "callback {point} of {callbacks}"
        );

        let mut conn = db.open();
        assert_eq!(integrity(&conn), "ok");
        assert_eq!(fingerprint(&conn, "workflow_runs"), legacy);
        assert_eq!(
            count(&conn, "wrkflw_workflow_runs"),
            ROWS as i64,
            "callback {point}: the table is as before the killed run"
        );
        assert!(capture_triggers(&conn).is_empty(), "callback {point}");
        let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        assert_eq!(report.rows_copied, NEW_ROWS);
        assert_eq!(report.capture, Some(CaptureStatus::Restored));
        assert_eq!(fingerprint(&conn, "wrkflw_workflow_runs"), legacy);
    }
}

/// Starts an old deployment writing `ops` times to the legacy table in another process.
fn writer(db: &DbFile, seed: u64, ops: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_migrate-child"))
        .arg("write")
        .arg(db.path())
        .args([seed.to_string(), ops.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the writer")
}

fn finish(writer: Child) {
    let output = writer.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the old deployment's writes all succeed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn sigkill_while_old_deployments_write_the_legacy_table() {
    // Two old deployments write the legacy table (inserts, upserts of both kinds, updates,
    // deletes) while a first migration is killed part-way; the next migration runs while
    // they still write. With no application writing the new table, it must end up exactly
    // the legacy table: every write before the copy copied, every write after it captured.
    const LEGACY_ROWS: u64 = 30_000;
    let template = DbFile::legacy(LEGACY_ROWS);
    let output = child(&template.copy(), None).wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let callbacks: u64 = stdout.split_whitespace().nth(3).unwrap().parse().unwrap();

    for (i, wal) in [(1, false), (2, true), (3, false)] {
        let db = template.copy();
        if wal {
            db.open()
                .execute_batch("PRAGMA journal_mode = WAL")
                .unwrap();
        }
        let writers = [writer(&db, 2 * i, 300), writer(&db, 2 * i + 1, 300)];
        let point = callbacks * i / 4;
        assert!(kill_when_paused(&db, point), "callback {point}");
        let mut conn = db.open();
        assert_eq!(integrity(&conn), "ok");
        let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        assert!(
            report.table_created,
            "the killed run left no table: {report}"
        );
        for w in writers {
            finish(w);
        }
        // And a writer killed mid-write leaves both tables as one.
        let mut late = writer(&db, 100 + i, 100_000);
        std::thread::sleep(Duration::from_millis(300));
        late.kill().unwrap();
        late.wait().unwrap();
        let conn = db.open();
        assert_eq!(integrity(&conn), "ok");
        assert_eq!(
            mirror_differences(&conn),
            (0, 0),
            "wal={wal}, killed at callback {point}: the new table mirrors the legacy table"
        );
        // The writers did write every kind of change, and it arrived.
        let changed = |filter: &str| -> i64 {
            conn.query_row(
                &format!("SELECT count(*) FROM wrkflw_workflow_runs WHERE {filter}"),
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert!(changed("workflow_id = 'replaced'") > 0);
        assert!(changed("result = 'upserted'") > 0);
        assert!(changed("updated_at >= 1800000000 AND workflow_id <> 'replaced'") > 0);
        assert_ne!(count(&conn, "wrkflw_workflow_runs"), LEGACY_ROWS as i64);
        let report = WorkflowRun::migrate(&mut db.open(), LegacyTable::Drop).unwrap();
        assert_eq!((report.rows_copied, report.legacy_dropped), (0, true));
    }
}

/// The schema without the rebuilt table's own `CREATE TABLE` and the ledger, which the
/// rebuild rewrites: every index, trigger, view and other table.
fn around_the_table(conn: &Connection) -> Vec<(String, String, Option<String>)> {
    schema(conn)
        .into_iter()
        .filter(|(_, name, _)| {
            name != "wrkflw_workflow_runs" && !name.contains("wrkflw_migrations")
        })
        .collect()
}

#[test]
fn sigkill_at_any_point_of_a_rebuild() {
    // 100,000 runs with two indexes of the struct, one of the user's, a trigger, a view and
    // a referencing table (foreign keys on, as rusqlite's SQLite has them): the table is
    // rebuilt by a child process that is killed part-way, in both journal modes.
    for wal in [false, true] {
        let template = runs_to_rebuild(ROWS);
        if wal {
            template
                .open()
                .execute_batch("PRAGMA journal_mode = WAL")
                .unwrap();
        }
        let conn = template.open();
        let table = fingerprint(&conn, "wrkflw_workflow_runs");
        let around = around_the_table(&conn);
        let notes = count(&conn, "run_notes");
        drop(conn);

        let output = spawn(&["rebuild"], &template.copy(), None)
            .wait_with_output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.starts_with("copied 0 "), "{stdout}");
        let callbacks: u64 = stdout.split_whitespace().nth(3).unwrap().parse().unwrap();
        assert!(callbacks > PROGRESS_POINTS * 10, "{stdout}");

        for i in 1..=PROGRESS_POINTS {
            let point = callbacks * i / (PROGRESS_POINTS + 1);
            let db = template.copy();
            assert!(
                kill_paused(spawn(&["rebuild"], &db, Some(point))),
                "wal={wal}, callback {point} of {callbacks}"
            );
            let mut conn = db.open();
            let at = format!("wal={wal}, killed at callback {point} of {callbacks}");
            assert_eq!(integrity(&conn), "ok", "{at}");
            assert!(
                table_info(&conn, "wrkflw_workflow_runs")[2].2,
                "{at}: status is NOT NULL as before the killed run"
            );
            assert!(
                !exists(&conn, "wrkflw_workflow_runs__wrkflw_rebuild"),
                "{at}"
            );
            assert_eq!(fingerprint(&conn, "wrkflw_workflow_runs"), table, "{at}");
            assert_eq!(around_the_table(&conn), around, "{at}");
            assert_eq!(count(&conn, "run_notes"), notes, "{at}");

            let report = LooseRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
            assert!(report.rebuilt, "{at}: {report}");
            assert!(!table_info(&conn, "wrkflw_workflow_runs")[2].2, "{at}");
            assert_eq!(fingerprint(&conn, "wrkflw_workflow_runs"), table, "{at}");
            assert_eq!(around_the_table(&conn), around, "{at}");
            assert_eq!(count(&conn, "run_notes"), notes, "{at}");
            let on: bool = conn
                .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap();
            assert!(on, "{at}");
        }
    }
}
