//! Composite keys through a migration: a legacy table keyed by `(run_id, step_id)`, where
//! neither column alone is unique, is copied, verified, reported and checked by both
//! columns together; typed rows take the key as a tuple.

#![allow(dead_code)] // The structs declare tables; some tests never read their fields.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, CaptureStatus, CopyPath, Error, KeyProblem, LegacyTable, Table};
use wrkflw_tests::{assert_rejected, count, exists, rows, DbFile};

#[wrkflw_table(rename_from = "workflow_steps")]
#[derive(Debug, Clone, PartialEq)]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: i64,
    name: String,
    output: Option<String>,
}

const LEGACY_STEPS: &str = "CREATE TABLE workflow_steps (
  run_id TEXT NOT NULL,
  step_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  output TEXT,
  PRIMARY KEY (run_id, step_id)
)";

/// Runs `r1`..`r{runs}` with steps 1..=`steps` each: every run id and every step id
/// appears several times, so only both together find a row.
fn legacy_steps(schema: &str, runs: i64, steps: i64) -> (DbFile, Connection) {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(schema).unwrap();
    for run in 1..=runs {
        for step in 1..=steps {
            conn.execute(
                "INSERT INTO workflow_steps (run_id, step_id, name, output) VALUES (?1, ?2, ?3, ?4)",
                wrkflw::rusqlite::params![
                    format!("r{run}"),
                    step,
                    format!("step {step} of r{run}"),
                    (step % 2 == 0).then(|| format!("out {run}.{step}")),
                ],
            )
            .unwrap();
        }
    }
    (db, conn)
}

/// Every row of a steps table as (run_id, step_id, name, output), by key.
fn steps(conn: &Connection, table: &str) -> Vec<(String, i64, String, Option<String>)> {
    conn.prepare(&format!(
        "SELECT run_id, step_id, name, output FROM {table} ORDER BY run_id, step_id"
    ))
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn the_first_migration_copies_every_row_and_a_rerun_copies_and_writes_nothing() {
    let (db, mut conn) = legacy_steps(LEGACY_STEPS, 4, 5);
    let report = Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 20);
    assert_eq!(report.capture, Some(CaptureStatus::Installed));
    assert_eq!(
        steps(&conn, "wrkflw_workflow_steps"),
        steps(&conn, "workflow_steps")
    );
    drop(conn);

    let bytes = db.bytes();
    let mut conn = db.open();
    let again = Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((again.rows_copied, again.copy_path), (0, None));
    assert_eq!(again.capture, Some(CaptureStatus::Active));
    assert!(again.conflicts.is_empty());
    drop(conn);
    assert_eq!(db.bytes(), bytes, "a re-run writes nothing");

    let mut conn = db.open();
    let last = Step::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(last.legacy_dropped);
    assert_eq!(count(&conn, "wrkflw_workflow_steps"), 20);
}

/// A table the user made by hand (the new table there before any migration) is reconciled
/// by both key columns: each missing (run, step) arrives, and the rows it already holds
/// are kept, even where another row shares one of their key columns.
#[test]
fn a_reconcile_copies_the_keys_missing_by_both_columns() {
    let (_db, mut conn) = legacy_steps(LEGACY_STEPS, 3, 3);
    conn.execute_batch(&format!(
        "{};
         INSERT INTO wrkflw_workflow_steps VALUES ('r1', 1, 'by the app', NULL), ('r2', 2, 'by the app', NULL);",
        Step::CREATE_SQL
    ))
    .unwrap();
    let report = Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.copy_path, Some(CopyPath::Reconcile));
    assert_eq!(report.rows_copied, 7);
    assert_eq!(report.rows_differing, 2, "the two rows the table held");
    assert_eq!(count(&conn, "wrkflw_workflow_steps"), 9);
    let name = |run: &str, step: i64| -> String {
        conn.query_row(
            "SELECT name FROM wrkflw_workflow_steps WHERE run_id = ?1 AND step_id = ?2",
            wrkflw::rusqlite::params![run, step],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(name("r1", 1), "by the app");
    assert_eq!(name("r1", 2), "step 2 of r1");
    assert_eq!(name("r2", 1), "step 1 of r2");
}

/// A trigger that silently removes copied rows stands in for anything that could make a
/// copy fall short: the check names the missing rows by their whole key.
#[test]
fn missing_rows_are_named_by_their_whole_key() {
    let (db, conn) = legacy_steps(LEGACY_STEPS, 3, 4);
    conn.execute_batch(&format!(
        "{};
         CREATE TRIGGER vanish AFTER INSERT ON wrkflw_workflow_steps WHEN NEW.step_id = 3
         BEGIN DELETE FROM wrkflw_workflow_steps WHERE run_id = NEW.run_id AND step_id = 3; END;",
        Step::CREATE_SQL
    ))
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = Step::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::MissingRows {
            missing,
            sample_keys,
            ..
        } => {
            assert_eq!(*missing, 3);
            let mut keys = sample_keys.clone();
            keys.sort();
            assert_eq!(keys, ["('r1', 3)", "('r2', 3)", "('r3', 3)"]);
        }
        other => panic!("expected MissingRows, got {other:?}"),
    }
    assert!(error.to_string().contains("('r1', 3)"), "{error}");
    drop(conn);
    assert_eq!(db.bytes(), bytes, "nothing changed");
}

