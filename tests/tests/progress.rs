//! `Migrator::on_progress`: every step reported as it starts and ends, rows reported during a
//! long copy, cancellation at any point leaving the file as it was, and no change without a
//! callback.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wrkflw::{
    wrkflw_table, Error, LegacyTable, Migrator, Progress, ProgressEvent, ProgressStep, Table,
};
use wrkflw_tests::{count, exists, rows, runs_to_rebuild, schema, DbFile, LooseRun, WorkflowRun};

use ProgressStep::{Capture, Copy, Create, Drop, Index, Ledger, Rebuild, Verify};

/// Every event a callback heard, with when it heard it.
type Events = Arc<Mutex<Vec<(Instant, Progress)>>>;

/// `migrator` with a callback that records every event, and cancels at the first one
/// `cancel` accepts.
fn recording(
    migrator: Migrator,
    cancel: impl Fn(&Progress) -> bool + Send + 'static,
) -> (Migrator, Events) {
    let events = Events::default();
    let heard = Arc::clone(&events);
    let migrator = migrator.on_progress(move |progress| {
        heard
            .lock()
            .unwrap()
            .push((Instant::now(), progress.clone()));
        if cancel(progress) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    (migrator, events)
}

fn runs() -> Migrator {
    Migrator::new().table::<WorkflowRun>()
}

fn never(_: &Progress) -> bool {
    false
}

/// The events without their time.
fn heard(events: &Events) -> Vec<Progress> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|(_, p)| p.clone())
        .collect()
}

/// Each step's start and end, in order, as (step, rows at start, rows at end); fails unless
/// every step that starts finishes before the next one starts, with only `Rows` between.
fn steps(events: &[Progress]) -> Vec<(ProgressStep, Option<u64>, Option<u64>)> {
    let mut steps = Vec::new();
    let mut open: Option<(ProgressStep, Option<u64>)> = None;
    for progress in events {
        match (progress.event, open) {
            (ProgressEvent::Started { rows }, None) => open = Some((progress.step, rows)),
            (ProgressEvent::Rows { .. }, Some((step, _))) => assert_eq!(progress.step, step),
            (ProgressEvent::Finished { rows }, Some((step, started))) => {
                assert_eq!(progress.step, step, "{events:#?}");
                steps.push((step, started, rows));
                open = None;
            }
            (event, open) => panic!("{event:?} while {open:?} is open: {events:#?}"),
        }
    }
    assert_eq!(open, None, "a step never finished: {events:#?}");
    steps
}

fn cancelled_in(result: Result<Vec<wrkflw::MigrationReport>, Error>) -> String {
    match result {
        Err(Error::Cancelled { table }) => table,
        other => panic!("expected Error::Cancelled, got {other:?}"),
    }
}

#[test]
fn a_first_migration_keeping_the_legacy_table_reports_every_step_in_order() {
    let db = DbFile::legacy(500);
    let mut conn = db.open();
    let (migrator, events) = recording(runs(), never);
    migrator.run(&mut conn, LegacyTable::Keep).unwrap();

    let events = heard(&events);
    assert!(events.iter().all(|p| p.table == WorkflowRun::TABLE_NAME));
    assert_eq!(
        steps(&events),
        [
            (Ledger, None, None),
            (Capture, None, None),
            (Capture, None, None),
            (Create, None, None),
            (Copy, Some(500), Some(500)),
            (Verify, None, None),
            (Index, None, None),
            (Index, None, None),
            (Capture, None, None),
            (Capture, None, None),
            (Capture, None, None),
            (Capture, None, None),
            (Capture, None, None),
            (Ledger, None, None),
        ]
    );
}

#[test]
fn a_first_migration_dropping_the_legacy_table_reports_every_step_in_order() {
    let db = DbFile::legacy(500);
    let mut conn = db.open();
    let (migrator, events) = recording(runs(), never);
    migrator.run(&mut conn, LegacyTable::Drop).unwrap();

    assert_eq!(
        steps(&heard(&events)),
        [
            (Ledger, None, None),
            (Create, None, None),
            (Copy, Some(500), Some(500)),
            (Verify, None, None),
            (Index, None, None),
            (Index, None, None),
            (Drop, None, None),
            (Ledger, None, None),
        ]
    );
}

