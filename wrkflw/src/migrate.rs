//! Running a table's migration: one `BEGIN IMMEDIATE` transaction that plans every statement
//! (see [`crate::plan`]), runs them in order, verifies each copy and settlement and records
//! the run in the ledger. Any error rolls the whole transaction back.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::conflicts::{self, Settled};
use crate::constraints;
use crate::error::{classify, Step};
use crate::ledger;
use crate::order::in_added_order;
use crate::plan::RebuildStep;
use crate::plan::{Action, Context, CopyPath, Counting, Plan, PlannedStep, Rebuild};
use crate::planner::{copied_rows, in_read_transaction, LegacyFate, LegacyPlan, TablePlan};
use crate::progress::{Callback, ProgressEvent, ProgressStep, Reporter};
use crate::schema;
use crate::spec::TableSpec;
use crate::sql_text::main;
use crate::verify;
use crate::{
    Error, ForeignKeyViolation, LegacyTable, MigrationReport, OnConflict, Progress, Result,
    RowCounts, Table,
};

/// How long a migration waits for another connection's write lock before it gives up with
/// [`Error::Busy`], unless [`Migrator::busy_timeout`] says otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates `T`'s table and indexes and migrates its legacy table, if any, in one
/// `BEGIN IMMEDIATE` transaction.
///
/// - Fresh database: creates the table and indexes, reports `legacy_found: false`.
/// - Legacy table present, first run: creates the table, copies every legacy row (by SQLite's
///   transfer optimization when the tables are compatible, else one bulk insert), builds the
///   indexes after the copy, checks that every legacy row arrived and, with
///   [`LegacyTable::Keep`], installs the change capture: triggers on the legacy table that
///   carry every later insert, update and delete an old deployment makes there into the new
///   table, in the writer's own transaction.
/// - Re-runs check that the capture is intact and settle the conflicts it logged (legacy rows
///   whose key the table holds for another row) under [`OnConflict`]; with nothing logged
///   they write nothing. A capture found missing (the legacy table recreated, its triggers
///   dropped) is reconciled by key once and installed again.
/// - The table exists with fewer columns: nullable or defaulted fields are added with
///   `ALTER TABLE ... ADD COLUMN`; a field renamed with `rename_from` renames its column
///   (`ALTER TABLE ... RENAME COLUMN`).
/// - The table differs from the struct in a way `ALTER TABLE` cannot express (a type,
///   `NOT NULL`, a default, the key, a removed field, `STRICT`): it is rebuilt by SQLite's
///   twelve-step procedure, its indexes, triggers and views created again, after checking
///   that no value would be lost; see [`Rebuild`]. Foreign keys are turned off for the run
///   and back on after it.
/// - With [`LegacyTable::Drop`] the legacy table is dropped after the check, in the same
///   transaction, unless other tables' foreign keys, views or triggers use it.
/// - A legacy row the new table would reject (a NULL in a `NOT NULL` column, a key that is
///   not an integer for an integer key, two rows with one key) fails the whole migration
///   with a typed error naming the column and sample keys.
///
/// Waits up to [`DEFAULT_BUSY_TIMEOUT`] for another connection's write lock. On any error
/// the transaction rolls back: the database is exactly as before. [`plan`](crate::plan)
/// shows what a call would run, without running it.
///
/// ```
/// use wrkflw::{migrate, wrkflw_table, LegacyTable};
///
/// #[wrkflw_table(rename_from = "jobs")]
/// struct Job {
///     #[wrkflw(primary_key)]
///     id: String,
/// }
///
/// let mut conn = wrkflw::rusqlite::Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE jobs (id TEXT PRIMARY KEY); INSERT INTO jobs VALUES ('a'), ('b');")?;
/// let report = migrate::<Job>(&mut conn, LegacyTable::Drop)?;
/// assert_eq!((report.rows_copied, report.legacy_dropped), (2, true));
/// # Ok::<(), wrkflw::Error>(())
/// ```
pub fn migrate<T: Table>(conn: &mut Connection, legacy: LegacyTable) -> Result<MigrationReport> {
    let mut reports = Migrator::new().table::<T>().run(conn, legacy)?;
    Ok(reports.remove(0))
}

/// Migrates several tables in order, all in one transaction: either every table is migrated
/// or none is.
///
/// Two tables may read one legacy table (a table split in two): with [`LegacyTable::Drop`]
/// it is dropped after the last of them has copied.
///
/// ```
/// use wrkflw::{wrkflw_table, LegacyTable, Migrator, OnConflict};
///
/// #[wrkflw_table(rename_from = "workflow_runs")]
/// struct WorkflowRun { #[wrkflw(primary_key)] run_id: String }
///
/// #[wrkflw_table(rename_from = "workflow_steps")]
/// struct WorkflowStep { #[wrkflw(primary_key)] step_id: String }
///
/// let mut conn = wrkflw::rusqlite::Connection::open_in_memory()?;
/// let reports = Migrator::new()
///     .table::<WorkflowRun>()
///     .table::<WorkflowStep>()
///     .on_conflict(OnConflict::KeepTable)
///     .run(&mut conn, LegacyTable::Keep)?;
/// assert_eq!(reports[1].table, "wrkflw_workflow_steps");
/// # Ok::<(), wrkflw::Error>(())
/// ```
#[derive(Clone)]
pub struct Migrator {
    tables: Vec<TableSpec>,
    busy_timeout: Duration,
    on_conflict: OnConflict,
    rebuild: Rebuild,
    /// Shared by clones: a clone reports to the same callback.
    progress: Option<Callback>,
}

