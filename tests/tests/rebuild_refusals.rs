//! What a table created from the struct cannot have, a rebuild would drop without a word:
//! AUTOINCREMENT, a CHECK constraint, a foreign key's ON UPDATE action or DEFERRABLE, and the
//! connection's temp triggers and views over the table. A rebuild is refused, by name, before
//! anything is written, in `plan` as in `migrate`; without a rebuild they stay as they are.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::DbFile;

/// `size` is an integer in the struct and text in every table below: a rebuild.
#[wrkflw_table(name = "tasks")]
pub struct Task {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub size: i64,
}

/// The same table with `size` as the table has it: no rebuild.
mod as_it_is {
    use super::wrkflw_table;

    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub size: String,
    }
}

fn refused(db: &DbFile, conn: &mut Connection, expected: &str) {
    let before = db.bytes();
    for result in [
        Task::plan(conn, LegacyTable::Keep).map(|_| ()),
        Task::migrate(conn, LegacyTable::Keep).map(|_| ()),
    ] {
        match result {
            Err(Error::SchemaDrift { differences, .. }) => assert!(
                differences.iter().any(|d| d.contains(expected)),
                "{differences:?}"
            ),
            other => panic!("expected SchemaDrift naming {expected:?}, got {other:?}"),
        }
    }
    assert_eq!(db.bytes(), before);
    // Without a rebuild, the table is left as it is.
    as_it_is::Task::migrate(conn, LegacyTable::Keep).unwrap();
}

fn table(sql: &str) -> (DbFile, Connection) {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(sql).unwrap();
    (db, conn)
}

#[test]
fn autoincrement_is_not_dropped_by_a_rebuild() {
    let (db, mut conn) = table(
        "CREATE TABLE wrkflw_tasks (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, size TEXT NOT NULL);
         INSERT INTO wrkflw_tasks (size) VALUES ('1'), ('2'), ('3');
         DELETE FROM wrkflw_tasks WHERE id = 3;",
    );
    refused(&db, &mut conn, "the table uses AUTOINCREMENT");
    // The deleted key is still not handed out again.
    conn.execute("INSERT INTO wrkflw_tasks (size) VALUES ('4')", [])
        .unwrap();
    let id: i64 = conn
        .query_row("SELECT max(id) FROM wrkflw_tasks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, 4);
}

#[test]
fn a_check_constraint_is_not_dropped_by_a_rebuild() {
    let (db, mut conn) = table(
        "CREATE TABLE wrkflw_tasks (id INTEGER NOT NULL PRIMARY KEY, size TEXT NOT NULL CHECK (size <> ''));
         INSERT INTO wrkflw_tasks VALUES (1, '1');",
    );
    refused(&db, &mut conn, "the table has a CHECK constraint");
}

#[test]
fn a_foreign_keys_on_update_and_deferrable_are_not_dropped_by_a_rebuild() {
    let (db, mut conn) = table(
        "CREATE TABLE projects (id TEXT NOT NULL PRIMARY KEY);
         CREATE TABLE wrkflw_tasks (
           id INTEGER NOT NULL PRIMARY KEY,
           size TEXT NOT NULL REFERENCES projects (id) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
         );
         INSERT INTO projects VALUES ('p');
         INSERT INTO wrkflw_tasks VALUES (1, 'p');",
    );
    let err = Task::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("references `projects` ON UPDATE CASCADE"),
        "{text}"
    );
    assert!(text.contains("is DEFERRABLE"), "{text}");
    drop(err);
    // The cascade the application relies on still works.
    conn.execute("UPDATE projects SET id = 'q'", []).unwrap();
    let size: String = conn
        .query_row("SELECT size FROM wrkflw_tasks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(size, "q");
    let _ = db;
}

#[test]
fn the_connections_temp_trigger_and_view_are_named_not_lost() {
    let (db, mut conn) = table(
        "CREATE TABLE wrkflw_tasks (id INTEGER NOT NULL PRIMARY KEY, size TEXT NOT NULL);
         INSERT INTO wrkflw_tasks VALUES (1, '1');
         CREATE TABLE log (id INTEGER);
         CREATE TEMP TRIGGER log_tasks AFTER INSERT ON main.wrkflw_tasks BEGIN
           INSERT INTO log VALUES (NEW.id);
         END;",
    );
    refused(
        &db,
        &mut conn,
        "temp trigger `log_tasks` of this connection uses the table",
    );
    conn.execute_batch(
        "DROP TRIGGER temp.log_tasks; CREATE TEMP VIEW small AS SELECT id FROM main.wrkflw_tasks;",
    )
    .unwrap();
    refused(
        &db,
        &mut conn,
        "temp view `small` of this connection uses the table",
    );
    // Another connection has no temp objects: the rebuild runs there.
    let mut other = db.open();
    assert!(
        Task::migrate(&mut other, LegacyTable::Keep)
            .unwrap()
            .rebuilt
    );
}
