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

    /// `insert` found a row with the same key already in the table.
    #[error("cannot insert into `{table}`: a row with key {key} is already there; update or upsert it instead")]
    KeyExists {
        /// The table.
        table: String,
        /// The key, as an SQL literal.
        key: String,
    },

    /// A stored value does not fit its field: NULL in a field that is not an `Option`, a
    /// value of another storage class, or JSON that does not decode into the field's type.
    #[error(
        "cannot read `{table}`.`{column}`{}: {reason}",
        key.as_ref().map(|k| format!(" of the row with key {k}")).unwrap_or_default()
    )]
    Decode {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The row's key as an SQL literal, when the query selected it.
        key: Option<String>,
        /// What is wrong with the value.
        reason: String,
    },

    /// A field's value cannot be written: serde cannot write it as JSON (a map whose keys
    /// are not strings, say), or, on PostgreSQL, the column's type cannot hold it (text or
    /// JSON with a NUL character, `\0`, which SQLite stores). Nothing was sent: on
    /// PostgreSQL, a caller's transaction goes on.
    #[error("cannot write `{table}`.`{column}`: {reason}")]
    Encode {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Why: serde's message, or what PostgreSQL cannot hold.
        reason: String,
    },

    /// A statement of a row method failed in SQLite.
    #[error("{action} on `{table}` failed: {source}")]
    Rows {
        /// The table.
        table: String,
        /// The method: `insert`, `upsert`, `update`, `get`, `delete`, `read`, `find`, `count`.
        action: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },

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

    /// PostgreSQL failed outside any migration step (connecting, or a statement of the
    /// caller's own).
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL error: {}", pg_detail(.0))]
    Postgres(#[from] ::postgres::Error),

    /// A statement of a row method failed in PostgreSQL.
    #[cfg(feature = "postgres")]
    #[error("{action} on `{table}` failed: {}", pg_detail(source))]
    PgRows {
        /// The table.
        table: String,
        /// The method: `insert`, `upsert`, `update`, `get`, `delete`, `read`, `find`, `count`.
        action: &'static str,
        /// PostgreSQL's error.
        #[source]
        source: ::postgres::Error,
    },

    /// One step of a table's migration failed in PostgreSQL; the transaction was rolled back.
    #[cfg(feature = "postgres")]
    #[error(
        "migrating `{table}`: {step} failed, nothing was changed: {}",
        pg_detail(source)
    )]
    PgStep {
        /// The table being migrated.
        table: String,
        /// What the migration was doing.
        step: Step,
        /// PostgreSQL's error.
        #[source]
        source: ::postgres::Error,
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
        /// Up to five of their keys, as SQL literals (`'run-1'`, `42`, `NULL`; a composite
        /// key as `('r1', 3)`).
        sample_keys: Vec<String>,
    },

    /// Legacy rows hold a key the table already holds for another row: two rows, one key.
    /// Which one is right is the application's decision; choose it with
    /// [`Migrator::on_conflict`](crate::Migrator::on_conflict).
    #[error(
        "migrating `{legacy_table}` into `{table}`: {count} legacy {} a key that `{table}` holds for another row \
         (keys {}); nothing was changed. Keep the table's rows (OnConflict::KeepTable), take the legacy rows \
         (OnConflict::TakeLegacy), or give those legacy rows other keys; `SELECT * FROM wrkflw_conflicts` lists them",
        if *count == 1 { "row has" } else { "rows have" },
        sample_keys.join(", ")
    )]
    Conflicts {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// How many keys are in conflict.
        count: u64,
        /// Up to five of them, as SQL literals (a composite key as `('r1', 3)`).
        sample_keys: Vec<String>,
    },

    /// Keeping the legacy table needs its key to identify a row the way the table's key
    /// does, so that the change capture can carry each write over by key: unique there, a
    /// stored column, of the same type affinity and compared byte for byte (`BINARY`).
    #[error(
        "cannot keep `{legacy_table}` beside `{table}`: its key column `{column}` {problem}, so writes to it \
         cannot be carried over by key; nothing was changed. {}",
        problem.fix(legacy_table, column)
    )]
    CannotCapture {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// The legacy key column at fault; for a composite key that is not unique there, its
        /// columns joined by `, `.
        column: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },

    /// Several legacy rows have the same key as the table stores it (`'01'` and `'1'` in an
    /// integer key, say): the table can hold only one of them.
    #[error(
        "cannot migrate `{legacy_table}` into `{table}`: several legacy rows have one key in `{column}` \
         as `{table}` stores it (each group: {}); nothing was changed. Give them distinct keys and migrate again",
        sample_keys.join("; ")
    )]
    DuplicateKeys {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// The key column (a composite key's columns joined by `, `).
        column: String,
        /// Up to five groups of legacy keys that collide, each as SQL literals joined by `, `
        /// (a composite key as `('r1', 3)`).
        sample_keys: Vec<String>,
    },

    /// Legacy values cannot be stored in the table's column as its type requires (text in an
    /// `INTEGER PRIMARY KEY`, say).
    #[error(
        "cannot migrate `{legacy_table}` into `{table}`: column `{column}` holds values that are not {expected} \
         (keys {}); nothing was changed. Fix those rows, or change the field's type",
        sample_keys.join(", ")
    )]
    WrongType {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// The column.
        column: String,
        /// What the column needs, e.g. `integers`.
        expected: String,
        /// Up to five keys of such rows, as SQL literals.
        sample_keys: Vec<String>,
    },

    /// Views, or triggers of other tables, use the legacy table: dropping it would break them.
    #[error(
        "will not drop `{legacy_table}`: {} still use it, and would fail with \"no such table\" once it is gone; \
         nothing was changed. Point them at the new table, or keep the legacy table (LegacyTable::Keep)",
        objects.join(", ")
    )]
    LegacyTableInUse {
        /// The legacy table.
        legacy_table: String,
        /// Each as "view `name`" or "trigger `name`".
        objects: Vec<String>,
    },

    /// The connection's journal mode is `OFF`: SQLite could not roll a failed migration back.
    #[error(
        "migrating `{table}`: PRAGMA journal_mode is OFF, so SQLite could not undo a migration that fails \
         half-way; nothing was changed. Set PRAGMA journal_mode = DELETE (or WAL) and migrate again"
    )]
    JournalOff {
        /// The table to migrate.
        table: String,
    },

    /// A name the migration needs as a table belongs to a view or an index.
    #[error("`{name}` is a {kind}, not a table: wrkflw will not migrate or replace it; rename or drop the {kind} first")]
    NotATable {
        /// The name looked up.
        name: String,
        /// What SQLite has under that name (`view` or `index`).
        kind: String,
    },

    /// The table does not exist yet.
    #[error("table `{table}` does not exist; run the migration first")]
    NoSuchTable {
        /// The missing table.
        table: String,
    },

    /// The table exists with a shape the struct does not describe, and `migrate` will not
    /// change it by itself: a difference no statement can settle without losing data (rows
    /// with no value for a new required column, a column holding data that the struct
    /// removed without `drop_columns`, NULLs where the struct says `NOT NULL`, values a new
    /// type would change), or any difference `ALTER TABLE` cannot express while rebuilds are
    /// off ([`Rebuild::Never`](crate::Rebuild::Never)). Each difference says what would settle it.
    #[error(
        "table `{table}` differs from its struct: {}; nothing was changed",
        differences.join("; ")
    )]
    SchemaDrift {
        /// The table.
        table: String,
        /// Each difference, as a sentence naming the column and what would settle it.
        differences: Vec<String>,
    },

    /// The table needs a rebuild, and the connection is inside a transaction: SQLite only
    /// turns foreign keys off (which a rebuild needs, so that dropping the old table does not
    /// cascade) outside one.
    #[error(
        "`{table}` needs a rebuild, which cannot run inside the transaction open on this connection; \
         nothing was changed. Commit or roll it back and migrate again"
    )]
    RebuildInTransaction {
        /// The table.
        table: String,
    },

    /// The client is inside a transaction of its own (a `BEGIN` it sent, or one aborted by an
    /// earlier error). A PostgreSQL migration runs its own transaction: inside the caller's,
    /// its `COMMIT` would commit the caller's work too, and its rollback would discard it.
    #[error(
        "migrating `{table}`: the client is inside a transaction of its own; nothing was changed. \
         Commit or roll it back, then migrate: a migration runs in a transaction of its own"
    )]
    InTransaction {
        /// The table (the first the migrator would run).
        table: String,
    },

    /// The `search_path` puts the session's temporary schema (`pg_temp`) first: PostgreSQL
    /// would create the table there, and drop it when the session ends.
    #[error(
        "migrating `{table}`: the search_path puts the session's temporary schema `{schema}` first, \
         where the table would be dropped when the session ends; nothing was changed. \
         Put a permanent schema first in search_path and migrate again"
    )]
    TemporarySchema {
        /// The table (the first the migrator would run).
        table: String,
        /// The temporary schema (`pg_temp_N`).
        schema: String,
    },

    /// The legacy table is partitioned or has child tables (`INHERITS`), and
    /// [`LegacyTable::Keep`](crate::LegacyTable::Keep) would keep it behind a change capture
    /// that cannot see every write to it: a write to a child table or a `TRUNCATE` of one
    /// partition fires no trigger of the legacy table's, nor does `ATTACH` or `DETACH
    /// PARTITION`. Refused before anything is written.
    #[cfg(feature = "postgres")]
    #[error(
        "cannot keep `{legacy_table}` beside `{table}`: it is a partitioned table or has child \
         tables, and the change capture cannot see every write to it (a write to a child table, a \
         TRUNCATE of one partition, ATTACH or DETACH PARTITION fire no trigger on it), so \
         `{table}` would keep rows `{legacy_table}` no longer holds; nothing was changed. Stop old deployments writing `{legacy_table}`, then migrate \
         with LegacyTable::Drop"
    )]
    PartitionedLegacyTable {
        /// The new table.
        table: String,
        /// The partitioned legacy table.
        legacy_table: String,
    },

    /// The caller's `search_path` finds the legacy table in another schema than the one the
    /// migration creates its table in (`current_schema()`, the first schema of the
    /// `search_path` that exists): migrating would create the table empty and leave the legacy
    /// rows behind. Refused before anything is written.
    #[cfg(feature = "postgres")]
    #[error(
        "cannot migrate `{legacy_table}` into `{table}`: the search_path finds `{legacy_table}` in \
         schema `{legacy_schema}`, but the migration works in schema `{schema}` (the first of the \
         search_path that exists), where `{table}` would be created without its rows; nothing was \
         changed. Put `{legacy_schema}` first in search_path, or move `{legacy_table}` into \
         `{schema}` (ALTER TABLE ... SET SCHEMA)"
    )]
    LegacyTableInOtherSchema {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// The schema holding the legacy table.
        legacy_schema: String,
        /// The schema the migration works in.
        schema: String,
    },

    /// Row-level security hides rows of a table the migration reads from the migrating role
    /// (a policy of the legacy table, under `FORCE ROW LEVEL SECURITY` for its owner): copying
    /// only the rows it sees would lose the others. The transaction was rolled back.
    #[cfg(feature = "postgres")]
    #[error(
        "migrating `{table}`: row-level security hides rows from this role, so they could not \
         all be copied; nothing was changed: {}. Migrate as a role that bypasses it (BYPASSRLS, \
         a superuser, or the table's owner without FORCE ROW LEVEL SECURITY)",
        pg_detail(source)
    )]
    RowLevelSecurity {
        /// The table being migrated.
        table: String,
        /// What the migration was doing.
        step: Step,
        /// PostgreSQL's error, naming the table whose policy applies.
        #[source]
        source: ::postgres::Error,
    },

    /// After a rebuild, rows of the table or rows that reference it break a foreign key.
    #[error(
        "rebuilding `{table}` would break foreign keys: {}; nothing was changed. \
         `PRAGMA foreign_key_check` lists the rows",
        violations.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    ForeignKeyViolations {
        /// The rebuilt table.
        table: String,
        /// Each broken foreign key with its count of rows.
        violations: Vec<ForeignKeyViolation>,
    },

    /// A rebuild's copy did not insert every row of the old table. Planning rules this out; the check
    /// is the proof.
    #[error(
        "rebuilding `{table}`: the copy inserted {copied} of the old table's {expected} rows; nothing \
         was changed"
    )]
    RebuildLostRows {
        /// The table.
        table: String,
        /// Rows in the old table.
        expected: u64,
        /// Rows the copy inserted.
        copied: u64,
    },

    /// The legacy table lacks a column the new table needs a value for.
    #[error(
        "cannot migrate `{legacy_table}` into `{table}`: the legacy table has no column `{column}`, \
         which is NOT NULL without a default in `{table}`; nothing was changed. Make the field an \
         `Option`, give it a `default`, or point `#[wrkflw(rename_from = \"...\")]` at the legacy column that holds it"
    )]
    MissingLegacyColumn {
        /// The new table.
        table: String,
        /// The legacy table.
        legacy_table: String,
        /// The column the legacy table lacks (its legacy name).
        column: String,
    },

    /// Dropping the legacy table would break the foreign keys of other tables.
    #[error(
        "will not drop `{legacy_table}`: {} still reference it by foreign key, and dropping it would \
         delete or orphan their rows; nothing was changed. Point those foreign keys at the new table, \
         or keep the legacy table (LegacyTable::Keep)",
        tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
    )]
    ReferencedByForeignKeys {
        /// The legacy table.
        legacy_table: String,
        /// The tables whose foreign keys reference it.
        tables: Vec<String>,
    },

    /// An index the table needs has a name another table's index already took (index names
    /// are global in SQLite).
    #[error(
        "index `{index}` of `{table}` cannot be created: an index of that name already belongs to \
         `{owner}`; nothing was changed. Rename or drop that index"
    )]
    IndexNameTaken {
        /// The index name.
        index: String,
        /// The table that needs it.
        table: String,
        /// The table it belongs to.
        owner: String,
    },

    /// Rows would point at no row of the table their `references` column names.
    #[error(
        "`{table}`.`{column}` of {} would point at no row of `{parent}` (values such as {}); \
         nothing was changed. Give those rows a `{parent}` row first, or correct or remove them",
        self::rows(*rows), sample_values.join(", ")
    )]
    DanglingReferences {
        /// The referencing table.
        table: String,
        /// The `references` column.
        column: String,
        /// The referenced table.
        parent: String,
        /// How many rows point at nothing.
        rows: u64,
        /// Up to five of the values that point at nothing, as SQL literals.
        sample_values: Vec<String>,
    },

    /// Rows hold the same values in the columns of a unique index.
    #[error(
        "unique index `{index}` of `{table}` cannot hold the rows of `{found_in}`: {duplicates} \
         value{} of ({}) {} held by more than one row (such as {}); nothing was changed. Make \
         those rows differ, or drop `unique` from the struct",
        if *duplicates == 1 { "" } else { "s" },
        columns.join(", "),
        if *duplicates == 1 { "is" } else { "are" },
        sample_values.iter().map(|v| format!("({v})")).collect::<Vec<_>>().join(", ")
    )]
    UniqueViolation {
        /// The table the index is for.
        table: String,
        /// The index.
        index: &'static str,
        /// Its columns.
        columns: &'static [&'static str],
        /// The table whose rows clash: the table itself or its legacy table.
        found_in: String,
        /// How many values are held by more than one row.
        duplicates: u64,
        /// Up to five of those values, as SQL literals.
        sample_values: Vec<String>,
    },

    /// The tables of a [`Migrator`](crate::Migrator) reference each other in a cycle, so
    /// none can be migrated first.
    #[error(
        "the tables {} reference each other in a cycle, so none of them can be migrated first; \
         nothing was changed. Make one of those `references` columns an Option and migrate its \
         table in a later Migrator, or remove one `references`",
        tables.join(" → ")
    )]
    ForeignKeyCycle {
        /// The tables of the cycle, each referencing the next, the last the first.
        tables: Vec<String>,
    },

    /// Another connection held a lock the migration needs for longer than the migrator's
    /// timeout: SQLite's write lock ([`Migrator::busy_timeout`](crate::Migrator::busy_timeout)),
    /// or on PostgreSQL the migration lock another migrator holds, or a table lock
    /// (`PgMigrator::lock_timeout`).
    #[error(
        "migrating `{table}`: another connection held a lock this migration needs for over {} ms \
         while {step}; nothing was changed. Retry once the other writer or migrator is done, or \
         allow longer with the migrator's timeout (Migrator::busy_timeout on SQLite, \
         PgMigrator::lock_timeout on PostgreSQL)",
        timeout.as_millis()
    )]
    Busy {
        /// The table being migrated.
        table: String,
        /// What the migration was waiting to do.
        step: Step,
        /// How long it waited.
        timeout: std::time::Duration,
    },

    /// The database cannot be written: a read-only file, directory or mount, or a connection
    /// opened read-only.
    #[error(
        "migrating `{table}`: the database is read-only ({step}); nothing was changed. \
         Open it read-write, with write permission on the file and its directory"
    )]
    ReadOnly {
        /// The table being migrated.
        table: String,
        /// What the migration was doing.
        step: Step,
    },

    /// The file is not a SQLite database (or is encrypted).
    #[error(
        "migrating `{table}`: the file is not a SQLite database (or is encrypted); nothing was \
         changed. Check the path the connection was opened with"
    )]
    NotADatabase {
        /// The table being migrated.
        table: String,
    },

    /// The disk, or the database's `max_page_count`, filled up.
    #[error(
        "migrating `{table}`: the database is full ({step}): the disk has no space left or \
         PRAGMA max_page_count was reached; nothing was changed. Free space (the copy needs about \
         the legacy table's size again) and migrate again"
    )]
    DiskFull {
        /// The table being migrated.
        table: String,
        /// What the migration was doing.
        step: Step,
    },

    /// The operating system reported an I/O error.
    #[error("migrating `{table}`: I/O error while {step}; nothing was changed. Check the disk and the file: {source}")]
    Io {
        /// The table being migrated.
        table: String,
        /// What the migration was doing.
        step: Step,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },

    /// The progress callback cancelled the migration; it was rolled back and nothing changed.
    #[error(
        "migrating `{table}`: cancelled by the progress callback; the migration was rolled back and nothing was changed"
    )]
    Cancelled {
        /// The table being migrated when the callback cancelled.
        table: String,
    },
}