impl Default for Migrator {
    fn default() -> Migrator {
        Migrator {
            tables: Vec::new(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            on_conflict: OnConflict::default(),
            rebuild: Rebuild::default(),
            progress: None,
        }
    }
}

impl fmt::Debug for Migrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migrator")
            .field("tables", &self.tables)
            .field("busy_timeout", &self.busy_timeout)
            .field("on_conflict", &self.on_conflict)
            .field("rebuild", &self.rebuild)
            .field("on_progress", &self.progress.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl Migrator {
    /// A migrator with no tables.
    pub fn new() -> Migrator {
        Migrator::default()
    }

    /// Adds `T` after the tables added so far.
    #[must_use]
    pub fn table<T: Table>(mut self) -> Migrator {
        self.tables.push(TableSpec::of::<T>());
        self
    }

    /// How long to wait for another connection's write lock (another process migrating the
    /// same file, say) before failing with [`Error::Busy`]. Default [`DEFAULT_BUSY_TIMEOUT`].
    /// The connection's own busy timeout is restored afterwards, as the number of
    /// milliseconds `PRAGMA busy_timeout` reports; a custom busy handler set with
    /// `Connection::busy_handler` is not restored and must be set again.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Migrator {
        self.busy_timeout = timeout;
        self
    }

    /// How to settle legacy rows whose key the table holds for another row. Default
    /// [`OnConflict::Fail`].
    #[must_use]
    pub fn on_conflict(mut self, on_conflict: OnConflict) -> Migrator {
        self.on_conflict = on_conflict;
        self
    }

    /// Whether a table whose struct changed in a way `ALTER TABLE` cannot express is
    /// rebuilt ([`Rebuild::WhenNeeded`], the default) or refused with
    /// [`Error::SchemaDrift`] ([`Rebuild::Never`]).
    ///
    /// ```
    /// use wrkflw::{Migrator, Rebuild};
    /// # #[wrkflw::wrkflw_table] struct Task { #[wrkflw(primary_key)] id: i64 }
    /// let migrator = Migrator::new().table::<Task>().rebuild(Rebuild::Never);
    /// ```
    #[must_use]
    pub fn rebuild(mut self, rebuild: Rebuild) -> Migrator {
        self.rebuild = rebuild;
        self
    }

    /// Calls `callback` as each step starts and ends and, during a copy, with rows done at least four
    /// times a second. Returning `ControlFlow::Break(())` cancels: the migration rolls back, the file is
    /// as before, and `run` returns `Error::Cancelled`.
    ///
    /// Each statement of every table's [`Plan`] is a step, reported as
    /// [`Started`](ProgressEvent::Started) before it runs and [`Finished`](ProgressEvent::Finished)
    /// after; after a copy or a settlement, the check that every row arrived is a
    /// [`Verify`](ProgressStep::Verify) step of its own. A copy ([`ProgressStep::Copy`], and a
    /// rebuild's copy, [`ProgressStep::Rebuild`]) starts with the rows it will read and ends with
    /// the exact rows it inserted; in between, SQLite runs it as one statement, and
    /// [`Rows`](ProgressEvent::Rows) events estimate the rows done from the instructions SQLite
    /// has run (`estimated: true`), at most ten times a second. [`Migrator::plan`] reports
    /// nothing.
    ///
    /// The callback runs on the thread that called [`run`](Migrator::run), while the connection
    /// is busy with the migration: it must not use that connection. Cancelling from a `Started`
    /// or `Finished` event stops before the next step; from a `Rows` event, SQLite interrupts
    /// the copy. Either way the transaction rolls back and `run` returns [`Error::Cancelled`].
    ///
    /// While a run reports progress, the connection's progress handler is SQLite's way in: a
    /// handler set with `Connection::progress_handler` is replaced for the run and removed
    /// after it, and must be set again. Without a callback, nothing is installed and the copy
    /// runs exactly as before. A rebuild needs foreign keys off, which `run` finds from the
    /// schema before it begins; only when another connection changes the schema in between
    /// does a run roll back at the table to rebuild and start again with them off, and the
    /// tables before it then report their steps a second time.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator, ProgressEvent, ProgressStep};
    ///
    /// #[wrkflw_table(rename_from = "jobs")]
    /// struct Job {
    ///     #[wrkflw(primary_key)]
    ///     id: String,
    /// }
    ///
    /// let mut conn = wrkflw::rusqlite::Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE jobs (id TEXT PRIMARY KEY); INSERT INTO jobs VALUES ('a'), ('b');")?;
    ///
    /// // Print every event, and cancel the run as the legacy table is about to be dropped.
    /// let cautious = Migrator::new().table::<Job>().on_progress(|progress| {
    ///     println!("{} {:?}: {:?}", progress.table, progress.step, progress.event);
    ///     match (progress.step, progress.event) {
    ///         (ProgressStep::Drop, ProgressEvent::Started { .. }) => ControlFlow::Break(()),
    ///         _ => ControlFlow::Continue(()),
    ///     }
    /// });
    /// let error = cautious.run(&mut conn, LegacyTable::Drop).unwrap_err();
    /// assert!(matches!(error, Error::Cancelled { .. }));
    ///
    /// // Rolled back: nothing was copied, and a run that does not cancel copies both rows.
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let counting = Migrator::new().table::<Job>().on_progress(move |progress| {
    ///     if let (ProgressStep::Copy, ProgressEvent::Finished { rows: Some(rows) }) =
    ///         (progress.step, progress.event)
    ///     {
    ///         tx.send(rows).unwrap();
    ///     }
    ///     ControlFlow::Continue(())
    /// });
    /// counting.run(&mut conn, LegacyTable::Drop)?;
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [2]);
    /// # Ok::<(), wrkflw::Error>(())
    /// ```
    #[must_use]
    pub fn on_progress(
        mut self,
        callback: impl FnMut(&Progress) -> ControlFlow<()> + Send + 'static,
    ) -> Migrator {
        self.progress = Some(Arc::new(Mutex::new(callback)));
        self
    }

    /// Migrates every table in one `BEGIN IMMEDIATE` transaction, and returns one report per
    /// table, in the order added. On error nothing is changed.
    ///
    /// Tables run in the order added, except that a table runs after the tables its
    /// `references` columns name, so that their rows are there when its rows are copied;
    /// tables that reference each other in a cycle are [`Error::ForeignKeyCycle`].
    ///
    /// When a table is rebuilt and the connection enforces foreign keys, they are turned off
    /// before the transaction (SQLite ignores the pragma inside one, and dropping the old
    /// table would otherwise delete or orphan the rows that reference it) and back on after
    /// it, on success and on error; the rebuild checks the foreign keys itself. A rebuild on
    /// a connection inside a transaction is [`Error::RebuildInTransaction`].
    pub fn run(&self, conn: &mut Connection, legacy: LegacyTable) -> Result<Vec<MigrationReport>> {
        let (ordered, added_at) = self.in_reference_order()?;
        let reports = ordered.run_in_order(conn, legacy)?;
        Ok(in_added_order(reports, &added_at))
    }

    /// Runs with the progress handler installed when a callback is set, and removed after,
    /// whatever the outcome.
    fn run_in_order(
        &self,
        conn: &mut Connection,
        legacy: LegacyTable,
    ) -> Result<Vec<MigrationReport>> {
        let first = self.tables.first().map_or("", |t| t.table);
        let fail = |source| classify(first, Step::Begin, self.busy_timeout, source);
        let reporter = Reporter::new(self.progress.clone());
        reporter.install(conn).map_err(fail)?;
        let result = restoring(|| self.run_reporting(conn, legacy, &reporter));
        let removed = reporter.remove(conn);
        let reports = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        removed.map_err(fail)?;
        Ok(reports)
    }

    fn run_reporting(
        &self,
        conn: &mut Connection,
        legacy: LegacyTable,
        reporter: &Reporter,
    ) -> Result<Vec<MigrationReport>> {
        let first = self.tables.first().map_or("", |t| t.table);
        let timeout = self.busy_timeout;
        with_busy_timeout(conn, first, timeout, |conn| {
            if !conn.is_autocommit() {
                self.refuse_rebuild_in_transaction(conn, legacy)?;
            }
            let fail = |source| classify(first, Step::ForeignKeys, timeout, source);
            // A rebuild needs foreign keys off, and the pragma works only outside the
            // transaction: when the schema already says a table needs one, turn them off
            // first, rather than run (and report) the tables before it and roll back.
            let rebuild_ahead = self.rebuild == Rebuild::WhenNeeded
                && schema::foreign_keys_enabled(conn).map_err(fail)?
                && self.any_rebuild_needed(conn)?;
            if !rebuild_ahead {
                if let Some(reports) = self.attempt(conn, legacy, timeout, reporter)? {
                    return Ok(reports);
                }
            }
            // A table needs a rebuild and foreign keys are on (the attempt, if made, rolled
            // back before writing anything): with them off, then on again whatever happens.
            conn.execute_batch("PRAGMA foreign_keys = OFF")
                .map_err(fail)?;
            let result = restoring(|| self.attempt(conn, legacy, timeout, reporter));
            let restored = conn.execute_batch("PRAGMA foreign_keys = ON");
            let reports = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            restored.map_err(fail)?;
            reports.ok_or_else(|| Error::Step {
                table: first.to_owned(),
                step: Step::ForeignKeys,
                source: rusqlite::Error::InvalidQuery,
            })
        })
    }

    /// Whether the schema says a table of this migrator needs a rebuild, read before the
    /// transaction (a cheap look at each table's columns, no rows). Another connection may
    /// change the schema before the transaction begins: the attempt then still finds it.
    fn any_rebuild_needed(&self, conn: &Connection) -> Result<bool> {
        for spec in &self.tables {
            if crate::rebuild::needed(conn, spec)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One transaction over every table; `None`, rolled back, when a table needs a rebuild
    /// while foreign keys are on.
    fn attempt(
        &self,
        conn: &mut Connection,
        legacy: LegacyTable,
        timeout: Duration,
        reporter: &Reporter,
    ) -> Result<Option<Vec<MigrationReport>>> {
        let first = self.tables.first().map_or("", |t| t.table);
        in_transaction(conn, first, timeout, |tx| {
            let foreign_keys = schema::foreign_keys_enabled(tx)
                .map_err(|source| classify(first, Step::ForeignKeys, timeout, source))?;
            let drops = self.drops(tx, legacy)?;
            let mut reports = Vec::new();
            for (i, spec) in self.tables.iter().enumerate() {
                let migration = Migration {
                    tx,
                    spec,
                    timeout,
                    reporter,
                };
                let companions = self.companions(i);
                let context = self.context(i, &companions, &drops, Counting::Skip, foreign_keys);
                match migration.run(self.fate(i, legacy, &drops), &context)? {
                    Some(report) => reports.push(report),
                    None => return Ok(None),
                }
            }
            // A table dropped at the end reports it once the last table has run.
            for (i, report) in reports.iter_mut().enumerate() {
                report.legacy_dropped |= self.fate(i, legacy, &drops) == LegacyFate::DroppedAtEnd;
            }
            Ok(Some(reports))
        })
    }

    /// Inside the caller's transaction a rebuild cannot turn foreign keys off: refuse it,
    /// by name, before anything is written. Other runs fail to begin, as before.
    fn refuse_rebuild_in_transaction(&self, conn: &Connection, legacy: LegacyTable) -> Result<()> {
        for plan in self.plan(conn, legacy)? {
            let rebuilds = plan
                .steps
                .iter()
                .any(|s| matches!(s.action, Action::RebuildTable { .. }));
            if rebuilds {
                return Err(Error::RebuildInTransaction { table: plan.table });
            }
        }
        Ok(())
    }

    /// The generated script of each table ([`Table::migration_sql`]), as (table, script), in
    /// the order added: for review, or for running by hand.
    ///
    /// ```
    /// use wrkflw::{LegacyTable, Migrator};
    /// # #[wrkflw::wrkflw_table(rename_from = "jobs")] struct Job { #[wrkflw(primary_key)] id: String }
    /// let scripts = Migrator::new().table::<Job>().migration_sql(LegacyTable::Keep);
    /// assert_eq!(scripts[0].0, "wrkflw_jobs");
    /// assert!(scripts[0].1.contains("BEGIN IMMEDIATE;"));
    /// ```
    pub fn migration_sql(&self, legacy: LegacyTable) -> Vec<(&'static str, &'static str)> {
        self.tables
            .iter()
            .map(|spec| (spec.table, (spec.migration_sql)(legacy)))
            .collect()
    }

    /// The tables, in the order added.
    pub(crate) fn specs(&self) -> &[TableSpec] {
        &self.tables
    }

    /// What [`Migrator::run`] would run now, one [`Plan`] per table in the order added,
    /// without writing anything. Each table is planned against the database as it is; a
    /// later table's plan does not assume an earlier one ran.
    pub fn plan(&self, conn: &Connection, legacy: LegacyTable) -> Result<Vec<Plan>> {
        let (ordered, added_at) = self.in_reference_order()?;
        let plans = ordered.plan_in_order(conn, legacy)?;
        Ok(in_added_order(plans, &added_at))
    }

    fn plan_in_order(&self, conn: &Connection, legacy: LegacyTable) -> Result<Vec<Plan>> {
        let first = self.tables.first().map_or("", |t| t.table);
        in_read_transaction(conn, first, |conn| {
            let drops = self.drops(conn, legacy)?;
            self.tables
                .iter()
                .enumerate()
                .map(|(i, spec)| {
                    let companions = self.companions(i);
                    let context = self.context(i, &companions, &drops, Counting::Count, false);
                    let plan = TablePlan::new(conn, spec, self.fate(i, legacy, &drops), &context)?;
                    Ok(plan.plan)
                })
                .collect()
        })
    }

    /// This migrator with its tables in the order they run: each after the tables it
    /// references, otherwise as added. Also returns each table's position as added.
    fn in_reference_order(&self) -> Result<(Migrator, Vec<usize>)> {
        let tables: Vec<_> = self.tables.iter().map(|t| (t.table, t.columns)).collect();
        let order = crate::order::by_references(&tables)?;
        let mut ordered = self.clone();
        ordered.tables = order.iter().map(|&i| self.tables[i].clone()).collect();
        Ok((ordered, order))
    }

    /// The other tables of this migrator that read table `i`'s legacy table.
    fn companions(&self, i: usize) -> Vec<&'static str> {
        let Some(legacy) = self.tables[i].legacy else {
            return Vec::new();
        };
        self.tables
            .iter()
            .enumerate()
            .filter(|(j, t)| *j != i && t.legacy.is_some_and(|l| l.eq_ignore_ascii_case(legacy)))
            .map(|(_, t)| t.table)
            .collect()
    }

    /// A legacy table that a later table reads too is dropped by that one, after its copy.
    fn fate(&self, i: usize, legacy: LegacyTable, drops: &Drops) -> LegacyFate {
        let own = self.tables[i].legacy;
        let shared = own.is_some_and(|name| {
            self.tables[i + 1..]
                .iter()
                .any(|later| later.legacy.is_some_and(|l| l.eq_ignore_ascii_case(name)))
        });
        let at_end =
            own.is_some_and(|name| drops.at_end.iter().any(|l| l.eq_ignore_ascii_case(name)));
        match legacy {
            LegacyTable::Drop if at_end => LegacyFate::DroppedAtEnd,
            LegacyTable::Drop if shared => LegacyFate::DroppedLater,
            legacy => legacy.into(),
        }
    }

    /// Table `i`'s view of the run.
    fn context<'a>(
        &'a self,
        i: usize,
        companions: &'a [&'static str],
        drops: &'a Drops,
        counting: Counting,
        defer_rebuild: bool,
    ) -> Context<'a> {
        let last = i + 1 == self.tables.len();
        Context {
            companions,
            earlier: &self.tables[..i],
            dropped: &drops.dropped,
            drops_at_end: if last { drops.at_end.as_slice() } else { &[] },
            on_conflict: self.on_conflict,
            rebuild: self.rebuild,
            counting,
            defer_rebuild,
        }
    }

