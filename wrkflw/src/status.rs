//! Where each table of a [`Migrator`] stands: both tables' presence and rows, the rows the
//! next migration would copy, the ledger's last run and the schema changes it would make.
//! Read from the plan, so that what `status` says is waiting is exactly what `migrate` runs.

use rusqlite::Connection;

use crate::error::{sqlite_error, Step};
use crate::ledger;
use crate::plan::RebuildStep;
use crate::planner::in_read_transaction;
use crate::schema;
use crate::sql_text::main;
use crate::{Action, Error, LegacyTable, Migrator, OnConflict, Plan, Result};

/// Where one table stands, from [`Migrator::status`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TableStatus {
    /// The table, e.g. `wrkflw_workflow_runs`.
    pub table: String,
    /// Rows in the table; `None` when it does not exist yet.
    pub rows: Option<u64>,
    /// The legacy table the struct names (`rename_from`), if any.
    pub legacy_table: Option<String>,
    /// Rows in the legacy table; `None` when it does not exist (dropped, or never there).
    pub legacy_rows: Option<u64>,
    /// Legacy rows the next migration would copy into the table: every legacy row before
    /// the first migration, those whose key the table lacks on a reconcile, and logged
    /// conflicts that can now be written. Rows the change capture already carried over are
    /// not waiting.
    pub rows_waiting: u64,
    /// The ledger's record of the last migration, if one ran.
    pub last_run: Option<LastRun>,
    /// How the existing table differs from its struct, one sentence per change the next
    /// migration would make (a column renamed or added, an index created, each reason for
    /// a rebuild). Empty when the table matches, or does not exist yet.
    pub schema_changes: Vec<String>,
    /// Every statement the next migration would run, as [`Migrator::plan`] gives it. While
    /// `conflicts` are waiting for a policy, the statements of [`OnConflict::KeepTable`].
    pub plan: Plan,
    /// Keys the change capture logged as conflicts that the migrator's policy
    /// ([`OnConflict::Fail`], the default) will not settle: the next migration fails on them
    /// until the application chooses a policy. Up to five, as SQL literals, with the count.
    pub conflicts: Option<(u64, Vec<String>)>,
}

impl TableStatus {
    /// Whether the next migration has anything to do: its plan has statements (rows to
    /// copy, schema to change, a capture to install, conflicts to settle...).
    pub fn is_pending(&self) -> bool {
        !self.plan.steps.is_empty() || self.conflicts.is_some()
    }
}

/// The ledger's record of a table's last migration, in a [`TableStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LastRun {
    /// When it ran, in unix seconds.
    pub migrated_at: i64,
    /// Rows migrations copied into the table, over all runs (the capture's writes are not
    /// counted).
    pub rows_copied: u64,
    /// Whether it left the change capture installed on the legacy table.
    pub capture: bool,
    /// Conflicts settled, over all runs.
    pub conflicts_settled: u64,
}

impl Migrator {
    /// Where each table stands, in the order added, read in one read transaction without
    /// writing anything: both tables' rows, the rows waiting to be copied, the ledger's last
    /// run, the schema changes and the whole [`Plan`] of a [`Migrator::run`] with `legacy`.
    /// Fails as [`Migrator::plan`] does when the migration would be refused.
    ///
    /// ```
    /// use wrkflw::{LegacyTable, Migrator};
    /// # #[wrkflw::wrkflw_table(rename_from = "jobs")] struct Job { #[wrkflw(primary_key)] id: String }
    /// let mut conn = wrkflw::rusqlite::Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE jobs (id TEXT NOT NULL PRIMARY KEY); INSERT INTO jobs VALUES ('a');")?;
    /// let migrator = Migrator::new().table::<Job>();
    /// let before = migrator.status(&conn, LegacyTable::Keep)?;
    /// assert_eq!((before[0].rows, before[0].rows_waiting), (None, 1));
    /// migrator.run(&mut conn, LegacyTable::Keep)?;
    /// let after = migrator.status(&conn, LegacyTable::Keep)?;
    /// assert_eq!((after[0].rows, after[0].is_pending()), (Some(1), false));
    /// # Ok::<(), wrkflw::Error>(())
    /// ```
    pub fn status(&self, conn: &Connection, legacy: LegacyTable) -> Result<Vec<TableStatus>> {
        let first = self.specs().first().map_or("", |t| t.table);
        in_read_transaction(conn, first, |conn| {
            // Logged conflicts make the plan fail under `OnConflict::Fail`: status reports
            // them, and what the rest of the migration would do once they are settled.
            let mut conflicts: Vec<(String, u64, Vec<String>)> = Vec::new();
            let mut migrator = self.clone();
            let plans = loop {
                match migrator.plan(conn, legacy) {
                    Err(Error::Conflicts {
                        table,
                        count,
                        sample_keys,
                        ..
                    }) if !conflicts.iter().any(|(t, _, _)| *t == table) => {
                        conflicts.push((table, count, sample_keys));
                        migrator = migrator.on_conflict(OnConflict::KeepTable);
                    }
                    other => break other?,
                }
            };
            self.specs()
                .iter()
                .zip(plans)
                .map(|(spec, plan)| {
                    let inspect = sqlite_error(spec.table, Step::Inspect);
                    let rows = count(conn, spec.table).map_err(&inspect)?;
                    let legacy_rows = match spec.legacy {
                        Some(name) => count(conn, name).map_err(&inspect)?,
                        None => None,
                    };
                    Ok(TableStatus {
                        table: spec.table.to_owned(),
                        rows,
                        legacy_table: spec.legacy.map(str::to_owned),
                        legacy_rows,
                        rows_waiting: rows_waiting(&plan),
                        last_run: ledger::last_run(conn, spec.table).map_err(&inspect)?,
                        schema_changes: if rows.is_some() {
                            schema_changes(&plan)
                        } else {
                            Vec::new()
                        },
                        conflicts: conflicts
                            .iter()
                            .find(|(t, _, _)| t == spec.table)
                            .map(|(_, count, keys)| (*count, keys.clone())),
                        plan,
                    })
                })
                .collect()
        })
    }
}

/// The rows of a table, `None` when there is no table of that name.
fn count(conn: &Connection, table: &str) -> rusqlite::Result<Option<u64>> {
    if schema::kind(conn, table)?.as_deref() != Some("table") {
        return Ok(None);
    }
    let sql = format!("SELECT count(*) FROM {}", main(table));
    conn.query_row(&sql, [], |row| row.get::<_, i64>(0))
        .map(|n| Some(n as u64))
}

/// The legacy rows the plan's statements write into the table.
fn rows_waiting(plan: &Plan) -> u64 {
    plan.steps
        .iter()
        .map(|step| match step.action {
            Action::Copy { rows, .. }
            | Action::CopyConflictRows { rows }
            | Action::ApplyRejectedRows { rows } => rows,
            _ => 0,
        })
        .sum()
}

/// The plan's changes to an existing table's schema, one sentence each.
fn schema_changes(plan: &Plan) -> Vec<String> {
    let mut changes = Vec::new();
    for step in &plan.steps {
        match &step.action {
            Action::RebuildTable {
                step: RebuildStep::CreateTable { reasons, .. },
            } => changes.extend(reasons.iter().map(|r| format!("rebuild: {r}"))),
            action @ (Action::RenameColumn { .. }
            | Action::AddColumn { .. }
            | Action::CreateIndex { .. }) => changes.push(action.to_string()),
            _ => {}
        }
    }
    changes
}
