//! The change capture: every write an old deployment makes to a kept legacy table (insert,
//! update, delete, by key) arrives in the new table as it is written, whatever the rowids do,
//! and a gap in the capture is noticed and reconciled. Each old deployment here is a
//! connection of its own to a real file.

#![allow(dead_code)] // The structs declare tables; these tests never read their fields.

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, CaptureStatus, CopyPath, Error, KeyProblem, LegacyTable, Table};
use wrkflw_tests::{
    capture_triggers, conflicts, count, exists, keys, migrated_keeping_legacy, mirror_differences,
    seed, DbFile, WorkflowRun,
};

fn status_of(conn: &Connection, table: &str, run_id: &str) -> Option<String> {
    conn.query_row(
        &format!("SELECT status FROM {table} WHERE run_id = ?1"),
        [run_id],
        |r| r.get(0),
    )
    .ok()
}

fn run_id(n: u64) -> String {
    seed::legacy_run(n).run_id
}

/// Item 1 of the adversarial review: an old deployment adds a row, then upserts the last
/// copied row with `INSERT OR REPLACE` (it moves to a new, higher rowid). Under a rowid
/// watermark the added row was lost; here both arrive, and `Drop` loses nothing.
#[test]
fn an_insert_or_replace_upsert_never_hides_the_rows_added_before_it() {
    let (db, mut conn) = migrated_keeping_legacy(50);
    let old = db.open();
    seed::insert_legacy_runs(&mut db.open(), 50, 1).unwrap();
    old.execute(
        "INSERT OR REPLACE INTO workflow_runs (run_id, workflow_id, status) VALUES (?1, 'w', 'upserted')",
        [run_id(49)],
    )
    .unwrap();
    assert_eq!(
        status_of(&conn, "wrkflw_workflow_runs", &run_id(50)).as_deref(),
        Some(seed::legacy_run(50).status.as_str()),
        "the added row arrived"
    );
    assert_eq!(
        status_of(&conn, "wrkflw_workflow_runs", &run_id(49)).as_deref(),
        Some("upserted"),
        "the upsert arrived as an update"
    );
    assert_eq!(mirror_differences(&conn), (0, 0));
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(report.capture, Some(CaptureStatus::Removed));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 51);
}

/// Item 2: a row the application deleted stays deleted, unless an old deployment writes it
/// again afterwards: then the newer write wins, whether an update or an upsert.
#[test]
fn a_deleted_row_stays_deleted_unless_an_old_deployment_writes_it_again_afterwards() {
    let (db, mut conn) = migrated_keeping_legacy(20);
    let old = db.open();
    let app = db.open();
    let delete = |n: u64| {
        app.execute(
            "DELETE FROM wrkflw_workflow_runs WHERE run_id = ?1",
            [run_id(n)],
        )
        .unwrap()
    };
    let replace = |n: u64, status: &str| {
        old.execute(
            "INSERT OR REPLACE INTO workflow_runs (run_id, workflow_id, status) VALUES (?1, 'w', ?2)",
            [run_id(n), status.to_owned()],
        )
        .unwrap()
    };
    let update = |n: u64, status: &str| {
        old.execute(
            "UPDATE workflow_runs SET status = ?2 WHERE run_id = ?1",
            [run_id(n), status.to_owned()],
        )
        .unwrap()
    };
    // The old deployment wrote first, the application deleted after: deleted.
    replace(1, "replaced");
    update(2, "updated");
    assert_eq!((delete(1), delete(2)), (1, 1));
    // The application deleted first, the old deployment wrote after: back, as written.
    assert_eq!((delete(3), delete(4)), (1, 1));
    replace(3, "replaced again");
    update(4, "updated again");
    // Deleted, and never written again: deleted.
    delete(5);

    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let status = |n| status_of(&conn, "wrkflw_workflow_runs", &run_id(n));
    assert_eq!((status(1), status(2), status(5)), (None, None, None));
    assert_eq!(status(3).as_deref(), Some("replaced again"));
    assert_eq!(status(4).as_deref(), Some("updated again"));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 17);
}