    /// The legacy tables this run drops, and those of them it drops last: the ones another
    /// of them references (a legacy schema with foreign keys of its own). Those go once every
    /// table has run, referencing ones first, since the run's order (referenced tables
    /// first) is the wrong one for dropping.
    fn drops(&self, conn: &Connection, legacy: LegacyTable) -> Result<Drops> {
        if legacy != LegacyTable::Drop {
            return Ok(Drops::default());
        }
        let first = self.tables.first().map_or("", |t| t.table);
        let inspect = |source| Error::Step {
            table: first.to_owned(),
            step: Step::Inspect,
            source,
        };
        let mut dropped: Vec<&'static str> = Vec::new();
        for legacy in self.tables.iter().filter_map(|t| t.legacy) {
            if !dropped.iter().any(|d| d.eq_ignore_ascii_case(legacy)) {
                dropped.push(legacy);
            }
        }
        // Each legacy table with the legacy tables of the run that reference it.
        let mut referenced: Vec<(&'static str, Vec<String>)> = Vec::new();
        for legacy in &dropped {
            let by: Vec<String> = schema::referencing_tables(conn, legacy)
                .map_err(inspect)?
                .into_iter()
                .filter(|t| dropped.iter().any(|d| d.eq_ignore_ascii_case(t)))
                .collect();
            if !by.is_empty() {
                referenced.push((legacy, by));
            }
        }
        // Referencing ones first: take one no remaining one references, latest in the run
        // first; in a cycle, the latest.
        let mut at_end = Vec::new();
        while !referenced.is_empty() {
            let free = referenced.iter().rposition(|(_, by)| {
                !by.iter().any(|t| {
                    referenced
                        .iter()
                        .any(|(other, _)| other.eq_ignore_ascii_case(t))
                })
            });
            let (legacy, _) = referenced.remove(free.unwrap_or(referenced.len() - 1));
            at_end.push(legacy);
        }
        Ok(Drops { dropped, at_end })
    }
}

/// The legacy tables a run drops, and those dropped once every table has run, in order.
#[derive(Debug, Default)]
struct Drops {
    dropped: Vec<&'static str>,
    at_end: Vec<&'static str>,
}

/// Counts the rows of `T`'s table and of its legacy table, in one read transaction so both
/// counts see the same moment. Fails with [`Error::NoSuchTable`] before the first migration.
pub fn row_counts<T: Table>(conn: &Connection) -> Result<RowCounts> {
    in_read_transaction(conn, T::TABLE_NAME, |conn| {
        let count = |name: &str| -> Result<u64> {
            let sql = format!("SELECT count(*) FROM {}", main(name));
            Ok(conn.query_row(&sql, [], |row| row.get::<_, i64>(0))? as u64)
        };
        if schema::kind(conn, T::TABLE_NAME)?.as_deref() != Some("table") {
            return Err(Error::NoSuchTable {
                table: T::TABLE_NAME.to_owned(),
            });
        }
        let table = count(T::TABLE_NAME)?;
        let legacy = match T::LEGACY_TABLE_NAME {
            Some(name) if schema::kind(conn, name)?.as_deref() == Some("table") => {
                Some(count(name)?)
            }
            _ => None,
        };
        Ok(RowCounts { table, legacy })
    })
}

/// Runs `work` with the connection's busy timeout set to `timeout`, then restores it.
fn with_busy_timeout<R>(
    conn: &mut Connection,
    table: &str,
    timeout: Duration,
    work: impl FnOnce(&mut Connection) -> Result<R>,
) -> Result<R> {
    let fail = |source| classify(table, Step::Begin, timeout, source);
    let previous: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |row| row.get(0))
        .map_err(fail)?;
    // SQLite takes the timeout in milliseconds as a C int; a longer wait is as good as
    // forever (24 days), and rusqlite would panic on it.
    conn.busy_timeout(timeout.min(MAX_BUSY_TIMEOUT))
        .map_err(fail)?;
    let result = restoring(|| work(conn));
    let restored = conn.busy_timeout(Duration::from_millis(previous.max(0) as u64));
    let result = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    restored.map_err(fail)?;
    Ok(result)
}

