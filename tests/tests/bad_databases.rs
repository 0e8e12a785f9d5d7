//! Databases `migrate` cannot work on: each gives a typed error that says what to do, and the
//! file is left as it was. Never a panic.

use std::time::Duration;

use wrkflw::rusqlite::{Connection, OpenFlags};
use wrkflw::{Error, LegacyTable, Migrator, Table};
use wrkflw_tests::{count, exists, integrity, DbFile, WorkflowRun};

#[test]
fn a_file_that_is_not_a_database() {
    let db = DbFile::new();
    std::fs::write(db.path(), b"name,status\nrun-1,done\n".repeat(200)).unwrap();
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(error, Error::NotADatabase { ref table } if table == "wrkflw_workflow_runs"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("not a SQLite database"),
        "{error}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn a_read_only_database() {
    let db = DbFile::legacy(20);
    let bytes = db.bytes();
    let mut conn =
        Connection::open_with_flags(db.path(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(matches!(error, Error::ReadOnly { .. }), "{error:?}");
    assert!(error.to_string().contains("Open it read-write"), "{error}");
    drop(conn);
    assert_eq!(db.bytes(), bytes);
    // Planning only reads, so it works on a read-only connection.
    let conn = Connection::open_with_flags(db.path(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert!(!WorkflowRun::plan(&conn, LegacyTable::Keep)
        .unwrap()
        .steps
        .is_empty());
}

#[test]
fn a_legacy_name_that_is_a_view() {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE runs_v1 (run_id TEXT); CREATE VIEW workflow_runs AS SELECT * FROM runs_v1;",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(error, Error::NotATable { ref name, ref kind } if name == "workflow_runs" && kind == "view"),
        "{error:?}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn a_database_locked_beyond_the_busy_timeout() {
    let db = DbFile::legacy(20);
    let holder = db.open();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let mut conn = db.open();
    let started = std::time::Instant::now();
    let error = Migrator::new()
        .table::<WorkflowRun>()
        .busy_timeout(Duration::from_millis(300))
        .run(&mut conn, LegacyTable::Keep)
        .unwrap_err();
    let waited = started.elapsed();
    match &error {
        Error::Busy { table, timeout, .. } => {
            assert_eq!(table, "wrkflw_workflow_runs");
            assert_eq!(*timeout, Duration::from_millis(300));
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(
        waited >= Duration::from_millis(250),
        "it waited: {waited:?}"
    );
    assert!(error.to_string().contains("for over 300 ms"), "{error}");
    holder.execute_batch("ROLLBACK").unwrap();

    // The connection's own busy timeout is back, and the migration now goes through.
    let restored: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(restored, 5_000, "rusqlite's default");
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 20);
}

#[test]
fn a_disk_that_fills_up_in_the_middle_of_the_copy() {
    let db = DbFile::legacy(3_000);
    let bytes = db.bytes();
    let mut conn = db.open();
    // SQLite's own size limit stands in for a full disk: the copy needs about the legacy
    // table's size again, so allow a third of it.
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let _: i64 = conn
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + pages / 3),
            [],
            |r| r.get(0),
        )
        .unwrap();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(matches!(error, Error::DiskFull { .. }), "{error:?}");
    assert!(error.to_string().contains("Free space"), "{error}");
    drop(conn);
    assert_eq!(db.bytes(), bytes);
    let conn = db.open();
    assert_eq!(integrity(&conn), "ok");
    assert!(!exists(&conn, "wrkflw_workflow_runs"));
}

/// Item 12: with `journal_mode=OFF` SQLite cannot roll a failed copy back (the file would be
/// left half-written while the error says nothing changed): refused before any write.
#[test]
fn a_journal_mode_that_cannot_roll_back_is_refused_before_anything_is_written() {
    let db = DbFile::legacy(200);
    // A row the new table rejects makes the copy fail part-way.
    db.open()
        .execute(
            "UPDATE workflow_runs SET run_id = NULL WHERE rowid = 150",
            [],
        )
        .unwrap();
    let bytes = db.bytes();
    let mut conn = db.open();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "off");
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let error = WorkflowRun::migrate(&mut conn, legacy).unwrap_err();
        assert!(
            matches!(&error, Error::JournalOff { table } if table == "wrkflw_workflow_runs"),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("PRAGMA journal_mode = DELETE"),
            "{error}"
        );
        assert!(matches!(
            WorkflowRun::plan(&conn, legacy),
            Err(Error::JournalOff { .. })
        ));
    }
    drop(conn);
    assert_eq!(db.bytes(), bytes, "not a byte written, the size unchanged");
    // With a journal the same file fails cleanly, and names the row.
    let error = WorkflowRun::migrate(&mut db.open(), LegacyTable::Keep).unwrap_err();
    assert!(matches!(error, Error::RejectedRows { .. }), "{error:?}");
    assert_eq!(db.bytes(), bytes);
}
