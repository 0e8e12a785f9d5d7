//! A `Migrator` over legacy tables that reference each other: `plan` agrees with `migrate`
//! (the referenced table's legacy rows count as arriving), and `Drop` drops the legacy tables
//! referencing ones first, once every table has run.

use wrkflw::{wrkflw_table, Action, Error, LegacyTable, Migrator};
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

/// `plan` and `migrate` never disagree: the plan of a Migrator whose run succeeds succeeds
/// too, although the plan does not run the parent's copy.
#[test]
fn the_plan_of_a_migrator_that_runs_agrees_on_foreign_keys() {
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

/// A legacy schema that already had the foreign key the struct now declares: both legacy
/// tables go in one transaction, `steps` before the `runs` it references, with foreign keys
/// enforced or not.
#[test]
fn legacy_tables_that_reference_each_other_are_dropped_in_one_run() {
    for foreign_keys in [true, false] {
        let db = legacy(
            "CREATE TABLE steps (step_id INTEGER PRIMARY KEY, \
             run_id TEXT NOT NULL REFERENCES runs (run_id))",
        );
        let mut conn = db.open();
        conn.pragma_update(None, "foreign_keys", foreign_keys)
            .unwrap();
        let migrator = Migrator::new().table::<Step>().table::<Run>();
        let plans = migrator.plan(&conn, LegacyTable::Drop).unwrap();
        // Runs first (referenced), so the last table to run, Step, drops `runs` after `steps`.
        let last: Vec<String> = plans[0]
            .steps
            .iter()
            .filter(|s| matches!(s.action, Action::DropLegacy | Action::DropLegacyOf { .. }))
            .map(|s| s.sql.clone())
            .collect();
        assert_eq!(
            last,
            [
                "DROP TABLE main.steps",
                "PRAGMA defer_foreign_keys = ON;\nDROP TABLE main.runs"
            ]
        );
        let reports = match migrator.run(&mut conn, LegacyTable::Drop) {
            Ok(reports) => reports,
            Err(e @ Error::ReferencedByForeignKeys { .. }) => {
                panic!("refused although both legacy tables go in this run: {e}")
            }
            Err(e) => panic!("{e}"),
        };
        assert!(reports.iter().all(|r| r.legacy_dropped), "{reports:?}");
        assert_eq!(count(&conn, "wrkflw_steps"), 2);
        assert_eq!(count(&conn, "wrkflw_runs"), 2);
        assert!(!exists(&conn, "runs") && !exists(&conn, "steps"));
    }
}

/// Alone, the referenced legacy table is still refused while another references it.
#[test]
fn a_legacy_table_another_references_is_not_dropped_alone() {
    let db = legacy(
        "CREATE TABLE steps (step_id INTEGER PRIMARY KEY, \
         run_id TEXT NOT NULL REFERENCES runs (run_id))",
    );
    let mut conn = db.open();
    let err = Migrator::new()
        .table::<Run>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap_err();
    assert!(
        matches!(err, Error::ReferencedByForeignKeys { .. }),
        "{err}"
    );
    assert!(exists(&conn, "runs"));
}
