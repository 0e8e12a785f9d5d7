//! Running a table's migration: one `BEGIN IMMEDIATE` transaction that inspects the schema,
//! creates the table and indexes, copies, verifies and optionally drops the legacy table.
//!
//! The work is split into steps on [`Migration`], each a method that reads or writes through
//! the same transaction, so that further steps (a ledger, drift checks) slot in between.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::{NullCount, Step};
use crate::{Column, Error, LegacyTable, MigrationReport, Result, RowCounts, Table};

/// Creates `T`'s table and indexes and copies the rows of its legacy table, if any, in one
/// `BEGIN IMMEDIATE` transaction.
///
/// - Fresh database: creates the table and indexes, reports `legacy_found: false`.
/// - Legacy table present: copies the rows whose key is not in the new table yet, checks
///   that every legacy row is now there by key, and with [`LegacyTable::Drop`] drops the
///   legacy table and its indexes. Re-runs insert nothing twice.
/// - A legacy row the new table would reject (a NULL in a `NOT NULL` column) fails the whole
///   migration with [`Error::RejectedRows`], naming the column and the count.
///
/// On any error the transaction rolls back: the database is exactly as before.
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
    let spec = TableSpec::of::<T>();
    in_transaction(conn, spec.table, |tx| {
        Migration { tx, spec: &spec }.run(legacy)
    })
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
#[derive(Debug, Default, Clone)]
pub struct Migrator {
    tables: Vec<TableSpec>,
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

    /// Migrates every table, in the order added, in one `BEGIN IMMEDIATE` transaction, and
    /// returns one report per table. On error nothing is changed.
    pub fn run(&self, conn: &mut Connection, legacy: LegacyTable) -> Result<Vec<MigrationReport>> {
        let first = self.tables.first().map_or("", |t| t.table);
        in_transaction(conn, first, |tx| {
            self.tables
                .iter()
                .map(|spec| Migration { tx, spec }.run(legacy))
                .collect()
        })
    }
}

/// Counts the rows of `T`'s table and of its legacy table, in one read transaction so both
/// counts see the same moment. Fails with [`Error::NoSuchTable`] before the first migration.
pub fn row_counts<T: Table>(conn: &Connection) -> Result<RowCounts> {
    let read = if conn.is_autocommit() {
        Some(conn.unchecked_transaction()?)
    } else {
        None
    };
    let count = |name: &str| -> Result<u64> {
        let sql = format!("SELECT count(*) FROM {}", quoted(name));
        Ok(conn.query_row(&sql, [], |row| row.get::<_, i64>(0))? as u64)
    };
    if schema_kind(conn, T::TABLE_NAME)?.as_deref() != Some("table") {
        return Err(Error::NoSuchTable {
            table: T::TABLE_NAME.to_owned(),
        });
    }
    let table = count(T::TABLE_NAME)?;
    let legacy = match T::LEGACY_TABLE_NAME {
        Some(name) if schema_kind(conn, name)?.as_deref() == Some("table") => Some(count(name)?),
        _ => None,
    };
    if let Some(read) = read {
        read.commit()?;
    }
    Ok(RowCounts { table, legacy })
}

/// A table's constants, taken out of the generic `T` so that the migration code is compiled
/// once, not once per table.
#[derive(Debug, Clone)]
struct TableSpec {
    table: &'static str,
    legacy: Option<&'static str>,
    create_sql: &'static str,
    index_sql: &'static [&'static str],
    copy_sql: Option<&'static str>,
    drop_legacy_sql: &'static [&'static str],
    columns: &'static [Column],
}

impl TableSpec {
    fn of<T: Table>() -> TableSpec {
        TableSpec {
            table: T::TABLE_NAME,
            legacy: T::LEGACY_TABLE_NAME,
            create_sql: T::CREATE_SQL,
            index_sql: T::INDEX_SQL,
            copy_sql: T::COPY_SQL,
            drop_legacy_sql: T::DROP_LEGACY_SQL,
            columns: T::COLUMNS,
        }
    }

    fn primary_key(&self) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.primary_key)
    }
}

