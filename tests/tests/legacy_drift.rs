//! Legacy tables that lack columns, name them differently, or carry extra ones.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::{count, exists, DbFile};

/// The struct of a later release: `state` is now `phase`, and two fields are new.
#[wrkflw_table(rename_from = "jobs")]
#[allow(dead_code)] // Only the generated table is used; its fields are never read.
struct Job {
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(rename_from = "state", index)]
    phase: String,
    #[wrkflw(default = "3")]
    max_attempts: i64,
    note: Option<String>,
}

const OLD_JOBS: &str = "CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, owner TEXT);
    INSERT INTO jobs VALUES ('a', 'queued', 'ann'), ('b', 'done', 'bob'), ('c', 'queued', NULL);";

fn jobs(conn: &Connection) -> Vec<(String, String, i64, Option<String>)> {
    let mut stmt = conn
        .prepare("SELECT id, phase, max_attempts, note FROM wrkflw_jobs ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_copy_sql_reads_the_old_column_name_into_the_new_one() {
    assert_eq!(
        Job::COPY_SQL,
        Some(
            "INSERT INTO wrkflw_jobs (\n  id, phase, max_attempts, note\n)\nSELECT\n  id, state AS phase, max_attempts, note\nFROM jobs\nWHERE true\nON CONFLICT (id) DO NOTHING"
        )
    );
    assert_eq!(Job::COLUMNS[1].rename_from, Some("state"));
    assert_eq!(Job::COLUMNS[1].legacy_name(), "state");
}

#[test]
fn renamed_missing_and_extra_legacy_columns_are_handled_and_reported() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(OLD_JOBS).unwrap();
    let report = Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 3);
    assert_eq!(report.defaulted_columns, ["max_attempts", "note"]);
    assert_eq!(report.legacy_only_columns, ["owner"]);
    assert!(
        report
            .to_string()
            .contains("not in jobs, left to their defaults: max_attempts, note; only in jobs, not copied: owner"),
        "{report}"
    );
    assert_eq!(
        jobs(&conn),
        [
            ("a".into(), "queued".into(), 3, None),
            ("b".into(), "done".into(), 3, None),
            ("c".into(), "queued".into(), 3, None),
        ]
    );
}

#[test]
fn a_legacy_table_already_using_the_new_column_name_is_read_by_it() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, phase TEXT NOT NULL, max_attempts INTEGER NOT NULL);
         INSERT INTO jobs VALUES ('a', 'running', 7);",
    )
    .unwrap();
    Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(jobs(&conn), [("a".into(), "running".into(), 7, None)]);
}

#[test]
fn a_required_column_the_legacy_table_lacks_is_named_before_anything_is_written() {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT); INSERT INTO jobs VALUES ('a', 'ann');",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = Job::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::MissingLegacyColumn {
            table,
            legacy_table,
            column,
        } => assert_eq!(
            (table.as_str(), legacy_table.as_str(), column.as_str()),
            ("wrkflw_jobs", "jobs", "state")
        ),
        other => panic!("expected MissingLegacyColumn, got {other:?}"),
    }
    assert!(
        error.to_string().contains("has no column `state`"),
        "{error}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
    let conn = db.open();
    assert!(!exists(&conn, "wrkflw_jobs"));
    assert_eq!(count(&conn, "jobs"), 1);
}

/// Column names that are SQLite keywords are quoted in every statement the runtime builds.
#[wrkflw_table(rename_from = "line_items")]
#[allow(dead_code)]
struct LineItem {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(rename_from = "group")]
    order: i64,
    #[wrkflw(index)]
    r#where: Option<String>,
}

#[test]
fn keyword_column_names_are_quoted_in_every_runtime_statement() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE line_items (id INTEGER PRIMARY KEY, \"group\" INTEGER NOT NULL, \"where\" TEXT);
         INSERT INTO line_items VALUES (1, 10, 'here'), (2, 20, NULL);",
    )
    .unwrap();
    let plan = LineItem::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(
        plan.to_string()
            .contains("SELECT\n  id, \"group\" AS \"order\", \"where\"\nFROM main.line_items AS l"),
        "{plan}"
    );
    assert_eq!(
        LineItem::migrate(&mut conn, LegacyTable::Keep)
            .unwrap()
            .rows_copied,
        2
    );
    // The capture's triggers quote them too: an old deployment's write arrives.
    conn.execute("INSERT INTO line_items VALUES (3, 30, 'there')", [])
        .unwrap();
    conn.execute("UPDATE line_items SET \"where\" = 'moved' WHERE id = 2", [])
        .unwrap();
    assert_eq!(count(&conn, "wrkflw_line_items"), 3);
    assert_eq!(
        LineItem::migrate(&mut conn, LegacyTable::Drop)
            .unwrap()
            .rows_copied,
        0
    );
    let moved: String = conn
        .query_row(
            "SELECT \"where\" FROM wrkflw_line_items WHERE id = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(moved, "moved");
    let total: i64 = conn
        .query_row("SELECT sum(\"order\") FROM wrkflw_line_items", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(total, 60);
}