#[test]
fn a_re_run_with_nothing_to_do_and_a_plan_report_nothing() {
    let db = DbFile::legacy(50);
    let mut conn = db.open();
    let (migrator, events) = recording(runs(), never);
    migrator.plan(&conn, LegacyTable::Keep).unwrap();
    assert_eq!(heard(&events), []);
    migrator.run(&mut conn, LegacyTable::Keep).unwrap();
    events.lock().unwrap().clear();
    migrator.run(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(heard(&events), []);
}

/// Rows big enough that their copy lasts several reports, even on a fast machine.
const LONG_COPY: u64 = 500_000;

#[test]
fn a_long_copy_reports_rows_at_least_four_times_a_second() {
    let db = DbFile::legacy(LONG_COPY);
    let mut conn = db.open();
    let (migrator, events) = recording(runs(), never);
    migrator.run(&mut conn, LegacyTable::Drop).unwrap();

    let events = events.lock().unwrap().clone();
    let copy: Vec<&(Instant, Progress)> = events.iter().filter(|(_, p)| p.step == Copy).collect();
    let rows: Vec<(u64, u64, bool)> = copy
        .iter()
        .filter_map(|(_, p)| match p.event {
            ProgressEvent::Rows {
                done,
                total,
                estimated,
            } => Some((done, total, estimated)),
            _ => None,
        })
        .collect();
    assert!(!rows.is_empty(), "no Rows event during the copy");
    assert!(rows
        .iter()
        .all(|&(done, total, estimated)| { estimated && total == LONG_COPY && done <= total }));
    assert!(
        rows.windows(2).all(|w| w[0].0 <= w[1].0),
        "rows done went back: {rows:?}"
    );
    assert!(rows.last().unwrap().0 > 0, "{rows:?}");
    assert_eq!(
        copy.last().unwrap().1.event,
        ProgressEvent::Finished {
            rows: Some(LONG_COPY)
        }
    );
    // From the copy's start to its last Rows event, no gap is a quarter second.
    let until_last_rows = copy.len() - 1;
    let gaps: Vec<Duration> = copy[..until_last_rows]
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap < Duration::from_millis(250)),
        "{gaps:?}"
    );
}

/// Runs `migrator` over a fresh copy of `template` with `legacy`, expects it cancelled, and
/// checks that the file is byte for byte as before and that a later run succeeds.
fn cancel_leaves_the_file_unchanged(
    template: &DbFile,
    (migrator, events): (Migrator, Events),
    legacy: LegacyTable,
) -> Vec<Progress> {
    let db = template.copy();
    let before = db.bytes();
    let mut conn = db.open();
    let table = cancelled_in(migrator.run(&mut conn, legacy));
    assert_eq!(table, WorkflowRun::TABLE_NAME);
    assert!(conn.is_autocommit(), "the transaction is still open");
    drop(conn);
    assert!(db.bytes() == before, "the cancelled run changed the file");

    let mut conn = db.open();
    let reports = runs().run(&mut conn, legacy).unwrap();
    assert_eq!(
        reports[0].rows_copied,
        count(&conn, "wrkflw_workflow_runs") as u64
    );
    assert!(reports[0].rows_copied > 0);
    heard(&events)
}

#[test]
fn cancelling_between_steps_leaves_the_file_unchanged() {
    let template = DbFile::legacy(1_000);
    // (step, at its start rather than its end, which of that step's events)
    let points = [
        (Copy, true, 1),
        (Copy, false, 1),
        (Index, false, 1),
        (Drop, true, 1),
        // The last step (the first ledger step creates the ledger): nothing runs after it
        // but the commit.
        (Ledger, false, 2),
    ];
    for (step, at_start, nth) in points {
        let seen = Arc::new(Mutex::new(0));
        let migrator = recording(runs(), move |p| {
            let started = matches!(p.event, ProgressEvent::Started { .. });
            let finished = matches!(p.event, ProgressEvent::Finished { .. });
            if p.step != step || !(if at_start { started } else { finished }) {
                return false;
            }
            let mut seen = seen.lock().unwrap();
            *seen += 1;
            *seen == nth
        });
        let events = cancel_leaves_the_file_unchanged(&template, migrator, LegacyTable::Drop);
        let last = events.last().unwrap();
        assert_eq!(last.step, step, "{events:#?}");
        if matches!(last.event, ProgressEvent::Started { .. }) {
            // The step that was cancelled at its start did not run.
            assert_eq!(events.iter().filter(|p| p.step == step).count() % 2, 1);
        }
    }
}

