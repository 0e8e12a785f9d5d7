//! Deciding what a migration will do on this database, before anything is written.
//!
//! [`migrate`](crate::migrate) and [`plan`] share this code: `migrate` computes the plan
//! inside its write transaction and runs its statements in order; `plan` returns it inside a
//! read transaction, so users can review exactly what would run.

use std::fmt;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use crate::error::Step;
use crate::ledger::{self, LEDGER_TABLE};
use crate::migrate::{sqlite_error, TableSpec};
use crate::schema::{self, quoted, TableColumn};
use crate::{Column, Error, LegacyTable, Result, Table};

/// What [`migrate`](crate::migrate) would run on a database now, statement by statement,
/// each with its reason. From [`plan`], [`Table::plan`] or
/// [`Migrator::plan`](crate::Migrator::plan); nothing is written to compute it.
///
/// Its `Display` is a commented SQL script.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The table the plan migrates.
    pub table: String,
    /// The statements, in the order `migrate` runs them. Empty when there is nothing to do.
    pub steps: Vec<PlannedStep>,
}

/// One statement of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    /// Why the statement runs.
    pub action: Action,
    /// The statement. The ledger's statement has parameters (`?1` ...) that `migrate` binds.
    pub sql: String,
}

/// Why a [`PlannedStep`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Create the migration ledger, `wrkflw_migrations`.
    CreateLedger,
    /// Create the table: it does not exist yet.
    CreateTable,
    /// Add a column the struct gained since the table was created.
    AddColumn {
        /// The new column.
        column: String,
    },
    /// Create an index that does not exist yet.
    CreateIndex {
        /// The index.
        index: String,
    },
    /// Copy legacy rows into the table.
    Copy {
        /// Rows the copy will insert, as counted when the plan was made (by [`plan`]; `0`
        /// inside `migrate`, which does not count ahead).
        rows: u64,
        /// How the rows are selected and copied.
        path: CopyPath,
    },
    /// Drop the legacy table; its indexes go with it.
    DropLegacy,
    /// Record the copy's progress (rows, watermark, schema checksum) in the ledger.
    RecordLedger,
}

/// How a migration copies legacy rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CopyPath {
    /// SQLite's transfer optimization, `INSERT INTO new SELECT * FROM legacy`, into the
    /// freshly created, empty table: rows are copied as stored records without being decoded
    /// and checked column by column. Taken when the legacy table has the same columns in the
    /// same order and SQLite confirms it would transfer (its `EXPLAIN` shows the transfer).
    /// When the legacy table has matching indexes, their entries are transferred too;
    /// otherwise the indexes are built after the copy.
    Transfer,
    /// `INSERT INTO new (columns) SELECT ... FROM legacy` into the freshly created, empty
    /// table, with its indexes built after the copy (faster than updating them row by row).
    BulkInsert,
    /// Only legacy rows above the ledger's watermark: those added since the last run.
    AboveWatermark,
    /// Every legacy row whose key is not in the table yet, compared by key over the whole
    /// legacy table. Taken when there is no usable watermark: the first run over a table the
    /// original library already migrated, a legacy table without a rowid (`WITHOUT ROWID`),
    /// or a legacy table whose row at the watermark has since been deleted. Rows deleted from
    /// the new table since an earlier copy come back on this path.
    KeyAntiJoin,
}

impl fmt::Display for CopyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CopyPath::Transfer => "transfer optimization",
            CopyPath::BulkInsert => "bulk insert, indexes built after",
            CopyPath::AboveWatermark => "rows above the watermark",
            CopyPath::KeyAntiJoin => {
                "rows whose key is missing, by key over the whole legacy table"
            }
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::CreateLedger => write!(f, "create the migration ledger {LEDGER_TABLE}"),
            Action::CreateTable => f.write_str("create the table"),
            Action::AddColumn { column } => write!(f, "add column {column}, new in the struct"),
            Action::CreateIndex { index } => write!(f, "create index {index}"),
            Action::Copy { rows, path } => {
                let noun = if *rows == 1 { "row" } else { "rows" };
                write!(f, "copy {rows} legacy {noun} ({path})")
            }
            Action::DropLegacy => f.write_str("drop the legacy table (its indexes go with it)"),
            Action::RecordLedger => write!(f, "record the copy's progress in {LEDGER_TABLE}"),
        }
    }
}

