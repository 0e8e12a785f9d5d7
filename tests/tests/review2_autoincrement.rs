//! Review 2: a table declared `AUTOINCREMENT` (created by the original library or by hand)
//! loses it in a rebuild, silently: the rebuilt table is created from the struct, and
//! `DROP TABLE` deletes its `sqlite_sequence` row. A key deleted before the rebuild is then
//! handed out again, which `AUTOINCREMENT` exists to prevent. Drift does not see
//! `AUTOINCREMENT` either, so nothing in `plan` or the report says it goes.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, LegacyTable, Table};
use wrkflw_tests::DbFile;

/// The table's shape with `size` an integer: the table below needs a rebuild.
#[wrkflw_table(name = "tasks")]
pub struct Task {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub title: String,
    pub size: i64,
}

#[test]
fn a_rebuild_does_not_hand_out_a_deleted_key_again() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE wrkflw_tasks (
           id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
           title TEXT NOT NULL,
           size TEXT NOT NULL
         );
         INSERT INTO wrkflw_tasks (title, size) VALUES ('a', '1'), ('b', '2'), ('c', '3');
         DELETE FROM wrkflw_tasks WHERE id = 3;",
    )
    .unwrap();
    let report = Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    conn.execute("INSERT INTO wrkflw_tasks (title, size) VALUES ('d', 4)", [])
        .unwrap();
    let id: i64 = conn
        .query_row("SELECT id FROM wrkflw_tasks WHERE title = 'd'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        id, 4,
        "key 3, deleted before the rebuild, was handed out again"
    );
}
