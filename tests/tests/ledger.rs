//! The ledger `wrkflw_migrations` and the watermark: re-runs copy only legacy rows added
//! since the last run, so deleted rows stay deleted and nothing is copied twice.

use wrkflw::{CopyPath, LegacyTable, Table};
use wrkflw_tests::{count, keys, ledger, seed, DbFile, WorkflowRun};

#[test]
fn the_first_run_records_rows_watermark_key_and_checksum() {
    let db = DbFile::legacy(300);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let (legacy, copied, watermark, key, checksum) =
        ledger(&conn, "wrkflw_workflow_runs").expect("a ledger row");
    assert_eq!((legacy.as_str(), copied), ("workflow_runs", 300));
    let last: (i64, String) = conn
        .query_row(
            "SELECT rowid, quote(run_id) FROM workflow_runs ORDER BY rowid DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((watermark, key), (Some(last.0), last.1));
    assert_eq!(checksum.len(), 16);
    assert!(
        checksum.chars().all(|c| c.is_ascii_hexdigit()),
        "{checksum}"
    );
    let when: i64 = conn
        .query_row("SELECT migrated_at FROM wrkflw_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(when > 1_700_000_000, "{when}");
}

#[test]
fn rows_deleted_from_the_new_table_stay_deleted_while_new_legacy_rows_arrive() {
    let db = DbFile::legacy(200);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let deleted = conn
        .execute(
            "DELETE FROM wrkflw_workflow_runs WHERE status = 'cancelled'",
            [],
        )
        .unwrap();
    assert!(deleted > 10, "the seed has cancelled runs to delete");

    // An old deployment keeps writing to the legacy table.
    seed::insert_legacy_runs(&mut conn, 200, 25).unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 25);
    assert_eq!(report.copy_path, Some(CopyPath::AboveWatermark));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 225 - deleted as i64);
    let resurrected: i64 = conn
        .query_row(
            "SELECT count(*) FROM wrkflw_workflow_runs WHERE status = 'cancelled' AND created_at < ?1",
            [seed::legacy_run(200).created_at],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(resurrected, 0, "no deleted row came back");
    assert_eq!(ledger(&conn, "wrkflw_workflow_runs").unwrap().1, 225);

    let again = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((again.rows_copied, again.copy_path), (0, None));
}

#[test]
fn a_rebuilt_legacy_table_with_new_rowids_loses_and_duplicates_nothing() {
    let db = DbFile::legacy(120);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    // Rebuild the legacy table with its rows in reverse order: every rowid changes, and the
    // watermark's row is now first.
    conn.execute_batch(&format!(
        "ALTER TABLE workflow_runs RENAME TO old_runs;
         DROP INDEX idx_workflow_runs_workflow_id; DROP INDEX idx_workflow_runs_status;
         {}
         INSERT INTO workflow_runs SELECT * FROM old_runs ORDER BY run_id DESC;
         DROP TABLE old_runs;",
        seed::LEGACY_SCHEMA_SQL
    ))
    .unwrap();
    seed::insert_legacy_runs(&mut conn, 120, 3).unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 3);
    assert_eq!(report.copy_path, Some(CopyPath::AboveWatermark));
    assert_eq!(
        keys(&conn, "wrkflw_workflow_runs"),
        keys(&conn, "workflow_runs")
    );
}

#[test]
fn a_deleted_watermark_row_falls_back_to_comparing_keys_without_loss() {
    let db = DbFile::legacy(50);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    // The old deployment deletes its newest row, then inserts more: SQLite may hand out the
    // deleted rowid again, below the recorded watermark.
    conn.execute(
        "DELETE FROM workflow_runs WHERE rowid = (SELECT max(rowid) FROM workflow_runs)",
        [],
    )
    .unwrap();
    seed::insert_legacy_runs(&mut conn, 50, 4).unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.copy_path, Some(CopyPath::KeyAntiJoin));
    assert_eq!(report.rows_copied, 4);
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 54);
    // The watermark is on a live row again: the next run is a look-up.
    seed::insert_legacy_runs(&mut conn, 54, 1).unwrap();
    let next = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(
        (next.rows_copied, next.copy_path),
        (1, Some(CopyPath::AboveWatermark))
    );
}

#[test]
fn a_without_rowid_legacy_table_is_compared_by_key_every_time() {
    let schema = seed::LEGACY_SCHEMA_SQL.replace(
        "updated_at INTEGER DEFAULT (unixepoch())\n)",
        "updated_at INTEGER DEFAULT (unixepoch())\n) WITHOUT ROWID",
    );
    let schema = schema.replace(
        "run_id TEXT PRIMARY KEY",
        "run_id TEXT NOT NULL PRIMARY KEY",
    );
    let db = DbFile::legacy_with_schema(&schema, 80);
    let mut conn = db.open();
    let first = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(first.rows_copied, 80);
    assert_eq!(ledger(&conn, "wrkflw_workflow_runs").unwrap().2, None);

    conn.execute("DELETE FROM wrkflw_workflow_runs WHERE rowid <= 5", [])
        .unwrap();
    seed::insert_legacy_runs(&mut conn, 80, 2).unwrap();
    let again = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(again.copy_path, Some(CopyPath::KeyAntiJoin));
    // Without a rowid there is no watermark: the deleted rows come back, as documented.
    assert_eq!(again.rows_copied, 7);
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 82);
}

#[test]
fn a_legacy_column_named_rowid_does_not_hide_the_real_rowid() {
    let schema = seed::LEGACY_SCHEMA_SQL.replace(
        "updated_at INTEGER DEFAULT (unixepoch())\n)",
        "updated_at INTEGER DEFAULT (unixepoch()),\n  rowid TEXT\n)",
    );
    let db = DbFile::legacy_with_schema(&schema, 30);
    let mut conn = db.open();
    conn.execute("UPDATE workflow_runs SET rowid = 'not a number'", [])
        .unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 30);
    assert_eq!(report.legacy_only_columns, ["rowid"]);
    seed::insert_legacy_runs(&mut conn, 30, 2).unwrap();
    let again = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(
        (again.rows_copied, again.copy_path),
        (2, Some(CopyPath::AboveWatermark))
    );
}
