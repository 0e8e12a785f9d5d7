//! `LegacyTable::Drop` drops the legacy table only when nothing still needs it: every table
//! of the migrator that reads it has copied, and no view or other table's trigger uses it.

#![allow(dead_code)] // The structs declare tables; these tests never read their fields.

use wrkflw::{wrkflw_table, CaptureStatus, Error, LegacyTable, Migrator, Table};
use wrkflw_tests::{
    capture_triggers, count, exists, ledger, migrated_keeping_legacy, DbFile, WorkflowRun,
};

/// The seed table split in two: the runs' status history in a table of its own, read from
/// the same legacy table.
#[wrkflw_table(rename_from = "workflow_runs", name = "run_status")]
struct RunStatus {
    #[wrkflw(primary_key)]
    run_id: String,
    status: String,
    updated_at: Option<i64>,
}

/// Item 7: the first table must not drop the legacy table before the second has copied.
#[test]
fn a_legacy_table_two_structs_read_is_dropped_after_both_copied() {
    let db = DbFile::legacy(120);
    let mut conn = db.open();
    let migrator = Migrator::new().table::<WorkflowRun>().table::<RunStatus>();
    let plans = migrator.plan(&conn, LegacyTable::Drop).unwrap();
    assert!(!plans[0].to_string().contains("DROP TABLE"), "{}", plans[0]);
    assert!(plans[1]
        .to_string()
        .contains("DROP TABLE main.workflow_runs"));
    let reports = migrator.run(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(
        reports
            .iter()
            .map(|r| (r.legacy_found, r.rows_copied, r.legacy_dropped))
            .collect::<Vec<_>>(),
        [(true, 120, false), (true, 120, true)]
    );
    assert_eq!(count(&conn, "wrkflw_run_status"), 120);
    assert!(!exists(&conn, "workflow_runs"));
}

/// Review finding: one struct's `Drop` must not end the capture of another struct that
/// reads the same legacy table and has not copied for the last time.
#[test]
fn a_legacy_table_another_tables_capture_still_reads_is_not_dropped_alone() {
    let (db, mut conn) = migrated_keeping_legacy(20);
    RunStatus::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let bytes = db.bytes();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::LegacyTableInUse { objects, .. } => {
            assert_eq!(
                objects,
                &["the change capture of table `wrkflw_run_status`"]
            )
        }
        other => panic!("expected LegacyTableInUse, got {other:?}"),
    }
    assert_eq!(db.bytes(), bytes);
    let reports = Migrator::new()
        .table::<WorkflowRun>()
        .table::<RunStatus>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap();
    // Both end the run without a capture, and their ledger rows say so.
    assert_eq!(
        reports.iter().map(|r| r.capture).collect::<Vec<_>>(),
        [Some(CaptureStatus::Removed), Some(CaptureStatus::Removed)]
    );
    for table in ["wrkflw_workflow_runs", "wrkflw_run_status"] {
        assert_eq!(ledger(&conn, table).unwrap().capture, None, "{table}");
    }
}

#[test]
fn a_split_table_kept_is_captured_into_both_tables() {
    let db = DbFile::legacy(10);
    let mut conn = db.open();
    Migrator::new()
        .table::<WorkflowRun>()
        .table::<RunStatus>()
        .run(&mut conn, LegacyTable::Keep)
        .unwrap();
    assert_eq!(capture_triggers(&conn).len(), 10);
    conn.execute(
        "UPDATE workflow_runs SET status = 'archived' WHERE rowid = 1",
        [],
    )
    .unwrap();
    let archived = |table: &str| -> i64 {
        conn.query_row(
            &format!("SELECT count(*) FROM {table} WHERE status = 'archived'"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(
        (
            archived("wrkflw_workflow_runs"),
            archived("wrkflw_run_status")
        ),
        (1, 1)
    );
    let reports = Migrator::new()
        .table::<WorkflowRun>()
        .table::<RunStatus>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap();
    assert!(reports[1].legacy_dropped);
    assert!(capture_triggers(&conn).is_empty());
}

/// Item 11: a view, or another table's trigger, that uses the legacy table would fail with
/// "no such table" once it is dropped: `Drop` refuses, naming them.
#[test]
fn views_and_triggers_that_use_the_legacy_table_stop_the_drop() {
    let db = DbFile::legacy(15);
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE VIEW failed_runs AS SELECT run_id FROM workflow_runs WHERE status = 'failed';
         CREATE TABLE audit (run_id TEXT);
         CREATE TRIGGER audit_copies AFTER INSERT ON audit
           BEGIN INSERT INTO \"workflow_runs\" (run_id, workflow_id, status) VALUES (NEW.run_id, 'audit', 'x'); END;
         CREATE TRIGGER on_legacy_itself AFTER DELETE ON workflow_runs BEGIN SELECT 1; END;",
    )
    .unwrap();
    let bytes = db.bytes();
    for first_run in [true, false] {
        let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
        match &error {
            Error::LegacyTableInUse {
                legacy_table,
                objects,
            } => {
                assert_eq!(legacy_table, "workflow_runs");
                // A trigger on the legacy table itself goes with it, and is no reason.
                assert_eq!(objects, &["trigger `audit_copies`", "view `failed_runs`"]);
            }
            other => panic!("expected LegacyTableInUse, got {other:?}"),
        }
        assert!(error.to_string().contains("no such table"), "{error}");
        if first_run {
            assert_eq!(db.bytes(), bytes, "nothing changed");
            WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        }
    }
    conn.execute_batch("DROP VIEW failed_runs; DROP TRIGGER audit_copies;")
        .unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_dropped);
    assert!(!exists(&conn, "on_legacy_itself"));
}

#[test]
fn a_view_that_only_mentions_the_name_in_a_string_does_not_stop_the_drop() {
    let db = DbFile::legacy(3);
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE VIEW about AS SELECT 'workflow_runs' AS moved_from -- workflow_runs
         FROM wrkflw_workflow_runs",
    )
    .unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_dropped);
}
