//! `plan`: the statements `migrate` would run now, with their reasons, and nothing written.

use wrkflw::{Action, CopyPath, LegacyTable, Migrator, Table};
use wrkflw_tests::{seed, DbFile, WorkflowRun};

fn actions(plan: &wrkflw::Plan) -> Vec<Action> {
    plan.steps.iter().map(|s| s.action.clone()).collect()
}

#[test]
fn a_first_migration_is_planned_step_by_step_without_writing() {
    let db = DbFile::legacy(250);
    let bytes = db.bytes();
    let conn = db.open();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Drop).unwrap();
    assert_eq!(
        actions(&plan),
        [
            Action::CreateLedger,
            Action::CreateTable,
            Action::Copy {
                rows: 250,
                path: CopyPath::BulkInsert
            },
            Action::CreateIndex {
                index: "idx_wrkflw_workflow_runs_workflow_id".into()
            },
            Action::CreateIndex {
                index: "idx_wrkflw_workflow_runs_status".into()
            },
            Action::DropLegacy,
            Action::RecordLedger,
        ]
    );
    assert_eq!(plan.steps[1].sql, WorkflowRun::CREATE_SQL);
    assert_eq!(plan.steps[3].sql, WorkflowRun::INDEX_SQL[0]);
    assert_eq!(plan.steps[5].sql, "DROP TABLE workflow_runs");
    let text = plan.to_string();
    assert!(
        text.contains("-- 3. copy 250 legacy rows (bulk insert, indexes built after)\nINSERT INTO wrkflw_workflow_runs (\n"),
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
fn a_migrated_table_plans_nothing_until_legacy_rows_arrive() {
    let db = DbFile::legacy(40);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(plan.steps.is_empty(), "{plan}");
    assert_eq!(plan.to_string(), "-- wrkflw_workflow_runs: nothing to do\n");

    seed::insert_legacy_runs(&mut conn, 40, 6).unwrap();
    let plan = WorkflowRun::plan(&conn, LegacyTable::Keep).unwrap();
    assert_eq!(
        actions(&plan),
        [
            Action::Copy {
                rows: 6,
                path: CopyPath::AboveWatermark
            },
            Action::RecordLedger
        ]
    );
    assert_eq!(
        plan.steps[0].sql,
        "INSERT INTO wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
)
SELECT
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
FROM workflow_runs
WHERE _rowid_ > 40 AND _rowid_ <= 46
ON CONFLICT (run_id) DO NOTHING"
    );
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
