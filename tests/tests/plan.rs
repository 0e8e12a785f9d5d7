//! `plan`: the statements `migrate` would run now, with their reasons, and nothing written.

use wrkflw::rusqlite::{Connection, OpenFlags};
use wrkflw::{Action, CaptureStatus, CopyPath, LegacyTable, Migrator, Table};
use wrkflw_tests::{migrated_keeping_legacy, seed, DbFile, WorkflowRun};

fn actions(plan: &wrkflw::Plan) -> Vec<Action> {
    plan.steps.iter().map(|s| s.action.clone()).collect()
}

fn install(event: &str) -> Action {
    Action::InstallCapture {
        trigger: format!("wrkflw_workflow_runs_capture_{event}"),
    }
}

/// The capture's triggers, in install order.
const EVENTS: [&str; 5] = [
    "before_insert",
    "before_update",
    "insert",
    "update",
    "delete",
];

const INDEXES: [&str; 2] = [
    "idx_wrkflw_workflow_runs_workflow_id",
    "idx_wrkflw_workflow_runs_status",
];

#[test]
fn a_first_migration_is_planned_step_by_step_without_writing() {
    let db = DbFile::legacy(250);
    let bytes = db.bytes();
    let conn = db.open();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Drop).unwrap();
    let mut expected = vec![
        Action::CreateLedger,
        Action::CreateTable,
        Action::Copy {
            rows: 250,
            path: CopyPath::BulkInsert,
        },
    ];
    expected.extend(INDEXES.map(|index| Action::CreateIndex {
        index: index.into(),
    }));
    expected.extend([Action::DropLegacy, Action::RecordLedger]);
    assert_eq!(actions(&plan), expected);
    // The generated statements, pointed at the main schema so that a TEMP table of the same
    // name cannot stand in.
    assert_eq!(
        plan.steps[1].sql,
        WorkflowRun::CREATE_SQL.replace("CREATE TABLE IF NOT EXISTS ", "CREATE TABLE main.")
    );
    assert_eq!(
        plan.steps[3].sql,
        WorkflowRun::INDEX_SQL[0].replace("CREATE INDEX IF NOT EXISTS ", "CREATE INDEX main.")
    );
    assert_eq!(plan.steps[5].sql, "DROP TABLE main.workflow_runs");
    let text = plan.to_string();
    assert!(
        text.contains("-- 3. copy 250 legacy rows (bulk insert, indexes built after)\nINSERT INTO main.wrkflw_workflow_runs (\n"),
        "{text}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes, "planning writes nothing");

    // What was planned is what runs.
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(report.rows_copied, 250);
    assert_eq!(report.copy_path, Some(CopyPath::BulkInsert));
    assert!(report.legacy_dropped);
}

#[test]
fn keeping_the_legacy_table_plans_the_capture_after_the_copy() {
    let db = DbFile::legacy(20);
    let conn = db.open();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    let mut expected = vec![
        Action::CreateLedger,
        Action::CreateCaptureTable {
            table: "wrkflw_conflicts".into(),
        },
        Action::CreateCaptureTable {
            table: "wrkflw_replaced_keys".into(),
        },
        Action::CreateTable,
        Action::Copy {
            rows: 20,
            path: CopyPath::BulkInsert,
        },
    ];
    expected.extend(INDEXES.map(|index| Action::CreateIndex {
        index: index.into(),
    }));
    expected.extend(EVENTS.map(install));
    expected.push(Action::RecordLedger);
    assert_eq!(actions(&plan), expected);
    let trigger = &plan.steps[7].sql;
    assert!(
        trigger.starts_with(
            "CREATE TRIGGER main.wrkflw_workflow_runs_capture_before_insert\nBEFORE INSERT ON workflow_runs\n"
        ),
        "{trigger}"
    );
    assert!(plan
        .to_string()
        .contains("install capture trigger wrkflw_workflow_runs_capture_insert: carry every write to the legacy table over"));
}

#[test]
fn a_captured_table_plans_nothing_while_old_deployments_write() {
    let (_db, mut conn) = migrated_keeping_legacy(40);
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(plan.steps.is_empty(), "{plan}");
    assert_eq!(plan.to_string(), "-- wrkflw_workflow_runs: nothing to do\n");

    seed::insert_legacy_runs(&mut conn, 40, 6).unwrap();
    conn.execute("DELETE FROM workflow_runs WHERE rowid = 3", [])
        .unwrap();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(plan.steps.is_empty(), "{plan}");

    // Without its triggers the next run must reconcile, and says how.
    conn.execute_batch("DROP TRIGGER wrkflw_workflow_runs_capture_insert")
        .unwrap();
    seed::insert_legacy_runs(&mut conn, 46, 2).unwrap();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    let mut expected = vec![Action::Copy {
        rows: 2,
        path: CopyPath::Reconcile,
    }];
    for event in EVENTS.into_iter().filter(|e| *e != "insert") {
        expected.push(Action::RemoveCapture {
            trigger: format!("wrkflw_workflow_runs_capture_{event}"),
        });
    }
    expected.extend(EVENTS.map(install));
    expected.push(Action::RecordLedger);
    assert_eq!(actions(&plan), expected);
    assert_eq!(
        plan.steps[0].sql,
        "INSERT INTO main.wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
)
SELECT
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
FROM main.workflow_runs AS l
WHERE NOT EXISTS (SELECT 1 FROM main.wrkflw_workflow_runs AS n WHERE n.run_id = l.run_id)"
    );
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 2);
    assert_eq!(report.capture, Some(CaptureStatus::Restored));
}

#[test]
fn plan_works_on_query_only_and_read_only_connections() {
    let db = DbFile::legacy(30);
    let bytes = db.bytes();
    let conn = db.open();
    conn.execute_batch("PRAGMA query_only = 1").unwrap();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(
        actions(&plan).contains(&Action::Copy {
            rows: 30,
            path: CopyPath::BulkInsert
        }),
        "{plan}"
    );
    drop(conn);
    let read_only =
        Connection::open_with_flags(db.path(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(
        WorkflowRun::plan(&read_only, LegacyTable::Keep).unwrap(),
        plan
    );
    drop(read_only);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn the_migrator_plans_every_table_and_a_transaction_in_progress_is_reused() {
    let db = DbFile::legacy(5);
    let conn = db.open();
    conn.execute_batch("BEGIN").unwrap();
    let plans = Migrator::new()
        .table::<WorkflowRun>()
        .plan(&conn, LegacyTable::Keep)
        .unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].table, "wrkflw_workflow_runs");
    assert!(
        !conn.is_autocommit(),
        "the caller's transaction is still open"
    );
    conn.execute_batch("COMMIT").unwrap();
}