impl fmt::Display for Plan {
    /// A commented script: `-- 1. create the table` above each statement.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return writeln!(f, "-- {}: nothing to do", self.table);
        }
        writeln!(f, "-- {}", self.table)?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "-- {}. {}\n{};", i + 1, step.action, step.sql)?;
        }
        Ok(())
    }
}

/// The statements [`migrate`](crate::migrate) would run for `T` on this database now, without
/// writing anything. Runs in a read transaction of its own unless one is open.
///
/// ```
/// use wrkflw::{plan, wrkflw_table, Action, CopyPath, LegacyTable};
///
/// #[wrkflw_table(rename_from = "jobs")]
/// struct Job {
///     #[wrkflw(primary_key)]
///     id: String,
/// }
///
/// let conn = wrkflw::rusqlite::Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE jobs (id TEXT NOT NULL PRIMARY KEY); INSERT INTO jobs VALUES ('a');")?;
/// let plan = plan::<Job>(&conn, LegacyTable::Drop)?;
/// let copy = plan.steps.iter().find(|s| matches!(s.action, Action::Copy { .. })).unwrap();
/// assert_eq!(copy.action, Action::Copy { rows: 1, path: CopyPath::Transfer });
/// println!("{plan}");
/// # Ok::<(), wrkflw::Error>(())
/// ```
pub fn plan<T: Table>(conn: &Connection, legacy: LegacyTable) -> Result<Plan> {
    let spec = TableSpec::of::<T>();
    in_read_transaction(conn, spec.table, |conn| {
        Ok(TablePlan::new(conn, &spec, legacy, Counting::Count)?.plan)
    })
}

/// Runs `work` in a read transaction, so that every look-up sees the same moment, unless the
/// caller already has a transaction open.
pub(crate) fn in_read_transaction<R>(
    conn: &Connection,
    table: &str,
    work: impl FnOnce(&Connection) -> Result<R>,
) -> Result<R> {
    if !conn.is_autocommit() {
        return work(conn);
    }
    let read = conn
        .unchecked_transaction()
        .map_err(sqlite_error(table, Step::Begin))?;
    let result = work(&read)?;
    // Nothing was written: ending the read transaction either way is the same.
    read.rollback().map_err(sqlite_error(table, Step::Commit))?;
    Ok(result)
}

/// Whether planning counts the rows each copy will insert (for [`plan`]) or skips that work
/// (inside `migrate`, which learns the count from the copy itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counting {
    Count,
    Skip,
}

/// A table's plan with what `migrate` needs to run and verify it.
#[derive(Debug)]
pub(crate) struct TablePlan {
    pub(crate) plan: Plan,
    pub(crate) table_existed: bool,
    pub(crate) columns_added: Vec<String>,
    /// The legacy table, when it exists.
    pub(crate) legacy: Option<LegacyCopy>,
}

/// How the legacy table's rows are copied and checked.
#[derive(Debug)]
pub(crate) struct LegacyCopy {
    pub(crate) name: &'static str,
    /// `FROM legacy AS l WHERE ...`: the rows this run is to copy.
    pub(crate) rows_sql: String,
    /// The legacy column the key is read from.
    pub(crate) key_source: String,
    /// The legacy table's rowid after this run (`None`: no rowid, or no rows) and its key.
    pub(crate) new_watermark: Option<(i64, Value)>,
    pub(crate) previously_copied: u64,
    pub(crate) legacy_only_columns: Vec<String>,
    pub(crate) defaulted_columns: Vec<String>,
}

