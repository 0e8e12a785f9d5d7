//! Foreign keys that still point at the legacy table, and index names taken by another table.

use wrkflw::{Error, LegacyTable, Table};
use wrkflw_tests::{count, exists, DbFile, WorkflowRun};

#[test]
fn a_legacy_table_referenced_by_foreign_keys_is_not_dropped() {
    let db = DbFile::legacy(20);
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE step_logs (id INTEGER PRIMARY KEY, run_id TEXT REFERENCES workflow_runs (run_id) ON DELETE CASCADE);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, run TEXT REFERENCES workflow_runs);
         INSERT INTO step_logs (run_id) SELECT run_id FROM workflow_runs;",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();

    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::ReferencedByForeignKeys {
            legacy_table,
            tables,
        } => {
            assert_eq!(legacy_table, "workflow_runs");
            assert_eq!(tables, &["audit", "step_logs"]);
        }
        other => panic!("expected ReferencedByForeignKeys, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("`audit`, `step_logs` still reference it"),
        "{error}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);

    // Keeping the legacy table is fine, and nothing cascades.
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(count(&conn, "step_logs"), 20);
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 20);
}

#[test]
fn an_index_name_taken_by_another_table_is_an_error_before_anything_is_written() {
    let db = DbFile::legacy(10);
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE other (status TEXT);
         CREATE INDEX idx_wrkflw_workflow_runs_status ON other (status);",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();

    let mut conn = db.open();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    match &error {
        Error::IndexNameTaken {
            index,
            table,
            owner,
        } => assert_eq!(
            (index.as_str(), table.as_str(), owner.as_str()),
            (
                "idx_wrkflw_workflow_runs_status",
                "wrkflw_workflow_runs",
                "other"
            )
        ),
        other => panic!("expected IndexNameTaken, got {other:?}"),
    }
    drop(conn);
    assert_eq!(db.bytes(), bytes);
    assert!(!exists(&db.open(), "wrkflw_workflow_runs"));
}

#[test]
fn dropping_the_legacy_table_leaves_same_named_indexes_of_other_tables_alone() {
    // `idx_workflow_runs_status` is the legacy index's name by the original's rule; here a
    // different table owns an index of that name, and the legacy table has none.
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE workflow_runs (run_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, status TEXT NOT NULL);
         INSERT INTO workflow_runs VALUES ('r1', 'w', 'done');
         CREATE TABLE reports (status TEXT);
         CREATE INDEX idx_workflow_runs_status ON reports (status);",
    )
    .unwrap();
    drop(conn);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(!exists(&conn, "workflow_runs"));
    assert!(exists(&conn, "idx_workflow_runs_status"));
}
