//! Running a table's migration: one `BEGIN IMMEDIATE` transaction that plans every statement
//! (see [`crate::plan`]), runs them in order, verifies the copy and records its progress in
//! the ledger. Any error rolls the whole transaction back.

use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use crate::error::{NullCount, Step};
use crate::ledger;
use crate::plan::{in_read_transaction, Action, CopyPath, Counting, LegacyCopy, Plan, TablePlan};
use crate::schema::{self, quoted};
use crate::{Column, Error, LegacyTable, MigrationReport, Result, RowCounts, Table};

/// How long a migration waits for another connection's write lock before it gives up with
/// [`Error::Busy`], unless [`Migrator::busy_timeout`] says otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates `T`'s table and indexes and copies the rows of its legacy table, if any, in one
/// `BEGIN IMMEDIATE` transaction.
///
/// - Fresh database: creates the table and indexes, reports `legacy_found: false`.
/// - Legacy table present, first run: creates the table, copies every legacy row (by SQLite's
///   transfer optimization when the tables are compatible, else one bulk insert), builds the
///   indexes after the copy, checks that every legacy row arrived, and records the highest
///   legacy rowid copied (the watermark) in the ledger `wrkflw_migrations`.
/// - Re-runs copy only legacy rows above the watermark: rows an old deployment added still
///   arrive, rows the application deleted from the new table stay deleted, and an
///   up-to-date table costs a few index look-ups.
/// - The table exists with fewer columns: nullable or defaulted fields are added with
///   `ALTER TABLE ... ADD COLUMN`; any other difference is [`Error::SchemaDrift`].
/// - With [`LegacyTable::Drop`] the legacy table is dropped after the check, in the same
///   transaction, unless other tables reference it by foreign key.
/// - A legacy row the new table would reject (a NULL in a `NOT NULL` column) fails the whole
///   migration with [`Error::RejectedRows`], naming the column and the count.
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
/// ```
/// use wrkflw::{wrkflw_table, LegacyTable, Migrator};
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
///     .run(&mut conn, LegacyTable::Keep)?;
/// assert_eq!(reports[1].table, "wrkflw_workflow_steps");
/// # Ok::<(), wrkflw::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Migrator {
    tables: Vec<TableSpec>,
    busy_timeout: Duration,
}

impl Default for Migrator {
    fn default() -> Migrator {
        Migrator {
            tables: Vec::new(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
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

    /// Migrates every table, in the order added, in one `BEGIN IMMEDIATE` transaction, and
    /// returns one report per table. On error nothing is changed.
    pub fn run(&self, conn: &mut Connection, legacy: LegacyTable) -> Result<Vec<MigrationReport>> {
        let first = self.tables.first().map_or("", |t| t.table);
        let timeout = self.busy_timeout;
        with_busy_timeout(conn, first, timeout, |conn| {
            in_transaction(conn, first, timeout, |tx| {
                self.tables
                    .iter()
                    .map(|spec| Migration { tx, spec, timeout }.run(legacy))
                    .collect()
            })
        })
    }

    /// What [`Migrator::run`] would run now, one [`Plan`] per table, without writing
    /// anything. Each table is planned against the database as it is; a later table's plan
    /// does not assume an earlier one ran.
    pub fn plan(&self, conn: &Connection, legacy: LegacyTable) -> Result<Vec<Plan>> {
        let first = self.tables.first().map_or("", |t| t.table);
        in_read_transaction(conn, first, |conn| {
            self.tables
                .iter()
                .map(|spec| Ok(TablePlan::new(conn, spec, legacy, Counting::Count)?.plan))
                .collect()
        })
    }
}

/// Counts the rows of `T`'s table and of its legacy table, in one read transaction so both
/// counts see the same moment. Fails with [`Error::NoSuchTable`] before the first migration.
pub fn row_counts<T: Table>(conn: &Connection) -> Result<RowCounts> {
    in_read_transaction(conn, T::TABLE_NAME, |conn| {
        let count = |name: &str| -> Result<u64> {
            let sql = format!("SELECT count(*) FROM {}", quoted(name));
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

/// A table's constants, taken out of the generic `T` so that the migration code is compiled
/// once, not once per table.
#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    pub(crate) table: &'static str,
    pub(crate) legacy: Option<&'static str>,
    pub(crate) create_sql: &'static str,
    pub(crate) index_sql: &'static [&'static str],
    pub(crate) columns: &'static [Column],
}

impl TableSpec {
    pub(crate) fn of<T: Table>() -> TableSpec {
        TableSpec {
            table: T::TABLE_NAME,
            legacy: T::LEGACY_TABLE_NAME,
            create_sql: T::CREATE_SQL,
            index_sql: T::INDEX_SQL,
            columns: T::COLUMNS,
        }
    }

    pub(crate) fn primary_key(&self) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.primary_key)
    }
}

/// Turns a SQLite error of one step into wrkflw's error: the causes a user can act on (a
/// lock held too long, a read-only or full database, a file that is not a database, an I/O
/// error) get their own variants; anything else is [`Error::Step`].
pub(crate) fn sqlite_error(table: &str, step: Step) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| classify(table, step, DEFAULT_BUSY_TIMEOUT, source)
}

fn classify(table: &str, step: Step, timeout: Duration, source: rusqlite::Error) -> Error {
    let table = table.to_owned();
    match source.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy {
            table,
            step,
            timeout,
        },
        Some(ErrorCode::ReadOnly) => Error::ReadOnly { table, step },
        Some(ErrorCode::NotADatabase) => Error::NotADatabase { table },
        Some(ErrorCode::DiskFull) => Error::DiskFull { table, step },
        Some(ErrorCode::SystemIoFailure) => Error::Io {
            table,
            step,
            source,
        },
        _ => Error::Step {
            table,
            step,
            source,
        },
    }
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
    conn.busy_timeout(timeout).map_err(fail)?;
    let result = work(conn);
    let restored = conn.busy_timeout(Duration::from_millis(previous.max(0) as u64));
    let result = result?;
    restored.map_err(fail)?;
    Ok(result)
}

/// Runs `work` inside `BEGIN IMMEDIATE ... COMMIT`. `IMMEDIATE` takes the write lock before
/// the first read, so two processes migrating at once queue up instead of both reading the
/// old state. Returning early drops the transaction, which rolls it back.
fn in_transaction<R>(
    conn: &mut Connection,
    table: &str,
    timeout: Duration,
    work: impl FnOnce(&Transaction<'_>) -> Result<R>,
) -> Result<R> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| classify(table, Step::Begin, timeout, source))?;
    let result = work(&tx)?;
    tx.commit()
        .map_err(|source| classify(table, Step::Commit, timeout, source))?;
    Ok(result)
}