#[test]
fn a_row_deleted_from_the_new_table_stays_deleted() {
    let (_db, mut conn) = legacy_steps(LEGACY_STEPS, 3, 3);
    Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(Step::delete(&conn, ("r2".to_owned(), 2)).unwrap());
    let again = Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(again.rows_copied, 0);
    assert_eq!(Step::get(&conn, ("r2".to_owned(), 2)).unwrap(), None);
    // Its neighbours under either key column are still there.
    assert!(Step::get(&conn, ("r2".to_owned(), 1)).unwrap().is_some());
    assert!(Step::get(&conn, ("r1".to_owned(), 2)).unwrap().is_some());
    assert_eq!(count(&conn, "wrkflw_workflow_steps"), 8);
    let last = Step::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((last.rows_copied, last.legacy_dropped), (0, true));
    assert_eq!(count(&conn, "wrkflw_workflow_steps"), 8);
}

#[test]
fn typed_rows_take_the_key_as_a_tuple_and_name_a_taken_key_as_one() {
    let (_db, mut conn) = legacy_steps(LEGACY_STEPS, 2, 2);
    Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let mut step = Step::get(&conn, ("r1".to_owned(), 2)).unwrap().unwrap();
    assert_eq!(step.name, "step 2 of r1");
    step.output = Some("changed".into());
    assert!(step.update(&conn).unwrap());
    assert_eq!(
        Step::get(&conn, ("r1".to_owned(), 2)).unwrap(),
        Some(step.clone())
    );
    // Only that row changed.
    assert_eq!(
        Step::get(&conn, ("r2".to_owned(), 2))
            .unwrap()
            .unwrap()
            .output
            .as_deref(),
        Some("out 2.2")
    );
    let error = step.insert(&conn).unwrap_err();
    match &error {
        Error::KeyExists { table, key } => {
            assert_eq!(table, "wrkflw_workflow_steps");
            assert_eq!(key, "('r1', 2)");
        }
        other => panic!("expected KeyExists, got {other:?}"),
    }
    assert!(error.to_string().contains("key ('r1', 2)"), "{error}");
    assert!(Step::delete(&conn, ("r1".to_owned(), 2)).unwrap());
    assert!(!Step::delete(&conn, ("r1".to_owned(), 2)).unwrap());
    assert_eq!(count(&conn, "wrkflw_workflow_steps"), 3);
}

/// SQLite lets a rowid table's composite `PRIMARY KEY` hold NULLs; the table's key columns
/// cannot. Such a row is refused by name, as a NULL one-column key is, never dropped.
#[test]
fn a_null_in_a_key_column_is_refused_and_named() {
    let loose = LEGACY_STEPS.replace("step_id INTEGER NOT NULL", "step_id INTEGER");
    let (db, conn) = legacy_steps(&loose, 2, 2);
    conn.execute(
        "INSERT INTO workflow_steps (run_id, step_id, name) VALUES ('r1', NULL, 'no step')",
        [],
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let error = Step::migrate(&mut conn, legacy).unwrap_err();
        assert_rejected(&error, "step_id", 1, &["('r1', NULL)"]);
    }
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

/// Two legacy rows under one composite key (no unique index there): dropping the legacy
/// table after the copy names the colliding keys.
#[test]
fn duplicate_composite_keys_are_named_as_tuples() {
    let loose = "CREATE TABLE workflow_steps (run_id TEXT, step_id INTEGER, name TEXT NOT NULL, output TEXT)";
    let (_db, conn) = legacy_steps(loose, 2, 2);
    conn.execute(
        "INSERT INTO workflow_steps (run_id, step_id, name) VALUES ('r2', 1, 'again')",
        [],
    )
    .unwrap();
    drop(conn);
    let mut conn = _db.open();
    let error = Step::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::DuplicateKeys {
            column,
            sample_keys,
            ..
        } => {
            assert_eq!(column, "run_id, step_id");
            assert_eq!(sample_keys, &["('r2', 1), ('r2', 1)"]);
        }
        other => panic!("expected DuplicateKeys, got {other:?}"),
    }
    assert!(exists(&conn, "workflow_steps"));
}

