//! `migrate` on files holding the original engine's legacy table.

use wrkflw::rusqlite::Connection;
use wrkflw::{row_counts, CaptureStatus, Error, LegacyTable, Table};
use wrkflw_tests::{
    count, exists, indexes, migrated_keeping_legacy, rows, seed, DbFile, WorkflowRun,
};

#[test]
fn copies_every_row_unchanged_and_keeps_the_legacy_table() {
    let db = DbFile::legacy(3_000);
    let mut conn = db.open();
    let before = rows(&conn, "workflow_runs");

    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.legacy_found && report.table_created && !report.legacy_dropped);
    assert_eq!(report.rows_copied, 3_000);
    assert_eq!(
        report.to_string(),
        "wrkflw_workflow_runs: created; copied 3000 rows from workflow_runs (bulk insert, indexes built after); \
         kept workflow_runs; change capture installed"
    );
    drop(conn);

    let conn = db.open();
    assert_eq!(rows(&conn, "wrkflw_workflow_runs"), before);
    assert_eq!(
        rows(&conn, "workflow_runs"),
        before,
        "legacy rows untouched"
    );
    assert_eq!(
        indexes(&conn, "workflow_runs").len(),
        2,
        "legacy indexes untouched"
    );
}

#[test]
fn rerun_inserts_nothing_twice_and_reports_only_new_rows() {
    let (_db, mut conn) = migrated_keeping_legacy(500);

    let again = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((again.rows_copied, again.table_created), (0, false));
    assert_eq!(again.copy_path, None, "nothing to copy: no copy ran");
    assert_eq!(again.capture, Some(CaptureStatus::Active));
    assert!(again
        .to_string()
        .contains("copied 0 rows from workflow_runs (none new)"));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 500);

    // An old deployment still writing to the legacy table: its rows arrive as it writes
    // them, and the next run has nothing to copy.
    seed::insert_legacy_runs(&mut conn, 500, 7).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 507);
    let third = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((third.rows_copied, third.copy_path), (0, None));
}

#[test]
fn drop_after_keep_removes_the_legacy_table_and_its_indexes_only() {
    let (db, mut conn) = migrated_keeping_legacy(200);
    let copied = rows(&conn, "wrkflw_workflow_runs");

    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_found && report.legacy_dropped);
    assert_eq!(report.rows_copied, 0);
    assert!(
        report
            .to_string()
            .ends_with("; dropped workflow_runs; change capture removed"),
        "{report}"
    );
    assert_eq!(report.capture, Some(CaptureStatus::Removed));
    drop(conn);

    let conn = db.open();
    assert!(!exists(&conn, "workflow_runs"));
    assert!(!exists(&conn, "idx_workflow_runs_status"));
    assert!(!exists(&conn, "idx_workflow_runs_workflow_id"));
    assert!(
        !exists(&conn, "wrkflw_workflow_runs_capture_insert"),
        "the capture goes with the legacy table"
    );
    assert_eq!(rows(&conn, "wrkflw_workflow_runs"), copied);
    assert_eq!(indexes(&conn, "wrkflw_workflow_runs").len(), 2);
    assert_eq!(row_counts::<WorkflowRun>(&conn).unwrap().legacy, None);
}

#[test]
fn drop_on_first_run_copies_then_drops() {
    let db = DbFile::legacy(300);
    let mut conn = db.open();
    let before = rows(&conn, "workflow_runs");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((report.rows_copied, report.legacy_dropped), (300, true));
    assert_eq!(rows(&conn, "wrkflw_workflow_runs"), before);
    assert!(!exists(&conn, "workflow_runs"));
}

#[test]
fn an_empty_legacy_table_is_dropped_when_asked() {
    let db = DbFile::legacy(0);
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_found && report.legacy_dropped);
    assert_eq!(report.rows_copied, 0);
    assert!(!exists(&conn, "workflow_runs"));
}

#[test]
fn a_legacy_name_in_other_case_is_found() {
    // SQLite names ignore ASCII case; so does the lookup.
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        &seed::LEGACY_SCHEMA_SQL
            .replace("TABLE IF NOT EXISTS workflow_runs", "TABLE Workflow_Runs"),
    )
    .unwrap();
    seed::insert_legacy_runs(&mut conn, 0, 3).unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((report.legacy_found, report.rows_copied), (true, 3));
}

#[test]
fn a_view_under_the_legacy_name_is_refused_and_nothing_changes() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE runs_archive (run_id TEXT); CREATE VIEW workflow_runs AS SELECT * FROM runs_archive;",
    )
    .unwrap();
    let bytes = db.bytes();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::NotATable { name, kind } if name == "workflow_runs" && kind == "view"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "`workflow_runs` is a view, not a table: wrkflw will not migrate or replace it; rename or drop the view first"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn works_in_wal_mode() {
    let db = DbFile::legacy(1_000);
    let mut conn = db.open();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(report.rows_copied, 1_000);
    drop(conn);
    let conn = Connection::open(db.path()).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 1_000);
    assert!(!exists(&conn, "workflow_runs"));
}