/// Updates an old deployment makes to copied rows are carried over, every column; so are
/// its deletes, and key changes.
#[test]
fn updates_deletes_and_key_changes_of_an_old_deployment_are_carried_over() {
    let (db, mut conn) = migrated_keeping_legacy(30);
    let old = db.open();
    old.execute_batch(
        "UPDATE workflow_runs SET status = 'failed', error = '{\"message\":\"late\"}', updated_at = 1 WHERE rowid <= 10;
         DELETE FROM workflow_runs WHERE rowid BETWEEN 11 AND 14;
         UPDATE workflow_runs SET run_id = 'renamed-' || run_id WHERE rowid = 15;
         INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('upsert-new', 'w', 'pending')
           ON CONFLICT (run_id) DO UPDATE SET status = excluded.status;
         INSERT INTO workflow_runs (run_id, workflow_id, status) SELECT run_id, 'w', 'bulk' FROM workflow_runs WHERE rowid = 16
           ON CONFLICT (run_id) DO UPDATE SET status = excluded.status;
         INSERT OR IGNORE INTO workflow_runs (run_id, workflow_id, status) SELECT run_id, 'w', 'ignored' FROM workflow_runs WHERE rowid = 17;",
    )
    .unwrap();
    assert_eq!(mirror_differences(&conn), (0, 0));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 27);
    assert!(status_of(
        &conn,
        "wrkflw_workflow_runs",
        &format!("renamed-{}", run_id(14))
    )
    .is_some());
    assert!(status_of(&conn, "wrkflw_workflow_runs", &run_id(14)).is_none());
    assert!(conflicts(&conn, "wrkflw_workflow_runs").is_empty());
    // The ignored insert of a held key left its replace mark (its after-insert trigger
    // never fired); the next run clears it.
    let marks = |conn: &Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM wrkflw_replaced_keys", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(marks(&conn), 1);
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((report.rows_copied, report.copy_path), (0, None));
    assert_eq!(marks(&conn), 0);
}

/// Item 9: ids the application assigns (below the highest one) arrive like any other row.
#[wrkflw_table(rename_from = "tickets")]
#[derive(Debug)]
struct Ticket {
    #[wrkflw(primary_key)]
    id: i64,
    title: String,
}

#[test]
fn application_assigned_ids_below_the_highest_arrive() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
         INSERT INTO tickets VALUES (10, 'ten'), (20, 'twenty'), (1000, 'thousand');",
    )
    .unwrap();
    Ticket::migrate(&mut conn, LegacyTable::Keep).unwrap();
    db.open()
        .execute_batch("INSERT INTO tickets VALUES (5, 'five'), (15, 'fifteen'), (999, 'nines');")
        .unwrap();
    let report = Ticket::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_dropped);
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM wrkflw_tickets ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, [5, 10, 15, 20, 999, 1000]);
}

/// Item 5: the owner rebuilds the legacy table in key order (new rowids, its triggers gone
/// with the old table). The next run notices, reconciles by key once, says so, and installs
/// the capture again; rows written meanwhile are not lost.
#[test]
fn a_legacy_table_rebuilt_by_its_owner_is_reconciled_and_captured_again() {
    let (_db, mut conn) = migrated_keeping_legacy(60);
    conn.execute_batch(&format!(
        "ALTER TABLE workflow_runs RENAME TO old_runs;
         DROP INDEX idx_workflow_runs_workflow_id; DROP INDEX idx_workflow_runs_status;
         {}
         INSERT INTO workflow_runs SELECT * FROM old_runs ORDER BY run_id DESC;
         DROP TABLE old_runs;",
        seed::LEGACY_SCHEMA_SQL
    ))
    .unwrap();
    assert!(
        capture_triggers(&conn).is_empty(),
        "gone with the old table"
    );
    seed::insert_legacy_runs(&mut conn, 60, 4).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 60, "not captured");

    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.capture, Some(CaptureStatus::Restored));
    assert_eq!(report.copy_path, Some(CopyPath::Reconcile));
    assert_eq!(report.rows_copied, 4);
    assert!(
        report
            .to_string()
            .contains("change capture was missing: reconciled by key and installed again"),
        "{report}"
    );
    assert_eq!(
        keys(&conn, "wrkflw_workflow_runs"),
        keys(&conn, "workflow_runs")
    );
    assert_eq!(capture_triggers(&conn).len(), 5);
    // Captured again from here on.
    seed::insert_legacy_runs(&mut conn, 64, 1).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 65);
}

