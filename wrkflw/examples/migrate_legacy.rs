//! The main job: take a SQLite file shaped exactly as the original workflow engine left it
//! (a legacy `workflow_runs` table with its indexes and a few thousand runs), migrate it to
//! `wrkflw_workflow_runs`, and show what happened.
//!
//! ```text
//! cargo run --example migrate_legacy [-- path/to/file.sqlite3]
//! ```

// Shared with the test suite, which uses more of it than this example does.
#[allow(dead_code)]
mod seed;

use std::path::PathBuf;
use std::time::Instant;

use seed::WorkflowRun;
use serde_json::json;
use wrkflw::rusqlite::Connection;
use wrkflw::storage::{RunStatus, WorkflowSnapshot, WorkflowStorage};
use wrkflw::{row_counts, LegacyTable, Table};

const LEGACY_ROWS: u64 = 5_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("wrkflw-migrate-legacy.sqlite3"));
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }

    println!(
        "1. A database as the original engine left it: {}",
        path.display()
    );
    let mut conn = Connection::open(&path)?;
    conn.execute_batch(seed::LEGACY_SCHEMA_SQL)?;
    seed::insert_legacy_runs(&mut conn, 0, LEGACY_ROWS)?;
    let legacy_rows: i64 =
        conn.query_row("SELECT count(*) FROM workflow_runs", [], |r| r.get(0))?;
    println!("   workflow_runs holds {legacy_rows} runs\n");

    println!("2. The plan: what migrate would run on this file, computed without writing:\n");
    for line in WorkflowRun::plan(&conn, LegacyTable::Keep)?
        .to_string()
        .lines()
    {
        println!("   {line}");
    }
    println!();

    println!("3. Migrate, keeping the legacy table (the change capture is installed on it):");
    let started = Instant::now();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep)?;
    println!("   {report}   ({:.1?})", started.elapsed());
    println!("   row counts: {}\n", row_counts::<WorkflowRun>(&conn)?);

    println!("4. Run it again (as every start-up does): nothing to copy, nothing written.");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep)?;
    println!("   {report}\n");

    println!(
        "5. The application deletes 2 runs. An old deployment, still running, then adds 3 runs,"
    );
    println!("   fails one run and upserts another with INSERT OR REPLACE. The capture carries");
    println!("   each write into the new table as it happens; the deleted 2 stay deleted.");
    conn.execute(
        "DELETE FROM wrkflw_workflow_runs WHERE rowid IN (SELECT rowid FROM wrkflw_workflow_runs LIMIT 2)",
        [],
    )?;
    let old_deployment = Connection::open(&path)?;
    let mut old_deployment_writes = Connection::open(&path)?;
    seed::insert_legacy_runs(&mut old_deployment_writes, LEGACY_ROWS, 3)?;
    old_deployment.execute(
        "UPDATE workflow_runs SET status = 'failed', error = '{\"message\":\"late\"}' WHERE rowid = 10",
        [],
    )?;
    old_deployment.execute(
        "INSERT OR REPLACE INTO workflow_runs (run_id, workflow_id, status)
         SELECT run_id, workflow_id, 'success' FROM workflow_runs WHERE rowid = 20",
        [],
    )?;
    println!("   row counts: {}", row_counts::<WorkflowRun>(&conn)?);
    let failed: String = conn.query_row(
        "SELECT n.status FROM wrkflw_workflow_runs AS n JOIN workflow_runs AS l USING (run_id) WHERE l.rowid = 10",
        [],
        |r| r.get(0),
    )?;
    println!("   the run the old deployment failed is `{failed}` in wrkflw_workflow_runs\n");

    println!("6. Migrate and drop the legacy table (its capture goes with it):");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop)?;
    println!("   {report}");
    println!("   row counts: {}\n", row_counts::<WorkflowRun>(&conn)?);

    println!("7. Typed rows and the original library's storage on the migrated file:");
    let failed = WorkflowRun::find_by_status(&conn, "failed")?;
    println!(
        "   WorkflowRun::find_by_status(&conn, \"failed\"): {} of WorkflowRun::count: {}",
        failed.len(),
        WorkflowRun::count(&conn)?
    );
    let first = WorkflowRun::get(&conn, failed[0].run_id.as_str())?.expect("just found");
    println!(
        "   WorkflowRun::get(&conn, {:?}): workflow {}, error {}",
        first.run_id,
        first.workflow_id,
        first.error.as_deref().unwrap_or("(none)")
    );
    drop(conn);
    let storage = WorkflowStorage::open(&path)?;
    storage.save_snapshot(&WorkflowSnapshot {
        run_id: "example-run-1".into(),
        workflow_id: "nightly-report".into(),
        status: RunStatus::Running,
        execution_path: vec![0, 1],
        step_results: json!({"fetch": {"ok": true, "rows": 120}}),
        state: json!({"cursor": 120}),
        input_data: json!({"date": "2026-11-26"}),
        result: None,
        error: None,
        updated_at: 0,
    })?;
    let mut finished = storage.load_snapshot("example-run-1")?.expect("just saved");
    finished.status = RunStatus::Success;
    finished.result = Some(json!(0));
    storage.save_snapshot(&finished)?;
    let loaded = storage.load_snapshot("example-run-1")?.expect("saved");
    println!(
        "   saved and loaded example-run-1: {}, result {:?}, path {:?}, updated_at {}",
        loaded.status.as_str(),
        loaded.result,
        loaded.execution_path,
        loaded.updated_at
    );
    let page = storage.list_runs_page(Some("nightly-report"), None, 3)?;
    println!("   the newest 3 runs of nightly-report:");
    for run in &page.runs {
        println!(
            "     {} {} (updated_at {})",
            run.run_id,
            run.status.as_str(),
            run.updated_at
        );
    }
    let conn = Connection::open(&path)?;

    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    println!("\n8. PRAGMA integrity_check: {integrity}\n");

    println!("9. The generated migration, as WorkflowRun::migration_sql(LegacyTable::Keep):\n");
    println!("{}", WorkflowRun::migration_sql(LegacyTable::Keep));
    Ok(())
}