impl TablePlan {
    /// Reads the schema, the legacy table and the ledger, and decides every statement. Any
    /// reason to refuse (drift, a missing legacy column, a foreign key, a taken index name)
    /// is found here, before anything is written.
    pub(crate) fn new(
        conn: &Connection,
        spec: &TableSpec,
        legacy: LegacyTable,
        counting: Counting,
    ) -> Result<TablePlan> {
        let inspect = sqlite_error(spec.table, Step::Inspect);
        let table_existed = table_exists(conn, spec.table)?;
        let legacy_name = match spec.legacy {
            Some(name) if table_exists(conn, name)? => Some(name),
            _ => None,
        };
        let mut steps = Vec::new();
        let mut columns_added = Vec::new();
        if legacy_name.is_some()
            && schema::kind(conn, LEDGER_TABLE)
                .map_err(&inspect)?
                .is_none()
        {
            steps.push(PlannedStep {
                action: Action::CreateLedger,
                sql: ledger::CREATE_LEDGER_SQL.to_owned(),
            });
        }
        if table_existed {
            let existing = schema::columns(conn, spec.table).map_err(&inspect)?;
            for column in drift(spec, &existing)? {
                columns_added.push(column.name.to_owned());
                steps.push(PlannedStep {
                    action: Action::AddColumn {
                        column: column.name.to_owned(),
                    },
                    sql: add_column_sql(spec.table, column),
                });
            }
        } else {
            steps.push(PlannedStep {
                action: Action::CreateTable,
                sql: spec.create_sql.to_owned(),
            });
        }
        let indexes = missing_indexes(conn, spec)?;

        let Some(legacy_name) = legacy_name else {
            steps.extend(indexes);
            return Ok(TablePlan {
                plan: Plan {
                    table: spec.table.to_owned(),
                    steps,
                },
                table_existed,
                columns_added,
                legacy: None,
            });
        };
        let copy = CopyDecision::new(conn, spec, legacy_name, table_existed, counting)?;
        // A fresh table gets its indexes after the copy (one sort each instead of an update
        // per row), unless the transfer copies them along from the legacy table's own; an
        // existing table already has them or gets them before a small copy.
        if table_existed || copy.transfers_indexes {
            steps.extend(indexes);
            steps.extend(copy.step.clone());
        } else {
            steps.extend(copy.step.clone());
            steps.extend(indexes);
        }
        if legacy == LegacyTable::Drop {
            let referencing = schema::referencing_tables(conn, legacy_name).map_err(&inspect)?;
            if !referencing.is_empty() {
                return Err(Error::ReferencedByForeignKeys {
                    legacy_table: legacy_name.to_owned(),
                    tables: referencing,
                });
            }
            steps.push(PlannedStep {
                action: Action::DropLegacy,
                sql: format!("DROP TABLE {}", quoted(legacy_name)),
            });
        }
        if copy.step.is_some() || copy.ledger_stale {
            steps.push(PlannedStep {
                action: Action::RecordLedger,
                sql: ledger::RECORD_SQL.to_owned(),
            });
        }
        Ok(TablePlan {
            plan: Plan {
                table: spec.table.to_owned(),
                steps,
            },
            table_existed,
            columns_added,
            legacy: Some(LegacyCopy {
                name: legacy_name,
                rows_sql: copy.rows_sql,
                key_source: copy.key_source,
                new_watermark: copy.new_watermark,
                previously_copied: copy.previously_copied,
                legacy_only_columns: copy.legacy_only_columns,
                defaulted_columns: copy.defaulted_columns,
            }),
        })
    }
}

/// Whether `name` is a table; another kind of object under that name is an error.
fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    match schema::kind(conn, name).map_err(sqlite_error(name, Step::Inspect))? {
        None => Ok(false),
        Some(kind) if kind == "table" => Ok(true),
        Some(kind) => Err(Error::NotATable {
            name: name.to_owned(),
            kind,
        }),
    }
}

