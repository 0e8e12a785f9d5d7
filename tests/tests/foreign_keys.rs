//! Foreign keys in migrations: referenced tables migrate first, a cycle is an error, and a
//! copy that would leave rows pointing at nothing is refused with table, column and count,
//! whether or not the connection enforces foreign keys, leaving the file as it was.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator, Table};
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

#[wrkflw_table(rename_from = "nodes")]
pub struct Node {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Self)]
    pub parent: Option<i64>,
}

#[wrkflw_table]
pub struct Egg {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Hen)]
    pub hen: Option<i64>,
}

#[wrkflw_table]
pub struct Hen {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Egg)]
    pub egg: Option<i64>,
}

/// Legacy `runs` and `steps`; `dangling` steps name a run that is not there.
fn legacy(dangling: usize) -> DbFile {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY);
         CREATE TABLE steps (step_id INTEGER PRIMARY KEY, run_id TEXT NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
         INSERT INTO runs SELECT 'r' || i FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
         INSERT INTO steps SELECT i, 'r' || (i % 100 + 1) FROM n;",
    )
    .unwrap();
    for i in 0..dangling {
        conn.execute(
            "INSERT INTO steps VALUES (?1, ?2)",
            (1000 + i as i64, format!("gone{i}")),
        )
        .unwrap();
    }
    db
}

/// `err` is `DanglingReferences` of (table, column, parent, rows) with these sample values.
fn assert_dangling(err: &Error, expected: (&str, &str, &str, u64), samples: &[&str]) {
    match err {
        Error::DanglingReferences {
            table,
            column,
            parent,
            rows,
            sample_values,
        } => {
            assert_eq!(
                (table.as_str(), column.as_str(), parent.as_str(), *rows),
                expected
            );
            assert_eq!(sample_values, samples);
        }
        other => panic!("{other}"),
    }
}

fn enforce(conn: &Connection, on: bool) {
    conn.pragma_update(None, "foreign_keys", on).unwrap();
}

#[test]
fn referenced_tables_migrate_first_whatever_the_order_added() {
    for foreign_keys in [false, true] {
        let db = legacy(0);
        let mut conn = db.open();
        enforce(&conn, foreign_keys);
        let reports = Migrator::new()
            .table::<Step>()
            .table::<Run>()
            .run(&mut conn, LegacyTable::Drop)
            .unwrap();
        // Reports come in the order added.
        assert_eq!(reports[0].table, "wrkflw_steps");
        assert_eq!(reports[1].table, "wrkflw_runs");
        assert_eq!((reports[0].rows_copied, reports[1].rows_copied), (300, 100));
        assert_eq!(count(&conn, "wrkflw_steps"), 300);
        assert!(!exists(&conn, "runs") && !exists(&conn, "steps"));
        // The plan lists them in the order added too.
        let plans = Migrator::new()
            .table::<Step>()
            .table::<Run>()
            .plan(&conn, LegacyTable::Drop)
            .unwrap();
        assert_eq!(plans[0].table, "wrkflw_steps");
    }
}

#[test]
fn a_cycle_of_references_is_an_error_naming_the_tables() {
    let db = DbFile::new();
    let mut conn = db.open();
    let before = db.bytes();
    let err = Migrator::new()
        .table::<Egg>()
        .table::<Hen>()
        .run(&mut conn, LegacyTable::Keep)
        .unwrap_err();
    match &err {
        Error::ForeignKeyCycle { tables } => assert_eq!(tables, &["wrkflw_egg", "wrkflw_hen"]),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("wrkflw_egg → wrkflw_hen"), "{err}");
    assert_eq!(db.bytes(), before);
    // Alone, each one migrates: the other table is simply not there yet.
    Egg::migrate(&mut conn, LegacyTable::Keep).unwrap();
}

#[test]
fn rows_pointing_at_nothing_are_refused_with_column_and_count() {
    for foreign_keys in [false, true] {
        let db = legacy(3);
        let mut conn = db.open();
        enforce(&conn, foreign_keys);
        let before = db.bytes();
        let err = Migrator::new()
            .table::<Run>()
            .table::<Step>()
            .run(&mut conn, LegacyTable::Drop)
            .unwrap_err();
        assert_dangling(
            &err,
            ("wrkflw_steps", "run_id", "wrkflw_runs", 3),
            &["'gone0'", "'gone1'", "'gone2'"],
        );
        assert!(
            err.to_string().starts_with(
                "`wrkflw_steps`.`run_id` of 3 rows would point at no row of `wrkflw_runs`"
            ),
            "{err}"
        );
        drop(conn);
        assert_eq!(db.bytes(), before, "foreign_keys={foreign_keys}");
        // The plan says so too, before anything is written.
        let conn = db.open();
        let err = Migrator::new()
            .table::<Run>()
            .table::<Step>()
            .plan(&conn, LegacyTable::Drop);
        assert!(matches!(err, Err(Error::DanglingReferences { .. })));
    }
}

#[test]
fn a_referencing_table_alone_needs_its_referenced_rows_there() {
    let db = legacy(0);
    let mut conn = db.open();
    let err = Step::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&err, Error::DanglingReferences { parent, rows: 300, .. } if parent == "wrkflw_runs"),
        "{err}"
    );
    Run::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let report = Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 300);
}

#[test]
fn a_self_reference_may_point_at_rows_of_the_same_copy() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent INTEGER);
         INSERT INTO nodes VALUES (1, NULL), (2, 1), (3, 2), (4, 99);",
    )
    .unwrap();
    let before = db.bytes();
    let err = Node::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert_dangling(&err, ("wrkflw_nodes", "parent", "wrkflw_nodes", 1), &["99"]);
    drop(conn);
    assert_eq!(db.bytes(), before);
    let mut conn = db.open();
    conn.execute("DELETE FROM nodes WHERE id = 4", []).unwrap();
    assert_eq!(
        Node::migrate(&mut conn, LegacyTable::Keep)
            .unwrap()
            .rows_copied,
        3
    );
}

#[test]
fn on_delete_cascade_applies_where_foreign_keys_are_enforced() {
    let db = legacy(0);
    let mut conn = db.open();
    Migrator::new()
        .table::<Run>()
        .table::<Step>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap();
    enforce(&conn, true);
    assert!(Run::delete(&conn, "r1").unwrap());
    assert_eq!(count(&conn, "wrkflw_steps"), 297);
    let err = Step {
        step_id: 5000,
        run_id: "nowhere".into(),
    }
    .insert(&conn)
    .unwrap_err();
    assert!(
        err.to_string().contains("FOREIGN KEY constraint failed"),
        "{err}"
    );
}