/// Why a legacy key cannot carry the change capture, in [`Error::CannotCapture`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// It is a generated column.
    Generated,
    /// No `PRIMARY KEY` or `UNIQUE` index of its own makes it unique (for a composite key,
    /// none on exactly its columns).
    NotUnique {
        /// It was unique when the capture was installed: the index was dropped since, and
        /// rows with equal keys may have been taken for one.
        since_installed: bool,
    },
    /// Its type affinity differs from the field's type: distinct legacy keys (`'01'` and
    /// `'1'`) can be one key in the table.
    Affinity {
        /// The legacy column's affinity, e.g. `TEXT`.
        legacy: String,
        /// The field's type.
        field: crate::SqlType,
    },
    /// It compares with another collation than `BINARY`, e.g. `NOCASE` (on PostgreSQL, a
    /// nondeterministic collation).
    Collation {
        /// The collation.
        collation: String,
    },
    /// Its type differs from the table key's (PostgreSQL): the capture finds the table's row
    /// by the legacy key as it is, without a conversion that could fail or make two keys one.
    Type {
        /// The legacy column's type, e.g. `text`.
        legacy: String,
        /// The table key's type, e.g. `bigint`.
        field: &'static str,
    },
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::Generated => f.write_str("is a generated column"),
            KeyProblem::NotUnique { .. } => f.write_str(
                "is not unique there (no PRIMARY KEY or UNIQUE index of its own)",
            ),
            KeyProblem::Affinity { legacy, field } => write!(
                f,
                "has {legacy} affinity there but the field is {field}, so distinct legacy keys can be one key in the table ('01' and '1')"
            ),
            KeyProblem::Collation { collation } => write!(
                f,
                "compares with COLLATE {collation} there, where the table's key compares byte for byte"
            ),
            KeyProblem::Type { legacy, field } => write!(
                f,
                "is {legacy} there but {field} in the table, so the table's row of a legacy key cannot be found without converting it"
            ),
        }
    }
}