#[test]
fn capture_triggers_dropped_or_changed_by_hand_are_noticed_and_reinstalled() {
    // Each tampering lets one of two writes go uncaptured: the delete, or the update.
    for (tamper, uncaptured) in [
        ("DROP TRIGGER wrkflw_workflow_runs_capture_delete", (0, 1)),
        (
            "DROP TRIGGER wrkflw_workflow_runs_capture_update;
             CREATE TRIGGER wrkflw_workflow_runs_capture_update AFTER UPDATE ON workflow_runs BEGIN SELECT 1; END;",
            (1, 0),
        ),
    ] {
        let db = DbFile::legacy(25);
        let mut conn = db.open();
        WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        conn.execute_batch(tamper).unwrap();
        conn.execute_batch(
            "DELETE FROM workflow_runs WHERE rowid = 1; UPDATE workflow_runs SET status = 'x' WHERE rowid = 2;",
        )
        .unwrap();
        let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        assert_eq!(report.capture, Some(CaptureStatus::Restored), "{tamper}");
        assert_eq!(report.copy_path, Some(CopyPath::Reconcile));
        // Without history the reconcile keeps the table's rows and says so: a missed
        // update shows as a differing row, a missed delete as a row still there.
        assert_eq!(report.rows_differing, uncaptured.0 as u64, "{tamper}");
        assert_eq!(mirror_differences(&conn), uncaptured, "{tamper}");
        let again = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        assert_eq!(again.capture, Some(CaptureStatus::Active));
    }
}

/// A struct that reads one more legacy column replaces the triggers without a reconcile:
/// nothing went uncaptured.
mod reshaped {
    use wrkflw::wrkflw_table;

    #[wrkflw_table(rename_from = "notes")]
    pub struct NoteV1 {
        #[wrkflw(primary_key)]
        pub id: String,
        pub body: String,
    }

    #[wrkflw_table(rename_from = "notes", name = "notes")]
    pub struct NoteV2 {
        #[wrkflw(primary_key)]
        pub id: String,
        pub body: String,
        pub author: Option<String>,
    }

    /// The author required, with a default for the rows that have none.
    #[wrkflw_table(rename_from = "notes", name = "notes")]
    pub struct NoteV3 {
        #[wrkflw(primary_key)]
        pub id: String,
        pub body: String,
        #[wrkflw(default = "'anonymous'")]
        pub author: String,
    }
}

fn notes(db: &DbFile) -> Connection {
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, author TEXT);
         INSERT INTO notes VALUES ('n1', 'first', 'ann');",
    )
    .unwrap();
    reshaped::NoteV1::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn
}

/// A conflict logged before the struct gained a column is settled on the columns both
/// sides had, as planning saw them: never a false `MissingRows`.
#[test]
fn a_conflict_logged_before_the_struct_grew_is_settled_all_the_same() {
    let db = DbFile::new();
    let conn = notes(&db);
    conn.execute("INSERT INTO wrkflw_notes VALUES ('n2', 'by the app')", [])
        .unwrap();
    conn.execute(
        "INSERT INTO notes VALUES ('n2', 'by the old deployment', 'bo')",
        [],
    )
    .unwrap();
    drop(conn);
    let mut conn = db.open();
    let report = wrkflw::Migrator::new()
        .table::<reshaped::NoteV2>()
        .on_conflict(wrkflw::OnConflict::KeepTable)
        .run(&mut conn, LegacyTable::Keep)
        .unwrap()
        .remove(0);
    assert_eq!(report.conflicts, ["'n2'"]);
    let body: String = conn
        .query_row("SELECT body FROM wrkflw_notes WHERE id = 'n2'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(body, "by the app");
}

/// A gained `NOT NULL` column filled from a legacy column holding NULLs names them, before
/// anything is written, instead of failing half-way with SQLite's constraint error.
#[test]
fn a_required_column_gained_from_legacy_nulls_names_the_rows() {
    let db = DbFile::new();
    let conn = notes(&db);
    conn.execute("INSERT INTO notes VALUES ('n2', 'second', NULL)", [])
        .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    for error in [
        reshaped::NoteV3::plan(&conn, LegacyTable::Keep).unwrap_err(),
        reshaped::NoteV3::migrate(&mut conn, LegacyTable::Keep).unwrap_err(),
    ] {
        match &error {
            Error::RejectedRows { nulls, .. } => {
                assert_eq!(nulls.len(), 1, "{nulls:?}");
                assert_eq!(
                    (
                        nulls[0].column.as_str(),
                        nulls[0].rows,
                        nulls[0].sample_keys.as_slice()
                    ),
                    ("author", 1, ["'n2'".to_owned()].as_slice())
                );
            }
            other => panic!("expected RejectedRows, got {other:?}"),
        }
    }
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

/// Review finding: `UPDATE ... SET rowid = ...` changes an `INTEGER PRIMARY KEY` without
/// naming it; the capture still sees it.
#[test]
fn a_key_changed_through_the_rowid_is_carried_over() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
         INSERT INTO tickets VALUES (10, 'ten'), (20, 'twenty');",
    )
    .unwrap();
    Ticket::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch(
        "UPDATE tickets SET rowid = 100 WHERE id = 10; UPDATE tickets SET _ROWID_ = 200 WHERE id = 20;",
    )
    .unwrap();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM wrkflw_tickets ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, [100, 200]);
}

