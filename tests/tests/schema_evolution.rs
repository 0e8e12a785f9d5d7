//! A table that already exists while its struct has changed: new nullable or defaulted
//! fields are added; with rebuilds off (`Rebuild::Never`) anything else is `SchemaDrift` and
//! nothing is altered. Rebuilds themselves are tested in `rebuild.rs`.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator, Rebuild, Table};
use wrkflw_tests::{schema, table_info, DbFile};

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub done: bool,
    }
}

mod v2 {
    use super::wrkflw_table;

    /// v1 plus a nullable field, a defaulted one and an indexed one.
    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub done: bool,
        pub notes: Option<String>,
        #[wrkflw(default = "'normal'", index)]
        pub priority: String,
    }
}

mod drifted {
    use super::wrkflw_table;

    /// v1 with `title` retyped, `done` removed and a required field without default.
    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: Vec<u8>,
        pub owner: String,
    }
}

#[test]
fn new_nullable_and_defaulted_fields_are_added_to_the_existing_table() {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute(
        "INSERT INTO wrkflw_tasks (id, title, done) VALUES (1, 'write docs', 0)",
        [],
    )
    .unwrap();
    drop(conn);

    let mut conn = db.open();
    let report = v2::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.columns_added, ["notes", "priority"]);
    assert!(!report.table_created);
    assert!(
        report.to_string().contains("added columns notes, priority"),
        "{report}"
    );
    let row: (String, Option<String>, String) = conn
        .query_row("SELECT title, notes, priority FROM wrkflw_tasks", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(row, ("write docs".into(), None, "normal".into()));
    let index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'idx_wrkflw_tasks_priority'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1);

    let again = v2::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(again.columns_added.is_empty());
}

/// Migrates `T` with rebuilds off.
fn without_rebuilds<T: Table>(
    conn: &mut wrkflw::rusqlite::Connection,
    legacy: LegacyTable,
) -> wrkflw::Result<wrkflw::MigrationReport> {
    Migrator::new()
        .table::<T>()
        .rebuild(Rebuild::Never)
        .run(conn, legacy)
        .map(|mut reports| reports.remove(0))
}

const OFF: &str = "; only a rebuild can change that, and rebuilds are off (Rebuild::Never)";

#[test]
fn with_rebuilds_off_any_other_difference_is_schema_drift_listing_each_and_nothing_changes() {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute(
        "INSERT INTO wrkflw_tasks (id, title, done) VALUES (1, 'write docs', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();

    let mut conn = db.open();
    let before = schema(&conn);
    let error = without_rebuilds::<drifted::Task>(&mut conn, LegacyTable::Keep).unwrap_err();
    match &error {
        Error::SchemaDrift { table, differences } => {
            assert_eq!(table, "wrkflw_tasks");
            assert_eq!(
                differences,
                &[
                    "column `owner` is new, NOT NULL and has no default, so the rows already in the table would have no value for it; make it `Option<_>` or give it a `default`".to_owned(),
                    format!("column `title` is TEXT in the table but BLOB in the struct{OFF}"),
                    format!("column `done` is in the table but not in the struct{OFF}"),
                ]
            );
        }
        other => panic!("expected SchemaDrift, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("table `wrkflw_tasks` differs from its struct: column `owner`"),
        "{error}"
    );
    assert!(
        error.to_string().ends_with("; nothing was changed"),
        "{error}"
    );
    assert_eq!(schema(&conn), before);
    assert_eq!(table_info(&conn, "wrkflw_tasks").len(), 3);
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn with_rebuilds_off_nullability_and_default_changes_are_drift_too() {
    mod loosened {
        use super::wrkflw_table;

        #[wrkflw_table(name = "tasks")]
        pub struct Task {
            #[wrkflw(primary_key)]
            pub id: i64,
            pub title: Option<String>,
            #[wrkflw(default = "0")]
            pub done: bool,
        }
    }
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let Err(Error::SchemaDrift { differences, .. }) =
        without_rebuilds::<loosened::Task>(&mut conn, LegacyTable::Keep)
    else {
        panic!("expected SchemaDrift");
    };
    assert_eq!(
        differences,
        [
            format!("column `title` is NOT NULL in the table but nullable in the struct{OFF}"),
            format!("column `done` has DEFAULT (none) in the table but 0 in the struct{OFF}"),
        ]
    );
}

/// Item 6: a prebuilt new table whose key compares without case holds `'A'` and `'a'` as one
/// key, so a copy would skip one of two legacy rows: with rebuilds off, drift, before
/// anything is copied (with them on, the table is rebuilt first: see `rebuild.rs`).
#[test]
fn a_prebuilt_table_whose_key_collates_otherwise_is_drift_before_any_copy() {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE workflow_runs (run_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, status TEXT NOT NULL);
         INSERT INTO workflow_runs VALUES ('A', 'w', 'done'), ('a', 'w', 'done');
         CREATE TABLE wrkflw_runs (run_id TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, workflow_id TEXT NOT NULL, status TEXT NOT NULL);",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = without_rebuilds::<Run>(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::SchemaDrift { table, differences } => {
            assert_eq!(table, "wrkflw_runs");
            assert_eq!(
                differences,
                &[format!("column `run_id` compares with COLLATE NOCASE in the table but BINARY in the struct{OFF}")]
            );
        }
        other => panic!("expected SchemaDrift, got {other:?}"),
    }
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[wrkflw_table(rename_from = "workflow_runs", name = "runs")]
struct Run {
    #[wrkflw(primary_key)]
    run_id: String,
    workflow_id: String,
    status: String,
}