/// Compares the existing table with the struct. Returns the columns to add (new in the
/// struct, nullable or with a default); any other difference is a [`Error::SchemaDrift`].
fn drift<'s>(spec: &'s TableSpec, existing: &[TableColumn]) -> Result<Vec<&'s Column>> {
    let mut differences = Vec::new();
    let mut added = Vec::new();
    for column in spec.columns {
        let Some(found) = existing
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(column.name))
        else {
            if column.primary_key {
                differences.push(format!(
                    "primary key `{}` is not in the table; a key cannot be added to a table",
                    column.name
                ));
            } else if column.nullable || column.default.is_some() {
                added.push(column);
            } else {
                differences.push(format!(
                    "column `{}` is new, NOT NULL and has no default, so the rows already in the table would have no value for it; make it `Option<_>` or give it a `default`",
                    column.name
                ));
            }
            continue;
        };
        let declared = found.declared_type.to_ascii_uppercase();
        if declared != column.sql_type.as_str() {
            differences.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                if declared.is_empty() {
                    "untyped"
                } else {
                    &declared
                },
                column.sql_type
            ));
        }
        if found.primary_key != column.primary_key {
            differences.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                key_word(found.primary_key),
                key_word(column.primary_key)
            ));
        }
        // The original library declared its keys without NOT NULL; wrkflw refuses NULL keys
        // when it copies, so such a key is not drift.
        let tolerated = column.primary_key && found.primary_key && !found.not_null;
        if found.not_null == column.nullable && !tolerated {
            differences.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                null_word(found.not_null),
                null_word(!column.nullable)
            ));
        }
        let table_default = found.default.as_deref().map(schema::normalized_default);
        let struct_default = column.default.map(schema::normalized_default);
        if table_default != struct_default {
            differences.push(format!(
                "column `{}` has DEFAULT {} in the table but {} in the struct",
                column.name,
                table_default.unwrap_or("(none)"),
                struct_default.unwrap_or("(none)")
            ));
        }
    }
    for found in existing {
        if !spec
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&found.name))
        {
            differences.push(format!(
                "column `{}` is in the table but not in the struct",
                found.name
            ));
        }
    }
    if differences.is_empty() {
        Ok(added)
    } else {
        Err(Error::SchemaDrift {
            table: spec.table.to_owned(),
            differences,
        })
    }
}

fn key_word(primary_key: bool) -> &'static str {
    if primary_key {
        "the primary key"
    } else {
        "not the primary key"
    }
}

fn null_word(not_null: bool) -> &'static str {
    if not_null {
        "NOT NULL"
    } else {
        "nullable"
    }
}

/// `ALTER TABLE ... ADD COLUMN` for a column the struct gained.
fn add_column_sql(table: &str, column: &Column) -> String {
    let mut sql = format!(
        "ALTER TABLE {} ADD COLUMN {} {}",
        quoted(table),
        quoted(column.name),
        column.sql_type
    );
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = column.default {
        sql.push_str(&format!(" DEFAULT ({default})"));
    }
    sql
}

/// `idx_{table}_{column}`, the rule `#[wrkflw_table]` names indexes by.
pub(crate) fn index_name(table: &str, column: &str) -> String {
    format!("idx_{table}_{column}")
}

/// The index statements still to run. An index name taken by another table is an error:
/// index names are global in SQLite, and `IF NOT EXISTS` would silently keep the other one.
fn missing_indexes(conn: &Connection, spec: &TableSpec) -> Result<Vec<PlannedStep>> {
    let indexed = spec.columns.iter().filter(|c| c.indexed);
    let mut steps = Vec::new();
    for (column, sql) in indexed.zip(spec.index_sql) {
        let index = index_name(spec.table, column.name);
        match schema::index_owner(conn, &index).map_err(sqlite_error(spec.table, Step::Inspect))? {
            Some(owner) if owner.eq_ignore_ascii_case(spec.table) => {}
            Some(owner) => {
                return Err(Error::IndexNameTaken {
                    index,
                    table: spec.table.to_owned(),
                    owner,
                })
            }
            None => steps.push(PlannedStep {
                action: Action::CreateIndex { index },
                sql: (*sql).to_owned(),
            }),
        }
    }
    Ok(steps)
}

