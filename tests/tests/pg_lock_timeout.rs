//! Waiting for a lock on PostgreSQL: another session holding the migration lock, or an old
//! deployment's open transaction on the legacy table, makes a migration give up with
//! `Error::Busy` once its lock timeout has passed, with nothing changed.

use std::time::{Duration, Instant};

use wrkflw::postgres::{PgMigrator, MIGRATION_LOCK_KEY};
use wrkflw::{Error, LegacyTable, Step};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const TIMEOUT: Duration = Duration::from_millis(400);

fn migrate(client: &mut wrkflw::postgres::Client) -> wrkflw::Result<Vec<wrkflw::MigrationReport>> {
    PgMigrator::new()
        .table::<WorkflowRun>()
        .lock_timeout(TIMEOUT)
        .run(client, LegacyTable::Keep)
}

#[test]
fn another_session_holding_the_migration_lock_makes_it_busy_after_the_timeout() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::legacy_runs(&mut client, 0, 10);
    let mut holder = db.client();
    let mut holding = holder.transaction().unwrap();
    holding
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
        .unwrap();

    let started = Instant::now();
    let error = migrate(&mut client).unwrap_err();
    let waited = started.elapsed();

    match &error {
        Error::Busy {
            table,
            step,
            timeout,
        } => {
            assert_eq!(table, "wrkflw_workflow_runs");
            assert_eq!(*step, Step::Begin);
            assert_eq!(*timeout, TIMEOUT);
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(waited >= TIMEOUT, "gave up after {waited:?}");
    assert!(waited < TIMEOUT * 5, "waited {waited:?}");
    assert_eq!(
        error.to_string(),
        "migrating `wrkflw_workflow_runs`: another connection held a lock this migration needs for over 400 ms \
         while starting the transaction; nothing was changed. Retry once the other writer or migrator is done, \
         or allow longer with the migrator's timeout (Migrator::busy_timeout on SQLite, PgMigrator::lock_timeout on PostgreSQL)"
    );
    assert!(!pg::exists(&mut client, "wrkflw_workflow_runs"));

    // Released: the next run migrates.
    holding.rollback().unwrap();
    let reports = migrate(&mut client).unwrap();
    assert_eq!(reports[0].rows_copied, 10);
}

#[test]
fn an_open_write_to_the_legacy_table_makes_it_busy_after_the_timeout() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::legacy_runs(&mut client, 0, 10);
    // An old deployment's transaction, writing and not yet committed.
    let mut old = db.client();
    let mut writing = old.transaction().unwrap();
    writing
        .execute(
            "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('late', 'w', 's')",
            &[],
        )
        .unwrap();

    let started = Instant::now();
    let error = migrate(&mut client).unwrap_err();

    assert!(
        matches!(
            error,
            Error::Busy {
                step: Step::LockLegacy,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() >= TIMEOUT);
    assert!(!pg::exists(&mut client, "wrkflw_workflow_runs"));
    // The session's own lock_timeout is untouched.
    let setting: String = client.query_one("SHOW lock_timeout", &[]).unwrap().get(0);
    assert_eq!(setting, "0");

    // Committed: the next run copies it too.
    writing.commit().unwrap();
    let reports = migrate(&mut client).unwrap();
    assert_eq!(reports[0].rows_copied, 11);
}
