//! The seed table: `workflow_runs` of the original TypeScript workflow engine, its exact DDL,
//! and realistic rows. Shared by the `migrate_legacy` example and the test suite.

use wrkflw::rusqlite::{self, params, Connection};
use wrkflw::wrkflw_table;

/// A workflow run, as the original engine stored it, now in `wrkflw_workflow_runs`.
#[wrkflw_table(rename_from = "workflow_runs")]
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRun {
    #[wrkflw(primary_key)]
    pub run_id: String,
    #[wrkflw(index)]
    pub workflow_id: String,
    #[wrkflw(index)]
    pub status: String,
    pub execution_path: Option<String>,
    pub step_results: Option<String>,
    pub state: Option<String>,
    pub input_data: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    #[wrkflw(default = "unixepoch()")]
    pub created_at: Option<i64>,
    #[wrkflw(default = "unixepoch()")]
    pub updated_at: Option<i64>,
}

/// The legacy table exactly as the original engine created it, with its indexes.
pub const LEGACY_SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS workflow_runs (
  run_id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  execution_path TEXT,
  step_results TEXT,
  state TEXT,
  input_data TEXT,
  result TEXT,
  error TEXT,
  created_at INTEGER DEFAULT (unixepoch()),
  updated_at INTEGER DEFAULT (unixepoch())
);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_workflow_id ON workflow_runs(workflow_id);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_status ON workflow_runs(status);
";

/// The prefixed table as the original engine's migration created it (its `run_id` is
/// nullable), with its indexes.
pub const ORIGINAL_NEW_SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS wrkflw_workflow_runs (
  run_id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  execution_path TEXT,
  step_results TEXT,
  state TEXT,
  input_data TEXT,
  result TEXT,
  error TEXT,
  created_at INTEGER DEFAULT (unixepoch()),
  updated_at INTEGER DEFAULT (unixepoch())
);
CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_workflow_id ON wrkflw_workflow_runs(workflow_id);
CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_status ON wrkflw_workflow_runs(status);
";

/// The original engine's copy step, verbatim: it skips any row the new table rejects.
pub const ORIGINAL_COPY_SQL: &str = "
INSERT OR IGNORE INTO wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state,
  input_data, result, error, created_at, updated_at
)
SELECT
  run_id, workflow_id, status, execution_path, step_results, state,
  input_data, result, error, created_at, updated_at
FROM workflow_runs;
";

const WORKFLOWS: [&str; 6] = [
    "invoice-approval",
    "user-onboarding",
    "nightly-report",
    "payment-retry",
    "document-ocr",
    "slack-digest",
];
/// The original engine's run statuses.
const STATUSES: [&str; 3] = ["running", "success", "failed"];

/// Inserts `count` legacy runs numbered from `first`, in one transaction. The rows are
/// deterministic: the same arguments give the same rows (about 400 bytes each).
pub fn insert_legacy_runs(conn: &mut Connection, first: u64, count: u64) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO workflow_runs (run_id, workflow_id, status, execution_path, step_results,
               state, input_data, result, error, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for n in first..first + count {
            let run = legacy_run(n);
            insert.execute(params![
                run.run_id,
                run.workflow_id,
                run.status,
                run.execution_path,
                run.step_results,
                run.state,
                run.input_data,
                run.result,
                run.error,
                run.created_at,
                run.updated_at,
            ])?;
        }
    }
    tx.commit()
}

/// The `n`th legacy run: JSON text columns shaped like the original engine's.
pub fn legacy_run(n: u64) -> WorkflowRun {
    // A small mixing function gives varied but reproducible values without a PRNG crate.
    let mix = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    let workflow = WORKFLOWS[(mix % WORKFLOWS.len() as u64) as usize];
    let status = STATUSES[((mix >> 8) % STATUSES.len() as u64) as usize];
    let steps = 2 + (mix >> 16) % 3;
    // The indexes of the steps run so far, as the original engine records them.
    let path: Vec<String> = (0..steps).map(|s| s.to_string()).collect();
    let results: Vec<String> = (0..steps)
        .map(|s| {
            format!(
                "\"step_{s}\":{{\"ok\":true,\"ms\":{}}}",
                (mix >> (s + 20)) % 900
            )
        })
        .collect();
    let created_at = 1_700_000_000 + (n as i64) * 37;
    let failed = status == "failed";
    WorkflowRun {
        run_id: format!("run-{n:08}-{:06x}", mix & 0xFF_FFFF),
        workflow_id: workflow.to_owned(),
        status: status.to_owned(),
        execution_path: Some(format!("[{}]", path.join(","))),
        step_results: Some(format!("{{{}}}", results.join(","))),
        state: Some(format!(
            "{{\"cursor\":{},\"retries\":{},\"locale\":\"en-GB\"}}",
            mix % 1000,
            (mix >> 4) % 4
        )),
        input_data: Some(format!(
            "{{\"customer_id\":\"cus_{:010}\",\"amount\":{}.{:02},\"currency\":\"EUR\",\"tags\":[\"{workflow}\",\"batch-{}\"]}}",
            mix % 10_000_000_000,
            (mix >> 12) % 5000,
            (mix >> 3) % 100,
            n / 1000
        )),
        result: (status == "success").then(|| format!("{{\"output\":\"ok\",\"items\":{}}}", mix % 250)),
        error: failed.then(|| format!("{{\"message\":\"step_{} timed out after 30s\",\"code\":\"ETIMEDOUT\"}}", steps - 1)),
        created_at: Some(created_at),
        updated_at: Some(created_at + ((mix >> 24) % 3600) as i64),
    }
}
