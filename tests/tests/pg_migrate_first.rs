//! A first PostgreSQL migration: the table and its indexes as the struct declares them, every
//! legacy row with every value, the report and the ledger; the legacy table kept with its
//! capture, or dropped with it.

use wrkflw::postgres::{PgTable, MIGRATION_LOCK_KEY};
use wrkflw::{CaptureStatus, CopyPath, LegacyTable, Table};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 2_000;

/// Every row of a table, every column as text, in key order.
fn rows(client: &mut wrkflw::postgres::Client, table: &str) -> Vec<String> {
    client
        .query(
            &format!("SELECT t::text FROM {table} AS t ORDER BY run_id"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn a_first_migration_copies_every_row_and_value_and_records_it() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    let legacy_rows = rows(&mut client, "workflow_runs");

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(report.table, "wrkflw_workflow_runs");
    assert_eq!(report.legacy_table.as_deref(), Some("workflow_runs"));
    assert!(report.legacy_found && report.table_created);
    assert_eq!(report.rows_copied, ROWS);
    assert_eq!(report.copy_path, Some(CopyPath::BulkInsert));
    assert_eq!(report.capture, Some(CaptureStatus::Installed));
    assert!(!report.legacy_dropped);
    assert!(report.defaulted_columns.is_empty() && report.legacy_only_columns.is_empty());
    assert_eq!(
        report.to_string(),
        "wrkflw_workflow_runs: created; copied 2000 rows from workflow_runs (bulk insert, indexes built after); kept workflow_runs; change capture installed"
    );

    // The table as PG_CREATE_SQL declares it, with the struct's indexes.
    let columns = pg::columns(&mut client, "wrkflw_workflow_runs");
    let names: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
    let fields: Vec<&str> = WorkflowRun::COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, fields);
    for ((name, pg_type, not_null, _), declared) in columns.iter().zip(WorkflowRun::PG_COLUMNS) {
        assert_eq!(pg_type, declared.pg_type.catalog_name(), "{name}");
        let column = WorkflowRun::COLUMNS
            .iter()
            .find(|c| c.name == name)
            .unwrap();
        assert_eq!(*not_null, !column.nullable, "{name}");
    }
    assert_eq!(
        pg::indexes(&mut client, "wrkflw_workflow_runs"),
        [
            (
                "idx_wrkflw_workflow_runs_status".to_owned(),
                "CREATE INDEX idx_wrkflw_workflow_runs_status ON public.wrkflw_workflow_runs USING btree (status)".to_owned()
            ),
            (
                "idx_wrkflw_workflow_runs_workflow_id".to_owned(),
                "CREATE INDEX idx_wrkflw_workflow_runs_workflow_id ON public.wrkflw_workflow_runs USING btree (workflow_id)".to_owned()
            ),
            (
                "wrkflw_workflow_runs_pkey".to_owned(),
                "CREATE UNIQUE INDEX wrkflw_workflow_runs_pkey ON public.wrkflw_workflow_runs USING btree (run_id)".to_owned()
            ),
        ]
    );

    // Every row, every value: the two tables have the same columns in the same order.
    assert_eq!(rows(&mut client, "wrkflw_workflow_runs"), legacy_rows);
    // And through the typed rows.
    let run = <WorkflowRun as PgTable>::get(&mut client, &legacy_run_id(17))
        .unwrap()
        .unwrap();
    assert_eq!(run, wrkflw_tests::seed::legacy_run(17));

    // The ledger.
    let ledger = pg::ledger(&mut client, "wrkflw_workflow_runs").unwrap();
    assert_eq!(ledger.legacy_table, "workflow_runs");
    assert_eq!(ledger.rows_copied, ROWS as i64);
    assert_eq!(ledger.conflicts_settled, 0);
    assert!(ledger.capture.is_some());
    assert_eq!(ledger.schema_checksum.len(), 16);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - ledger.migrated_at).abs() < 60,
        "{}",
        ledger.migrated_at
    );

    // The capture: its function, and its triggers on the legacy table.
    assert!(pg::function_exists(
        &mut client,
        "wrkflw_workflow_runs_capture"
    ));
    assert_eq!(
        pg::triggers(&mut client, "workflow_runs"),
        [
            "wrkflw_workflow_runs_capture",
            "wrkflw_workflow_runs_capture_truncate"
        ]
    );
    // The migration lock went with the transaction.
    let held: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
               AND ((classid::bigint << 32) | objid::bigint) = $1",
            &[&MIGRATION_LOCK_KEY],
        )
        .unwrap()
        .get(0);
    assert_eq!(held, 0);
}

