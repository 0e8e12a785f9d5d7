//! No data lost when a migrator's backend is terminated at any point of a first migration
//! (`pg_terminate_backend` from another session: during the lock, the capture's install, the
//! copy, the verification or the ledger): each killed run leaves the database exactly as it
//! was, and the next run completes with every legacy row, after which a re-run copies nothing.

use std::time::Duration;

use wrkflw::postgres::{NoTls, PgTable};
use wrkflw::LegacyTable;
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 20_000;

#[test]
fn a_migrator_terminated_at_any_point_leaves_nothing_and_the_next_run_copies_every_row() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    let before = pg::database_state(&mut client);

    let mut killed = 0;
    for delay in [0u64, 1, 3, 6, 10, 15, 25, 40, 60, 90, 130, 180, 250, 350] {
        let mut migrator = db.config().connect(NoTls).unwrap();
        let pid: i32 = migrator
            .query_one("SELECT pg_backend_pid()", &[])
            .unwrap()
            .get(0);
        let run = std::thread::spawn(move || {
            <WorkflowRun as PgTable>::migrate(&mut migrator, LegacyTable::Keep)
        });
        std::thread::sleep(Duration::from_millis(delay));
        client
            .query_one("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
        match run.join().unwrap() {
            Err(error) => {
                killed += 1;
                assert_eq!(
                    pg::database_state(&mut client),
                    before,
                    "killed after {delay} ms: {error}"
                );
                assert!(
                    error.to_string().contains("wrkflw_workflow_runs"),
                    "{error}"
                );
            }
            // The run finished before the kill: the first migration is done.
            Ok(report) => {
                assert_eq!(report.rows_copied, ROWS);
                break;
            }
        }
    }
    assert!(killed > 0, "no kill landed inside a migration");

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert!(report.rows_copied == ROWS || report.rows_copied == 0);
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
    assert_eq!(pg::count(&mut client, "wrkflw_workflow_runs"), ROWS as i64);
    let again = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(again.rows_copied, 0);
}