/// Review finding: a trigger of the application's own on the legacy table, created after
/// the capture (so SQLite fires it first), rewrites the row; the capture carries the final
/// row over, not the values the writer's statement started with, and sees no conflict in
/// a row it just wrote itself.
#[test]
fn the_applications_own_triggers_on_the_legacy_table_are_captured_in_any_order() {
    let (db, mut conn) = migrated_keeping_legacy(10);
    conn.execute_batch(
        "CREATE TRIGGER touch AFTER UPDATE OF status ON workflow_runs
           BEGIN UPDATE workflow_runs SET state = 'touched ' || NEW.status WHERE run_id = NEW.run_id; END;
         CREATE TRIGGER stamp AFTER INSERT ON workflow_runs
           BEGIN UPDATE workflow_runs SET result = 'stamped' WHERE run_id = NEW.run_id; END;",
    )
    .unwrap();
    let old = db.open();
    old.execute(
        "UPDATE workflow_runs SET status = 'failed' WHERE run_id = ?1",
        [run_id(2)],
    )
    .unwrap();
    seed::insert_legacy_runs(&mut db.open(), 10, 3).unwrap();
    assert_eq!(mirror_differences(&conn), (0, 0));
    assert!(conflicts(&conn, "wrkflw_workflow_runs").is_empty());
    let state: String = conn
        .query_row(
            "SELECT state FROM wrkflw_workflow_runs WHERE run_id = ?1",
            [run_id(2)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(state, "touched failed");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.conflicts.is_empty());
}

/// Review finding: `UPDATE OR REPLACE` moving a row onto a key the legacy table holds
/// replaces that row; in the new table it is an update of that key, not a conflict.
#[test]
fn update_or_replace_onto_a_held_key_is_an_update_there() {
    let (_db, conn) = migrated_keeping_legacy(5);
    conn.execute(
        "UPDATE OR REPLACE workflow_runs SET run_id = ?2, status = 'moved' WHERE run_id = ?1",
        [run_id(0), run_id(1)],
    )
    .unwrap();
    assert!(conflicts(&conn, "wrkflw_workflow_runs").is_empty());
    assert_eq!(mirror_differences(&conn), (0, 0));
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 4);
    assert_eq!(
        status_of(&conn, "wrkflw_workflow_runs", &run_id(1)).as_deref(),
        Some("moved")
    );
}

/// Review finding: the legacy key's unique index dropped while the capture is installed
/// lets two rows share a key; the next run says so rather than trusting the capture.
#[test]
fn a_legacy_key_that_lost_its_unique_index_stops_the_next_run() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE tickets (rid INTEGER PRIMARY KEY, id INTEGER NOT NULL, title TEXT NOT NULL);
         CREATE UNIQUE INDEX tickets_id ON tickets (id);
         INSERT INTO tickets (id, title) VALUES (1, 'one'), (2, 'two');",
    )
    .unwrap();
    Ticket::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch("DROP INDEX tickets_id").unwrap();
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let error = Ticket::migrate(&mut conn, legacy).unwrap_err();
        assert!(
            matches!(
                &error,
                Error::CannotCapture {
                    problem: KeyProblem::NotUnique {
                        since_installed: true
                    },
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("compare both tables"), "{error}");
    }
}