/// The longest busy timeout SQLite takes: `i32::MAX` milliseconds, about 24.8 days.
pub(crate) const MAX_BUSY_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// Runs `work`, catching a panic (of a progress callback) so that the caller can put the
/// connection back as it was (busy timeout, foreign keys, progress handler) before the panic
/// goes on. The transaction itself rolls back as it unwinds.
fn restoring<R>(work: impl FnOnce() -> R) -> std::thread::Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
}

/// Runs `work` inside `BEGIN IMMEDIATE ... COMMIT`. `IMMEDIATE` takes the write lock before
/// the first read, so two processes migrating at once queue up instead of both reading the
/// old state. Returning early, or `None`, drops the transaction, which rolls it back.
fn in_transaction<R>(
    conn: &mut Connection,
    table: &str,
    timeout: Duration,
    work: impl FnOnce(&Transaction<'_>) -> Result<Option<R>>,
) -> Result<Option<R>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| classify(table, Step::Begin, timeout, source))?;
    let Some(result) = work(&tx)? else {
        return Ok(None);
    };
    tx.commit()
        .map_err(|source| classify(table, Step::Commit, timeout, source))?;
    Ok(Some(result))
}

/// One table's migration inside an open transaction.
struct Migration<'t, 'c> {
    tx: &'t Transaction<'c>,
    spec: &'t TableSpec,
    timeout: Duration,
    reporter: &'t Reporter,
}

