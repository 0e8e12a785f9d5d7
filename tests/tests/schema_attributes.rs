//! Each schema attribute: the DDL asserted exactly, then run by SQLite against a real file,
//! which must hold what the DDL promises.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, ForeignKey, Index, LegacyTable, OnDelete, Table};
use wrkflw_tests::{indexes, DbFile};

#[wrkflw_table(rename_from = "workflow_runs")]
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    #[wrkflw(primary_key)]
    pub run_id: String,
    pub workflow_id: String,
}

#[wrkflw_table(
    name = "workflow_steps",
    index(run_id, updated_at),
    unique(run_id, name)
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    #[wrkflw(primary_key, references = Run, on_delete = "cascade")]
    pub run_id: String,
    #[wrkflw(primary_key)]
    pub step_id: i64,
    pub name: String,
    #[wrkflw(unique)]
    pub token: Option<String>,
    pub updated_at: i64,
}

#[wrkflw_table(strict)]
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    #[wrkflw(primary_key)]
    pub name: String,
    pub value: i64,
    #[wrkflw(references = Self, on_delete = "set_null")]
    pub parent: Option<String>,
}

fn migrated(conn: &mut Connection) {
    Run::migrate(conn, LegacyTable::Keep).unwrap();
    Step::migrate(conn, LegacyTable::Keep).unwrap();
    Counter::migrate(conn, LegacyTable::Keep).unwrap();
}

fn stored_sql(conn: &Connection, name: &str) -> String {
    conn.query_row(
        "SELECT sql FROM sqlite_schema WHERE name = ?1",
        [name],
        |row| row.get(0),
    )
    .unwrap()
}

#[test]
fn a_composite_key_is_one_primary_key_line_in_field_order() {
    assert_eq!(
        Step::CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_workflow_steps (
  run_id TEXT NOT NULL REFERENCES wrkflw_workflow_runs (run_id) ON DELETE CASCADE,
  step_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  token TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id)
)"
    );
    let db = DbFile::new();
    let mut conn = db.open();
    migrated(&mut conn);
    let key: Vec<(String, i64)> = conn
        .prepare("SELECT name, pk FROM pragma_table_info('wrkflw_workflow_steps') WHERE pk > 0 ORDER BY pk")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(key, [("run_id".to_owned(), 1), ("step_id".to_owned(), 2)]);
    assert_eq!(
        stored_sql(&conn, "wrkflw_workflow_steps"),
        Step::CREATE_SQL.replace("IF NOT EXISTS ", "")
    );
}

