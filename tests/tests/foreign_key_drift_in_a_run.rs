//! `plan` agrees with `migrate` on a reference the struct gained to a table that the same
//! `Migrator` creates and fills first: the referenced table's legacy rows count as there.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, LegacyTable, Migrator};
use wrkflw_tests::DbFile;

#[wrkflw_table(rename_from = "runs")]
pub struct Run {
    #[wrkflw(primary_key)]
    pub run_id: String,
}

#[wrkflw_table(name = "steps")]
pub struct Step {
    #[wrkflw(primary_key)]
    pub step_id: i64,
    #[wrkflw(references = Run)]
    pub run_id: String,
}

#[test]
fn plan_agrees_with_run_on_a_reference_to_a_table_the_run_creates() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY);
         INSERT INTO runs VALUES ('r1');
         CREATE TABLE wrkflw_steps (step_id INTEGER NOT NULL PRIMARY KEY, run_id TEXT NOT NULL);
         INSERT INTO wrkflw_steps VALUES (1, 'r1');",
    )
    .unwrap();
    let migrator = Migrator::new().table::<Run>().table::<Step>();
    let planned = migrator.plan(&conn, LegacyTable::Keep);
    let ran = migrator.run(&mut conn, LegacyTable::Keep);
    assert!(ran.is_ok(), "run: {}", ran.unwrap_err());
    assert!(planned.is_ok(), "plan: {}", planned.unwrap_err());
}
