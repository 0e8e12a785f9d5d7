//! A legacy row the new table would reject fails the migration loudly, and the file is left
//! byte for byte as it was.

use wrkflw::{Error, LegacyTable, NullCount, Table};
use wrkflw_tests::{
    count, exists, runs_to_rebuild, schema, seed, table_info, DbFile, LooseRun, WorkflowRun,
};

/// A legacy file whose table lets NULL into columns the new table requires, as an old
/// release's looser schema or hand edits can.
fn loose_legacy(rows: u64) -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    let loose = seed::LEGACY_SCHEMA_SQL.replace("TEXT NOT NULL", "TEXT");
    conn.execute_batch(&loose).unwrap();
    seed::insert_legacy_runs(&mut conn, 0, rows).unwrap();
    db
}

#[test]
fn nulls_in_not_null_columns_name_table_column_and_count_and_roll_back() {
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let db = loose_legacy(100);
        let conn = db.open();
        conn.execute_batch(
            "UPDATE workflow_runs SET workflow_id = NULL WHERE rowid IN (3, 50);
             UPDATE workflow_runs SET status = NULL WHERE rowid = 70;",
        )
        .unwrap();
        drop(conn);
        let bytes = db.bytes();

        let mut conn = db.open();
        let error = WorkflowRun::migrate(&mut conn, legacy).unwrap_err();
        match &error {
            Error::RejectedRows {
                table,
                legacy_table,
                nulls,
            } => {
                assert_eq!(table, "wrkflw_workflow_runs");
                assert_eq!(legacy_table, "workflow_runs");
                // Rowid n holds run n - 1; the sample keys name the rows to fix.
                let key = |n: u64| format!("'{}'", seed::legacy_run(n - 1).run_id);
                assert_eq!(
                    nulls,
                    &[
                        NullCount {
                            column: "workflow_id".into(),
                            rows: 2,
                            sample_keys: vec![key(3), key(50)],
                        },
                        NullCount {
                            column: "status".into(),
                            rows: 1,
                            sample_keys: vec![key(70)],
                        },
                    ]
                );
            }
            other => panic!("expected RejectedRows, got {other:?}"),
        }
        let key = |n: u64| seed::legacy_run(n - 1).run_id;
        assert_eq!(
            error.to_string(),
            format!(
                "cannot migrate `workflow_runs` into `wrkflw_workflow_runs`: 2 rows with NULL in `workflow_id` \
                 (keys '{}', '{}'), 1 row with NULL in `status` (keys '{}') but those columns are NOT NULL in \
                 `wrkflw_workflow_runs`; nothing was changed. Fix or delete those rows (find them with \
                 `SELECT rowid, * FROM workflow_runs WHERE workflow_id IS NULL`) and migrate again",
                key(3),
                key(50),
                key(70)
            )
        );
        assert!(
            !exists(&conn, "wrkflw_workflow_runs"),
            "the created table was rolled back"
        );
        assert_eq!(count(&conn, "workflow_runs"), 100);
        drop(conn);
        assert_eq!(db.bytes(), bytes, "the file is byte for byte as before");
    }
}

#[test]
fn a_null_key_is_rejected_too() {
    // The original legacy DDL has `run_id TEXT PRIMARY KEY`, which SQLite lets be NULL.
    let db = DbFile::legacy(10);
    let mut conn = db.open();
    conn.execute("UPDATE workflow_runs SET run_id = NULL WHERE rowid = 4", [])
        .unwrap();
    let before = schema(&conn);
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::RejectedRows { nulls, .. } if nulls == &[NullCount { column: "run_id".into(), rows: 1, sample_keys: vec!["NULL".into()] }]),
        "{error:?}"
    );
    assert_eq!(schema(&conn), before);
}

#[test]
fn the_original_insert_or_ignore_would_have_lost_those_rows_silently() {
    // The contrast that motivates the check: same data, the seed's statement, no error.
    let db = loose_legacy(20);
    let conn = db.open();
    conn.execute("UPDATE workflow_runs SET status = NULL WHERE rowid = 5", [])
        .unwrap();
    conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
    conn.execute_batch(seed::ORIGINAL_COPY_SQL).unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 19);
}

#[test]
fn after_fixing_the_rows_the_migration_succeeds() {
    let db = loose_legacy(30);
    let mut conn = db.open();
    conn.execute("UPDATE workflow_runs SET status = NULL WHERE rowid = 9", [])
        .unwrap();
    assert!(WorkflowRun::migrate(&mut conn, LegacyTable::Drop).is_err());
    conn.execute(
        "UPDATE workflow_runs SET status = 'unknown' WHERE status IS NULL",
        [],
    )
    .unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((report.rows_copied, report.legacy_dropped), (30, true));
}

#[test]
fn a_connection_already_in_a_transaction_gets_a_step_error() {
    let db = DbFile::legacy(5);
    let mut conn = db.open();
    conn.execute_batch("BEGIN").unwrap();
    let error = WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&error, Error::Step { table, step: wrkflw::Step::Begin, .. } if table == "wrkflw_workflow_runs"),
        "{error:?}"
    );
    assert!(error.to_string().starts_with(
        "migrating `wrkflw_workflow_runs`: starting the transaction failed, nothing was changed:"
    ));
}

#[test]
fn a_rebuild_that_fails_at_its_last_step_leaves_the_file_byte_for_byte_as_it_was() {
    // 100,000 runs with indexes, a trigger, a view and a referencing table holding two rows
    // whose run is gone (written with foreign keys off): the rebuild copies every row,
    // drops, renames and recreates everything, then its foreign key check fails.
    let db = runs_to_rebuild(100_000);
    let conn = db.open();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO run_notes (run_id) VALUES ('gone-1'), ('gone-2');",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();

    let mut conn = db.open();
    let before = schema(&conn);
    let error = LooseRun::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&error, Error::ForeignKeyViolations { table, violations }
            if table == "wrkflw_workflow_runs" && violations.len() == 1 && violations[0].rows == 2),
        "{error:?}"
    );
    assert_eq!(schema(&conn), before);
    assert!(
        table_info(&conn, "wrkflw_workflow_runs")[2].2,
        "status is NOT NULL still"
    );
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 100_000);
    drop(conn);
    let after = db.bytes();
    let differing: Vec<usize> = (0..bytes.len().max(after.len()))
        .filter(|&i| bytes.get(i) != after.get(i))
        .take(20)
        .collect();
    assert!(
        differing.is_empty(),
        "the file is byte for byte as before: {} vs {} bytes, differing at {differing:?}",
        bytes.len(),
        after.len()
    );
}
