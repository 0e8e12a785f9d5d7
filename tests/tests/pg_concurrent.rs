//! Eight migrators started together on one PostgreSQL database: the advisory lock makes
//! them run one after another, every one succeeds, and each legacy row is copied exactly once.

use std::sync::{Arc, Barrier};

use wrkflw::postgres::PgTable;
use wrkflw::{CaptureStatus, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 20_000;
const MIGRATORS: usize = 8;

#[test]
fn eight_concurrent_migrators_copy_each_row_exactly_once() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);

    let barrier = Arc::new(Barrier::new(MIGRATORS));
    let threads: Vec<_> = (0..MIGRATORS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let mut client = db.client();
            std::thread::spawn(move || {
                barrier.wait();
                <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep)
            })
        })
        .collect();
    let reports: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();

    let copied: u64 = reports.iter().map(|r| r.rows_copied).sum();
    assert_eq!(copied, ROWS);
    assert_eq!(reports.iter().filter(|r| r.table_created).count(), 1);
    assert_eq!(
        reports
            .iter()
            .filter(|r| r.capture == Some(CaptureStatus::Installed))
            .count(),
        1
    );
    assert!(reports
        .iter()
        .filter(|r| !r.table_created)
        .all(|r| r.rows_copied == 0 && r.capture == Some(CaptureStatus::Active)));
    assert_eq!(pg::count(&mut client, "wrkflw_workflow_runs"), ROWS as i64);
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
    assert_eq!(
        pg::ledger(&mut client, "wrkflw_workflow_runs")
            .unwrap()
            .rows_copied,
        ROWS as i64
    );
}
