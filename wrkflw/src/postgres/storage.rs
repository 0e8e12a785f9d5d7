//! The original library's workflow storage on PostgreSQL: [`PgWorkflowStorage`], the same
//! methods as [`WorkflowStorage`](crate::storage::WorkflowStorage) on a server that several
//! application servers share.

use std::sync::{Mutex, MutexGuard};

use ::postgres::types::{Json, ToSql};
use ::postgres::{Client, NoTls};

use super::{PgMigrator, PgTable};
use crate::storage::{Cursor, RunPage, RunRow, RunStatus, WorkflowSnapshot};
use crate::{Error, LegacyTable, OnConflict, Result, Table};

/// The original library's `WorkflowStorage` on PostgreSQL: one client, migrated when the
/// storage is made, shared by any number of threads.
///
/// It is `Send + Sync` through one client behind a mutex, as the SQLite storage is: a
/// `postgres::Client` runs one statement at a time. An application that needs more
/// concurrency makes one storage per thread, or a pool of them; the server serialises nothing
/// between storages but what touches the same run.
///
/// ```no_run
/// use wrkflw::postgres::PgWorkflowStorage;
/// use wrkflw::storage::{RunStatus, WorkflowSnapshot};
/// use serde_json::json;
///
/// let storage = PgWorkflowStorage::connect("host=localhost user=postgres dbname=app")?;
/// storage.save_snapshot(&WorkflowSnapshot {
///     run_id: "run-1".into(),
///     workflow_id: "nightly-report".into(),
///     status: RunStatus::Running,
///     execution_path: vec![0, 1],
///     step_results: json!({"fetch": {"ok": true}}),
///     state: json!({"cursor": 10}),
///     input_data: json!({"date": "2026-11-26"}),
///     result: None,
///     error: None,
///     updated_at: 0, // set by the database
/// })?;
/// let run = storage.load_snapshot("run-1")?.expect("saved");
/// assert_eq!(run.status, RunStatus::Running);
/// # Ok::<(), wrkflw::Error>(())
/// ```
pub struct PgWorkflowStorage {
    client: Mutex<Client>,
}

impl std::fmt::Debug for PgWorkflowStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgWorkflowStorage").finish_non_exhaustive()
    }
}

/// The columns the lists read, in the row's field order.
const LIST_COLUMNS: &str = "run_id, workflow_id, status, execution_path, step_results, state,
  input_data, result, error, created_at, updated_at";

impl PgWorkflowStorage {
    /// Saves a run: inserts it, or updates every column of the run with its id; the server
    /// sets `updated_at` to now (whole unix seconds, the transaction's start) and keeps
    /// `created_at`.
    pub const SAVE_SQL: &'static str = "INSERT INTO wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result, error,
  updated_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, floor(extract(epoch from now()))::bigint)
