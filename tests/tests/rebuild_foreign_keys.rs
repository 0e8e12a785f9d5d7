//! A rebuilt table that other tables reference by foreign key: with foreign keys on, they are
//! turned off for the rebuild (dropping the old table must not cascade into the referencing
//! rows) and back on after it, on success and on error; with them off, they stay off. Rows
//! that break a foreign key after the rebuild fail it, naming table, column, parent and count.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, Error, ForeignKeyViolation, LegacyTable, Table};
use wrkflw_tests::{count, schema, DbFile};

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "projects")]
    pub struct Project {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub name: String,
        pub budget: String,
    }
}

/// `budget` is an integer now.
mod v2 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "projects")]
    pub struct Project {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub name: String,
        pub budget: i64,
    }
}

/// Ten projects and thirty members referencing them with `ON DELETE CASCADE`, which a
/// rebuild with foreign keys on would set off.
fn projects() -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Project::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch(
        "CREATE TABLE members (
           id INTEGER PRIMARY KEY,
           project_id INTEGER NOT NULL REFERENCES wrkflw_projects (id) ON DELETE CASCADE
         );
         WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 10)
         INSERT INTO wrkflw_projects SELECT i, 'p' || i, CAST(i * 100 AS TEXT) FROM k;
         WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 30)
         INSERT INTO members SELECT i, 1 + i % 10 FROM k;",
    )
    .unwrap();
    db
}

fn foreign_keys(conn: &Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap()
}

fn rebuild_keeps_the_referencing_rows(on: bool) {
    let db = projects();
    let mut conn = db.open();
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = {}",
        if on { "ON" } else { "OFF" }
    ))
    .unwrap();
    let members_sql = schema(&conn)
        .into_iter()
        .find(|(_, name, _)| name == "members");
    let report = v2::Project::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(
        foreign_keys(&conn),
        on,
        "the connection's setting is restored"
    );
    assert_eq!(count(&conn, "members"), 30, "nothing cascaded");
    assert_eq!(
        schema(&conn)
            .into_iter()
            .find(|(_, name, _)| name == "members"),
        members_sql,
        "the referencing table's foreign key still names the table"
    );
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
    // The foreign key still holds against the rebuilt table.
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    assert!(conn
        .execute("INSERT INTO members VALUES (100, 999)", [])
        .is_err());
    conn.execute("DELETE FROM wrkflw_projects WHERE id = 1", [])
        .unwrap();
    assert_eq!(count(&conn, "members"), 27, "the cascade works again");
}

#[test]
fn with_foreign_keys_on_they_are_off_for_the_rebuild_and_on_after_it() {
    rebuild_keeps_the_referencing_rows(true);
}

#[test]
fn with_foreign_keys_off_they_stay_off() {
    rebuild_keeps_the_referencing_rows(false);
}

#[test]
fn rows_breaking_a_foreign_key_fail_the_rebuild_and_foreign_keys_are_restored() {
    let db = projects();
    let conn = db.open();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO members VALUES (31, 77), (32, 78);",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    assert!(
        foreign_keys(&conn),
        "on by default in rusqlite's bundled SQLite"
    );
    let error = v2::Project::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    match &error {
        Error::ForeignKeyViolations { table, violations } => {
            assert_eq!(table, "wrkflw_projects");
            assert_eq!(
                violations,
                &[ForeignKeyViolation {
                    table: "members".into(),
                    columns: "project_id".into(),
                    parent: "wrkflw_projects".into(),
                    rows: 2,
                }]
            );
        }
        other => panic!("expected ForeignKeyViolations, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "rebuilding `wrkflw_projects` would break foreign keys: 2 rows of `members` (project_id) \
         referencing `wrkflw_projects`; nothing was changed. `PRAGMA foreign_key_check` lists the rows"
    );
    assert!(foreign_keys(&conn), "restored on the error path too");
    drop(conn);
    assert_eq!(db.bytes(), bytes, "rolled back");
}
