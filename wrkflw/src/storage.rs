//! The original library's workflow storage, rebuilt on typed rows: open a database (migrating
//! the original `workflow_runs` table as it goes), then save, load, list and delete workflow
//! runs.
//!
//! ```
//! use wrkflw::storage::{RunStatus, WorkflowSnapshot, WorkflowStorage};
//! use serde_json::json;
//!
//! let storage = WorkflowStorage::open_in_memory()?;
//! storage.save_snapshot(&WorkflowSnapshot {
//!     run_id: "run-1".into(),
//!     workflow_id: "nightly-report".into(),
//!     status: RunStatus::Running,
//!     execution_path: vec![0, 1],
//!     step_results: json!({"fetch": {"ok": true}}),
//!     state: json!({"cursor": 10}),
//!     input_data: json!({"date": "2026-11-26"}),
//!     result: None,
//!     error: None,
//!     updated_at: 0, // set by the database
//! })?;
//! let run = storage.load_snapshot("run-1")?.expect("saved");
//! assert_eq!(run.status, RunStatus::Running);
//! assert!(run.updated_at > 0);
//! # Ok::<(), wrkflw::Error>(())
//! ```

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rows::{failed, to_json, to_json_opt};
use crate::{wrkflw_table, LegacyTable, Migrator, OnConflict, Result, Table};

/// A run's status. The original library writes `running`, `success` and `failed`; any
/// other text (a newer version of it may write one) reads as [`RunStatus::Other`] with the
/// text kept, and is written back as it was, so one unknown status never makes a list fail.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RunStatus {
    /// `running`.
    Running,
    /// `success`.
    Success,
    /// `failed`.
    Failed,
    /// A status this version does not know, as stored.
    Other(String),
}

impl RunStatus {
    /// The text stored for it.
    pub fn as_str(&self) -> &str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Failed => "failed",
            RunStatus::Other(text) => text,
        }
    }
}

impl From<String> for RunStatus {
    fn from(text: String) -> RunStatus {
        match text.as_str() {
            "running" => RunStatus::Running,
            "success" => RunStatus::Success,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Other(text),
        }
    }
}

impl From<RunStatus> for String {
    fn from(status: RunStatus) -> String {
        status.as_str().to_owned()
    }
}

/// A workflow run as the original library saves and loads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSnapshot {
    /// The run's id, the key.
    pub run_id: String,
    /// The workflow it runs.
    pub workflow_id: String,
    /// Where it stands.
    pub status: RunStatus,
    /// The indexes of the steps run so far.
    pub execution_path: Vec<i64>,
    /// What each step returned.
    pub step_results: Value,
    /// The workflow's own state.
    pub state: Value,
    /// The run's input.
    pub input_data: Value,
    /// The run's result: `None` until there is one; `Some(Value::Null)`, `Some(0)`,
    /// `Some(false)` and `Some("")` are results too.
    pub result: Option<Value>,
    /// The error that failed the run, as the original stored it.
    pub error: Option<String>,
    /// When the run was last saved, in unix seconds, set by the database (what a snapshot
    /// being saved holds here is ignored).
    pub updated_at: i64,
}

/// The table's row: the original library's `workflow_runs` columns, the JSON ones decoded.
/// The same table as the seed struct in the README, column for column.
#[wrkflw_table(rename_from = "workflow_runs")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunRow {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(index)]
    workflow_id: String,
    #[wrkflw(index)]
    status: String,
    #[wrkflw(json)]
    execution_path: Option<Vec<i64>>,
    #[wrkflw(json)]
    step_results: Option<Value>,
    #[wrkflw(json)]
    state: Option<Value>,
    #[wrkflw(json)]
    input_data: Option<Value>,
    #[wrkflw(json)]
    result: Option<Value>,
    error: Option<String>,
    #[wrkflw(default = "unixepoch()")]
    created_at: Option<i64>,
    #[wrkflw(default = "unixepoch()")]
    updated_at: Option<i64>,
}

