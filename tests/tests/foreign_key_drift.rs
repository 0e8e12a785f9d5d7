//! A struct that gains, loses or changes a `references`: `ALTER TABLE` cannot change a
//! foreign key, so the table is rebuilt with it; rows the new key would leave pointing at
//! nothing stop the migration before anything is written, with their values.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator, Rebuild, Table};
use wrkflw_tests::DbFile;

#[wrkflw_table(name = "runs")]
pub struct Run {
    #[wrkflw(primary_key)]
    pub run_id: String,
}

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "steps")]
    pub struct Step {
        #[wrkflw(primary_key)]
        pub step_id: i64,
        pub run_id: String,
    }
}

/// `run_id` now references the run.
mod v2 {
    use super::{wrkflw_table, Run};

    #[wrkflw_table(name = "steps")]
    pub struct Step {
        #[wrkflw(primary_key)]
        pub step_id: i64,
        #[wrkflw(references = Run)]
        pub run_id: String,
    }
}

/// The same key, deleted with its run.
mod v3 {
    use super::{wrkflw_table, Run};

    #[wrkflw_table(name = "steps")]
    pub struct Step {
        #[wrkflw(primary_key)]
        pub step_id: i64,
        #[wrkflw(references = Run, on_delete = "cascade")]
        pub run_id: String,
    }
}

fn steps(dangling: &[&str]) -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    Run::migrate(&mut conn, LegacyTable::Keep).unwrap();
    v1::Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch(
        "INSERT INTO wrkflw_runs VALUES ('r1'), ('r2');
         INSERT INTO wrkflw_steps VALUES (1, 'r1'), (2, 'r2'), (3, 'r1');",
    )
    .unwrap();
    for (i, run) in dangling.iter().enumerate() {
        conn.execute(
            "INSERT INTO wrkflw_steps VALUES (?1, ?2)",
            (10 + i as i64, run),
        )
        .unwrap();
    }
    db
}

fn foreign_key(conn: &Connection) -> Option<(String, String)> {
    conn.query_row(
        "SELECT \"table\", on_delete FROM pragma_foreign_key_list('wrkflw_steps')",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .ok()
}

#[test]
fn a_new_reference_rebuilds_the_table_with_its_foreign_key() {
    let db = steps(&[]);
    let mut conn = db.open();
    assert_eq!(foreign_key(&conn), None);
    let plan = v2::Step::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(
        plan.to_string().contains(
            "column `run_id` references `wrkflw_runs` in the struct but nothing in the table"
        ),
        "{plan}"
    );
    let report = v2::Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(
        foreign_key(&conn),
        Some(("wrkflw_runs".to_owned(), "NO ACTION".to_owned()))
    );
    assert_eq!(v2::Step::count(&conn).unwrap(), 3);
    // Then the action changes: rebuilt again; then nothing to do.
    assert!(
        v3::Step::migrate(&mut conn, LegacyTable::Keep)
            .unwrap()
            .rebuilt
    );
    assert_eq!(
        foreign_key(&conn),
        Some(("wrkflw_runs".to_owned(), "CASCADE".to_owned()))
    );
    assert!(
        !v3::Step::migrate(&mut conn, LegacyTable::Keep)
            .unwrap()
            .rebuilt
    );
    // And a struct that drops the reference drops the key.
    assert!(
        v1::Step::migrate(&mut conn, LegacyTable::Keep)
            .unwrap()
            .rebuilt
    );
    assert_eq!(foreign_key(&conn), None);
}

#[test]
fn rows_a_new_reference_leaves_pointing_at_nothing_are_refused_before_writing() {
    let db = steps(&["gone", "gone", "lost"]);
    let before = db.bytes();
    let mut conn = db.open();
    let err = v2::Step::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    match &err {
        Error::SchemaDrift { table, differences } => {
            assert_eq!(table, "wrkflw_steps");
            assert!(
                differences.iter().any(|d| d.contains(
                    "column `run_id` now references `wrkflw_runs`, and 3 rows of the table point at no row there (values 'gone', 'lost')"
                )),
                "{differences:?}"
            );
        }
        other => panic!("{other}"),
    }
    drop(conn);
    assert_eq!(db.bytes(), before);
}

#[test]
fn with_rebuilds_off_a_new_reference_is_drift() {
    let db = steps(&[]);
    let mut conn = db.open();
    let err = Migrator::new()
        .table::<v2::Step>()
        .rebuild(Rebuild::Never)
        .run(&mut conn, LegacyTable::Keep)
        .unwrap_err();
    assert!(
        matches!(&err, Error::SchemaDrift { differences, .. }
            if differences.iter().any(|d| d.contains("references `wrkflw_runs` in the struct"))),
        "{err}"
    );
    assert_eq!(foreign_key(&conn), None);
}
