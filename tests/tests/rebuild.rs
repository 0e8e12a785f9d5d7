//! A table whose struct changed in a way `ALTER TABLE` cannot express is rebuilt: every kind
//! of change, rows and keys kept, the plan showing each statement, a re-run writing nothing,
//! and the rebuild refused inside an open transaction.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::{wrkflw_table, Action, Error, LegacyTable, Migrator, RebuildStep, Table};
use wrkflw_tests::{count, indexes, ledger, rows, schema, table_info, DbFile};

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(index)]
        pub done: bool,
        pub notes: Option<String>,
        pub code: String,
    }
}

/// `code` is now an integer.
mod retyped {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(index)]
        pub done: bool,
        pub notes: Option<String>,
        pub code: i64,
    }
}

/// `notes` is now required.
mod notes_required {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(index)]
        pub done: bool,
        pub notes: String,
        pub code: String,
    }
}

/// `title` is now optional.
mod title_optional {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: Option<String>,
        #[wrkflw(index)]
        pub done: bool,
        pub notes: Option<String>,
        pub code: String,
    }
}

/// `done` has a default now.
mod defaulted {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(index, default = "0")]
        pub done: bool,
        pub notes: Option<String>,
        pub code: String,
    }
}

/// `notes` is gone.
pub mod without_notes {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(index)]
        pub done: bool,
        pub code: String,
    }
}

/// `code` is the key now, `id` a plain column.
mod keyed_by_code {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        pub id: i64,
        pub title: String,
        #[wrkflw(index)]
        pub done: bool,
        pub notes: Option<String>,
        #[wrkflw(primary_key)]
        pub code: String,
    }
}

/// `without_notes::Task`, consenting to discard `notes` with its data.
pub mod with_consent {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks", drop_columns("notes"))]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(index)]
        pub done: bool,
        pub code: String,
    }
}

/// A file with `v1`'s table holding `n` tasks: `code` holds the id as text, `notes` a text
/// on even ids and NULL on odd ones.
fn tasks(n: i64) -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1)
         INSERT INTO wrkflw_tasks (id, title, done, notes, code)
         SELECT i, 'task ' || i, i % 3 = 0, CASE WHEN i % 2 = 0 THEN 'note ' || i END, CAST(i AS TEXT) FROM k",
        [n],
    )
    .unwrap();
    db
}

/// The file's bytes after a run that must write nothing equal its bytes before.
fn writes_nothing<T: Table>(db: &DbFile) {
    let before = db.bytes();
    let mut conn = db.open();
    let report = T::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(!report.rebuilt, "{report}");
    assert!(T::plan(&conn, LegacyTable::Keep).unwrap().steps.is_empty());
    drop(conn);
    assert_eq!(
        db.bytes(),
        before,
        "a re-run after a rebuild writes nothing"
    );
}