ON CONFLICT (run_id) DO UPDATE SET
  workflow_id = excluded.workflow_id, status = excluded.status,
  execution_path = excluded.execution_path, step_results = excluded.step_results,
  state = excluded.state, input_data = excluded.input_data, result = excluded.result,
  error = excluded.error, updated_at = floor(extract(epoch from now()))::bigint";

    /// The indexes the lists read in their order, as on SQLite
    /// ([`WorkflowStorage::LIST_INDEX_SQL`](crate::storage::WorkflowStorage::LIST_INDEX_SQL)).
    pub const LIST_INDEX_SQL: [&'static str; 3] = [
        "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_newest
  ON wrkflw_workflow_runs ((coalesce(updated_at, 0)) DESC, run_id)",
        "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_workflow_id_newest
  ON wrkflw_workflow_runs (workflow_id, (coalesce(updated_at, 0)) DESC, run_id)",
        "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_status_newest
  ON wrkflw_workflow_runs (status, (coalesce(updated_at, 0)) DESC, run_id)",
    ];

    /// Connects without TLS (`host=... user=... dbname=...` or a `postgres://` URL) and
    /// migrates, keeping a legacy `workflow_runs` table (captured, see
    /// [`crate::postgres::migrate`]). For TLS, connect the client yourself and use
    /// [`PgWorkflowStorage::with_client`].
    pub fn connect(params: &str) -> Result<PgWorkflowStorage> {
        PgWorkflowStorage::connect_with(params, OnConflict::Fail)
    }

    /// [`PgWorkflowStorage::connect`], settling keys in conflict as `on_conflict` says.
    pub fn connect_with(params: &str, on_conflict: OnConflict) -> Result<PgWorkflowStorage> {
        let client = Client::connect(params, NoTls)?;
        PgWorkflowStorage::with_client_on_conflict(client, on_conflict)
    }

    /// A storage on a client the application connected; migrates as
    /// [`PgWorkflowStorage::connect`] does.
    pub fn with_client(client: Client) -> Result<PgWorkflowStorage> {
        PgWorkflowStorage::with_client_on_conflict(client, OnConflict::Fail)
    }

    /// [`PgWorkflowStorage::with_client`], settling keys in conflict as `on_conflict` says.
    pub fn with_client_on_conflict(
        mut client: Client,
        on_conflict: OnConflict,
    ) -> Result<PgWorkflowStorage> {
        PgWorkflowStorage::migrator()
            .on_conflict(on_conflict)
            .run(&mut client, LegacyTable::Keep)?;
        for sql in PgWorkflowStorage::LIST_INDEX_SQL {
            client.batch_execute(sql).map_err(failed("migrate"))?;
        }
        Ok(PgWorkflowStorage {
            client: Mutex::new(client),
        })
    }

    /// The migration the storage runs when it is made: its one table,
    /// `wrkflw_workflow_runs`, from the original library's `workflow_runs`.
    pub fn migrator() -> PgMigrator {
        PgMigrator::new().table::<RunRow>()
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        // A thread that panicked while holding the lock left no statement half-run: the
        // client finishes or fails each statement before returning.
        self.client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Saves a run (see [`PgWorkflowStorage::SAVE_SQL`]).
    pub fn save_snapshot(&self, snapshot: &WorkflowSnapshot) -> Result<()> {
        // JSONB parameters straight from serde: `None` is NULL, `Some(Value::Null)` is the
        // JSON `null`, as on SQLite.
        let execution_path = Json(&snapshot.execution_path);
        let params: [&(dyn ToSql + Sync); 9] = [
            &snapshot.run_id,
            &snapshot.workflow_id,
            &snapshot.status.as_str(),
            &execution_path,
            &snapshot.step_results,
            &snapshot.state,
            &snapshot.input_data,
            &snapshot.result,
            &snapshot.error,
        ];
        self.client()
            .execute(PgWorkflowStorage::SAVE_SQL, &params)
            .map_err(failed("save"))?;
        Ok(())
    }

    /// The run with this id, as last saved.
    pub fn load_snapshot(&self, run_id: &str) -> Result<Option<WorkflowSnapshot>> {
        Ok(<RunRow as PgTable>::get(&mut *self.client(), run_id)?.map(WorkflowSnapshot::from))
    }

    /// Deletes the run with this id; `true` when there was one.
    pub fn delete_run(&self, run_id: &str) -> Result<bool> {
        <RunRow as PgTable>::delete(&mut *self.client(), run_id)
    }

    /// Every run (of one workflow, if given), newest `updated_at` first.
    pub fn list_runs(&self, workflow_id: Option<&str>) -> Result<Vec<WorkflowSnapshot>> {
        Ok(self.list_runs_page(workflow_id, None, u32::MAX)?.runs)
    }

    /// Every run with this status (of one workflow, if given), newest `updated_at` first.
    pub fn runs_by_status(
        &self,
        status: RunStatus,
        workflow_id: Option<&str>,
    ) -> Result<Vec<WorkflowSnapshot>> {
        Ok(self
            .runs_by_status_page(status, workflow_id, None, u32::MAX)?
            .runs)
    }

    /// Up to `limit` runs (of one workflow, if given), newest first, starting after `after`
    /// (`None` for the first page), read along an index in the lists' order.
    pub fn list_runs_page(
        &self,
        workflow_id: Option<&str>,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<RunPage> {
        self.page(None, workflow_id, after, limit)
    }

    /// Up to `limit` runs with this status (of one workflow, if given), newest first,
    /// starting after `after`.
    pub fn runs_by_status_page(
        &self,
        status: RunStatus,
        workflow_id: Option<&str>,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<RunPage> {
        self.page(Some(status), workflow_id, after, limit)
    }

    /// The statement a page runs, for the filters it has. PostgreSQL must know the type of
    /// every parameter a statement names, so each one names only those its filters use, in
    /// the order status, workflow, the cursor's `updated_at` and `run_id`, then the limit.
    pub fn page_sql(by_status: bool, by_workflow: bool, after_cursor: bool) -> String {
        let mut filters = Vec::new();
        let mut next = 0;
        let mut parameter = || {
            next += 1;
            next
        };
        if by_status {
            filters.push(format!("status = ${}", parameter()));
        }
        if by_workflow {
            filters.push(format!("workflow_id = ${}", parameter()));
        }
        if after_cursor {
            let (updated_at, run_id) = (parameter(), parameter());
            filters.push(format!(
                "((coalesce(updated_at, 0)) < ${updated_at} OR ((coalesce(updated_at, 0)) = ${updated_at} AND run_id > ${run_id}))"
            ));
        }
        let limit = parameter();
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}\n", filters.join(" AND "))
        };
        format!(
            "SELECT {LIST_COLUMNS}\nFROM wrkflw_workflow_runs\n{filter}ORDER BY (coalesce(updated_at, 0)) DESC, run_id\nLIMIT ${limit}"
        )
    }

    fn page(
        &self,
        status: Option<RunStatus>,
        workflow_id: Option<&str>,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<RunPage> {
        let sql =
            PgWorkflowStorage::page_sql(status.is_some(), workflow_id.is_some(), after.is_some());
        let status = status.as_ref().map(RunStatus::as_str);
        let limit = i64::from(limit);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(5);
        if let Some(status) = &status {
            params.push(status);
        }
        if let Some(workflow_id) = &workflow_id {
            params.push(workflow_id);
        }
        if let Some(after) = after {
            params.push(&after.updated_at);
            params.push(&after.run_id);
        }
        params.push(&limit);
        let rows = self
            .client()
            .query(sql.as_str(), &params)
            .map_err(failed("list"))?;
        let runs = rows
            .iter()
            .map(|row| RunRow::__pg_read_ordered(row).map(WorkflowSnapshot::from))
            .collect::<Result<Vec<_>>>()?;
        Ok(RunPage::of(runs, limit))
    }
}

fn failed(action: &'static str) -> impl Fn(::postgres::Error) -> Error {
    move |source| Error::PgRows {
        table: RunRow::TABLE_NAME.to_owned(),
        action,
        source,
    }
}
