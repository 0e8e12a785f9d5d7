//! The ledger `wrkflw_migrations`: what each run records, and that a run with nothing to do
//! records (and writes) nothing.

use wrkflw::{CaptureStatus, LegacyTable, Table};
use wrkflw_tests::{capture_triggers, ledger, migrated_keeping_legacy, seed, DbFile, WorkflowRun};

#[test]
fn the_first_run_records_rows_capture_and_checksum() {
    let (_db, conn) = migrated_keeping_legacy(300);
    let row = ledger(&conn, "wrkflw_workflow_runs").expect("a ledger row");
    assert_eq!(
        (
            row.legacy_table.as_str(),
            row.rows_copied,
            row.conflicts_settled
        ),
        ("workflow_runs", 300, 0)
    );
    for checksum in [row.capture.as_deref().unwrap(), &row.schema_checksum] {
        assert_eq!(checksum.len(), 16);
        assert!(
            checksum.chars().all(|c| c.is_ascii_hexdigit()),
            "{checksum}"
        );
    }
    assert!(row.migrated_at > 1_700_000_000, "{}", row.migrated_at);
    assert_eq!(capture_triggers(&conn).len(), 5);
}

#[test]
fn an_idle_rerun_writes_nothing_not_even_the_ledger() {
    for wal in [false, true] {
        let db = DbFile::legacy(200);
        let mut conn = db.open();
        if wal {
            conn.execute_batch("PRAGMA journal_mode = WAL").unwrap();
        }
        WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        // Old deployments write; their writes are carried over as they happen.
        seed::insert_legacy_runs(&mut conn, 200, 5).unwrap();
        conn.execute(
            "UPDATE workflow_runs SET status = 'failed' WHERE rowid < 4",
            [],
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let before = ledger(&conn, "wrkflw_workflow_runs").unwrap();
        let bytes = db.bytes();
        let wal_file = db.path().with_extension("sqlite3-wal");
        let wal_size = std::fs::metadata(&wal_file).map(|m| m.len()).ok();

        let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
        assert_eq!((report.rows_copied, report.copy_path), (0, None));
        assert_eq!(report.capture, Some(CaptureStatus::Active));
        assert_eq!(ledger(&conn, "wrkflw_workflow_runs").unwrap(), before);
        assert_eq!(db.bytes(), bytes, "wal={wal}: the file is untouched");
        assert_eq!(
            std::fs::metadata(&wal_file).map(|m| m.len()).ok(),
            wal_size,
            "wal={wal}: nothing was appended to the WAL"
        );
    }
}

#[test]
fn dropping_the_legacy_table_clears_the_recorded_capture() {
    let (_db, mut conn) = migrated_keeping_legacy(10);
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(report.capture, Some(CaptureStatus::Removed));
    let row = ledger(&conn, "wrkflw_workflow_runs").unwrap();
    assert_eq!((row.rows_copied, row.capture), (10, None));
    assert!(capture_triggers(&conn).is_empty());
}

#[test]
fn a_first_run_that_drops_the_legacy_table_installs_no_capture() {
    let db = DbFile::legacy(10);
    let mut conn = db.open();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(report.capture, None);
    assert!(capture_triggers(&conn).is_empty());
    assert_eq!(ledger(&conn, "wrkflw_workflow_runs").unwrap().capture, None);
}
