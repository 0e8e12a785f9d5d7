//! A PostgreSQL migration runs in a transaction of its own: on a client already inside one,
//! `migrate` and `plan` refuse, with a typed error, and leave the caller's transaction as it
//! was (neither committed by the migration's `COMMIT` nor discarded by its rollback).

use wrkflw::postgres::{PgMigrator, PgTable};
use wrkflw::{Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

#[test]
fn a_migration_inside_the_callers_transaction_is_refused_and_the_transaction_kept() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::legacy_runs(&mut client, 0, 10);
    let before = pg::database_state(&mut client);
    client
        .batch_execute(
            "BEGIN; CREATE TABLE callers_work (id int); INSERT INTO callers_work VALUES (1)",
        )
        .unwrap();
    let error = WorkflowRun::migrate(&mut client, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&error, Error::InTransaction { table } if table == "wrkflw_workflow_runs"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("inside a transaction"),
        "{error}"
    );
    let error = PgMigrator::new()
        .table::<WorkflowRun>()
        .plan(&mut client, LegacyTable::Keep)
        .unwrap_err();
    assert!(matches!(error, Error::InTransaction { .. }), "{error:?}");
    // The caller's transaction is still open, with its work in it, and still the caller's
    // to end: rolled back, nothing of it or of a migration remains.
    let seen: i64 = client
        .query_one("SELECT count(*) FROM callers_work", &[])
        .unwrap()
        .get(0);
    assert_eq!(seen, 1);
    client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(pg::database_state(&mut client), before);
    assert!(!pg::exists(&mut client, "callers_work"));
    // Outside it, the same client migrates.
    let report = WorkflowRun::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 10);
}

#[test]
fn a_migration_on_an_aborted_transaction_is_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client.batch_execute("BEGIN").unwrap();
    assert!(client.batch_execute("SELECT 1 / 0").is_err());
    let error = WorkflowRun::migrate(&mut client, LegacyTable::Keep).unwrap_err();
    assert!(matches!(error, Error::InTransaction { .. }), "{error:?}");
    client.batch_execute("ROLLBACK").unwrap();
    WorkflowRun::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert!(pg::exists(&mut client, "wrkflw_workflow_runs"));
}

/// The check does not mistake a client's own statements for a transaction: many migrations
/// and plans in a row on one client, through the extended protocol in between, all run.
#[test]
fn migrations_in_a_row_on_one_client_are_not_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    for _ in 0..20 {
        let _: i64 = client.query_one("SELECT 1::bigint", &[]).unwrap().get(0);
        WorkflowRun::plan(&mut client, LegacyTable::Keep).unwrap();
        WorkflowRun::migrate(&mut client, LegacyTable::Keep).unwrap();
    }
}
