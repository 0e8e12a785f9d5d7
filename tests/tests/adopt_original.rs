//! A database the original engine already migrated: both tables present, the new one with its
//! nullable `run_id`. wrkflw adopts it without duplicating or losing anything.

use wrkflw::{CopyPath, Error, LegacyTable, NullCount, Table};
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
    // No ledger yet: the first run compares keys over the whole legacy table, once.
    assert_eq!(report.copy_path, Some(CopyPath::KeyAntiJoin));
    assert_eq!(rows(&conn, "wrkflw_workflow_runs"), before);
    // The adopted table keeps its original definition (nullable run_id): that is not drift.
    assert!(!table_info(&conn, "wrkflw_workflow_runs")[0].2);
    // From then on the ledger's watermark applies.
    let watermark = ledger(&conn, "wrkflw_workflow_runs").unwrap().2;
    assert_eq!(watermark, Some(1_000));
    seed::insert_legacy_runs(&mut conn, 1_000, 2).unwrap();
    let next = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(
        (next.rows_copied, next.copy_path),
        (2, Some(CopyPath::AboveWatermark))
    );
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
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
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
        matches!(&error, Error::RejectedRows { nulls, .. } if nulls == &[NullCount { column: "run_id".into(), rows: 1 }]),
        "{error:?}"
    );
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 0);
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}