#[test]
fn unique_and_multi_column_indexes_are_named_and_created() {
    assert_eq!(
        Step::INDEX_SQL,
        [
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_wrkflw_workflow_steps_token ON wrkflw_workflow_steps (token)",
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_steps_run_id_updated_at ON wrkflw_workflow_steps (run_id, updated_at)",
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_wrkflw_workflow_steps_run_id_name ON wrkflw_workflow_steps (run_id, name)",
        ]
    );
    assert_eq!(
        Step::INDEXES,
        [
            Index {
                name: "uq_wrkflw_workflow_steps_token",
                columns: &["token"],
                unique: true
            },
            Index {
                name: "idx_wrkflw_workflow_steps_run_id_updated_at",
                columns: &["run_id", "updated_at"],
                unique: false
            },
            Index {
                name: "uq_wrkflw_workflow_steps_run_id_name",
                columns: &["run_id", "name"],
                unique: true
            },
        ]
    );
    assert!(Step::COLUMNS[3].unique && !Step::COLUMNS[2].unique);
    let db = DbFile::new();
    let mut conn = db.open();
    migrated(&mut conn);
    let found = indexes(&conn, "wrkflw_workflow_steps");
    for index in Step::INDEXES {
        let columns: Vec<String> = index.columns.iter().map(|c| (*c).to_owned()).collect();
        assert!(
            found.contains(&(index.name.to_owned(), columns)),
            "{} missing from {found:?}",
            index.name
        );
        let unique: bool = conn
            .query_row(
                "SELECT \"unique\" FROM pragma_index_list('wrkflw_workflow_steps') WHERE name = ?1",
                [index.name],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(unique, index.unique, "{}", index.name);
    }
}

#[test]
fn a_foreign_key_names_the_referenced_table_and_its_action() {
    assert_eq!(
        Step::COLUMNS[0].references,
        Some(ForeignKey {
            table: "wrkflw_workflow_runs",
            column: "run_id",
            on_delete: OnDelete::Cascade
        })
    );
    assert_eq!(Step::COLUMNS[1].references, None);
    // The script shows the same statement, the referenced table's real name in it.
    assert!(Step::migration_sql(LegacyTable::Keep).contains(Step::CREATE_SQL));
    let db = DbFile::new();
    let mut conn = db.open();
    migrated(&mut conn);
    let fk: (String, String, String, String) = conn
        .query_row(
            "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('wrkflw_workflow_steps')",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        fk,
        (
            "wrkflw_workflow_runs".to_owned(),
            "run_id".to_owned(),
            "run_id".to_owned(),
            "CASCADE".to_owned()
        )
    );
}

#[test]
fn a_strict_table_refuses_a_value_of_another_type() {
    assert_eq!(
        Counter::CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_counter (
  name TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL,
  parent TEXT REFERENCES wrkflw_counter (name) ON DELETE SET NULL
) STRICT"
    );
    assert_eq!((Counter::STRICT, Run::STRICT), (true, false));
    let db = DbFile::new();
    let mut conn = db.open();
    migrated(&mut conn);
    let err = conn
        .execute(
            "INSERT INTO wrkflw_counter (name, value) VALUES ('a', 'not a number')",
            [],
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot store TEXT value in INTEGER column"),
        "{err}"
    );
    // A non-strict table takes it, as SQLite always has.
    conn.execute(
        "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id) VALUES ('r', 1)",
        [],
    )
    .unwrap();
}

#[test]
fn composite_keys_read_update_and_delete_rows_by_tuple() {
    let db = DbFile::new();
    let mut conn = db.open();
    migrated(&mut conn);
    Run {
        run_id: "r1".into(),
        workflow_id: "w".into(),
    }
    .insert(&conn)
    .unwrap();
    let step = |step_id, name: &str| Step {
        run_id: "r1".into(),
        step_id,
        name: name.into(),
        token: None,
        updated_at: 1,
    };
    step(3, "a").insert(&conn).unwrap();
    step(4, "b").insert(&conn).unwrap();
    assert_eq!(Step::get(&conn, ("r1", 3)).unwrap(), Some(step(3, "a")));
    assert_eq!(Step::get(&conn, ("r1", 5)).unwrap(), None);
    assert_eq!(Step::get(&conn, ("r2", 3)).unwrap(), None);
    let mut renamed = step(4, "c");
    renamed.updated_at = 9;
    assert!(renamed.update(&conn).unwrap());
    assert_eq!(Step::get(&conn, ("r1", 4)).unwrap(), Some(renamed.clone()));
    assert_eq!(Step::get(&conn, ("r1", 3)).unwrap(), Some(step(3, "a")));
    assert!(!step(7, "z").update(&conn).unwrap());
    match step(3, "x").insert(&conn).unwrap_err() {
        wrkflw::Error::KeyExists { table, key } => {
            assert_eq!(
                (table.as_str(), key.as_str()),
                ("wrkflw_workflow_steps", "('r1', 3)")
            )
        }
        other => panic!("{other}"),
    }
    assert!(Step::delete(&conn, ("r1", 3)).unwrap());
    assert!(!Step::delete(&conn, ("r1", 3)).unwrap());
    assert_eq!(Step::all(&conn).unwrap(), [renamed]);
}

#[test]
fn unique_finders_return_one_row_and_plain_ones_every_row() {
    let db = DbFile::new();
    let mut conn = db.open();
    migrated(&mut conn);
    Run {
        run_id: "r1".into(),
        workflow_id: "w".into(),
    }
    .insert(&conn)
    .unwrap();
    let a = Step {
        run_id: "r1".into(),
        step_id: 1,
        name: "a".into(),
        token: Some("t1".into()),
        updated_at: 5,
    };
    let b = Step {
        step_id: 2,
        name: "b".into(),
        token: None,
        ..a.clone()
    };
    a.insert(&conn).unwrap();
    b.insert(&conn).unwrap();
    assert_eq!(Step::find_by_token(&conn, "t1").unwrap(), Some(a.clone()));
    // A unique column holds any number of NULLs: `None` finds no single row.
    assert_eq!(Step::find_by_token(&conn, None::<String>).unwrap(), None);
    assert_eq!(
        Step::find_by_run_id_and_name(&conn, "r1", "b").unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        Step::find_by_run_id_and_name(&conn, "r1", "c").unwrap(),
        None
    );
    assert_eq!(
        Step::find_by_run_id_and_updated_at(&conn, "r1", 5).unwrap(),
        [a.clone(), b.clone()]
    );
    let err = Step {
        step_id: 3,
        ..a.clone()
    }
    .insert(&conn)
    .unwrap_err();
    assert!(
        err.to_string().contains("UNIQUE constraint failed"),
        "{err}"
    );
}

/// `prefix = ""` on a struct called `Order` gives the table `order`, a keyword.
#[wrkflw_table(prefix = "")]
pub struct Order {
    #[wrkflw(primary_key)]
    pub id: i64,
}

#[wrkflw_table]
pub struct LineItem {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Order)]
    pub order_id: i64,
}

/// A key column called `index`, a keyword.
#[wrkflw_table]
pub struct Slot {
    #[wrkflw(primary_key)]
    pub index: i64,
}

#[wrkflw_table]
pub struct Booking {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Slot)]
    pub slot: i64,
}

#[test]
fn references_to_a_keyword_table_or_key_are_quoted() {
    assert_eq!(Order::TABLE_NAME, "order");
    assert!(LineItem::CREATE_SQL.contains("order_id INTEGER NOT NULL REFERENCES \"order\" (id)"));
    assert!(
        Booking::CREATE_SQL.contains("slot INTEGER NOT NULL REFERENCES wrkflw_slot (\"index\")")
    );
    let db = DbFile::new();
    let mut conn = db.open();
    wrkflw::Migrator::new()
        .table::<LineItem>()
        .table::<Order>()
        .table::<Booking>()
        .table::<Slot>()
        .run(&mut conn, LegacyTable::Keep)
        .unwrap();
    Order { id: 1 }.insert(&conn).unwrap();
    LineItem { id: 1, order_id: 1 }.insert(&conn).unwrap();
    let err = LineItem { id: 2, order_id: 9 }.insert(&conn).unwrap_err();
    assert!(
        err.to_string().contains("FOREIGN KEY constraint failed"),
        "{err}"
    );
}