impl KeyProblem {
    /// What would settle it, as a sentence.
    fn fix(&self, legacy_table: &str, column: &str) -> String {
        const OR_DROP: &str = ", or migrate with LegacyTable::Drop (no capture is needed when the legacy table goes in the same run)";
        match self {
            KeyProblem::Generated => format!("Read the key from a stored column{OR_DROP}"),
            KeyProblem::NotUnique {
                since_installed: false,
            } => format!(
                "Add `CREATE UNIQUE INDEX ... ON {legacy_table} ({column})` once no two rows share a key{OR_DROP}"
            ),
            KeyProblem::NotUnique {
                since_installed: true,
            } => format!(
                "Add `CREATE UNIQUE INDEX ... ON {legacy_table} ({column})` again once no two rows share a key; \
                 the capture may have taken rows with equal keys for one meanwhile, so compare both tables \
                 before dropping the legacy table"
            ),
            KeyProblem::Affinity { .. } => {
                format!("Give the field the type of the legacy column{OR_DROP}")
            }
            KeyProblem::Collation { .. } => {
                format!("Declare the legacy key without a collation{OR_DROP}")
            }
            KeyProblem::Type { .. } => {
                format!("Give the field the legacy key's type, or convert the legacy column first{OR_DROP}")
            }
        }
    }
}

