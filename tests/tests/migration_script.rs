//! The generated script, run by hand, gives the same schema and rows as `migrate`.

use wrkflw::{LegacyTable, Table};
use wrkflw_tests::{count, exists, rows, schema, seed, DbFile, WorkflowRun};

#[test]
fn script_and_migrate_give_the_same_schema_and_rows() {
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let by_migrate = DbFile::legacy(800);
        let by_script = by_migrate.copy();

        let mut conn = by_migrate.open();
        WorkflowRun::migrate(&mut conn, legacy).unwrap();
        let script_conn = by_script.open();
        script_conn
            .execute_batch(WorkflowRun::migration_sql(legacy))
            .unwrap();
        assert!(
            script_conn.is_autocommit(),
            "the script commits its own transaction"
        );

        // The script keeps no ledger and installs no capture; `migrate` adds those and
        // nothing else.
        let without_ledger = |conn| {
            let mut objects = schema(conn);
            let bookkeeping = [
                "wrkflw_migrations",
                "wrkflw_conflicts",
                "wrkflw_replaced_keys",
            ];
            objects.retain(|(kind, name, _)| {
                let ours = bookkeeping.iter().any(|own| name.contains(own))
                    || (kind == "trigger" && name.contains("_capture_"));
                !ours
            });
            objects
        };
        assert_eq!(schema(&script_conn), without_ledger(&conn), "{legacy:?}");
        assert_eq!(
            rows(&script_conn, "wrkflw_workflow_runs"),
            rows(&conn, "wrkflw_workflow_runs")
        );
        assert_eq!(exists(&conn, "workflow_runs"), legacy == LegacyTable::Keep);
    }
}

#[test]
fn script_rerun_copies_nothing_twice() {
    let db = DbFile::legacy(100);
    let conn = db.open();
    conn.execute_batch(WorkflowRun::migration_sql(LegacyTable::Keep))
        .unwrap();
    conn.execute_batch(WorkflowRun::migration_sql(LegacyTable::Keep))
        .unwrap();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 100);
}

#[test]
fn script_on_a_fresh_database_fails_and_applies_nothing() {
    // As its header says: it assumes the legacy table exists.
    let db = DbFile::new();
    let conn = db.open();
    let error = conn
        .execute_batch(WorkflowRun::migration_sql(LegacyTable::Drop))
        .unwrap_err();
    assert!(
        error.to_string().contains("no such table: workflow_runs"),
        "{error}"
    );
    drop(conn);
    let conn = db.open();
    assert!(
        !exists(&conn, "wrkflw_workflow_runs"),
        "the open transaction rolled back"
    );
}

#[test]
fn script_stops_at_a_rejected_row_and_the_legacy_table_survives() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(&seed::LEGACY_SCHEMA_SQL.replace("TEXT NOT NULL", "TEXT"))
        .unwrap();
    seed::insert_legacy_runs(&mut conn, 0, 10).unwrap();
    conn.execute("UPDATE workflow_runs SET status = NULL WHERE rowid = 3", [])
        .unwrap();
    let error = conn
        .execute_batch(WorkflowRun::migration_sql(LegacyTable::Drop))
        .unwrap_err();
    assert!(
        error.to_string().contains("NOT NULL constraint failed"),
        "{error}"
    );
    drop(conn);
    let conn = db.open();
    assert_eq!(count(&conn, "workflow_runs"), 10);
    assert!(!exists(&conn, "wrkflw_workflow_runs"));
}
