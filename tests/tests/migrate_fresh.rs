//! `migrate` on a database that never had the legacy table.

use wrkflw::{row_counts, LegacyTable, Table};
use wrkflw_tests::{exists, indexes, DbFile, WorkflowRun};

#[test]
fn creates_table_and_indexes_and_reports_no_legacy() {
    let db = DbFile::new();
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(
        (
            report.table.as_str(),
            report.legacy_table.as_deref(),
            report.legacy_found,
            report.table_created,
            report.rows_copied,
            report.legacy_dropped,
            report.copy_path,
        ),
        (
            "wrkflw_workflow_runs",
            Some("workflow_runs"),
            false,
            true,
            0,
            false,
            None
        )
    );
    assert_eq!(
        report.to_string(),
        "wrkflw_workflow_runs: created; no legacy table workflow_runs found, nothing to copy"
    );
    drop(conn);

    // Reopen the file: the work was committed, not left in an open transaction.
    let conn = db.open();
    assert!(exists(&conn, "wrkflw_workflow_runs"));
    assert!(!exists(&conn, "workflow_runs"));
    assert_eq!(indexes(&conn, "wrkflw_workflow_runs").len(), 2);
    let counts = row_counts::<WorkflowRun>(&conn).unwrap();
    assert_eq!((counts.table, counts.legacy), (0, None));
}

#[test]
fn drop_without_a_legacy_table_drops_nothing() {
    let db = DbFile::new();
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(!report.legacy_found && !report.legacy_dropped);
    let again = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(!again.table_created);
    assert_eq!(again.to_string(), "wrkflw_workflow_runs: already existed; no legacy table workflow_runs found, nothing to copy");
}

#[test]
fn keeps_rows_written_after_the_first_run() {
    let db = DbFile::new();
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute(
        "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('r1', 'w', 'pending')",
        [],
    )
    .unwrap();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let created_at: Option<i64> = conn
        .query_row(
            "SELECT created_at FROM wrkflw_workflow_runs WHERE run_id = 'r1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        created_at.unwrap() > 1_600_000_000,
        "DEFAULT (unixepoch()) applied"
    );
    assert_eq!(row_counts::<WorkflowRun>(&conn).unwrap().table, 1);
}
