//! The seed table on PostgreSQL: the legacy table as an application on PostgreSQL would
//! have kept it, and a loader of the seed's realistic rows. Shared by the test suite and the
//! benchmarks (each includes this file beside `seed/mod.rs`, as `crate::seed`).

use wrkflw::postgres::driver::Client;

/// The seed's legacy table as an application on PostgreSQL would have kept it: the original
/// DDL with PostgreSQL's types (unix seconds as `BIGINT`), and its indexes.
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
  created_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint),
  updated_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint)
);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_workflow_id ON workflow_runs (workflow_id);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_status ON workflow_runs (status);
";

/// Creates [`LEGACY_SCHEMA_SQL`]'s table and loads the seed's runs `first..first + count`
/// ([`crate::seed::legacy_run`]) with `COPY`: a million rows in a few seconds.
pub fn load_legacy_runs(
    client: &mut Client,
    first: u64,
    count: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    client.batch_execute(LEGACY_SCHEMA_SQL)?;
    let mut writer = client.copy_in(
        "COPY workflow_runs (run_id, workflow_id, status, execution_path, step_results,
           state, input_data, result, error, created_at, updated_at) FROM STDIN",
    )?;
    let text = |value: Option<&str>| match value {
        None => "\\N".to_owned(),
        Some(value) => value
            .replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r"),
    };
    let number = |value: Option<i64>| value.map_or("\\N".to_owned(), |n| n.to_string());
    let mut buffer = Vec::with_capacity(1 << 20);
    for n in first..first + count {
        let run = crate::seed::legacy_run(n);
        writeln!(
            buffer,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            text(Some(&run.run_id)),
            text(Some(&run.workflow_id)),
            text(Some(&run.status)),
            text(run.execution_path.as_deref()),
            text(run.step_results.as_deref()),
            text(run.state.as_deref()),
            text(run.input_data.as_deref()),
            text(run.result.as_deref()),
            text(run.error.as_deref()),
            number(run.created_at),
            number(run.updated_at),
        )?;
        if buffer.len() > 1 << 20 {
            writer.write_all(&buffer)?;
            buffer.clear();
        }
    }
    writer.write_all(&buffer)?;
    writer.finish()?;
    Ok(())
}
