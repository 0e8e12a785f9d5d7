//! A view built on a view of the rebuilt table, or another table's trigger that reads such a
//! view, does not block a rebuild: what uses a view that is dropped and created again is
//! dropped and created again too, in the order the schema created them.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, LegacyTable, Table};
use wrkflw_tests::{schema, DbFile};

mod v1 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub size: String,
    }
}

/// `size` is an integer now: a rebuild that breaks no view.
mod v2 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub size: i64,
    }
}

fn tasks(around: &str) -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch("INSERT INTO wrkflw_tasks VALUES (1, 'a', '1'), (2, 'b', '7');")
        .unwrap();
    conn.execute_batch(around).unwrap();
    db
}

#[test]
fn a_view_over_a_view_of_the_table_does_not_block_the_rebuild() {
    let db = tasks(
        "CREATE VIEW sized AS SELECT id, size FROM wrkflw_tasks;
         CREATE VIEW big AS SELECT id FROM sized WHERE size > 5;",
    );
    let mut conn = db.open();
    let report = v2::Task::migrate(&mut conn, LegacyTable::Keep);
    assert!(report.is_ok(), "{}", report.unwrap_err());
    let big: i64 = conn
        .query_row("SELECT count(*) FROM big", [], |r| r.get(0))
        .unwrap();
    assert_eq!(big, 1);
    assert!(schema(&conn).iter().any(|(_, name, _)| name == "big"));
}

#[test]
fn another_tables_trigger_reading_a_view_of_the_table_does_not_block_the_rebuild() {
    let db = tasks(
        "CREATE VIEW sized AS SELECT id, size FROM wrkflw_tasks;
         CREATE TABLE inbox (id INTEGER);
         CREATE TABLE seen (id INTEGER);
         CREATE TRIGGER inbox_seen AFTER INSERT ON inbox BEGIN
           INSERT INTO seen SELECT id FROM sized WHERE id = NEW.id;
         END;",
    );
    let mut conn = db.open();
    let report = v2::Task::migrate(&mut conn, LegacyTable::Keep);
    assert!(report.is_ok(), "{}", report.unwrap_err());
    conn.execute("INSERT INTO inbox VALUES (2)", []).unwrap();
    let seen: i64 = conn
        .query_row("SELECT count(*) FROM seen", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, 1);
}