fn legacy_run_id(n: u64) -> String {
    wrkflw_tests::seed::legacy_run(n).run_id
}

#[test]
fn dropping_the_legacy_table_drops_it_after_the_copy_with_no_capture_left() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    let legacy_rows = rows(&mut client, "workflow_runs");

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap();

    assert_eq!(report.rows_copied, ROWS);
    assert!(report.legacy_dropped);
    assert_eq!(report.capture, None);
    assert!(!pg::exists(&mut client, "workflow_runs"));
    assert!(!pg::function_exists(
        &mut client,
        "wrkflw_workflow_runs_capture"
    ));
    assert_eq!(rows(&mut client, "wrkflw_workflow_runs"), legacy_rows);
    let ledger = pg::ledger(&mut client, "wrkflw_workflow_runs").unwrap();
    assert_eq!((ledger.rows_copied, ledger.capture), (ROWS as i64, None));
    // No conflict log without a capture.
    assert!(!pg::exists(&mut client, "wrkflw_conflicts"));

    // Nothing left to do.
    let again = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap();
    assert!(!again.legacy_found && !again.table_created);
    assert_eq!(again.rows_copied, 0);
}

#[test]
fn keeping_then_dropping_removes_the_capture_with_the_legacy_table() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, 100);
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap();

    assert_eq!(report.capture, Some(CaptureStatus::Removed));
    assert!(report.legacy_dropped);
    assert_eq!(report.rows_copied, 0);
    assert!(!pg::exists(&mut client, "workflow_runs"));
    assert!(!pg::function_exists(
        &mut client,
        "wrkflw_workflow_runs_capture"
    ));
    assert_eq!(pg::count(&mut client, "wrkflw_workflow_runs"), 100);
    assert_eq!(
        pg::ledger(&mut client, "wrkflw_workflow_runs")
            .unwrap()
            .capture,
        None
    );
}

#[test]
fn a_fresh_database_gets_the_table_and_no_legacy_table_is_reported() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert!(report.table_created && !report.legacy_found);
    assert_eq!(
        report.to_string(),
        "wrkflw_workflow_runs: created; no legacy table workflow_runs found, nothing to copy"
    );
    assert_eq!(pg::count(&mut client, "wrkflw_workflow_runs"), 0);
    assert_eq!(pg::indexes(&mut client, "wrkflw_workflow_runs").len(), 3);
}

#[test]
fn everything_lives_in_the_current_schema() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute("CREATE SCHEMA app; SET search_path = app")
        .unwrap();
    pg::legacy_runs(&mut client, 0, 5);
    // A table of the same name elsewhere on the server's default path is not looked at.
    client
        .batch_execute("CREATE TABLE public.wrkflw_workflow_runs (x INT)")
        .unwrap();

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert!(report.table_created);
    assert_eq!(report.rows_copied, 5);
    let schemas: Vec<String> = client
        .query(
            "SELECT n.nspname || '.' || c.relname FROM pg_class AS c
             JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE c.relname IN ('wrkflw_workflow_runs', 'wrkflw_migrations', 'wrkflw_conflicts')
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        schemas,
        [
            "app.wrkflw_conflicts",
            "app.wrkflw_migrations",
            "app.wrkflw_workflow_runs",
            "public.wrkflw_workflow_runs"
        ]
    );
}

#[test]
fn no_schema_to_work_in_is_an_error_that_says_so() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client.batch_execute("SET search_path = nowhere").unwrap();

    let error = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err();

    assert!(
        matches!(
            error,
            wrkflw::Error::PgStep {
                step: wrkflw::Step::Inspect,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("no schema of the search_path (nowhere) exists"),
        "{error}"
    );
}