/// The copy of one legacy table: which path, which rows, and how they are read.
struct CopyDecision {
    /// The copy statement, or `None` when there is nothing to copy.
    step: Option<PlannedStep>,
    rows_sql: String,
    key_source: String,
    new_watermark: Option<(i64, Value)>,
    previously_copied: u64,
    legacy_only_columns: Vec<String>,
    defaulted_columns: Vec<String>,
    /// The ledger has no row for this table yet, though there is nothing to copy.
    ledger_stale: bool,
    /// The transfer copies the indexes too, from compatible legacy indexes: create them
    /// before the copy.
    transfers_indexes: bool,
}

impl CopyDecision {
    fn new(
        conn: &Connection,
        spec: &TableSpec,
        legacy: &'static str,
        table_existed: bool,
        counting: Counting,
    ) -> Result<CopyDecision> {
        let inspect = sqlite_error(spec.table, Step::Inspect);
        let legacy_columns = schema::columns(conn, legacy).map_err(&inspect)?;
        let sources = Sources::new(spec, legacy, &legacy_columns)?;
        let key = spec
            .primary_key()
            .ok_or_else(|| Error::MissingLegacyColumn {
                table: spec.table.to_owned(),
                legacy_table: legacy.to_owned(),
                column: "(primary key)".to_owned(),
            })?;
        let key_source = sources.source_of(key).to_owned();
        let rowid = schema::rowid_name(conn, legacy, &legacy_columns).map_err(&inspect)?;
        let last_row: Option<(i64, Value)> = match rowid {
            Some(rowid) => conn
                .query_row(
                    &format!(
                        "SELECT {rowid}, {key} FROM {legacy} ORDER BY {rowid} DESC LIMIT 1",
                        key = quoted(&key_source),
                        legacy = quoted(legacy)
                    ),
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(&inspect)?,
            None => None,
        };
        // The ledger describes the table as it was; if the table is gone, so is its progress.
        let entry = if table_existed {
            ledger::read(conn, spec.table)
                .map_err(&inspect)?
                .filter(|e| e.legacy_table.eq_ignore_ascii_case(legacy))
        } else {
            None
        };
        let previously_copied = entry.as_ref().map_or(0, |e| e.rows_copied);

        // The rowids this run copies, for the watermark path: above the last run's
        // watermark, up to the legacy table's last row now.
        let mut range: Option<(&str, i64, i64)> = None;
        let mut transfers_indexes = false;
        let path = if !table_existed {
            if transfer_applies(conn, spec, legacy, &legacy_columns, Indexes::Included)? {
                transfers_indexes = spec.columns.iter().any(|c| c.indexed);
                CopyPath::Transfer
            } else if transfer_applies(conn, spec, legacy, &legacy_columns, Indexes::After)? {
                CopyPath::Transfer
            } else {
                CopyPath::BulkInsert
            }
        } else {
            let from = match (rowid, &entry) {
                (
                    Some(rowid),
                    Some(ledger::Entry {
                        watermark: Some(_),
                        watermark_key: Some(watermark_key),
                        ..
                    }),
                ) => {
                    // Found by key, not by the stored rowid, in case rowids were renumbered.
                    conn.query_row(
                        &format!(
                            "SELECT {rowid} FROM {} WHERE {} = ?1",
                            quoted(legacy),
                            quoted(&key_source)
                        ),
                        [watermark_key],
                        |row| row.get::<_, i64>(0),
                    )
                    .optional()
                    .map_err(&inspect)?
                }
                _ => None,
            };
            match (rowid, from) {
                (Some(rowid), Some(from)) => {
                    let to = last_row.as_ref().map_or(from, |(last, _)| *last);
                    range = Some((rowid, from, to));
                    CopyPath::AboveWatermark
                }
                _ => CopyPath::KeyAntiJoin,
            }
        };
        // The copy reads the legacy table unaliased, as a person would write it; the checks
        // join it with the new table and need every name qualified.
        let filter = |alias: &str| match range {
            Some((rowid, from, to)) => {
                format!("{alias}{rowid} > {from} AND {alias}{rowid} <= {to}")
            }
            None => "true".to_owned(),
        };
        let rows_sql = format!("FROM {} AS l WHERE {}", quoted(legacy), filter("l."));
        let nothing_to_copy = match range {
            Some((_, from, to)) => from >= to,
            None => rowid.is_some() && last_row.is_none(),
        };
        let step = if nothing_to_copy {
            None
        } else {
            let rows = match counting {
                Counting::Skip => 0,
                Counting::Count => {
                    let sql = match path {
                        CopyPath::KeyAntiJoin => format!(
                            "SELECT count(*) {rows_sql} AND NOT EXISTS (SELECT 1 FROM {} AS n WHERE n.{} = l.{})",
                            quoted(spec.table),
                            quoted(key.name),
                            quoted(&key_source)
                        ),
                        _ => format!("SELECT count(*) {rows_sql}"),
                    };
                    conn.query_row(&sql, [], |row| row.get::<_, i64>(0))
                        .map_err(&inspect)? as u64
                }
            };
            let insert = format!(
                "INSERT INTO {} (\n{}\n)\nSELECT\n{}\nFROM {}\nWHERE {}",
                quoted(spec.table),
                sources.targets(),
                sources.selected(),
                quoted(legacy),
                filter("")
            );
            let sql = match path {
                CopyPath::Transfer => format!(
                    "INSERT INTO {} SELECT * FROM {}",
                    quoted(spec.table),
                    quoted(legacy)
                ),
                CopyPath::BulkInsert => insert,
                CopyPath::AboveWatermark | CopyPath::KeyAntiJoin => {
                    format!("{insert}\nON CONFLICT ({}) DO NOTHING", quoted(key.name))
                }
            };
            Some(PlannedStep {
                action: Action::Copy { rows, path },
                sql,
            })
        };
        Ok(CopyDecision {
            transfers_indexes,
            ledger_stale: entry.is_none() && step.is_none(),
            step,
            rows_sql,
            key_source,
            new_watermark: last_row,
            previously_copied,
            legacy_only_columns: sources.legacy_only,
            defaulted_columns: sources.defaulted,
        })
    }
}

/// Which legacy column feeds each column of the new table.
struct Sources<'s> {
    /// (new column, legacy column) for every column the legacy table can fill.
    pairs: Vec<(&'s Column, String)>,
    /// Columns the legacy table lacks, left to their default or NULL.
    defaulted: Vec<String>,
    /// Legacy columns no column reads.
    legacy_only: Vec<String>,
}

impl<'s> Sources<'s> {
    fn new(
        spec: &'s TableSpec,
        legacy: &str,
        legacy_columns: &[TableColumn],
    ) -> Result<Sources<'s>> {
        let find = |name: &str| {
            legacy_columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        };
        let mut pairs = Vec::new();
        let mut defaulted = Vec::new();
        for column in spec.columns {
            // The renamed column first; a legacy table that already has the new name is read
            // by that name.
            match find(column.legacy_name()).or_else(|| find(column.name)) {
                Some(source) => pairs.push((column, source.name.clone())),
                None if !column.primary_key && (column.nullable || column.default.is_some()) => {
                    defaulted.push(column.name.to_owned())
                }
                None => {
                    return Err(Error::MissingLegacyColumn {
                        table: spec.table.to_owned(),
                        legacy_table: legacy.to_owned(),
                        column: column.legacy_name().to_owned(),
                    })
                }
            }
        }
        let legacy_only = legacy_columns
            .iter()
            .filter(|c| !pairs.iter().any(|(_, s)| s.eq_ignore_ascii_case(&c.name)))
            .map(|c| c.name.clone())
            .collect();
        Ok(Sources {
            pairs,
            defaulted,
            legacy_only,
        })
    }

