//! The change capture on a legacy table keyed by `(run_id, step_id)`: every write an old
//! deployment makes reaches the new table's row under both key columns, and only that row;
//! conflicts are logged, settled and reported under the whole key. Each old deployment is a
//! connection of its own to a real file.

use wrkflw::rusqlite::{params, Connection};
use wrkflw::{wrkflw_table, CaptureStatus, CopyPath, Error, LegacyTable, Migrator, OnConflict};
use wrkflw_tests::{assert_rejected, capture_triggers, DbFile};

#[wrkflw_table(rename_from = "workflow_steps")]
#[derive(Debug, Clone, PartialEq)]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: i64,
    name: String,
    output: Option<String>,
}

type Row = (String, i64, String, Option<String>);

/// Runs r1..r3 with steps 1..=3 each, migrated with the legacy table kept.
fn migrated() -> (DbFile, Connection) {
    migrated_from(
        "CREATE TABLE workflow_steps (
      run_id TEXT NOT NULL, step_id INTEGER NOT NULL, name TEXT NOT NULL, output TEXT,
      PRIMARY KEY (run_id, step_id)
    )",
    )
}

fn migrated_from(schema: &str) -> (DbFile, Connection) {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(schema).unwrap();
    for run in 1..=3 {
        for step in 1..=3 {
            conn.execute(
                "INSERT INTO workflow_steps VALUES (?1, ?2, ?3, NULL)",
                params![format!("r{run}"), step, format!("{run}.{step}")],
            )
            .unwrap();
        }
    }
    Migrator::new()
        .table::<Step>()
        .run(&mut conn, LegacyTable::Keep)
        .unwrap();
    (db, conn)
}

fn steps(conn: &Connection, table: &str) -> Vec<Row> {
    conn.prepare(&format!(
        "SELECT run_id, step_id, name, output FROM {table} ORDER BY run_id, step_id"
    ))
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The two tables hold the same rows.
fn assert_mirrored(conn: &Connection) {
    assert_eq!(
        steps(conn, "wrkflw_workflow_steps"),
        steps(conn, "workflow_steps")
    );
}

fn name(conn: &Connection, table: &str, run: &str, step: i64) -> Option<String> {
    conn.query_row(
        &format!("SELECT name FROM {table} WHERE run_id = ?1 AND step_id = ?2"),
        params![run, step],
        |r| r.get(0),
    )
    .ok()
}

/// The conflict log of the steps table: (key as stored, reason, settled), by key.
fn logged(conn: &Connection) -> Vec<(String, String, Option<String>)> {
    conn.prepare(
        "SELECT legacy_key, reason, settled FROM wrkflw_conflicts
         WHERE table_name = 'wrkflw_workflow_steps' ORDER BY legacy_key",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn migrate(conn: &mut Connection, policy: OnConflict) -> wrkflw::Result<wrkflw::MigrationReport> {
    Migrator::new()
        .table::<Step>()
        .on_conflict(policy)
        .run(conn, LegacyTable::Keep)
        .map(|mut reports| reports.remove(0))
}

#[test]
fn inserts_updates_and_deletes_reach_only_the_row_under_the_whole_key() {
    let (db, conn) = migrated();
    let old = db.open();
    old.execute_batch(
        "INSERT INTO workflow_steps VALUES ('r4', 1, 'new', NULL);
         UPDATE workflow_steps SET output = 'done' WHERE run_id = 'r1' AND step_id = 2;
         DELETE FROM workflow_steps WHERE run_id = 'r2' AND step_id = 3;",
    )
    .unwrap();
    assert_mirrored(&conn);
    // The neighbours sharing one key column are untouched.
    let output = |run: &str, step: i64| -> Option<String> {
        conn.query_row(
            "SELECT output FROM wrkflw_workflow_steps WHERE run_id = ?1 AND step_id = ?2",
            params![run, step],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(output("r1", 2).as_deref(), Some("done"));
    assert_eq!((output("r1", 1), output("r2", 2)), (None, None));
    assert_eq!(name(&conn, "wrkflw_workflow_steps", "r2", 3), None);
    assert!(name(&conn, "wrkflw_workflow_steps", "r2", 2).is_some());
    assert!(name(&conn, "wrkflw_workflow_steps", "r3", 3).is_some());
    assert_eq!(steps(&conn, "wrkflw_workflow_steps").len(), 9);
    assert!(logged(&conn).is_empty());
}

/// An update of either key column moves the row: it leaves its old key (a delete there)
/// and takes the new one.
#[test]
fn an_update_of_one_key_column_moves_the_row() {
    let (db, conn) = migrated();
    let old = db.open();
    old.execute_batch(
        "UPDATE workflow_steps SET step_id = 7 WHERE run_id = 'r1' AND step_id = 1;
         UPDATE workflow_steps SET run_id = 'r9' WHERE run_id = 'r2' AND step_id = 2;",
    )
    .unwrap();
    assert_mirrored(&conn);
    assert_eq!(name(&conn, "wrkflw_workflow_steps", "r1", 1), None);
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r1", 7).as_deref(),
        Some("1.1")
    );
    assert_eq!(name(&conn, "wrkflw_workflow_steps", "r2", 2), None);
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r9", 2).as_deref(),
        Some("2.2")
    );
    assert!(logged(&conn).is_empty());
}

/// `INSERT OR REPLACE` of a held key and `UPDATE OR REPLACE` onto a held key are updates of
/// that key in the new table, not new rows or conflicts.
#[test]
fn insert_or_replace_and_update_or_replace_are_updates_there() {
    let (db, mut conn) = migrated();
    let old = db.open();
    old.execute_batch(
        "INSERT OR REPLACE INTO workflow_steps VALUES ('r2', 2, 'replaced', 'x');
         UPDATE OR REPLACE workflow_steps SET step_id = 2, name = 'moved' WHERE run_id = 'r3' AND step_id = 1;",
    )
    .unwrap();
    assert_mirrored(&conn);
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r2", 2).as_deref(),
        Some("replaced")
    );
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r3", 2).as_deref(),
        Some("moved")
    );
    assert_eq!(name(&conn, "wrkflw_workflow_steps", "r3", 1), None);
    assert_eq!(steps(&conn, "wrkflw_workflow_steps").len(), 8);
    assert!(logged(&conn).is_empty());
    let report = migrate(&mut conn, OnConflict::Fail).unwrap();
    assert_eq!((report.rows_copied, report.copy_path), (0, None));
}