/// One table's migration inside an open transaction.
struct Migration<'t, 'c> {
    tx: &'t Transaction<'c>,
    spec: &'t TableSpec,
    timeout: Duration,
}

impl Migration<'_, '_> {
    /// Plans, then runs the plan's statements in order, checking each copy and each new
    /// index as it goes.
    fn run(&self, legacy: LegacyTable) -> Result<MigrationReport> {
        let plan = TablePlan::new(self.tx, self.spec, legacy, Counting::Skip)?;
        let mut report = MigrationReport {
            table: self.spec.table.to_owned(),
            legacy_table: self.spec.legacy.map(str::to_owned),
            legacy_found: plan.legacy.is_some(),
            table_created: !plan.table_existed,
            rows_copied: 0,
            legacy_dropped: false,
            copy_path: None,
            columns_added: plan.columns_added.clone(),
            defaulted_columns: Vec::new(),
            legacy_only_columns: Vec::new(),
        };
        if let Some(copy) = &plan.legacy {
            report.defaulted_columns = copy.defaulted_columns.clone();
            report.legacy_only_columns = copy.legacy_only_columns.clone();
        }
        for step in &plan.plan.steps {
            match &step.action {
                Action::CreateLedger => self.execute(&step.sql, Step::Ledger)?,
                Action::CreateTable => self.execute(&step.sql, Step::CreateTable)?,
                Action::AddColumn { column } => self.add_column(&step.sql, column)?,
                Action::CreateIndex { index } => self.create_index(&step.sql, index)?,
                Action::Copy { path, .. } => {
                    let copy = plan
                        .legacy
                        .as_ref()
                        .expect("a copy step has a legacy table");
                    report.rows_copied = self.copy(&step.sql, copy)?;
                    report.copy_path = Some(*path);
                    self.verify(copy, *path, report.rows_copied)?;
                }
                Action::DropLegacy => {
                    self.execute(&step.sql, Step::DropLegacy)?;
                    report.legacy_dropped = true;
                }
                Action::RecordLedger => {
                    let copy = plan
                        .legacy
                        .as_ref()
                        .expect("the ledger records a legacy table");
                    self.record(copy, report.rows_copied)?;
                }
            }
        }
        Ok(report)
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

    /// Runs the copy and returns the number of rows it inserted. A constraint failure is
    /// explained by counting the offending NULLs.
    fn copy(&self, sql: &str, copy: &LegacyCopy) -> Result<u64> {
        match self.tx.execute(sql, []) {
            Ok(inserted) => Ok(inserted as u64),
            Err(source) => {
                if source.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
                    self.rejected_rows(copy)?;
                }
                Err(self.fail(Step::Copy)(source))
            }
        }
    }

