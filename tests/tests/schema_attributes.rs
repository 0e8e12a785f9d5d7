//! Each schema attribute: the DDL asserted exactly, then run by SQLite against a real file.

use wrkflw::{wrkflw_table, ForeignKey, Index, LegacyTable, OnDelete, Table};
use wrkflw_tests::DbFile;

#[wrkflw_table(rename_from = "workflow_runs")]
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    #[wrkflw(primary_key)]
    pub run_id: String,
    pub workflow_id: String,
}

#[wrkflw_table(
    name = "workflow_steps",
    index(run_id, updated_at),
    unique(run_id, name)
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    #[wrkflw(primary_key, references = Run, on_delete = "cascade")]
    pub run_id: String,
    #[wrkflw(primary_key)]
    pub step_id: i64,
    pub name: String,
    #[wrkflw(unique)]
    pub token: Option<String>,
    pub updated_at: i64,
}

fn main_like() {}

#[test]
fn composite_key_unique_and_foreign_key_ddl() {
    main_like();
    assert_eq!(
        Step::CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_workflow_steps (
  run_id TEXT NOT NULL REFERENCES wrkflw_workflow_runs (run_id) ON DELETE CASCADE,
  step_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  token TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id)
)"
    );
    assert_eq!(
        Step::INDEX_SQL,
        [
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_wrkflw_workflow_steps_token ON wrkflw_workflow_steps (token)",
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_steps_run_id_updated_at ON wrkflw_workflow_steps (run_id, updated_at)",
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_wrkflw_workflow_steps_run_id_name ON wrkflw_workflow_steps (run_id, name)",
        ]
    );
    assert_eq!(
        Step::INDEXES[1],
        Index {
            name: "idx_wrkflw_workflow_steps_run_id_updated_at",
            columns: &["run_id", "updated_at"],
            unique: false
        }
    );
    assert_eq!(
        Step::COLUMNS[0].references,
        Some(ForeignKey {
            table: "wrkflw_workflow_runs",
            column: "run_id",
            on_delete: OnDelete::Cascade
        })
    );
    println!("{}", Step::migration_sql(LegacyTable::Keep));
    println!("{}", Step::SELECT_SQL);
    println!("{}", Step::UPDATE_SQL);
    println!("{}", Step::FIND_BY_RUN_ID_AND_NAME_SQL);
    let db = DbFile::new();
    let mut conn = db.open();
    Run::migrate(&mut conn, LegacyTable::Keep).unwrap();
    Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    Run {
        run_id: "r1".into(),
        workflow_id: "w".into(),
    }
    .insert(&conn)
    .unwrap();
    let step = Step {
        run_id: "r1".into(),
        step_id: 3,
        name: "a".into(),
        token: None,
        updated_at: 1,
    };
    step.insert(&conn).unwrap();
    assert_eq!(Step::get(&conn, ("r1", 3)).unwrap(), Some(step.clone()));
    assert_eq!(
        Step::find_by_run_id_and_name(&conn, "r1", "a").unwrap(),
        Some(step.clone())
    );
    let err = step.insert(&conn).unwrap_err();
    println!("{err}");
    assert!(Step::delete(&conn, ("r1", 3)).unwrap());
}
