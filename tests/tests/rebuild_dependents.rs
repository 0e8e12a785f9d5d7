//! What belonged to or used a rebuilt table survives it, exactly as it was, and still works:
//! its own indexes and triggers, views over it, other tables' triggers writing it, and the
//! change capture on its legacy table. One the new shape would break is refused first.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::{wrkflw_table, CaptureStatus, Error, LegacyTable, Table};
use wrkflw_tests::{
    capture_triggers, count, indexes, migrated_keeping_legacy, mirror_differences, schema, DbFile,
    LooseRun,
};

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub size: String,
        pub note: Option<String>,
    }
}

/// `size` is an integer now.
mod v2 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub size: i64,
        pub note: Option<String>,
    }
}

/// `note` is gone.
mod without_note {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub size: String,
    }
}

/// The user's own objects around the table.
const AROUND: &str = "
CREATE INDEX tasks_by_title ON wrkflw_tasks (title);
CREATE TABLE audit (what TEXT);
CREATE TRIGGER tasks_audit AFTER INSERT ON wrkflw_tasks BEGIN INSERT INTO audit VALUES ('task ' || NEW.id); END;
CREATE VIEW big_tasks AS SELECT id, title FROM wrkflw_tasks WHERE size > 5;
CREATE TABLE inbox (title TEXT);
CREATE TRIGGER inbox_to_tasks AFTER INSERT ON inbox BEGIN
  INSERT INTO wrkflw_tasks (id, title, size) SELECT coalesce(max(id), 0) + 1, NEW.title, '9' FROM wrkflw_tasks;
END;
";

fn tasks() -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 10)
         INSERT INTO wrkflw_tasks (id, title, size) SELECT i, 't' || i, CAST(i AS TEXT) FROM k;",
    )
    .unwrap();
    conn.execute_batch(AROUND).unwrap();
    db
}

/// The schema without the table's own `CREATE TABLE`, which the rebuild changes.
fn around(conn: &wrkflw::rusqlite::Connection) -> Vec<(String, String, Option<String>)> {
    schema(conn)
        .into_iter()
        .filter(|(_, name, _)| name != "wrkflw_tasks" && !name.contains("wrkflw_migrations"))
        .collect()
}

#[test]
fn indexes_triggers_and_views_are_created_again_exactly_and_still_work() {
    let db = tasks();
    let mut conn = db.open();
    let before = around(&conn);
    let plan = v2::Task::plan(&conn, LegacyTable::Keep)
        .unwrap()
        .to_string();
    for line in [
        "rebuild: drop view big_tasks, to create it again after the rebuild",
        "rebuild: drop trigger inbox_to_tasks, to create it again after the rebuild",
        "rebuild: create index tasks_by_title again\nCREATE INDEX main.tasks_by_title ON wrkflw_tasks (title);",
        "rebuild: create trigger tasks_audit again",
        "rebuild: create view big_tasks again",
    ] {
        assert!(plan.contains(line), "{line}\n{plan}");
    }
    let report = v2::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(
        around(&conn),
        before,
        "every object as it was, byte for byte"
    );
    assert_eq!(
        indexes(&conn, "wrkflw_tasks"),
        [("tasks_by_title".to_owned(), vec!["title".to_owned()])]
    );
    // The view reads the converted values; both triggers fire.
    assert_eq!(count(&conn, "big_tasks"), 5);
    conn.execute("INSERT INTO inbox VALUES ('from the inbox')", [])
        .unwrap();
    let (id, size): (i64, i64) = conn
        .query_row(
            "SELECT id, size FROM wrkflw_tasks WHERE title = 'from the inbox'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((id, size), (11, 9));
    let audited: String = conn
        .query_row("SELECT what FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, "task 11");
}

#[test]
fn an_index_or_view_using_a_discarded_column_is_refused_before_anything_is_written() {
    let db = tasks();
    let conn = db.open();
    conn.execute_batch(
        "CREATE INDEX tasks_by_note ON wrkflw_tasks (lower(note));
         CREATE VIEW notes AS SELECT note FROM wrkflw_tasks;",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = without_note::Task::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    let Error::SchemaDrift { differences, .. } = &error else {
        panic!("expected SchemaDrift, got {error:?}");
    };
    assert_eq!(
        differences,
        &[
            "index `tasks_by_note` of the table uses column `note`, which the struct no longer has; \
             drop the index, or keep the field",
            "view `notes` uses column `note`, which the struct no longer has; \
             change or drop the view, or keep the field",
        ]
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn the_change_capture_on_the_legacy_table_is_installed_again_and_keeps_capturing() {
    let (db, _) = migrated_keeping_legacy(200);
    let mut conn = db.open();
    let plan = LooseRun::plan(&conn, LegacyTable::Keep).unwrap();
    let text = plan.to_string();
    assert!(
        text.contains(
            "rebuild: drop trigger wrkflw_workflow_runs_capture_insert, to create it again"
        ),
        "{text}"
    );
    assert!(
        !text.contains("create trigger wrkflw_workflow_runs_capture_insert again"),
        "the capture is installed from the struct, not copied: {text}"
    );
    let report = LooseRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(report.capture, Some(CaptureStatus::Updated));
    assert_eq!(capture_triggers(&conn).len(), 5);
    // An old deployment's writes still arrive.
    conn.execute_batch(
        "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('late', 'w', 'running');
         UPDATE workflow_runs SET result = 'changed' WHERE rowid = 3;
         DELETE FROM workflow_runs WHERE rowid = 4;",
    )
    .unwrap();
    assert_eq!(mirror_differences(&conn), (0, 0));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 200);
    let again = LooseRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(!again.rebuilt);
    assert_eq!(again.capture, Some(CaptureStatus::Active));
}
