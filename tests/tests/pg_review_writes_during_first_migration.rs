//! No data lost while the first migration runs: an old deployment writing the legacy table
//! from other connections before, during and after the copy (inserts, updates, deletes)
//! ends with the new table holding exactly the legacy table's rows, each once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wrkflw::postgres::{PgMigrator, PgTable};
use wrkflw::LegacyTable;
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 20_000;

#[test]
fn writers_running_through_the_first_migration_lose_nothing_and_double_nothing() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let config = db.config().clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut old = config.connect(wrkflw::postgres::NoTls).unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("w{w}-{n}");
                    old.execute(
                        "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ($1, 'w', 'new')",
                        &[&key],
                    )
                    .unwrap();
                    let seeded = wrkflw_tests::seed::legacy_run((n * 7 + w) % ROWS).run_id;
                    old.execute(
                        "UPDATE workflow_runs SET status = $2 WHERE run_id = $1",
                        &[&seeded, &key],
                    )
                    .unwrap();
                    if n.is_multiple_of(3) {
                        let gone = wrkflw_tests::seed::legacy_run((n * 13 + 5 + w) % ROWS).run_id;
                        old.execute("DELETE FROM workflow_runs WHERE run_id = $1", &[&gone])
                            .unwrap();
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    PgMigrator::new()
        .table::<WorkflowRun>()
        .lock_timeout(Duration::from_secs(30))
        .run(&mut client, LegacyTable::Keep)
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let written: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(written > 10, "the writers wrote {written} rows");

    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
    assert_eq!(
        pg::count(&mut client, "workflow_runs"),
        pg::count(&mut client, "wrkflw_workflow_runs")
    );
    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 0);
    assert!(pg::conflicts(&mut client, "wrkflw_workflow_runs").is_empty());
}