impl Migration<'_, '_> {
    /// Plans, then runs the plan's statements in order, checking each copy, each settlement,
    /// each new index and the rebuild as it goes. `None` when the plan rebuilds the table
    /// while foreign keys are on: nothing of it has run.
    fn run(&self, fate: LegacyFate, context: &Context<'_>) -> Result<Option<MigrationReport>> {
        let plan = TablePlan::new(self.tx, self.spec, fate, context)?;
        if plan.deferred {
            return Ok(None);
        }
        let mut report = MigrationReport {
            table: self.spec.table.to_owned(),
            legacy_table: self.spec.legacy.map(str::to_owned),
            legacy_found: plan.legacy.is_some(),
            table_created: !plan.table_existed,
            rows_copied: 0,
            legacy_dropped: false,
            copy_path: None,
            columns_added: plan.columns_added.clone(),
            columns_renamed: plan.columns_renamed.clone(),
            rebuilt: plan.rebuilt.is_some(),
            columns_dropped: plan.rebuilt.clone().unwrap_or_default(),
            columns_altered: Vec::new(),
            defaulted_columns: Vec::new(),
            legacy_only_columns: Vec::new(),
            capture: None,
            rows_differing: 0,
            conflicts: Vec::new(),
        };
        if let Some(legacy) = &plan.legacy {
            report.defaulted_columns = legacy.link.defaulted.clone();
            report.legacy_only_columns = legacy.link.legacy_only.clone();
            report.capture = legacy.capture;
            report.conflicts = legacy.conflicts.clone();
        }
        let legacy = || {
            plan.legacy
                .as_ref()
                .expect("only a plan with a legacy table copies, captures or settles")
        };
        let steps = &plan.plan.steps;
        let table = self.spec.table;
        let mut rebuilt_rows = 0;
        // The rows a rebuild's copy reads, when counted before it for the progress callback.
        let mut rebuild_total = None;
        for (i, step) in steps.iter().enumerate() {
            let progress = ProgressStep::of(&step.action);
            let total = self.rows_to_copy(i, steps, plan.legacy.as_ref())?;
            self.reporter
                .report(table, progress, ProgressEvent::Started { rows: total })?;
            let handled = match &step.action {
                Action::RenameColumn { .. } => {
                    self.execute(&step.sql, Step::RenameColumn)?;
                    None
                }
                Action::RebuildTable { step: rebuild } => match rebuild {
                    RebuildStep::Copy { .. } => {
                        rebuilt_rows = self
                            .reporter
                            .watch_copy(self.tx, table, progress, (&step.sql, total), || {
                                self.tx.execute(&step.sql, [])
                            })?
                            .map_err(self.fail(Step::Rebuild))?
                            as u64;
                        rebuild_total = total;
                        Some(rebuilt_rows)
                    }
                    RebuildStep::Verify => {
                        self.verify_rebuild(&step.sql, rebuilt_rows, rebuild_total)?;
                        None
                    }
                    RebuildStep::CheckForeignKeys => {
                        self.check_foreign_keys(&step.sql)?;
                        None
                    }
                    _ => {
                        self.execute(&step.sql, Step::Rebuild)?;
                        None
                    }
                },
                Action::CreateLedger => {
                    self.execute(&step.sql, Step::Ledger)?;
                    None
                }
                Action::CreateCaptureTable { .. }
                | Action::RemoveCapture { .. }
                | Action::InstallCapture { .. } => {
                    self.execute(&step.sql, Step::Capture)?;
                    None
                }
                Action::CreateTable => {
                    self.execute(&step.sql, Step::CreateTable)?;
                    None
                }
                Action::AddColumn { column } => {
                    self.add_column(&step.sql, column)?;
                    None
                }
                Action::FillColumn { .. } => {
                    self.execute(&step.sql, Step::AddColumn)?;
                    None
                }
                Action::CreateIndex { index } => {
                    self.create_index(&step.sql, index)?;
                    None
                }
                Action::Copy { path, .. } => {
                    let copied = self.copy(&step.sql, legacy(), *path, total)?;
                    report.rows_copied += copied;
                    report.copy_path = Some(*path);
                    Some(copied)
                }
                Action::CopyConflictRows { .. } => {
                    let copied = self.settle(&step.sql)?;
                    report.rows_copied += copied;
                    Some(copied)
                }
                Action::ForgetConflicts { .. }
                | Action::ClearReplacedKeys { .. }
                | Action::ApplyRejectedRows { .. }
                | Action::TakeLegacyRows { .. }
                | Action::SettleConflicts { .. } => Some(self.settle(&step.sql)?),
                Action::DropLegacy => {
                    self.execute(&step.sql, Step::DropLegacy)?;
                    report.legacy_dropped = true;
                    None
                }
                Action::DropLegacyOf { .. } => {
                    self.execute(&step.sql, Step::DropLegacy)?;
                    None
                }
                // PostgreSQL's actions: SQLite's planner makes none of them.
                Action::LockLegacy { .. }
                | Action::AlterColumn { .. }
                | Action::DropColumn { .. }
                | Action::AddForeignKey { .. }
                | Action::DropForeignKey { .. }
                | Action::InstallCaptureFunction { .. }
                | Action::RemoveCaptureFunction { .. } => {
                    self.execute(&step.sql, Step::AlterTable)?;
                    None
                }
                Action::RecordLedger => {
                    match &plan.legacy {
                        Some(legacy) => self.record(legacy, &report)?,
                        None => self.record_schema(&plan.ledger_entry)?,
                    }
                    None
                }
            };
            self.reporter
                .report(table, progress, ProgressEvent::Finished { rows: handled })?;
            if let Action::Copy { path, .. } = &step.action {
                self.verifying(|| {
                    let copied = handled.unwrap_or_default();
                    report.rows_differing = self.verify_copy(legacy(), *path, copied, total)?;
                    constraints::foreign_key_check(self.tx, self.spec)
                })?;
            }
            let settling = |action: &Action| {
                matches!(
                    action,
                    Action::ForgetConflicts { .. }
                        | Action::CopyConflictRows { .. }
                        | Action::ApplyRejectedRows { .. }
                        | Action::TakeLegacyRows { .. }
                        | Action::SettleConflicts { .. }
                )
            };
            if settling(&step.action) && !steps.get(i + 1).is_some_and(|s| settling(&s.action)) {
                self.verifying(|| {
                    self.verify_settled(legacy())?;
                    // Settled rows are rows written into the table: they must point at rows too.
                    constraints::foreign_key_check(self.tx, self.spec)
                })?;
            }
        }
        Ok(Some(report))
    }