    /// Every legacy row this run was to copy must now be in the new table, found by key.
    ///
    /// Into a fresh table the copy is a plain `INSERT ... SELECT`, which inserts every
    /// selected row or fails; the key is unique, so inserting as many rows as the legacy table
    /// holds proves every one arrived, and only a shortfall is searched row by row. The other
    /// paths check their rows by key directly; on the watermark path those are only the new
    /// rows. A row can only be missing if the table accepted a NULL key (a table created by
    /// the original library, whose key is nullable), so those are reported as rejected rows.
    fn verify(&self, copy: &LegacyCopy, path: CopyPath, inserted: u64) -> Result<()> {
        let Some(key) = self.spec.primary_key() else {
            return Ok(());
        };
        let count = |sql: &str| -> Result<u64> {
            self.tx
                .query_row(sql, [], |row| row.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(self.fail(Step::Verify))
        };
        if matches!(path, CopyPath::Transfer | CopyPath::BulkInsert)
            && count(&format!("SELECT count(*) {}", copy.rows_sql))? == inserted
        {
            return Ok(());
        }
        let missing_sql = format!(
            "{} AND NOT EXISTS (SELECT 1 FROM {} AS n WHERE n.{} = l.{})",
            copy.rows_sql,
            quoted(self.spec.table),
            quoted(key.name),
            quoted(&copy.key_source),
        );
        let missing = count(&format!("SELECT count(*) {missing_sql}"))?;
        if missing == 0 {
            return Ok(());
        }
        self.rejected_rows(copy)?;
        let mut sample = self
            .tx
            .prepare(&format!(
                "SELECT quote(l.{}) {missing_sql} LIMIT 5",
                quoted(&copy.key_source)
            ))
            .map_err(self.fail(Step::Verify))?;
        let sample_keys = sample
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(self.fail(Step::Verify))?;
        Err(Error::MissingRows {
            table: self.spec.table.to_owned(),
            legacy_table: copy.name.to_owned(),
            missing,
            sample_keys,
        })
    }

    /// Returns [`Error::RejectedRows`] if the rows this run copies hold NULL in columns that
    /// are `NOT NULL` here (the key included), and `Ok` if none do.
    fn rejected_rows(&self, copy: &LegacyCopy) -> Result<()> {
        let legacy_columns =
            schema::columns(self.tx, copy.name).map_err(self.fail(Step::Verify))?;
        let required: Vec<(&Column, &str)> = self
            .spec
            .columns
            .iter()
            .filter(|c| !c.nullable || c.primary_key)
            .filter_map(|c| {
                [c.legacy_name(), c.name].into_iter().find_map(|name| {
                    legacy_columns
                        .iter()
                        .find(|l| l.name.eq_ignore_ascii_case(name))
                        .map(|l| (c, l.name.as_str()))
                })
            })
            .collect();
        if required.is_empty() {
            return Ok(());
        }
        let sums: Vec<String> = required
            .iter()
            .map(|(_, source)| format!("coalesce(sum(l.{} IS NULL), 0)", quoted(source)))
            .collect();
        let sql = format!("SELECT {} {}", sums.join(", "), copy.rows_sql);
        let counts = self
            .tx
            .query_row(&sql, [], |row| {
                (0..required.len())
                    .map(|i| row.get::<_, i64>(i))
                    .collect::<rusqlite::Result<Vec<i64>>>()
            })
            .map_err(self.fail(Step::Verify))?;
        let nulls: Vec<NullCount> = required
            .iter()
            .zip(counts)
            .filter(|(_, rows)| *rows > 0)
            .map(|((_, source), rows)| NullCount {
                column: (*source).to_owned(),
                rows: rows as u64,
            })
            .collect();
        if nulls.is_empty() {
            return Ok(());
        }
        Err(Error::RejectedRows {
            table: self.spec.table.to_owned(),
            legacy_table: copy.name.to_owned(),
            nulls,
        })
    }

    /// Records the copy's progress: rows over all runs and the new watermark.
    fn record(&self, copy: &LegacyCopy, inserted: u64) -> Result<()> {
        let (watermark, watermark_key) = match &copy.new_watermark {
            Some((rowid, key)) => (Some(*rowid), Some(key.clone())),
            None => (None, None),
        };
        let entry = ledger::Entry {
            legacy_table: copy.name.to_owned(),
            rows_copied: copy.previously_copied + inserted,
            watermark,
            watermark_key,
        };
        let checksum = ledger::checksum(self.spec.create_sql, self.spec.index_sql);
        ledger::record(self.tx, self.spec.table, &entry, &checksum).map_err(self.fail(Step::Ledger))
    }
}
