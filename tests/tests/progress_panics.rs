//! A progress callback that panics never lets a migration commit and leaves the connection as
//! it was (foreign keys, busy timeout, no progress handler); a busy timeout longer than
//! SQLite takes is waited as long as SQLite can.

use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wrkflw::{LegacyTable, Migrator, ProgressEvent, ProgressStep};
use wrkflw_tests::{count, exists, runs_to_rebuild, DbFile, LooseRun, WorkflowRun};

/// Long enough that the copy lasts several `Rows` reports (as in `progress.rs`).
const LONG_COPY: u64 = 500_000;

/// A callback that panics on a `Rows` event, inside SQLite's progress handler (which cannot
/// unwind), interrupts the copy: the panic reaches the caller of `run` and the file is left
/// as it was.
#[test]
fn a_callback_that_panics_during_a_copy_does_not_let_the_migration_commit() {
    let db = DbFile::legacy(LONG_COPY);
    let before = db.bytes();
    let mut conn = db.open();
    let panicked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&panicked);
    let migrator = Migrator::new()
        .table::<WorkflowRun>()
        .on_progress(move |progress| {
            if matches!(progress.event, ProgressEvent::Rows { .. })
                && !flag.swap(true, Ordering::SeqCst)
            {
                panic!("the callback failed during the copy");
            }
            ControlFlow::Continue(())
        });
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        migrator.run(&mut conn, LegacyTable::Keep)
    }));
    assert!(
        panicked.load(Ordering::SeqCst),
        "no Rows event reached the callback"
    );
    let committed = matches!(outcome, Ok(Ok(_)));
    assert!(
        !committed,
        "the callback panicked, yet run returned Ok and committed {} rows",
        count(&conn, "wrkflw_workflow_runs")
    );
    drop(conn);
    assert!(
        db.bytes() == before,
        "the file changed although the callback panicked"
    );
}

/// A panic from the callback at a `Started` event during a rebuild unwinds through `run`
/// after the connection is put back: foreign keys on again, the caller's busy timeout.
#[test]
fn a_callback_that_panics_during_a_rebuild_leaves_foreign_keys_and_busy_timeout_as_they_were() {
    let db = runs_to_rebuild(200);
    let mut conn = db.open();
    let pragma = |conn: &wrkflw::rusqlite::Connection, name: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    };
    conn.busy_timeout(Duration::from_millis(1234)).unwrap();
    assert_eq!(pragma(&conn, "foreign_keys"), 1);
    let migrator = Migrator::new().table::<LooseRun>().on_progress(|progress| {
        if progress.step == ProgressStep::Rebuild {
            panic!("the callback failed at the rebuild");
        }
        ControlFlow::Continue(())
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        migrator.run(&mut conn, LegacyTable::Keep)
    }));
    assert!(outcome.is_err(), "expected the panic to reach the caller");
    assert!(conn.is_autocommit(), "the transaction is still open");
    assert!(exists(&conn, "wrkflw_workflow_runs"));
    assert_eq!(
        (pragma(&conn, "foreign_keys"), pragma(&conn, "busy_timeout")),
        (1, 1234),
        "(foreign_keys, busy_timeout) after the panic"
    );
}

/// `Migrator::busy_timeout` takes any `Duration`: past what SQLite takes (`i32::MAX`
/// milliseconds, about 24.8 days) the wait is the longest SQLite allows, never a panic.
#[test]
fn a_very_long_busy_timeout_does_not_panic() {
    let db = DbFile::legacy(10);
    let mut conn = db.open();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        Migrator::new()
            .table::<WorkflowRun>()
            .busy_timeout(Duration::from_secs(30 * 24 * 3600))
            .run(&mut conn, LegacyTable::Keep)
    }));
    let reports = outcome
        .expect("run panicked on a 30-day busy timeout")
        .unwrap();
    assert_eq!(reports[0].rows_copied, 10);
}
