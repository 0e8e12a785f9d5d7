//! A database the original engine already migrated: both tables present, the new one with its
//! nullable `run_id`. wrkflw adopts it without duplicating or losing anything.

use wrkflw::{CaptureStatus, CopyPath, Error, LegacyTable, NullCount, Table};
use wrkflw_tests::{count, exists, ledger, rows, seed, table_info, DbFile, WorkflowRun};

fn migrated_by_original(rows: u64) -> DbFile {
    let db = DbFile::legacy(rows);
    let conn = db.open();
    conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
    conn.execute_batch(seed::ORIGINAL_COPY_SQL).unwrap();
    db
}

#[test]
fn nothing_is_copied_twice() {
    let db = migrated_by_original(1_000);
    let mut conn = db.open();
    let before = rows(&conn, "wrkflw_workflow_runs");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.legacy_found && !report.table_created);
    assert_eq!(report.rows_copied, 0);
    // No capture to rely on yet: the first run reconciles by key over the whole legacy
    // table, once, and installs the capture.
    assert_eq!(report.copy_path, Some(CopyPath::Reconcile));
    assert_eq!(report.capture, Some(CaptureStatus::Installed));
    assert_eq!(report.rows_differing, 0);
    assert_eq!(rows(&conn, "wrkflw_workflow_runs"), before);
    // The adopted table keeps its original definition (nullable run_id): that is not drift.
    assert!(!table_info(&conn, "wrkflw_workflow_runs")[0].2);
    assert_eq!(
        ledger(&conn, "wrkflw_workflow_runs").unwrap().rows_copied,
        0
    );
    // From then on the capture carries new legacy rows over as they are written.
    seed::insert_legacy_runs(&mut conn, 1_000, 2).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 1_002);
    let next = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((next.rows_copied, next.copy_path), (0, None));
    assert_eq!(next.capture, Some(CaptureStatus::Active));
}

#[test]
fn a_half_finished_original_copy_is_completed() {
    let db = DbFile::legacy(600);
    let mut conn = db.open();
    conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
    conn.execute_batch(&format!(
        "{} WHERE rowid <= 250",
        seed::ORIGINAL_COPY_SQL.trim().trim_end_matches(';')
    ))
    .unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 250);

    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((report.rows_copied, report.legacy_dropped), (350, true));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 600);
    assert!(!exists(&conn, "workflow_runs"));
}

#[test]
fn rows_the_app_changed_in_the_new_table_are_not_overwritten() {
    let db = migrated_by_original(50);
    let mut conn = db.open();
    conn.execute(
        "UPDATE wrkflw_workflow_runs SET status = 'archived' WHERE rowid = 1",
        [],
    )
    .unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    // Without history a reconcile cannot tell which side is newer: it keeps the table's
    // row and says how many legacy rows differ.
    assert_eq!(report.rows_differing, 1);
    assert!(
        report.to_string().contains(
            "1 row in workflow_runs has other values under the same key (kept the table's)"
        ),
        "{report}"
    );
    let status: String = conn
        .query_row(
            "SELECT status FROM wrkflw_workflow_runs WHERE rowid = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "archived");
}

#[test]
fn a_null_key_accepted_by_the_nullable_original_table_is_still_an_error() {
    // The original table would take a NULL run_id, and every re-run would add it again.
    let db = DbFile::legacy(10);
    let conn = db.open();
    conn.execute("UPDATE workflow_runs SET run_id = NULL WHERE rowid = 2", [])
        .unwrap();
    conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
    let bytes = {
        drop(conn);
        db.bytes()
    };
    let mut conn = db.open();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::RejectedRows { nulls, .. } if nulls == &[NullCount { column: "run_id".into(), rows: 1, sample_keys: vec!["NULL".into()] }]),
        "{error:?}"
    );
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 0);
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn a_null_key_an_old_deployment_writes_after_a_kept_migration_is_not_lost_on_drop() {
    // The original table takes a NULL run_id; an old deployment still writing it after the
    // first migration must not see that row vanish when the legacy table is dropped.
    let (db, conn) = wrkflw_tests::migrated_keeping_legacy(5);
    conn.execute(
        "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES (NULL, 'w', 'running')",
        [],
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    wrkflw_tests::assert_rejected(&error, "run_id", 1, &["NULL"]);
    drop(conn);
    assert_eq!(db.bytes(), bytes);
    let conn = db.open();
    assert_eq!(count(&conn, "workflow_runs"), 6);
}