/// Runs `work` inside `BEGIN IMMEDIATE ... COMMIT`. `IMMEDIATE` takes the write lock before
/// the first read, so two processes migrating at once queue up instead of both reading the
/// old state. Returning early drops the transaction, which rolls it back.
fn in_transaction<R>(
    conn: &mut Connection,
    table: &str,
    work: impl FnOnce(&Transaction<'_>) -> Result<R>,
) -> Result<R> {
    let step_error = |step| {
        let table = table.to_owned();
        move |source| Error::Step {
            table,
            step,
            source,
        }
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(step_error(Step::Begin))?;
    let result = work(&tx)?;
    tx.commit().map_err(step_error(Step::Commit))?;
    Ok(result)
}

/// One table's migration inside an open transaction.
struct Migration<'t, 'c> {
    tx: &'t Transaction<'c>,
    spec: &'t TableSpec,
}

impl Migration<'_, '_> {
    fn run(&self, legacy: LegacyTable) -> Result<MigrationReport> {
        let (table_exists, legacy_found) = self.inspect()?;
        self.create()?;
        let mut report = MigrationReport {
            table: self.spec.table.to_owned(),
            legacy_table: self.spec.legacy.map(str::to_owned),
            legacy_found,
            table_created: !table_exists,
            rows_copied: 0,
            legacy_dropped: false,
        };
        if let (true, Some(legacy_name), Some(copy_sql)) =
            (legacy_found, self.spec.legacy, self.spec.copy_sql)
        {
            report.rows_copied = self.copy(legacy_name, copy_sql)?;
            self.verify(legacy_name)?;
            if legacy == LegacyTable::Drop {
                self.drop_legacy()?;
                report.legacy_dropped = true;
            }
        }
        Ok(report)
    }

    fn fail(&self, step: Step) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
        move |source| Error::Step {
            table: self.spec.table.to_owned(),
            step,
            source,
        }
    }

    /// Whether the new table and the legacy table exist. A view (or other object) under
    /// either name is refused: writing to it or dropping it is never what the user meant.
    fn inspect(&self) -> Result<(bool, bool)> {
        let exists = |name: &str| -> Result<bool> {
            match schema_kind(self.tx, name).map_err(self.fail(Step::Inspect))? {
                None => Ok(false),
                Some(kind) if kind == "table" => Ok(true),
                Some(kind) => Err(Error::NotATable {
                    name: name.to_owned(),
                    kind,
                }),
            }
        };
        let table = exists(self.spec.table)?;
        let legacy = match self.spec.legacy {
            Some(name) => exists(name)?,
            None => false,
        };
        Ok((table, legacy))
    }

    fn create(&self) -> Result<()> {
        self.tx
            .execute_batch(self.spec.create_sql)
            .map_err(self.fail(Step::CreateTable))?;
        for index in self.spec.index_sql {
            self.tx
                .execute_batch(index)
                .map_err(self.fail(Step::CreateIndex))?;
        }
        Ok(())
    }

    /// Runs the generated copy and returns the number of rows it inserted. A constraint
    /// failure is explained by counting the offending NULLs.
    fn copy(&self, legacy: &str, copy_sql: &str) -> Result<u64> {
        match self.tx.execute(copy_sql, []) {
            Ok(inserted) => Ok(inserted as u64),
            Err(source) => {
                if source.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) {
                    self.rejected_rows(legacy)?;
                }
                Err(self.fail(Step::Copy)(source))
            }
        }
    }

    /// Every legacy row must now be in the new table, found by key. Rows can only be missing
    /// if the new table accepted a NULL key (a table created by the original library, whose
    /// key column is nullable), so those are reported as rejected rows.
    fn verify(&self, legacy: &str) -> Result<()> {
        let Some(key) = self.spec.primary_key() else {
            return Ok(());
        };
        let missing_sql = format!(
            "FROM {legacy} AS l WHERE NOT EXISTS (SELECT 1 FROM {table} AS n WHERE n.{key} = l.{key})",
            legacy = quoted(legacy),
            table = quoted(self.spec.table),
            key = quoted(key.name),
        );
        let missing: i64 = self
            .tx
            .query_row(&format!("SELECT count(*) {missing_sql}"), [], |row| {
                row.get(0)
            })
            .map_err(self.fail(Step::Verify))?;
        if missing == 0 {
            return Ok(());
        }
        self.rejected_rows(legacy)?;
        let mut sample = self
            .tx
            .prepare(&format!(
                "SELECT quote(l.{}) {missing_sql} LIMIT 5",
                quoted(key.name)
            ))
            .map_err(self.fail(Step::Verify))?;
        let sample_keys = sample
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(self.fail(Step::Verify))?;
        Err(Error::MissingRows {
            table: self.spec.table.to_owned(),
            legacy_table: legacy.to_owned(),
            missing: missing as u64,
            sample_keys,
        })
    }

    /// Returns [`Error::RejectedRows`] if legacy rows hold NULL in columns that are `NOT NULL`
    /// here (the key included), and `Ok` if none do.
    fn rejected_rows(&self, legacy: &str) -> Result<()> {
        let required: Vec<&Column> = self
            .spec
            .columns
            .iter()
            .filter(|c| !c.nullable || c.primary_key)
            .collect();
        if required.is_empty() {
            return Ok(());
        }
        let sums: Vec<String> = required
            .iter()
            .map(|c| format!("coalesce(sum({} IS NULL), 0)", quoted(c.name)))
            .collect();
        let sql = format!("SELECT {} FROM {}", sums.join(", "), quoted(legacy));
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
            .map(|(column, rows)| NullCount {
                column: column.name.to_owned(),
                rows: rows as u64,
            })
            .collect();
        if nulls.is_empty() {
            return Ok(());
        }
        Err(Error::RejectedRows {
            table: self.spec.table.to_owned(),
            legacy_table: legacy.to_owned(),
            nulls,
        })
    }

    fn drop_legacy(&self) -> Result<()> {
        for statement in self.spec.drop_legacy_sql {
            self.tx
                .execute_batch(statement)
                .map_err(self.fail(Step::DropLegacy))?;
        }
        Ok(())
    }
}

/// What the main schema holds under `name` (`table`, `view`, `index`, `trigger`), compared
/// as SQLite compares names: without ASCII case. The name is a bound parameter.
fn schema_kind(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT type FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE",
        [name],
        |row| row.get(0),
    )
    .optional()
}

/// A name as a double-quoted SQL identifier. The names come from compile-time checked
/// constants; quoting anyway keeps run-time SQL safe for hand-written `Table` impls.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
