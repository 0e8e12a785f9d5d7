//! A field renamed with `#[wrkflw(rename_from = "old")]` renames the column of an existing
//! table that still has the old name, with `ALTER TABLE ... RENAME COLUMN`: no rebuild, the
//! values kept, views and triggers rewritten by SQLite. The tables here have no legacy table.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::{wrkflw_table, Action, LegacyTable, Table};
use wrkflw_tests::{rows, table_info, DbFile};

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "notes")]
    pub struct Note {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub body: String,
    }
}

mod v2 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "notes")]
    pub struct Note {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(rename_from = "body")]
        pub text: String,
    }
}

/// Renamed and retyped at once: renamed first, then rebuilt.
mod v3 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "notes")]
    pub struct Note {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(rename_from = "body")]
        pub text: Vec<u8>,
    }
}

fn notes() -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Note::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch(
        "INSERT INTO wrkflw_notes VALUES (1, 'first'), (2, 'second');
         CREATE VIEW long_notes AS SELECT id, body FROM wrkflw_notes WHERE length(body) > 5;",
    )
    .unwrap();
    db
}

#[test]
fn a_renamed_field_renames_its_column_without_a_rebuild() {
    let db = notes();
    let mut conn = db.open();
    let plan = v2::Note::plan(&conn, LegacyTable::Keep).unwrap();
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(
        plan.steps[0].action,
        Action::RenameColumn {
            from: "body".into(),
            to: "text".into()
        }
    );
    assert_eq!(
        plan.to_string(),
        "-- wrkflw_notes\n-- 1. rename column body to text, as the struct's rename_from says\n\
         ALTER TABLE main.wrkflw_notes RENAME COLUMN body TO text;\n"
    );
    let before = rows(&conn, "wrkflw_notes");
    let report = v2::Note::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(!report.rebuilt);
    assert_eq!(
        report.columns_renamed,
        [("body".to_owned(), "text".to_owned())]
    );
    assert_eq!(
        report.to_string(),
        "wrkflw_notes: already existed; renamed columns body to text"
    );
    assert_eq!(table_info(&conn, "wrkflw_notes")[1].0, "text");
    assert_eq!(rows(&conn, "wrkflw_notes"), before);
    let view: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'long_notes'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        view,
        "CREATE VIEW long_notes AS SELECT id, text FROM wrkflw_notes WHERE length(text) > 5"
    );
    assert!(v2::Note::plan(&conn, LegacyTable::Keep)
        .unwrap()
        .steps
        .is_empty());
}

#[test]
fn a_renamed_and_retyped_field_is_renamed_then_rebuilt_and_views_follow() {
    let db = notes();
    let mut conn = db.open();
    let report = v3::Note::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(
        report.columns_renamed,
        [("body".to_owned(), "text".to_owned())]
    );
    let text: Vec<u8> = conn
        .query_row("SELECT text FROM wrkflw_notes WHERE id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(text, b"second");
    let long: i64 = conn
        .query_row("SELECT count(*) FROM long_notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        long, 1,
        "the view was rewritten for the new name and created again"
    );
}