impl From<RunRow> for WorkflowSnapshot {
    /// NULL where the original wrote an undefined value reads as JSON `null` (an empty path
    /// for `execution_path`), never as an error.
    fn from(row: RunRow) -> WorkflowSnapshot {
        WorkflowSnapshot {
            run_id: row.run_id,
            workflow_id: row.workflow_id,
            status: RunStatus::from(row.status),
            execution_path: row.execution_path.unwrap_or_default(),
            step_results: row.step_results.unwrap_or(Value::Null),
            state: row.state.unwrap_or(Value::Null),
            input_data: row.input_data.unwrap_or(Value::Null),
            result: row.result,
            error: row.error,
            updated_at: row.updated_at.unwrap_or_default(),
        }
    }
}

/// Where a page of runs starts: just after the last run of the page before, in the lists'
/// order (newest `updated_at` first, then `run_id`; a run stored with no `updated_at`, as the
/// original's table allows, counts as 0, the oldest, as its snapshot reads).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The last run's `updated_at`.
    pub updated_at: i64,
    /// The last run's `run_id`.
    pub run_id: String,
}

/// One page of runs and where the next one starts (`None` after the last).
#[derive(Debug, Clone, PartialEq)]
pub struct RunPage {
    /// The runs, newest first.
    pub runs: Vec<WorkflowSnapshot>,
    /// Pass it as `after` for the next page. `None` when this page ended the list (it has
    /// fewer runs than `limit`); a page asked for with `limit` 0 has none either.
    pub next: Option<Cursor>,
}

impl RunPage {
    /// A page of `runs` read with `limit`: a full page has a next one after its last run
    /// (which may be empty); a shorter page ends the list.
    pub(crate) fn of(runs: Vec<WorkflowSnapshot>, limit: i64) -> RunPage {
        let next = (runs.len() as i64 == limit)
            .then(|| runs.last())
            .flatten()
            .map(|last| Cursor {
                updated_at: last.updated_at,
                run_id: last.run_id.clone(),
            });
        RunPage { runs, next }
    }
}

/// The original library's `WorkflowStorage`: one SQLite file (or an in-memory database),
/// migrated when opened, shared by any number of threads.
///
/// It is `Send + Sync` through one connection behind a mutex. SQLite lets one writer at a
/// time into a file anyway, and a second connection of our own would only meet the first
/// one's lock (`SQLITE_BUSY`); one connection serialises the threads without that, and its
/// prepared statements are reused by all of them. Other processes share the file through
/// WAL mode and a busy timeout of [`WorkflowStorage::BUSY_TIMEOUT`].
#[derive(Debug)]
pub struct WorkflowStorage {
    conn: Mutex<Connection>,
}

/// The columns the lists read, in the row's field order.
const LIST_COLUMNS: &str = "run_id, workflow_id, status, execution_path, step_results, state,
  input_data, result, error, created_at, updated_at";

impl WorkflowStorage {
    /// How long a write waits for another process's lock.
    pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

