//! How the first copy runs (transfer optimization or bulk insert, indexes after) and the
//! check that every row this run was to copy arrived.

use wrkflw::{CopyPath, Error, LegacyTable, Table};
use wrkflw_tests::{count, exists, indexes, rows, seed, DbFile, WorkflowRun};

fn key_not_null_schema() -> String {
    seed::LEGACY_SCHEMA_SQL.replace(
        "run_id TEXT PRIMARY KEY",
        "run_id TEXT NOT NULL PRIMARY KEY",
    )
}

#[test]
fn a_compatible_legacy_table_is_copied_by_the_transfer_optimization() {
    let db = DbFile::legacy_with_schema(&key_not_null_schema(), 400);
    let mut conn = db.open();
    let before = rows(&conn, "workflow_runs");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.copy_path, Some(CopyPath::Transfer));
    assert_eq!(report.rows_copied, 400);
    assert!(
        report.to_string().contains("(transfer optimization)"),
        "{report}"
    );
    assert_eq!(rows(&conn, "wrkflw_workflow_runs"), before);
    assert_eq!(indexes(&conn, "wrkflw_workflow_runs").len(), 2);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn the_seed_table_with_its_nullable_key_is_copied_by_a_bulk_insert() {
    // SQLite's transfer needs every NOT NULL column of the new table to be NOT NULL in the
    // legacy table too; the original declared its key without NOT NULL.
    let db = DbFile::legacy(150);
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.copy_path, Some(CopyPath::BulkInsert));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 150);
    assert_eq!(indexes(&conn, "wrkflw_workflow_runs").len(), 2);
}

#[test]
fn legacy_columns_in_another_order_are_copied_by_name_not_position() {
    // Same columns and types, declared in another order: `SELECT *` would put values in the
    // wrong columns, so the transfer must not be used.
    let schema = "CREATE TABLE workflow_runs (
      workflow_id TEXT NOT NULL, run_id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL,
      execution_path TEXT, step_results TEXT, state TEXT, input_data TEXT, result TEXT,
      error TEXT, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch())
    );";
    let db = DbFile::legacy_with_schema(schema, 60);
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.copy_path, Some(CopyPath::BulkInsert));
    let mismatched: i64 = conn
        .query_row(
            "SELECT count(*) FROM workflow_runs AS l JOIN wrkflw_workflow_runs AS n USING (run_id)
             WHERE n.workflow_id IS NOT l.workflow_id OR n.status IS NOT l.status",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatched, 0);
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 60);
}

/// A trigger that silently removes some copied rows stands in for anything that could make
/// a copy fall short; the check must catch it and roll everything back.
const VANISHING_TRIGGER: &str = "CREATE TRIGGER vanish AFTER INSERT ON wrkflw_workflow_runs
    WHEN NEW.status = 'failed'
    BEGIN DELETE FROM wrkflw_workflow_runs WHERE run_id = NEW.run_id; END;";

#[test]
fn rows_missing_after_the_copy_fail_with_their_count_and_keys_and_roll_back() {
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        // The original library copied 40 runs; an old deployment wrote 30 more since. The
        // first run reconciles by key and must copy them.
        let db = DbFile::legacy(40);
        let mut conn = db.open();
        conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
        conn.execute_batch(seed::ORIGINAL_COPY_SQL).unwrap();
        conn.execute_batch(VANISHING_TRIGGER).unwrap();
        seed::insert_legacy_runs(&mut conn, 40, 30).unwrap();
        let failed: i64 = conn
            .query_row(
                "SELECT count(*) FROM workflow_runs WHERE rowid > 40 AND status = 'failed'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(failed > 0, "the new rows include failed runs");
        drop(conn);
        let bytes = db.bytes();

        let mut conn = db.open();
        let error = WorkflowRun::migrate(&mut conn, legacy).unwrap_err();
        match &error {
            Error::MissingRows {
                table,
                legacy_table,
                missing,
                sample_keys,
            } => {
                assert_eq!(
                    (table.as_str(), legacy_table.as_str()),
                    ("wrkflw_workflow_runs", "workflow_runs")
                );
                assert_eq!(*missing, failed as u64);
                assert_eq!(sample_keys.len(), (failed as usize).min(5));
                assert!(
                    sample_keys.iter().all(|k| k.starts_with("'run-")),
                    "{sample_keys:?}"
                );
            }
            other => panic!("expected MissingRows, got {other:?}"),
        }
        assert!(error.to_string().contains("nothing was changed"), "{error}");
        drop(conn);
        assert_eq!(db.bytes(), bytes, "{legacy:?}: the file is unchanged");
        assert!(
            exists(&db.open(), "workflow_runs"),
            "the legacy table is never dropped unverified"
        );
    }
}