/// Keeping the legacy table needs its key to be the table's key: the same columns (by
/// legacy name), unique together, each of the field's affinity and compared byte for byte.
#[test]
fn keeping_the_legacy_table_needs_a_legacy_key_of_the_same_columns() {
    let cases: [(&str, &str, KeyProblem); 4] = [
        (
            // Unique on run_id alone is another key (each run has one step here).
            "CREATE TABLE workflow_steps (run_id TEXT NOT NULL UNIQUE, step_id INTEGER NOT NULL, name TEXT NOT NULL, output TEXT)",
            "run_id, step_id",
            KeyProblem::NotUnique {
                since_installed: false,
            },
        ),
        (
            // Unique on three columns does not make the two unique.
            "CREATE TABLE workflow_steps (run_id TEXT, step_id INTEGER, name TEXT NOT NULL, output TEXT,
               UNIQUE (run_id, step_id, name))",
            "run_id, step_id",
            KeyProblem::NotUnique {
                since_installed: false,
            },
        ),
        (
            "CREATE TABLE workflow_steps (run_id TEXT, step_id TEXT, name TEXT NOT NULL, output TEXT,
               PRIMARY KEY (run_id, step_id))",
            "step_id",
            KeyProblem::Affinity {
                legacy: "TEXT".into(),
                field: wrkflw::SqlType::Integer,
            },
        ),
        (
            "CREATE TABLE workflow_steps (run_id TEXT COLLATE NOCASE, step_id INTEGER, name TEXT NOT NULL, output TEXT,
               PRIMARY KEY (run_id, step_id))",
            "run_id",
            KeyProblem::Collation {
                collation: "NOCASE".into(),
            },
        ),
    ];
    for (schema, named, expected) in cases {
        let (db, mut conn) = legacy_steps(schema, 3, 1);
        drop(conn);
        let bytes = db.bytes();
        conn = db.open();
        let error = Step::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
        match &error {
            Error::CannotCapture {
                column, problem, ..
            } => assert_eq!((column.as_str(), problem), (named, &expected), "{schema}"),
            other => panic!("{schema}: expected CannotCapture, got {other:?}"),
        }
        assert_eq!(db.bytes(), bytes, "{schema}: nothing changed");
        // Dropped in the same run, no capture is needed.
        let report = Step::migrate(&mut conn, LegacyTable::Drop).unwrap();
        assert_eq!((report.rows_copied, report.legacy_dropped), (3, true));
    }
}

/// A key declared in the other order, or made unique by an index instead of the primary
/// key, is the same key.
#[test]
fn a_legacy_key_of_the_same_columns_in_any_order_or_by_unique_index_is_captured() {
    for schema in [
        "CREATE TABLE workflow_steps (run_id TEXT, step_id INTEGER, name TEXT NOT NULL, output TEXT,
           PRIMARY KEY (step_id, run_id))",
        "CREATE TABLE workflow_steps (id INTEGER PRIMARY KEY, run_id TEXT, step_id INTEGER, name TEXT NOT NULL, output TEXT);
         CREATE UNIQUE INDEX steps_key ON workflow_steps (step_id, run_id);",
    ] {
        let (db, mut conn) = legacy_steps(schema, 2, 3);
        let report = Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
        assert_eq!(report.capture, Some(CaptureStatus::Installed), "{schema}");
        db.open()
            .execute(
                "UPDATE workflow_steps SET name = 'renamed' WHERE run_id = 'r2' AND step_id = 3",
                [],
            )
            .unwrap();
        assert_eq!(
            steps(&conn, "wrkflw_workflow_steps"),
            steps(&conn, "workflow_steps"),
            "{schema}"
        );
    }
}

/// A key field renamed from its legacy column reads the key from that column, in the
/// copy, the checks and the capture.
mod renamed {
    use wrkflw::wrkflw_table;

    #[wrkflw_table(rename_from = "workflow_steps")]
    pub struct Step {
        #[wrkflw(primary_key)]
        pub run_id: String,
        #[wrkflw(primary_key, rename_from = "idx")]
        pub step_id: i64,
        pub name: String,
    }
}

#[test]
fn a_renamed_key_column_is_read_and_checked_under_its_legacy_name() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE workflow_steps (run_id TEXT, idx INTEGER, name TEXT NOT NULL, PRIMARY KEY (run_id, idx));
         INSERT INTO workflow_steps VALUES ('r1', 1, 'a'), ('r1', 2, 'b'), ('r2', 1, 'c');",
    )
    .unwrap();
    let report = renamed::Step::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 3);
    conn.execute_batch(
        "UPDATE workflow_steps SET idx = 5 WHERE run_id = 'r1' AND idx = 1;
         DELETE FROM workflow_steps WHERE run_id = 'r2' AND idx = 1;",
    )
    .unwrap();
    let keys: Vec<(String, i64, String)> = conn
        .prepare("SELECT run_id, step_id, name FROM wrkflw_workflow_steps ORDER BY run_id, step_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        keys,
        [
            ("r1".to_owned(), 2, "b".to_owned()),
            ("r1".to_owned(), 5, "a".to_owned())
        ]
    );
    assert_eq!(rows(&conn, "workflow_steps").len(), 2);
}