    /// Saves a run: inserts it, or updates every column of the run with its id; the
    /// database sets `updated_at` to now (unix seconds) and keeps `created_at`.
    pub const SAVE_SQL: &'static str = "INSERT INTO wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result, error,
  updated_at
) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, unixepoch())
ON CONFLICT (run_id) DO UPDATE SET
  workflow_id = excluded.workflow_id, status = excluded.status,
  execution_path = excluded.execution_path, step_results = excluded.step_results,
  state = excluded.state, input_data = excluded.input_data, result = excluded.result,
  error = excluded.error, updated_at = unixepoch()";

    /// The indexes the lists read in their order, so a page never sorts the table:
    /// newest first overall, within a workflow, and within a status. A NULL `updated_at`
    /// orders as 0, the value its snapshot reads, so that a cursor can point past it.
    pub const LIST_INDEX_SQL: [&'static str; 3] = [
        "CREATE INDEX IF NOT EXISTS main.idx_wrkflw_workflow_runs_newest
  ON wrkflw_workflow_runs (coalesce(updated_at, 0) DESC, run_id)",
        "CREATE INDEX IF NOT EXISTS main.idx_wrkflw_workflow_runs_workflow_id_newest
  ON wrkflw_workflow_runs (workflow_id, coalesce(updated_at, 0) DESC, run_id)",
        "CREATE INDEX IF NOT EXISTS main.idx_wrkflw_workflow_runs_status_newest
  ON wrkflw_workflow_runs (status, coalesce(updated_at, 0) DESC, run_id)",
    ];

    /// Opens (or creates) the file, switches it to WAL mode, sets the busy timeout to
    /// [`WorkflowStorage::BUSY_TIMEOUT`], and migrates: a database the original library wrote
    /// is readable at once, its `workflow_runs` table kept (and captured, see
    /// [`crate::migrate`]). A key both tables hold for different runs (a write an old
    /// deployment made while nothing captured it) is [`Error::Conflicts`](crate::Error::Conflicts); settle it with
    /// [`WorkflowStorage::open_with`].
    pub fn open(path: impl AsRef<Path>) -> Result<WorkflowStorage> {
        WorkflowStorage::open_with(path, OnConflict::Fail)
    }

    /// [`WorkflowStorage::open`], settling keys in conflict as `on_conflict` says (the
    /// migration's choice, see [`OnConflict`]).
    pub fn open_with(path: impl AsRef<Path>, on_conflict: OnConflict) -> Result<WorkflowStorage> {
        let conn = Connection::open(path)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| {
            row.get::<_, String>(0)
        })?;
        conn.busy_timeout(WorkflowStorage::BUSY_TIMEOUT)?;
        WorkflowStorage::with_connection_on_conflict(conn, on_conflict)
    }

    /// A storage in memory, for tests and throwaway runs.
    pub fn open_in_memory() -> Result<WorkflowStorage> {
        WorkflowStorage::with_connection(Connection::open_in_memory()?)
    }

    /// A storage on a connection the application opened, its settings kept (journal mode,
    /// busy timeout, pragmas); migrates as [`WorkflowStorage::open`] does. SQLite cannot
    /// report a custom busy handler, so the migration cannot restore one set with
    /// `Connection::busy_handler` (see [`Migrator::busy_timeout`]): give the connection a
    /// busy timeout instead.
    pub fn with_connection(conn: Connection) -> Result<WorkflowStorage> {
        WorkflowStorage::with_connection_on_conflict(conn, OnConflict::Fail)
    }

    /// [`WorkflowStorage::with_connection`], settling keys in conflict as `on_conflict` says.
    pub fn with_connection_on_conflict(
        mut conn: Connection,
        on_conflict: OnConflict,
    ) -> Result<WorkflowStorage> {
        WorkflowStorage::migrator()
            .on_conflict(on_conflict)
            .run(&mut conn, LegacyTable::Keep)?;
        for sql in WorkflowStorage::LIST_INDEX_SQL {
            conn.execute_batch(sql)?;
        }
        Ok(WorkflowStorage {
            conn: Mutex::new(conn),
        })
    }

    /// The migration [`WorkflowStorage::open`] runs: its one table, `wrkflw_workflow_runs`,
    /// from the original library's `workflow_runs`. The `wrkflw` command line runs it.
    ///
    /// ```
    /// use wrkflw::storage::WorkflowStorage;
    /// let plans = WorkflowStorage::migrator()
    ///     .plan(&wrkflw::rusqlite::Connection::open_in_memory()?, wrkflw::LegacyTable::Keep)?;
    /// assert_eq!(plans[0].table, "wrkflw_workflow_runs");
    /// # Ok::<(), wrkflw::Error>(())
    /// ```
    pub fn migrator() -> Migrator {
        Migrator::new().table::<RunRow>()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A thread that panicked while holding the lock left no statement half-run: SQLite
        // rolls back an unfinished statement, so the connection is still sound.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Saves a run (see [`WorkflowStorage::SAVE_SQL`]).
    pub fn save_snapshot(&self, snapshot: &WorkflowSnapshot) -> Result<()> {
        let table = RunRow::TABLE_NAME;
        let execution_path = to_json(&snapshot.execution_path, table, "execution_path")?;
        let step_results = to_json(&snapshot.step_results, table, "step_results")?;
        let state = to_json(&snapshot.state, table, "state")?;
        let input_data = to_json(&snapshot.input_data, table, "input_data")?;
        let result = to_json_opt(&snapshot.result, table, "result")?;
        let conn = self.conn();
        let mut save = conn
            .prepare_cached(WorkflowStorage::SAVE_SQL)
            .map_err(failed::<RunRow>("save"))?;
        save.execute(params![
            snapshot.run_id,
            snapshot.workflow_id,
            snapshot.status.as_str(),
            execution_path,
            step_results,
            state,
            input_data,
            result,
            snapshot.error,
        ])
        .map_err(failed::<RunRow>("save"))?;
        Ok(())
    }

    /// The run with this id, as last saved.
    pub fn load_snapshot(&self, run_id: &str) -> Result<Option<WorkflowSnapshot>> {
        Ok(RunRow::get(&self.conn(), run_id)?.map(WorkflowSnapshot::from))
    }

    /// Deletes the run with this id; `true` when there was one.
    pub fn delete_run(&self, run_id: &str) -> Result<bool> {
        RunRow::delete(&self.conn(), run_id)
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
    /// (`None` for the first page). Read along an index in the lists' order: the newest 50
    /// runs of a workflow come back without sorting the table, however large.
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

    /// The statement a page runs, for the filters it has: `?1` the status, `?2` the
    /// workflow, `?3` and `?4` the cursor's `updated_at` and `run_id`, `?5` the limit. Every
    /// combination reads along one of [`WorkflowStorage::LIST_INDEX_SQL`] and sorts nothing.
    pub fn page_sql(by_status: bool, by_workflow: bool, after_cursor: bool) -> String {
        let mut filters = Vec::new();
        if by_status {
            filters.push("status = ?1");
        }
        if by_workflow {
            filters.push("workflow_id = ?2");
        }
        if after_cursor {
            filters.push(
                "(coalesce(updated_at, 0) < ?3 OR (coalesce(updated_at, 0) = ?3 AND run_id > ?4))",
            );
        }
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}\n", filters.join(" AND "))
        };
        format!(
            "SELECT {LIST_COLUMNS}\nFROM wrkflw_workflow_runs\n{filter}ORDER BY coalesce(updated_at, 0) DESC, run_id\nLIMIT ?5"
        )
    }

    /// One page: one cached statement for each combination of filters. Every statement
    /// binds the same five parameters (SQLite ignores those it does not name).
    fn page(
        &self,
        status: Option<RunStatus>,
        workflow_id: Option<&str>,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<RunPage> {
        let sql =
            WorkflowStorage::page_sql(status.is_some(), workflow_id.is_some(), after.is_some());
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&sql)
            .map_err(failed::<RunRow>("list"))?;
        let status = status.as_ref().map(RunStatus::as_str);
        let (updated_at, run_id) = (
            after.map(|c| c.updated_at),
            after.map(|c| c.run_id.as_str()),
        );
        let limit = i64::from(limit);
        let parameters: [&dyn rusqlite::ToSql; 5] =
            [&status, &workflow_id, &updated_at, &run_id, &limit];
        let runs: Vec<WorkflowSnapshot> = crate::rows::read_all::<RunRow>(&mut stmt, &parameters)?
            .into_iter()
            .map(WorkflowSnapshot::from)
            .collect();
        Ok(RunPage::of(runs, limit))
    }
}
