//! Re-running a PostgreSQL migration over an up-to-date table: nothing to do, nothing read
//! from the legacy table, nothing written; rows the application deleted from the new table
//! stay deleted.

use std::time::{Duration, Instant};

use wrkflw::postgres::{PgMigrator, PgTable};
use wrkflw::{CaptureStatus, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 1_000;

#[test]
fn a_rerun_reads_no_legacy_row_and_writes_nothing() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    let ledger_version = |client: &mut wrkflw::postgres::Client| -> String {
        client
            .query_one(
                "SELECT xmin::text FROM wrkflw_migrations WHERE table_name = 'wrkflw_workflow_runs'",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let before = ledger_version(&mut client);
    let state = pg::database_state(&mut client);

    // Another session keeps everyone out of the legacy table (not even a read gets in) and
    // lets the new table, the ledger and the conflict log be read but not written.
    let mut guard = db.client();
    let mut guard = guard.transaction().unwrap();
    guard
        .batch_execute(
            "LOCK TABLE workflow_runs IN ACCESS EXCLUSIVE MODE;
             LOCK TABLE wrkflw_workflow_runs, wrkflw_migrations, wrkflw_conflicts IN SHARE MODE",
        )
        .unwrap();

    let started = Instant::now();
    let reports = PgMigrator::new()
        .table::<WorkflowRun>()
        .lock_timeout(Duration::from_secs(2))
        .run(&mut client, LegacyTable::Keep)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "it waited for a lock"
    );
    guard.rollback().unwrap();

    let report = &reports[0];
    assert_eq!(report.rows_copied, 0);
    assert_eq!(report.copy_path, None);
    assert_eq!(report.capture, Some(CaptureStatus::Active));
    assert!(!report.table_created);
    assert_eq!(
        ledger_version(&mut client),
        before,
        "the ledger row was rewritten"
    );
    assert_eq!(pg::database_state(&mut client), state);
    // And the plan says so.
    let plan = <WorkflowRun as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert!(plan.steps.is_empty(), "{plan}");
    assert_eq!(plan.to_string(), "-- wrkflw_workflow_runs: nothing to do\n");
}

#[test]
fn rows_deleted_from_the_new_table_stay_deleted() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    let deleted = client
        .execute(
            "DELETE FROM wrkflw_workflow_runs WHERE status = 'failed'",
            &[],
        )
        .unwrap();
    assert!(deleted > 0);

    for _ in 0..2 {
        let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
        assert_eq!(report.rows_copied, 0);
    }

    assert_eq!(
        pg::count(&mut client, "wrkflw_workflow_runs"),
        ROWS as i64 - deleted as i64
    );
    let failed: i64 = client
        .query_one(
            "SELECT count(*) FROM wrkflw_workflow_runs WHERE status = 'failed'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(failed, 0);
    // The legacy table still has them: only the new table's rows were the application's.
    assert_eq!(pg::count(&mut client, "workflow_runs"), ROWS as i64);
}