#[test]
fn a_struct_reading_more_columns_updates_the_capture_without_a_gap() {
    use reshaped::{NoteV1, NoteV2};
    assert_eq!(NoteV1::TABLE_NAME, NoteV2::TABLE_NAME);
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, author TEXT);
         INSERT INTO notes VALUES ('n1', 'first', 'ann');",
    )
    .unwrap();
    NoteV1::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute("INSERT INTO notes VALUES ('n2', 'second', 'bo')", [])
        .unwrap();
    let report = NoteV2::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.capture, Some(CaptureStatus::Updated));
    assert_eq!(report.copy_path, None);
    assert_eq!(report.columns_added, ["author"]);
    let author = |conn: &wrkflw::rusqlite::Connection, id: &str| -> String {
        conn.query_row("SELECT author FROM wrkflw_notes WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    // The rows already there take the legacy table's values for the new column.
    assert_eq!(
        (author(&conn, "n1"), author(&conn, "n2")),
        ("ann".into(), "bo".into())
    );
    conn.execute("UPDATE notes SET author = 'cy' WHERE id = 'n2'", [])
        .unwrap();
    assert_eq!(author(&conn, "n2"), "cy", "the new column is captured");
}

#[test]
fn a_without_rowid_legacy_table_is_captured_like_any_other() {
    let schema = seed::LEGACY_SCHEMA_SQL
        .replace(
            "updated_at INTEGER DEFAULT (unixepoch())\n)",
            "updated_at INTEGER DEFAULT (unixepoch())\n) WITHOUT ROWID",
        )
        .replace(
            "run_id TEXT PRIMARY KEY",
            "run_id TEXT NOT NULL PRIMARY KEY",
        );
    let db = DbFile::legacy_with_schema(&schema, 80);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute("DELETE FROM wrkflw_workflow_runs WHERE rowid <= 5", [])
        .unwrap();
    seed::insert_legacy_runs(&mut conn, 80, 2).unwrap();
    let again = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((again.copy_path, again.rows_copied), (None, 0));
    // The deleted rows stay deleted; the new ones arrived.
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 77);
}

/// A legacy row the new table cannot hold (a NULL where it says NOT NULL) is accepted into
/// the legacy table as before, logged, and reported by the next run, never silently lost.
#[test]
fn a_row_the_new_table_cannot_hold_is_logged_and_reported() {
    let loose = seed::LEGACY_SCHEMA_SQL.replace("status TEXT NOT NULL", "status TEXT");
    let db = DbFile::legacy_with_schema(&loose, 10);
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let old = db.open();
    old.execute(
        "INSERT OR IGNORE INTO workflow_runs (run_id, workflow_id, status) VALUES ('no-status', 'w', NULL)",
        [],
    )
    .unwrap();
    old.execute(
        "UPDATE workflow_runs SET status = NULL WHERE run_id = ?1",
        [run_id(3)],
    )
    .unwrap();
    assert_eq!(
        conflicts(&conn, "wrkflw_workflow_runs"),
        [
            ("'no-status'".to_owned(), "rejected".to_owned(), None),
            (format!("'{}'", run_id(3)), "rejected".to_owned(), None),
        ]
    );
    let bytes = db.bytes();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::RejectedRows { nulls, .. } => {
            assert_eq!(nulls.len(), 1);
            assert_eq!((nulls[0].column.as_str(), nulls[0].rows), ("status", 2));
            assert_eq!(
                nulls[0].sample_keys,
                ["'no-status'".to_owned(), format!("'{}'", run_id(3))]
            );
        }
        other => panic!("expected RejectedRows, got {other:?}"),
    }
    assert_eq!(db.bytes(), bytes, "nothing changed, the legacy table kept");
    // Fixed at the source, both rows arrive as they are written.
    old.execute_batch("UPDATE workflow_runs SET status = 'pending' WHERE status IS NULL")
        .unwrap();
    assert!(conflicts(&conn, "wrkflw_workflow_runs").is_empty());
    assert_eq!(mirror_differences(&conn), (0, 0));
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_dropped);
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 11);
}

/// A unique index added to the new table by hand rejects a captured row: under the old
/// deployment's `INSERT OR IGNORE` SQLite would skip the row silently, so the capture fails
/// the write instead, and both tables stay as they were.
#[test]
fn a_captured_row_the_new_table_refuses_fails_the_write_instead_of_vanishing() {
    let (db, conn) = migrated_keeping_legacy(10);
    conn.execute_batch(
        "CREATE UNIQUE INDEX one_per_workflow_and_time ON wrkflw_workflow_runs (workflow_id, created_at)",
    )
    .unwrap();
    let taken = seed::legacy_run(0);
    let old = db.open();
    let error = old
        .execute(
            "INSERT OR IGNORE INTO workflow_runs (run_id, workflow_id, status, created_at) VALUES ('clash', ?1, 'x', ?2)",
            wrkflw::rusqlite::params![taken.workflow_id, taken.created_at],
        )
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("wrkflw: wrkflw_workflow_runs did not keep the row written to workflow_runs"),
        "{error}"
    );
    assert!(status_of(&conn, "workflow_runs", "clash").is_none());
    assert_eq!(mirror_differences(&conn), (0, 0));
    assert!(exists(&conn, "wrkflw_workflow_runs_capture_insert"));
}
