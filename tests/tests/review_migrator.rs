//! Review reproductions (branch `review`): the `Migrator` with foreign keys. Each test states
//! the promise it holds the code to; each fails on the reviewed commit.

use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator};
use wrkflw_tests::{count, exists, DbFile};

#[wrkflw_table(rename_from = "runs")]
pub struct Run {
    #[wrkflw(primary_key)]
    pub run_id: String,
}

#[wrkflw_table(rename_from = "steps")]
pub struct Step {
    #[wrkflw(primary_key)]
    pub step_id: i64,
    #[wrkflw(references = Run, on_delete = "cascade")]
    pub run_id: String,
}

fn legacy(steps_schema: &str) -> DbFile {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(&format!(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY);
         {steps_schema};
         INSERT INTO runs VALUES ('r1'), ('r2');
         INSERT INTO steps VALUES (1, 'r1'), (2, 'r2');"
    ))
    .unwrap();
    db
}

/// "`plan` and `migrate` can never disagree" (STYLE.md): the plan of a Migrator whose run
/// succeeds must succeed too. The child's plan checks its rows against the parent's *new*
/// table as it is now (absent: the plan does not assume the parent ran), so every legacy
/// step "points at nothing".
#[test]
fn review_plan_of_a_migrator_that_runs_fine_is_not_a_foreign_key_violation() {
    let db = legacy("CREATE TABLE steps (step_id INTEGER PRIMARY KEY, run_id TEXT NOT NULL)");
    let mut conn = db.open();
    let planned = Migrator::new()
        .table::<Run>()
        .table::<Step>()
        .plan(&conn, LegacyTable::Keep);
    let ran = Migrator::new()
        .table::<Run>()
        .table::<Step>()
        .run(&mut conn, LegacyTable::Keep);
    assert!(ran.is_ok(), "run: {:?}", ran.err());
    assert!(planned.is_ok(), "plan: {}", planned.unwrap_err());
}

/// A legacy schema that already had the foreign key the struct now declares: migrating both
/// tables in one Migrator with `Drop` drops both legacy tables in one transaction, so the
/// legacy `runs` is no longer referenced once `steps` is gone. Referenced-first ordering puts
/// `runs` first, whose plan refuses the drop because legacy `steps` still references it;
/// before the ordering, adding `Step` first made this work, now no order does.
#[test]
fn review_drop_of_legacy_tables_that_reference_each_other_in_one_migrator() {
    let db = legacy(
        "CREATE TABLE steps (step_id INTEGER PRIMARY KEY, \
         run_id TEXT NOT NULL REFERENCES runs (run_id))",
    );
    let mut conn = db.open();
    let result = Migrator::new()
        .table::<Step>()
        .table::<Run>()
        .run(&mut conn, LegacyTable::Drop);
    match result {
        Ok(_) => {
            assert_eq!(count(&conn, "wrkflw_steps"), 2);
            assert!(!exists(&conn, "runs") && !exists(&conn, "steps"));
        }
        Err(e @ Error::ReferencedByForeignKeys { .. }) => {
            panic!("refused although both legacy tables go in this run: {e}")
        }
        Err(e) => panic!("{e}"),
    }
}