    /// Runs the checks after a copy or a settlement as a step of their own.
    fn verifying(&self, checks: impl FnOnce() -> Result<()>) -> Result<()> {
        let table = self.spec.table;
        let step = ProgressStep::Verify;
        self.reporter
            .report(table, step, ProgressEvent::Started { rows: None })?;
        checks()?;
        self.reporter
            .report(table, step, ProgressEvent::Finished { rows: None })
    }

    /// The rows the copy of step `i` will read, counted before it only for the progress
    /// callback (`None` without one, and for steps that are not a copy). The checks after
    /// the copy reuse the count, which nothing in the transaction can change meanwhile, so
    /// a callback adds no count.
    fn rows_to_copy(
        &self,
        i: usize,
        steps: &[PlannedStep],
        legacy: Option<&LegacyPlan>,
    ) -> Result<Option<u64>> {
        if !self.reporter.is_on() {
            return Ok(None);
        }
        let sql = match (&steps[i].action, legacy) {
            (Action::Copy { .. }, Some(legacy)) => legacy_count_sql(&legacy.link),
            // A rebuild's Verify step counts the old table.
            (
                Action::RebuildTable {
                    step: RebuildStep::Copy { .. },
                },
                _,
            ) => {
                let verify = steps[i..].iter().find(|s| {
                    matches!(
                        s.action,
                        Action::RebuildTable {
                            step: RebuildStep::Verify
                        }
                    )
                });
                match verify {
                    Some(verify) => verify.sql.clone(),
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        self.count(&sql, Step::Copy).map(Some)
    }

    fn count(&self, sql: &str, step: Step) -> Result<u64> {
        self.tx
            .query_row(sql, [], |row| row.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.fail(step))
    }

    fn fail(&self, step: Step) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |source| classify(self.spec.table, step, self.timeout, source)
    }

    fn execute(&self, sql: &str, step: Step) -> Result<()> {
        self.tx.execute_batch(sql).map_err(self.fail(step))
    }

    /// SQLite refuses some additions to a table with rows (a `NOT NULL` column whose default
    /// is not a constant); that is drift the user must resolve, so say it as such.
    fn add_column(&self, sql: &str, column: &str) -> Result<()> {
        self.tx.execute_batch(sql).map_err(|source| match source {
            rusqlite::Error::SqliteFailure(_, Some(message)) => Error::SchemaDrift {
                table: self.spec.table.to_owned(),
                differences: vec![format!(
                    "column `{column}` is new in the struct and SQLite cannot add it to the existing table: {message}"
                )],
            },
            other => self.fail(Step::AddColumn)(other),
        })
    }

    /// Creates an index, then checks that the name now belongs to this table: index names are
    /// global, so another table's index of the same name must not pass for ours.
    fn create_index(&self, sql: &str, index: &str) -> Result<()> {
        self.execute(sql, Step::CreateIndex)?;
        match schema::index_owner(self.tx, index).map_err(self.fail(Step::CreateIndex))? {
            Some(owner) if owner.eq_ignore_ascii_case(self.spec.table) => Ok(()),
            owner => Err(Error::IndexNameTaken {
                index: index.to_owned(),
                table: self.spec.table.to_owned(),
                owner: owner.unwrap_or_else(|| "no table".to_owned()),
            }),
        }
    }

    /// Runs the copy and returns the number of rows it inserted. A failure is explained by
    /// the rows and column that caused it.
    fn copy(
        &self,
        sql: &str,
        legacy: &LegacyPlan,
        path: CopyPath,
        total: Option<u64>,
    ) -> Result<u64> {
        let copied = self.reporter.watch_copy(
            self.tx,
            self.spec.table,
            ProgressStep::Copy,
            (sql, total),
            || self.tx.execute(sql, []),
        )?;
        match copied {
            Ok(inserted) => Ok(inserted as u64),
            Err(source) => Err(verify::explain_copy_failure(
                self.tx,
                self.spec,
                &legacy.link,
                &copied_rows(&legacy.link, path),
                source,
                self.fail(Step::Copy),
            )),
        }
    }

    /// Proves the copy delivered every legacy row, and returns how many legacy rows the table
    /// holds under their key with other values (kept, on a reconcile).
    ///
    /// Into a fresh table the copy is a plain `INSERT ... SELECT`, which inserts every
    /// selected row or fails; the key is unique, so inserting as many rows as the legacy table
    /// holds proves every one arrived, without reading the rows again, and only a shortfall
    /// (NULL keys an integer key cannot take) is searched. A reconcile compares the whole
    /// legacy table with the table by key and by value, and checks that no two legacy keys
    /// became one. `legacy_rows` is the legacy table's count when it was taken before the
    /// copy.
    fn verify_copy(
        &self,
        legacy: &LegacyPlan,
        path: CopyPath,
        inserted: u64,
        legacy_rows: Option<u64>,
    ) -> Result<u64> {
        let link = &legacy.link;
        let fail = self.fail(Step::Verify);
        let (missing, differing) = match path {
            CopyPath::Transfer | CopyPath::BulkInsert => {
                let total = match legacy_rows {
                    Some(rows) => rows,
                    None => self.count(&legacy_count_sql(link), Step::Verify)?,
                };
                // A shortfall is searched below; the count alone is the proof otherwise.
                (u64::from(inserted < total), 0)
            }
            CopyPath::Reconcile => verify::compare_by_key(self.tx, link).map_err(&fail)?,
        };
        if missing > 0 {
            let nulls = verify::nulls_where(self.tx, link, "true").map_err(&fail)?;
            if !nulls.is_empty() {
                return Err(verify::rejected(link, nulls));
            }
            let (missing, sample_keys) =
                verify::missing_keys(self.tx, link, "true").map_err(&fail)?;
            if missing > 0 {
                return Err(Error::MissingRows {
                    table: link.table.to_owned(),
                    legacy_table: link.legacy.to_owned(),
                    missing,
                    sample_keys,
                });
            }
        }
        if path == CopyPath::Reconcile && legacy.keys_may_merge {
            let groups = verify::keys_sharing_a_row(self.tx, link).map_err(&fail)?;
            if !groups.is_empty() {
                return Err(Error::DuplicateKeys {
                    table: link.table.to_owned(),
                    legacy_table: link.legacy.to_owned(),
                    column: link.key_names(),
                    sample_keys: groups,
                });
            }
        }
        Ok(differing)
    }

    /// Runs one settlement statement and returns the rows it changed.
    fn settle(&self, sql: &str) -> Result<u64> {
        self.tx
            .execute(sql, [])
            .map(|n| n as u64)
            .map_err(self.fail(Step::Settle))
    }

    /// After a settlement, nothing may be left pending: every logged row was copied or
    /// applied (and now matches), or settled under the policy.
    fn verify_settled(&self, legacy: &LegacyPlan) -> Result<()> {
        let logged =
            conflicts::read(self.tx, &legacy.link, |_| true).map_err(self.fail(Step::Verify))?;
        let left: Vec<String> = logged
            .iter()
            .filter(|e| e.settled == Settled::Pending)
            .map(|e| e.key.clone())
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        Err(Error::MissingRows {
            table: legacy.link.table.to_owned(),
            legacy_table: legacy.link.legacy.to_owned(),
            missing: left.len() as u64,
            sample_keys: left.into_iter().take(5).collect(),
        })
    }

    /// Proves a rebuild's copy: it inserted as many rows as the old table holds, and the new
    /// table holds them all (see [`RebuildStep::Verify`]). `counted` is the result of `sql`
    /// when it was run before the copy, for the progress callback.
    fn verify_rebuild(&self, sql: &str, copied: u64, counted: Option<u64>) -> Result<()> {
        let expected = match counted {
            Some(rows) => rows,
            None => self.count(sql, Step::Verify)?,
        };
        if expected == copied {
            return Ok(());
        }
        Err(Error::RebuildLostRows {
            table: self.spec.table.to_owned(),
            expected,
            copied,
        })
    }

    /// Runs the rebuild's foreign key check: any row it reports fails the migration.
    fn check_foreign_keys(&self, sql: &str) -> Result<()> {
        let fail = self.fail(Step::ForeignKeys);
        let mut stmt = self.tx.prepare(sql).map_err(&fail)?;
        let violations = stmt
            .query_map([], |row| {
                Ok(ForeignKeyViolation {
                    table: row.get(0)?,
                    columns: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    parent: row.get(2)?,
                    rows: row.get::<_, i64>(3)? as u64,
                })
            })
            .map_err(&fail)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&fail)?;
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::ForeignKeyViolations {
                table: self.spec.table.to_owned(),
                violations,
            })
        }
    }

    /// Records a rebuild of a table without a legacy table: its ledger row as it was, with
    /// the schema checksum of the struct.
    fn record_schema(&self, previous: &ledger::Entry) -> Result<()> {
        let checksum = ledger::schema_checksum(self.spec.create_sql, self.spec.index_sql);
        let entry = ledger::Entry {
            legacy_table: self.spec.legacy.unwrap_or_default().to_owned(),
            ..previous.clone()
        };
        ledger::record(self.tx, self.spec.table, &entry, &checksum).map_err(self.fail(Step::Ledger))
    }

    /// Records the run: rows copied and conflicts settled over all runs, the capture left
    /// installed, the schema checksum.
    fn record(&self, legacy: &LegacyPlan, report: &MigrationReport) -> Result<()> {
        let entry = ledger::Entry {
            legacy_table: legacy.link.legacy.to_owned(),
            rows_copied: legacy.previous.rows_copied + report.rows_copied,
            capture: legacy.capture_checksum.clone(),
            conflicts_settled: legacy.previous.conflicts_settled + report.conflicts.len() as u64,
        };
        let checksum = ledger::schema_checksum(self.spec.create_sql, self.spec.index_sql);
        ledger::record(self.tx, self.spec.table, &entry, &checksum).map_err(self.fail(Step::Ledger))
    }
}

/// Counts the legacy table: before a copy into a fresh table, the rows it will insert.
fn legacy_count_sql(link: &crate::link::Link) -> String {
    format!("SELECT count(*) FROM {}", main(link.legacy))
}
