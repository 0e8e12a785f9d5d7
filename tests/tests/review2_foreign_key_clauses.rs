//! Review 2: a foreign key's `ON UPDATE` action and `DEFERRABLE INITIALLY DEFERRED` are not
//! part of the foreign-key drift (only the parent and `ON DELETE` are compared), so a table
//! that has them needs no rebuild ("nothing to do"); but a rebuild for any other reason
//! recreates the key without them, silently: a parent key update that cascaded before now
//! fails, and nothing in the plan or the report says the clause went.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, LegacyTable, Table};
use wrkflw_tests::DbFile;

#[wrkflw_table(name = "projects")]
pub struct Project {
    #[wrkflw(primary_key)]
    pub id: String,
}

/// `size` is an integer now: a rebuild.
#[wrkflw_table(name = "items")]
pub struct Item {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Project, on_delete = "cascade")]
    pub project: String,
    pub size: i64,
}

#[test]
fn on_update_cascade_survives_a_rebuild_or_the_rebuild_says_it_goes() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE wrkflw_projects (id TEXT NOT NULL PRIMARY KEY);
         CREATE TABLE wrkflw_items (
           id INTEGER NOT NULL PRIMARY KEY,
           project TEXT NOT NULL REFERENCES wrkflw_projects (id)
             ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
           size TEXT NOT NULL
         );
         INSERT INTO wrkflw_projects VALUES ('p');
         INSERT INTO wrkflw_items VALUES (1, 'p', '5');",
    )
    .unwrap();
    let plan = Item::plan(&conn, LegacyTable::Keep).unwrap().to_string();
    let report = Item::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    let said = plan.to_ascii_uppercase().contains("ON UPDATE");
    let on_update: String = conn
        .query_row(
            "SELECT on_update FROM pragma_foreign_key_list('wrkflw_items')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        said || on_update == "CASCADE",
        "ON UPDATE CASCADE dropped silently (now {on_update}); plan:\n{plan}"
    );
    // What the application relied on: renaming a project carries its items along.
    let renamed = conn.execute("UPDATE wrkflw_projects SET id = 'q'", []);
    assert!(renamed.is_ok(), "{renamed:?}");
}