/// Rows that break one foreign key after a rebuild, in [`Error::ForeignKeyViolations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyViolation {
    /// The table holding the rows (the rebuilt table, or one that references it).
    pub table: String,
    /// The referencing column or columns, joined by `, `.
    pub columns: String,
    /// The table the foreign key references.
    pub parent: String,
    /// How many rows break it.
    pub rows: u64,
}

impl fmt::Display for ForeignKeyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of `{}` ({}) referencing `{}`",
            rows(self.rows),
            self.table,
            self.columns,
            self.parent
        )
    }
}

/// A column of legacy rows that hold NULL where the new table says `NOT NULL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullCount {
    /// The column.
    pub column: String,
    /// How many legacy rows hold NULL in it.
    pub rows: u64,
    /// Up to five of their keys, as SQL literals (`NULL` where the key itself is missing; a
    /// composite key as `('r1', NULL)`).
    pub sample_keys: Vec<String>,
}

fn describe_nulls(nulls: &[NullCount], table: &str) -> String {
    let parts: Vec<String> = nulls
        .iter()
        .map(|n| {
            format!(
                "{} with NULL in `{}` (keys {})",
                rows(n.rows),
                n.column,
                n.sample_keys.join(", ")
            )
        })
        .collect();
    let which = if nulls.len() == 1 {
        "that column is"
    } else {
        "those columns are"
    };
    format!("{} but {which} NOT NULL in `{table}`", parts.join(", "))
}