    fn source_of(&self, column: &Column) -> &str {
        self.pairs
            .iter()
            .find(|(c, _)| c.name == column.name)
            .map_or(column.name, |(_, s)| s.as_str())
    }

    fn targets(&self) -> String {
        let names: Vec<String> = self.pairs.iter().map(|(c, _)| quoted(c.name)).collect();
        schema::wrapped_list(&names)
    }

    /// The legacy columns read, `old AS new` where a column is renamed.
    fn selected(&self) -> String {
        let names: Vec<String> = self
            .pairs
            .iter()
            .map(|(column, source)| {
                if source.eq_ignore_ascii_case(column.name) {
                    quoted(source)
                } else {
                    format!("{} AS {}", quoted(source), quoted(column.name))
                }
            })
            .collect();
        schema::wrapped_list(&names)
    }
}

/// Whether SQLite would copy the legacy table into the new one by its transfer optimization.
/// `SELECT *` pairs columns by position, so the legacy columns must be exactly the ones the
/// struct reads, in order; then SQLite's own checks decide (types, NOT NULL, defaults,
/// collations, constraints), read off the `EXPLAIN` of the statement against an empty TEMP
/// copy of the new table, created and rolled back inside a savepoint.
/// Whether the transfer probe has the table's indexes: SQLite transfers index entries too
/// when every index of the new table has a compatible one on the legacy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indexes {
    Included,
    After,
}

