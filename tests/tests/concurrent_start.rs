//! Several processes starting at once, each with its own connection to one file: the
//! `BEGIN IMMEDIATE` transaction makes them queue, so each row is copied exactly once.

use std::sync::{Arc, Barrier};
use std::thread;

use wrkflw::{LegacyTable, MigrationReport, Table};
use wrkflw_tests::{count, exists, DbFile, WorkflowRun};

fn migrate_at_once(db: &DbFile, threads: usize, legacy: LegacyTable) -> Vec<MigrationReport> {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let path = db.path().to_owned();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let mut conn = wrkflw::rusqlite::Connection::open(path).unwrap();
                barrier.wait();
                WorkflowRun::migrate(&mut conn, legacy)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap()
                .expect("every concurrent migration succeeds")
        })
        .collect()
}

#[test]
fn concurrent_migrations_copy_each_row_once() {
    let db = DbFile::legacy(5_000);
    let reports = migrate_at_once(&db, 4, LegacyTable::Keep);
    let copied: u64 = reports.iter().map(|r| r.rows_copied).sum();
    assert_eq!(copied, 5_000, "{reports:#?}");
    assert_eq!(reports.iter().filter(|r| r.table_created).count(), 1);
    assert_eq!(count(&db.open(), "wrkflw_workflow_runs"), 5_000);
}

#[test]
fn concurrent_migrations_drop_the_legacy_table_once() {
    let db = DbFile::legacy(5_000);
    let reports = migrate_at_once(&db, 4, LegacyTable::Drop);
    let copied: u64 = reports.iter().map(|r| r.rows_copied).sum();
    assert_eq!(copied, 5_000, "{reports:#?}");
    assert_eq!(reports.iter().filter(|r| r.legacy_dropped).count(), 1);
    assert_eq!(reports.iter().filter(|r| r.legacy_found).count(), 1);
    let conn = db.open();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 5_000);
    assert!(!exists(&conn, "workflow_runs"));
}

/// Starts the `migrate-child` binary on `db`, its output captured.
fn spawn_child(db: &DbFile) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_migrate-child"))
        .arg(db.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start migrate-child")
}

#[test]
fn processes_starting_at_once_all_succeed_and_copy_each_row_once() {
    for wal in [false, true] {
        let db = DbFile::legacy(20_000);
        if wal {
            db.open()
                .execute_batch("PRAGMA journal_mode = WAL")
                .unwrap();
        }
        let children: Vec<_> = (0..6).map(|_| spawn_child(&db)).collect();
        let mut copied = 0;
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(
                output.status.success(),
                "a migrator failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let rows: u64 = stdout.split_whitespace().nth(1).unwrap().parse().unwrap();
            copied += rows;
        }
        assert_eq!(copied, 20_000, "WAL: {wal}");
        assert_eq!(count(&db.open(), "wrkflw_workflow_runs"), 20_000);
    }
}

#[test]
fn migrators_and_old_deployments_at_once_leave_the_new_table_equal_to_the_legacy_table() {
    // Old deployments keep writing (inserts, upserts, updates, deletes) while several new
    // processes start and migrate: whatever the interleaving, every legacy write ends up in
    // the new table exactly once, because the copy and the capture's installation are one
    // transaction under the write lock.
    for wal in [false, true] {
        let db = DbFile::legacy(10_000);
        if wal {
            db.open()
                .execute_batch("PRAGMA journal_mode = WAL")
                .unwrap();
        }
        let writers: Vec<_> = (0..2)
            .map(|seed| {
                std::process::Command::new(env!("CARGO_BIN_EXE_migrate-child"))
                    .arg("write")
                    .arg(db.path())
                    .args([seed.to_string(), "400".to_owned()])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start a writer")
            })
            .collect();
        let migrators: Vec<_> = (0..4).map(|_| spawn_child(&db)).collect();
        for child in migrators.into_iter().chain(writers) {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "wal={wal}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let conn = db.open();
        assert_eq!(wrkflw_tests::mirror_differences(&conn), (0, 0), "wal={wal}");
        assert_eq!(wrkflw_tests::integrity(&conn), "ok");
    }
}