#[test]
fn cancelling_inside_a_copy_interrupts_it_and_leaves_the_file_unchanged() {
    let template = DbFile::legacy(LONG_COPY);
    let migrator = recording(runs(), |p| matches!(p.event, ProgressEvent::Rows { .. }));
    let events = cancel_leaves_the_file_unchanged(&template, migrator, LegacyTable::Keep);
    let last = events.last().unwrap();
    assert_eq!(last.step, Copy);
    assert!(matches!(last.event, ProgressEvent::Rows { .. }), "{last:?}");
}

#[test]
fn the_progress_handler_is_removed_after_a_run() {
    let db = DbFile::legacy(LONG_COPY / 10);
    let mut conn = db.open();
    let (migrator, events) = recording(runs(), |p| {
        p.step == Copy && matches!(p.event, ProgressEvent::Finished { .. })
    });
    cancelled_in(migrator.run(&mut conn, LegacyTable::Keep));
    // Only the migrator and the handler SQLite holds keep the callback, and with it the
    // events: once the migrator is gone, nothing may hold them but this test.
    drop(migrator);
    assert_eq!(Arc::strong_count(&events), 1);
    // The connection works as before, without a callback.
    conn.query_row("SELECT count(*) FROM workflow_runs", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap();
}

#[test]
fn a_rebuild_reports_its_steps_and_its_copy() {
    let db = runs_to_rebuild(2_000);
    let mut conn = db.open();
    let plan = Migrator::new()
        .table::<LooseRun>()
        .plan(&conn, LegacyTable::Keep)
        .unwrap();
    let (migrator, events) = recording(Migrator::new().table::<LooseRun>(), never);
    let reports = migrator.run(&mut conn, LegacyTable::Keep).unwrap();
    assert!(reports[0].rebuilt);

    let steps = steps(&heard(&events));
    let rebuild: Vec<_> = steps.iter().filter(|s| s.0 == Rebuild).collect();
    assert!(rebuild.len() > 5, "{steps:?}");
    assert!(
        rebuild.contains(&&(Rebuild, Some(2_000), Some(2_000))),
        "the rebuild's copy: {steps:?}"
    );
    let planned_rebuild = plan[0]
        .steps
        .iter()
        .filter(|s| matches!(s.action, wrkflw::Action::RebuildTable { .. }))
        .count();
    assert_eq!(rebuild.len(), planned_rebuild);
}

#[test]
fn cancelling_inside_a_rebuild_copy_leaves_the_file_and_foreign_keys_as_they_were() {
    let db = runs_to_rebuild(LONG_COPY);
    let before = db.bytes();
    let mut conn = db.open();
    let foreign_keys = |conn: &wrkflw::rusqlite::Connection| -> i64 {
        conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(foreign_keys(&conn), 1);
    let (migrator, events) = recording(Migrator::new().table::<LooseRun>(), |p| {
        p.step == Rebuild && matches!(p.event, ProgressEvent::Rows { .. })
    });
    cancelled_in(migrator.run(&mut conn, LegacyTable::Keep));
    assert_eq!(
        foreign_keys(&conn),
        1,
        "foreign keys were not turned on again"
    );
    let last = heard(&events).pop().unwrap();
    assert!(
        matches!(last.event, ProgressEvent::Rows { total, .. } if total == LONG_COPY),
        "{last:?}"
    );
    drop(conn);
    assert!(
        db.bytes() == before,
        "the cancelled rebuild changed the file"
    );

    let mut conn = db.open();
    assert!(
        Migrator::new()
            .table::<LooseRun>()
            .run(&mut conn, LegacyTable::Keep)
            .unwrap()[0]
            .rebuilt
    );
}

#[wrkflw_table(rename_from = "workflow_steps")]
pub struct WorkflowStep {
    #[wrkflw(primary_key)]
    pub step_id: String,
    #[wrkflw(index)]
    pub run_id: String,
    pub output: Option<String>,
}

#[test]
fn a_migrator_of_two_tables_reports_both_in_the_order_they_run() {
    let db = DbFile::legacy(100);
    db.open()
        .execute_batch(
            "CREATE TABLE workflow_steps (step_id TEXT PRIMARY KEY, run_id TEXT, output TEXT);
             INSERT INTO workflow_steps VALUES ('s1', 'run-1', '{}'), ('s2', 'run-1', NULL);",
        )
        .unwrap();
    let mut conn = db.open();
    let (migrator, events) = recording(runs().table::<WorkflowStep>(), never);
    migrator.run(&mut conn, LegacyTable::Drop).unwrap();

    let events = heard(&events);
    let tables: Vec<&str> = events.iter().map(|p| p.table.as_str()).collect();
    let switch = tables
        .iter()
        .position(|t| *t == WorkflowStep::TABLE_NAME)
        .unwrap();
    assert!(tables[..switch]
        .iter()
        .all(|t| *t == WorkflowRun::TABLE_NAME));
    assert!(tables[switch..]
        .iter()
        .all(|t| *t == WorkflowStep::TABLE_NAME));
    let copies: Vec<(&str, Option<u64>)> = events
        .iter()
        .filter_map(|p| match (p.step, p.event) {
            (Copy, ProgressEvent::Finished { rows }) => Some((p.table.as_str(), rows)),
            _ => None,
        })
        .collect();
    assert_eq!(
        copies,
        [
            (WorkflowRun::TABLE_NAME, Some(100)),
            (WorkflowStep::TABLE_NAME, Some(2))
        ]
    );
    steps(&events);
}

#[test]
fn a_callback_changes_nothing_the_run_does() {
    let template = DbFile::legacy(2_000);
    let (quiet, heard_) = (template.copy(), template.copy());
    let mut conn = quiet.open();
    let without = runs().run(&mut conn, LegacyTable::Keep).unwrap();
    let mut other = heard_.open();
    let (migrator, events) = recording(runs(), never);
    let with = migrator.run(&mut other, LegacyTable::Keep).unwrap();

    assert!(!events.lock().unwrap().is_empty());
    assert_eq!(with, without);
    assert_eq!(schema(&other), schema(&conn));
    assert_eq!(
        rows(&other, "wrkflw_workflow_runs"),
        rows(&conn, "wrkflw_workflow_runs")
    );
    assert!(exists(&other, "workflow_runs"));
}

/// A `Migrator` whose second table needs a rebuild, with foreign keys on (the bundled
/// SQLite's default): foreign keys go off before the run, so the first table's steps are
/// reported (and its copy made) once.
#[test]
fn a_rebuild_after_another_table_reports_each_step_once() {
    mod before {
        #[wrkflw::wrkflw_table(name = "notes")]
        pub struct Note {
            #[wrkflw(primary_key)]
            pub id: i64,
            pub size: String,
        }
    }
    mod after {
        #[wrkflw::wrkflw_table(name = "notes")]
        pub struct Note {
            #[wrkflw(primary_key)]
            pub id: i64,
            pub size: i64,
        }
    }
    let db = DbFile::legacy(1_000);
    let mut conn = db.open();
    before::Note::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute("INSERT INTO wrkflw_notes VALUES (1, '5')", [])
        .unwrap();
    let foreign_keys: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert!(foreign_keys);
    let (migrator, events) = recording(
        Migrator::new()
            .table::<WorkflowRun>()
            .table::<after::Note>(),
        never,
    );
    let reports = migrator.run(&mut conn, LegacyTable::Keep).unwrap();
    assert!(reports[1].rebuilt);
    let copies = heard(&events)
        .iter()
        .filter(|p| {
            p.table == "wrkflw_workflow_runs"
                && p.step == ProgressStep::Copy
                && matches!(p.event, ProgressEvent::Started { .. })
        })
        .count();
    assert_eq!(copies, 1);
    let foreign_keys: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert!(foreign_keys);
}