fn transfer_applies(
    conn: &Connection,
    spec: &TableSpec,
    legacy: &str,
    legacy_columns: &[TableColumn],
    indexes: Indexes,
) -> Result<bool> {
    let same_columns = legacy_columns.len() == spec.columns.len()
        && legacy_columns
            .iter()
            .zip(spec.columns)
            .all(|(l, c)| l.name.eq_ignore_ascii_case(c.legacy_name()));
    // CREATE_SQL is `CREATE TABLE IF NOT EXISTS <name> (` + definitions; the probe swaps
    // the head for a TEMP table of its own name.
    let definitions = spec.create_sql.find(" (").map(|at| &spec.create_sql[at..]);
    let (true, Some(definitions)) = (same_columns, definitions) else {
        return Ok(false);
    };
    const PROBE: &str = "wrkflw_transfer_probe";
    let probe = || -> rusqlite::Result<bool> {
        conn.execute_batch(&format!("CREATE TEMP TABLE {PROBE}{definitions}"))?;
        if indexes == Indexes::Included {
            // The generated indexes are single-column and plain, as these are.
            for (i, column) in spec.columns.iter().filter(|c| c.indexed).enumerate() {
                conn.execute_batch(&format!(
                    "CREATE INDEX temp.{PROBE}_{i} ON {PROBE} ({})",
                    quoted(column.name)
                ))?;
            }
        }
        let mut explain = conn.prepare(&format!(
            "EXPLAIN INSERT INTO temp.{PROBE} SELECT * FROM main.{}",
            quoted(legacy)
        ))?;
        let opcodes = explain.query_map([], |row| row.get::<_, String>(1))?;
        let mut transfers = false;
        for opcode in opcodes {
            // Only the transfer path copies whole records: RowCell in current SQLite,
            // RowData in older versions.
            transfers |= matches!(opcode?.as_str(), "RowCell" | "RowData");
        }
        Ok(transfers)
    };
    let inspect = sqlite_error(spec.table, Step::Inspect);
    conn.execute_batch("SAVEPOINT wrkflw_probe")
        .map_err(&inspect)?;
    let transfers = probe();
    conn.execute_batch("ROLLBACK TO wrkflw_probe; RELEASE wrkflw_probe")
        .map_err(&inspect)?;
    transfers.map_err(inspect)
}
