//! The errors of wrkflw: each names the table or column at fault and what to do about it.

use std::fmt;

/// `Result` with wrkflw's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wrkflw. Whenever a migration returns an error, its
/// transaction has been rolled back and the database is as it was before.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed outside any migration step.
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// One step of a table's migration failed in SQLite.
    #[error("migrating `{table}`: {step} failed, nothing was changed: {source}")]
    Step {
        /// The table being migrated.
        table: String,
        /// What the migration was doing.
        step: Step,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },

    /// Legacy rows hold NULL in columns that are `NOT NULL` in the new table. Copying them
    /// would fail, and skipping them (as `INSERT OR IGNORE` does) would lose them.
    #[error(
        "cannot migrate `{legacy_table}` into `{table}`: {}; nothing was changed. \
         Fix or delete those rows (find them with `SELECT rowid, * FROM {legacy_table} WHERE {} IS NULL`) \
         and migrate again",
        describe_nulls(nulls, table), nulls.first().map_or("", |n| n.column.as_str())
    )]
    RejectedRows {
        /// The new table.
        table: String,
        /// The legacy table holding the rows.
        legacy_table: String,
        /// Each offending column with its count of NULL rows, in column order.
        nulls: Vec<NullCount>,
    },

    /// After the copy, legacy rows were not found by key in the new table.
    #[error(
        "migrating `{legacy_table}` into `{table}`: {missing} legacy rows are not in the new table after the copy \
         (keys {}); nothing was changed",
        sample_keys.join(", ")
    )]
    MissingRows {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// How many legacy rows are missing.
        missing: u64,
        /// Up to five of their keys, as SQL literals (`'run-1'`, `42`, `NULL`).
        sample_keys: Vec<String>,
    },

    /// A name the migration needs as a table belongs to a view, index or trigger.
    #[error("`{name}` is a {kind}, not a table: wrkflw will not migrate or replace it; rename or drop the {kind} first")]
    NotATable {
        /// The name looked up.
        name: String,
        /// What SQLite has under that name (`view`, `index`, `trigger`).
        kind: String,
    },

    /// The table does not exist yet.
    #[error("table `{table}` does not exist; run the migration first")]
    NoSuchTable {
        /// The missing table.
        table: String,
    },
}

/// A column of legacy rows that hold NULL where the new table says `NOT NULL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullCount {
    /// The column.
    pub column: String,
    /// How many legacy rows hold NULL in it.
    pub rows: u64,
}

fn describe_nulls(nulls: &[NullCount], table: &str) -> String {
    let parts: Vec<String> = nulls
        .iter()
        .map(|n| format!("{} with NULL in `{}`", rows(n.rows), n.column))
        .collect();
    let which = if nulls.len() == 1 {
        "that column is"
    } else {
        "those columns are"
    };
    format!("{} but {which} NOT NULL in `{table}`", parts.join(", "))
}

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".to_owned()
    } else {
        format!("{n} rows")
    }
}

/// A step of a table's migration, named in [`Error::Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// `BEGIN IMMEDIATE`: taking the write lock.
    Begin,
    /// Looking up the tables in the schema.
    Inspect,
    /// `CREATE TABLE`.
    CreateTable,
    /// `CREATE INDEX`.
    CreateIndex,
    /// Copying legacy rows.
    Copy,
    /// Checking that every legacy row arrived.
    Verify,
    /// Dropping the legacy table and its indexes.
    DropLegacy,
    /// `COMMIT`.
    Commit,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Begin => "starting the transaction",
            Step::Inspect => "reading the schema",
            Step::CreateTable => "creating the table",
            Step::CreateIndex => "creating an index",
            Step::Copy => "copying the legacy rows",
            Step::Verify => "verifying the copy",
            Step::DropLegacy => "dropping the legacy table",
            Step::Commit => "committing",
        })
    }
}