#[test]
fn a_changed_type_rebuilds_the_table_and_converts_every_value() {
    let db = tasks(100);
    let mut conn = db.open();
    let report = retyped::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert!(report.columns_dropped.is_empty());
    assert_eq!(report.to_string(), "wrkflw_tasks: already existed; rebuilt");
    assert_eq!(
        table_info(&conn, "wrkflw_tasks")[4],
        ("code".into(), "INTEGER".into(), true, None, 0)
    );
    let integers: i64 = conn
        .query_row(
            "SELECT count(*) FROM wrkflw_tasks WHERE typeof(code) = 'integer' AND code = id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(integers, 100);
    assert_eq!(
        indexes(&conn, "wrkflw_tasks"),
        [("idx_wrkflw_tasks_done".to_owned(), vec!["done".to_owned()])]
    );
    // The temporary table is gone, and the integrity holds.
    assert!(schema(&conn)
        .iter()
        .all(|(_, name, _)| !name.contains("rebuild")));
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // The ledger records the struct's schema.
    let entry = ledger(&conn, "wrkflw_tasks").expect("the rebuild is recorded");
    assert_eq!(entry.legacy_table, "");
    assert_eq!(entry.schema_checksum.len(), 16);
    drop(conn);
    writes_nothing::<retyped::Task>(&db);
}

#[test]
fn a_rebuild_keeps_every_row_its_rowid_and_its_values() {
    let db = tasks(50);
    let conn = db.open();
    let before = rows(&conn, "wrkflw_tasks");
    drop(conn);
    let mut conn = db.open();
    let report = title_optional::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(rows(&conn, "wrkflw_tasks"), before);
    assert!(
        !table_info(&conn, "wrkflw_tasks")[1].2,
        "title is nullable now"
    );
    conn.execute(
        "INSERT INTO wrkflw_tasks (id, title, done, code) VALUES (51, NULL, 0, '51')",
        [],
    )
    .unwrap();
    drop(conn);
    writes_nothing::<title_optional::Task>(&db);
}

#[test]
fn not_null_added_where_no_row_holds_null_rebuilds() {
    let db = tasks(10);
    let conn = db.open();
    conn.execute(
        "UPDATE wrkflw_tasks SET notes = 'filled' WHERE notes IS NULL",
        [],
    )
    .unwrap();
    drop(conn);
    let mut conn = db.open();
    let report = notes_required::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert!(
        table_info(&conn, "wrkflw_tasks")[3].2,
        "notes is NOT NULL now"
    );
    assert!(conn
        .execute("UPDATE wrkflw_tasks SET notes = NULL WHERE id = 1", [])
        .is_err());
    assert_eq!(count(&conn, "wrkflw_tasks"), 10);
}

#[test]
fn a_changed_default_rebuilds() {
    let db = tasks(10);
    let mut conn = db.open();
    let report = defaulted::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(table_info(&conn, "wrkflw_tasks")[2].3.as_deref(), Some("0"));
    conn.execute(
        "INSERT INTO wrkflw_tasks (id, title, code) VALUES (11, 'new', '11')",
        [],
    )
    .unwrap();
    let done: bool = conn
        .query_row("SELECT done FROM wrkflw_tasks WHERE id = 11", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!done);
    drop(conn);
    writes_nothing::<defaulted::Task>(&db);
}

#[test]
fn a_removed_field_whose_column_holds_only_null_is_dropped_without_consent() {
    let db = tasks(10);
    let conn = db.open();
    conn.execute("UPDATE wrkflw_tasks SET notes = NULL", [])
        .unwrap();
    drop(conn);
    let mut conn = db.open();
    let report = without_notes::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(report.columns_dropped, ["notes"]);
    assert_eq!(
        report.to_string(),
        "wrkflw_tasks: already existed; rebuilt without columns notes"
    );
    assert_eq!(table_info(&conn, "wrkflw_tasks").len(), 4);
    assert_eq!(count(&conn, "wrkflw_tasks"), 10);
}

#[test]
fn a_removed_field_whose_column_holds_data_is_dropped_with_consent() {
    let db = tasks(10);
    let mut conn = db.open();
    let report = with_consent::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(report.columns_dropped, ["notes"]);
    assert!(table_info(&conn, "wrkflw_tasks")
        .iter()
        .all(|c| c.0 != "notes"));
    assert_eq!(count(&conn, "wrkflw_tasks"), 10);
    drop(conn);
    writes_nothing::<with_consent::Task>(&db);
}

#[test]
fn a_removed_field_whose_column_holds_data_is_refused_without_consent() {
    let db = tasks(10);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = without_notes::Task::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    let Error::SchemaDrift { differences, .. } = &error else {
        panic!("expected SchemaDrift, got {error:?}");
    };
    assert_eq!(
        differences,
        &["column `notes` is in the table but not in the struct, and 5 rows hold a value there \
           (keys 2, 4, 6, 8, 10); add `drop_columns(\"notes\")` to `#[wrkflw_table]` to discard it, \
           or add the field back"]
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes, "nothing was written");
}

#[test]
fn a_changed_key_rebuilds_with_the_new_key() {
    let db = tasks(20);
    let mut conn = db.open();
    let report = keyed_by_code::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    let info = table_info(&conn, "wrkflw_tasks");
    assert_eq!((info[0].4, info[4].4), (0, 1), "code is the key, id is not");
    let found: String = conn
        .query_row("SELECT title FROM wrkflw_tasks WHERE code = '7'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(found, "task 7");
    assert!(conn
        .execute(
            "INSERT INTO wrkflw_tasks (id, title, done, code) VALUES (99, 'dup', 0, '7')",
            []
        )
        .is_err());
    drop(conn);
    writes_nothing::<keyed_by_code::Task>(&db);
}

#[test]
fn the_plan_shows_the_rebuild_statement_by_statement_and_migrate_runs_exactly_it() {
    let db = tasks(30);
    let conn = db.open();
    let plan = retyped::Task::plan(&conn, LegacyTable::Keep).unwrap();
    let steps: Vec<&Action> = plan.steps.iter().map(|s| &s.action).collect();
    let rebuild = |step: RebuildStep| Action::RebuildTable { step };
    assert_eq!(
        steps,
        [
            &Action::CreateLedger,
            &rebuild(RebuildStep::CreateTable {
                temporary: "wrkflw_tasks__wrkflw_rebuild".into(),
                reasons: vec![
                    "column `code` is TEXT in the table but INTEGER in the struct".into()
                ],
            }),
            &rebuild(RebuildStep::Copy {
                rows: 30,
                dropped: vec![]
            }),
            &rebuild(RebuildStep::Verify),
            &rebuild(RebuildStep::DropOld),
            &rebuild(RebuildStep::Rename {
                temporary: "wrkflw_tasks__wrkflw_rebuild".into()
            }),
            &Action::CreateIndex {
                index: "idx_wrkflw_tasks_done".into()
            },
            &Action::RecordLedger,
        ]
    );
    let text = plan.to_string();
    assert!(
        text.contains(
            "-- 2. rebuild: create wrkflw_tasks__wrkflw_rebuild, the table as the struct declares it: \
             column `code` is TEXT in the table but INTEGER in the struct\n\
             CREATE TABLE main.wrkflw_tasks__wrkflw_rebuild ("
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "-- 3. rebuild: copy 30 rows into it\n\
             INSERT INTO main.wrkflw_tasks__wrkflw_rebuild (id, title, done, notes, code)\n\
             SELECT o.id, o.title, o.done, o.notes, CAST(o.code AS INTEGER)\n\
             FROM main.wrkflw_tasks AS o;"
        ),
        "{text}"
    );
    assert!(
        text.contains("-- 6. rebuild: rename wrkflw_tasks__wrkflw_rebuild to the table's name\nALTER TABLE main.wrkflw_tasks__wrkflw_rebuild RENAME TO wrkflw_tasks;"),
        "{text}"
    );
    // Planning wrote nothing; migrate runs those statements.
    drop(conn);
    let mut conn = db.open();
    assert_eq!(count(&conn, "wrkflw_tasks"), 30);
    let report = retyped::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
}

#[test]
fn a_rebuild_inside_an_open_transaction_is_refused_before_anything_is_written() {
    let db = tasks(10);
    let mut conn = db.open();
    conn.execute_batch("BEGIN").unwrap();
    let error = retyped::Task::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&error, Error::RebuildInTransaction { table } if table == "wrkflw_tasks"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "`wrkflw_tasks` needs a rebuild, which cannot run inside the transaction open on this \
         connection; nothing was changed. Commit or roll it back and migrate again"
    );
    assert!(
        !conn.is_autocommit(),
        "the caller's transaction is left open"
    );
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(table_info(&conn, "wrkflw_tasks")[4].1, "TEXT");
}

#[test]
fn with_rebuilds_off_the_migrator_reports_drift_and_with_them_on_it_rebuilds() {
    let db = tasks(10);
    let mut conn = db.open();
    let error = Migrator::new()
        .table::<retyped::Task>()
        .rebuild(wrkflw::Rebuild::Never)
        .run(&mut conn, LegacyTable::Keep)
        .unwrap_err();
    assert!(matches!(error, Error::SchemaDrift { .. }), "{error:?}");
    let reports = Migrator::new()
        .table::<retyped::Task>()
        .run(&mut conn, LegacyTable::Keep)
        .unwrap();
    assert!(reports[0].rebuilt);
}

/// With rebuilds on, the prebuilt table whose key compares without case (see
/// `schema_evolution.rs`) is rebuilt before the copy, and both legacy rows arrive.
#[test]
fn a_prebuilt_table_whose_key_collates_otherwise_is_rebuilt_before_the_copy() {
    #[wrkflw_table(rename_from = "workflow_runs", name = "runs")]
    struct Run {
        #[wrkflw(primary_key)]
        run_id: String,
        workflow_id: String,
        status: String,
    }
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE workflow_runs (run_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, status TEXT NOT NULL);
         INSERT INTO workflow_runs VALUES ('A', 'w', 'done'), ('a', 'w', 'done');
         CREATE TABLE wrkflw_runs (run_id TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, workflow_id TEXT NOT NULL, status TEXT NOT NULL);",
    )
    .unwrap();
    let report = Run::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.rebuilt);
    assert_eq!(report.rows_copied, 2);
    assert_eq!(count(&conn, "wrkflw_runs"), 2);
}
