//! Review 2: TEMP views and triggers on the migrating connection. The rebuild reads only
//! `main`'s schema, so
//! - a TEMP trigger on the table is dropped by `DROP TABLE` and never created again: the
//!   connection's own trigger silently stops firing;
//! - a TEMP view over the table makes the rename fail ("error in view"): `plan` (and the
//!   rehearsal, which replays only `main`) says the rebuild will run, `migrate` fails with a
//!   raw `Error::Step` instead of a `SchemaDrift` naming the view.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, Action, Error, LegacyTable, Table};
use wrkflw_tests::DbFile;

mod v1 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub size: String,
    }
}

mod v2 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "tasks")]
    pub struct Task {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub size: i64,
    }
}

fn tasks() -> (DbFile, wrkflw::rusqlite::Connection) {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch("INSERT INTO wrkflw_tasks VALUES (1, '1');")
        .unwrap();
    (db, conn)
}

#[test]
fn a_temp_trigger_on_the_table_survives_the_rebuild() {
    let (_db, mut conn) = tasks();
    conn.execute_batch(
        "CREATE TABLE log (id INTEGER);
         CREATE TEMP TRIGGER log_tasks AFTER INSERT ON main.wrkflw_tasks BEGIN
           INSERT INTO log VALUES (NEW.id);
         END;",
    )
    .unwrap();
    let report = v2::Task::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    conn.execute("INSERT INTO wrkflw_tasks VALUES (2, 2)", [])
        .unwrap();
    let logged: i64 = conn
        .query_row("SELECT count(*) FROM log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        logged, 1,
        "the connection's TEMP trigger was dropped silently"
    );
}

#[test]
fn a_temp_view_over_the_table_is_refused_by_plan_as_by_migrate() {
    let (_db, mut conn) = tasks();
    conn.execute_batch("CREATE TEMP VIEW small AS SELECT id FROM main.wrkflw_tasks;")
        .unwrap();
    let planned = v2::Task::plan(&conn, LegacyTable::Keep);
    let ran = v2::Task::migrate(&mut conn, LegacyTable::Keep);
    match (&planned, &ran) {
        (Ok(plan), Ok(_)) => {
            assert!(plan
                .steps
                .iter()
                .any(|s| matches!(s.action, Action::RebuildTable { .. })));
        }
        (Err(Error::SchemaDrift { .. }), Err(Error::SchemaDrift { .. })) => {}
        _ => panic!(
            "plan and migrate disagree: plan {:?}, migrate {:?}",
            planned.map(|p| p.steps.len()),
            ran
        ),
    }
}