/// Both sides write (r5, 1): two rows under one key. Logged under the whole key, left alone
/// in the table, and settled by each policy.
fn both_write_r5_1(db: &DbFile) {
    db.open()
        .execute(
            "INSERT INTO wrkflw_workflow_steps VALUES ('r5', 1, 'new app', NULL)",
            [],
        )
        .unwrap();
    db.open()
        .execute(
            "INSERT INTO workflow_steps VALUES ('r5', 1, 'old deployment', NULL)",
            [],
        )
        .unwrap();
}

#[test]
fn a_conflict_on_a_composite_key_is_logged_and_fails_the_run_by_default() {
    let (db, mut conn) = migrated();
    both_write_r5_1(&db);
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r5", 1).as_deref(),
        Some("new app")
    );
    assert_eq!(
        logged(&conn),
        [("('r5', 1)".to_owned(), "key_taken".to_owned(), None)]
    );
    // The other rows of run r5 and step 1 are carried over as before.
    db.open()
        .execute("INSERT INTO workflow_steps VALUES ('r5', 2, 'b', NULL)", [])
        .unwrap();
    assert!(name(&conn, "wrkflw_workflow_steps", "r5", 2).is_some());
    let bytes = db.bytes();
    let error = migrate(&mut conn, OnConflict::Fail).unwrap_err();
    match &error {
        Error::Conflicts {
            count, sample_keys, ..
        } => assert_eq!(
            (*count, sample_keys.as_slice()),
            (1, ["('r5', 1)".to_owned()].as_slice())
        ),
        other => panic!("expected Conflicts, got {other:?}"),
    }
    assert!(error.to_string().contains("(keys ('r5', 1))"), "{error}");
    drop(conn);
    assert_eq!(db.bytes(), bytes, "nothing changed");
}

#[test]
fn keep_table_keeps_the_tables_row_under_the_composite_key() {
    let (db, mut conn) = migrated();
    both_write_r5_1(&db);
    let report = migrate(&mut conn, OnConflict::KeepTable).unwrap();
    assert_eq!(report.conflicts, ["('r5', 1)"]);
    assert!(report.to_string().contains("(keys ('r5', 1))"), "{report}");
    assert_eq!(
        logged(&conn),
        [(
            "('r5', 1)".to_owned(),
            "key_taken".to_owned(),
            Some("kept_table".to_owned())
        )]
    );
    // The legacy row stays apart: its writes do not reach the table's row.
    conn.execute(
        "UPDATE workflow_steps SET name = 'old, renamed' WHERE run_id = 'r5' AND step_id = 1",
        [],
    )
    .unwrap();
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r5", 1).as_deref(),
        Some("new app")
    );
    let again = migrate(&mut conn, OnConflict::Fail).unwrap();
    assert!(again.conflicts.is_empty());
    // Dropping the legacy table loses only the row kept apart.
    let report = Migrator::new()
        .table::<Step>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap()
        .remove(0);
    assert!(report.legacy_dropped);
    assert_eq!(steps(&conn, "wrkflw_workflow_steps").len(), 10);
}

