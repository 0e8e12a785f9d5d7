//! Legacy tables that reference each other in a cycle are dropped at the end of one run with
//! foreign keys enforced (the bundled SQLite's default): the first drop defers the foreign
//! keys to the commit, by which time every one of them is gone.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, LegacyTable, Migrator};
use wrkflw_tests::{exists, DbFile};

#[wrkflw_table(rename_from = "runs")]
pub struct Run {
    #[wrkflw(primary_key)]
    pub run_id: String,
    pub last_step: Option<i64>,
}

#[wrkflw_table(rename_from = "steps")]
pub struct Step {
    #[wrkflw(primary_key)]
    pub step_id: i64,
    pub run_id: String,
}

#[test]
fn legacy_tables_in_a_reference_cycle_are_dropped_with_foreign_keys_on() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE runs (run_id TEXT PRIMARY KEY, last_step INTEGER REFERENCES steps (step_id));
         CREATE TABLE steps (step_id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (run_id));
         INSERT INTO runs VALUES ('r1', 1);
         INSERT INTO steps VALUES (1, 'r1');
         PRAGMA foreign_keys = ON;",
    )
    .unwrap();
    let migrator = Migrator::new().table::<Run>().table::<Step>();
    migrator
        .plan(&conn, LegacyTable::Drop)
        .expect("plan shows both drops");
    let reports = migrator.run(&mut conn, LegacyTable::Drop);
    assert!(reports.is_ok(), "{}", reports.unwrap_err());
    assert!(!exists(&conn, "runs") && !exists(&conn, "steps"));
}