/// PostgreSQL's own message of an error: the server's severity, message and detail, which
/// the driver's `Display` leaves to the error's source (it shows only "db error").
#[cfg(feature = "postgres")]
fn pg_detail(error: &::postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => error.to_string(),
    }
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
    /// Installing or checking the change capture on the legacy table.
    Capture,
    /// Settling the conflicts the change capture logged.
    Settle,
    /// Dropping the legacy table and its indexes.
    DropLegacy,
    /// `ALTER TABLE ... ADD COLUMN`.
    AddColumn,
    /// `ALTER TABLE ... RENAME COLUMN`.
    RenameColumn,
    /// Rebuilding the table.
    Rebuild,
    /// `PRAGMA foreign_keys`: turning foreign keys off for a rebuild, or back on.
    ForeignKeys,
    /// Reading or writing the migration ledger.
    Ledger,
    /// Locking the legacy table against writes (PostgreSQL's `LOCK TABLE`).
    LockLegacy,
    /// `ALTER TABLE`: changing a column's type, `NOT NULL` or default, dropping a column,
    /// adding or dropping a foreign key (PostgreSQL).
    AlterTable,
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
            Step::Capture => "installing the change capture",
            Step::Settle => "settling conflicts",
            Step::DropLegacy => "dropping the legacy table",
            Step::AddColumn => "adding a column",
            Step::RenameColumn => "renaming a column",
            Step::Rebuild => "rebuilding the table",
            Step::ForeignKeys => "switching foreign keys",
            Step::Ledger => "recording the migration in the ledger",
            Step::LockLegacy => "locking the legacy table against writes",
            Step::AlterTable => "altering the table",
            Step::Commit => "committing",
        })
    }
}

/// Turns a SQLite error of one step into wrkflw's error, waiting the default busy timeout.
pub(crate) fn sqlite_error(table: &str, step: Step) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| classify(table, step, crate::DEFAULT_BUSY_TIMEOUT, source)
}

/// The causes a user can act on (a lock held too long, a read-only or full database, a file
/// that is not a database, an I/O error) get their own variants; anything else is
/// [`Error::Step`].
pub(crate) fn classify(
    table: &str,
    step: Step,
    timeout: std::time::Duration,
    source: rusqlite::Error,
) -> Error {
    use rusqlite::ErrorCode;
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
