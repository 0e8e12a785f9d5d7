//! `Migrator` runs several tables in order, in one transaction.

use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator};
use wrkflw_tests::{count, exists, schema, DbFile, WorkflowRun};

#[wrkflw_table(rename_from = "workflow_steps")]
pub struct WorkflowStep {
    #[wrkflw(primary_key)]
    pub step_id: String,
    #[wrkflw(index)]
    pub run_id: String,
    pub output: Option<String>,
}

fn with_steps(db: &DbFile, null_run_ids: bool) {
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE workflow_steps (step_id TEXT PRIMARY KEY, run_id TEXT, output TEXT);
         INSERT INTO workflow_steps VALUES ('s1', 'run-1', '{}'), ('s2', 'run-1', NULL);",
    )
    .unwrap();
    if null_run_ids {
        conn.execute(
            "UPDATE workflow_steps SET run_id = NULL WHERE step_id = 's2'",
            [],
        )
        .unwrap();
    }
}

#[test]
fn runs_every_table_in_order() {
    let db = DbFile::legacy(40);
    with_steps(&db, false);
    let mut conn = db.open();
    let reports = Migrator::new()
        .table::<WorkflowRun>()
        .table::<WorkflowStep>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap();
    let summary: Vec<(&str, u64, bool)> = reports
        .iter()
        .map(|r| (r.table.as_str(), r.rows_copied, r.legacy_dropped))
        .collect();
    assert_eq!(
        summary,
        [
            ("wrkflw_workflow_runs", 40, true),
            ("wrkflw_workflow_steps", 2, true)
        ]
    );
    assert_eq!(count(&conn, "wrkflw_workflow_steps"), 2);
}

#[test]
fn a_failing_table_rolls_back_every_table() {
    let db = DbFile::legacy(40);
    with_steps(&db, true);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = Migrator::new()
        .table::<WorkflowRun>()
        .table::<WorkflowStep>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap_err();
    assert!(
        matches!(&error, Error::RejectedRows { table, .. } if table == "wrkflw_workflow_steps"),
        "{error:?}"
    );
    assert!(
        !exists(&conn, "wrkflw_workflow_runs"),
        "the first table's migration rolled back too"
    );
    assert!(exists(&conn, "workflow_runs"));
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn an_empty_migrator_does_nothing() {
    let db = DbFile::new();
    let mut conn = db.open();
    let reports = Migrator::new().run(&mut conn, LegacyTable::Drop).unwrap();
    assert!(reports.is_empty());
    assert!(schema(&conn).is_empty());
}