#[test]
fn take_legacy_overwrites_the_tables_row_and_links_the_two_again() {
    let (db, mut conn) = migrated();
    both_write_r5_1(&db);
    let report = migrate(&mut conn, OnConflict::TakeLegacy).unwrap();
    assert_eq!(report.conflicts, ["('r5', 1)"]);
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r5", 1).as_deref(),
        Some("old deployment")
    );
    assert_eq!(
        logged(&conn),
        [(
            "('r5', 1)".to_owned(),
            "key_taken".to_owned(),
            Some("took_legacy".to_owned())
        )]
    );
    conn.execute(
        "UPDATE workflow_steps SET name = 'old, renamed' WHERE run_id = 'r5' AND step_id = 1",
        [],
    )
    .unwrap();
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r5", 1).as_deref(),
        Some("old, renamed")
    );
    assert_mirrored(&conn);
    // Deleted in the legacy table, the row goes, and so does its log entry.
    conn.execute(
        "DELETE FROM workflow_steps WHERE run_id = 'r5' AND step_id = 1",
        [],
    )
    .unwrap();
    assert_eq!(name(&conn, "wrkflw_workflow_steps", "r5", 1), None);
    assert!(logged(&conn).is_empty());
}

#[test]
fn a_conflict_ends_when_the_application_lets_go_of_the_key() {
    let (db, mut conn) = migrated();
    both_write_r5_1(&db);
    conn.execute(
        "DELETE FROM wrkflw_workflow_steps WHERE run_id = 'r5' AND step_id = 1",
        [],
    )
    .unwrap();
    let report = migrate(&mut conn, OnConflict::Fail).unwrap();
    assert_eq!((report.rows_copied, report.conflicts.len()), (1, 0));
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r5", 1).as_deref(),
        Some("old deployment")
    );
    assert!(logged(&conn).is_empty());
    assert_mirrored(&conn);
}

/// The capture's triggers dropped: writes meanwhile go uncaptured. The next run notices,
/// reconciles by the whole key, and installs the capture again.
#[test]
fn a_capture_gap_is_reconciled_by_the_whole_key() {
    let (db, mut conn) = migrated();
    conn.execute_batch("DROP TRIGGER wrkflw_workflow_steps_capture_insert")
        .unwrap();
    db.open()
        .execute_batch(
            "INSERT INTO workflow_steps VALUES ('r1', 4, 'missed', NULL), ('r4', 1, 'missed too', NULL);",
        )
        .unwrap();
    assert_eq!(
        steps(&conn, "wrkflw_workflow_steps").len(),
        9,
        "not captured"
    );
    let report = migrate(&mut conn, OnConflict::Fail).unwrap();
    assert_eq!(report.capture, Some(CaptureStatus::Restored));
    assert_eq!(report.copy_path, Some(CopyPath::Reconcile));
    assert_eq!(report.rows_copied, 2);
    assert_mirrored(&conn);
    assert_eq!(capture_triggers(&conn).len(), 5);
    db.open()
        .execute(
            "INSERT INTO workflow_steps VALUES ('r1', 5, 'captured', NULL)",
            [],
        )
        .unwrap();
    assert_mirrored(&conn);
}

/// A NULL in a key column (a rowid table's composite primary key allows it) is a row the
/// table cannot hold: accepted into the legacy table, logged under its key with the NULL,
/// reported, and carried over once fixed. Two such rows share the text of one key; deleting
/// one leaves the other logged.
#[test]
fn a_null_in_a_key_column_written_later_is_logged_reported_and_never_lost() {
    let (db, mut conn) = migrated_from(
        "CREATE TABLE workflow_steps (
          run_id TEXT NOT NULL, step_id INTEGER, name TEXT NOT NULL, output TEXT,
          PRIMARY KEY (run_id, step_id)
        )",
    );
    let old = db.open();
    old.execute_batch(
        "INSERT INTO workflow_steps VALUES ('r1', NULL, 'first', NULL);
         INSERT INTO workflow_steps VALUES ('r1', NULL, 'second', NULL);
         DELETE FROM workflow_steps WHERE name = 'first';",
    )
    .unwrap();
    assert_eq!(
        logged(&conn),
        [("('r1', NULL)".to_owned(), "rejected".to_owned(), None)]
    );
    let bytes = db.bytes();
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let error = Migrator::new()
            .table::<Step>()
            .run(&mut conn, legacy)
            .unwrap_err();
        assert_rejected(&error, "step_id", 1, &["('r1', NULL)"]);
    }
    assert_eq!(db.bytes(), bytes, "nothing changed");
    old.execute(
        "UPDATE workflow_steps SET step_id = 9 WHERE step_id IS NULL",
        [],
    )
    .unwrap();
    assert_eq!(
        name(&conn, "wrkflw_workflow_steps", "r1", 9).as_deref(),
        Some("second")
    );
    assert_mirrored(&conn);
    // The entry stays until a run finds no row under its key (as for a NULL one-column
    // key): this one.
    let report = migrate(&mut conn, OnConflict::Fail).unwrap();
    assert_eq!(report.rows_copied, 0);
    assert!(logged(&conn).is_empty(), "{:?}", logged(&conn));
    let report = Migrator::new()
        .table::<Step>()
        .run(&mut conn, LegacyTable::Drop)
        .unwrap()
        .remove(0);
    assert!(report.legacy_dropped);
}
