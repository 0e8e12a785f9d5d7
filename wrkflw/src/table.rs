//! What `#[wrkflw_table]` generates for a struct: the [`Table`] trait and its parts.

use rusqlite::{Connection, ToSql};

use crate::{MigrationReport, Plan, Result};

/// A struct annotated with [`#[wrkflw_table]`](crate::wrkflw_table): its table's name, schema
/// and migration, as SQL text fixed at compile time.
///
/// Implemented by the attribute; bring the trait into scope to reach the constants as
/// `WorkflowRun::CREATE_SQL` and call `WorkflowRun::migrate(...)`.
///
/// ```
/// use wrkflw::{wrkflw_table, Table};
///
/// #[wrkflw_table]
/// struct AuditEntry {
///     #[wrkflw(primary_key)]
///     id: i64,
///     message: String,
/// }
///
/// assert_eq!(AuditEntry::TABLE_NAME, "wrkflw_audit_entry");
/// assert_eq!(AuditEntry::LEGACY_TABLE_NAME, None);
/// assert_eq!(AuditEntry::COLUMNS[1].name, "message");
/// ```
pub trait Table {
    /// The table's name: prefix + base name, e.g. `"wrkflw_workflow_runs"`.
    const TABLE_NAME: &'static str;
    /// The legacy table that rows are migrated from (`rename_from`), if any.
    const LEGACY_TABLE_NAME: Option<&'static str>;
    /// `CREATE TABLE IF NOT EXISTS ...` with one line per column, in field order.
    const CREATE_SQL: &'static str;
    /// One `CREATE INDEX IF NOT EXISTS idx_{table}_{column} ...` per `#[wrkflw(index)]` field.
    const INDEX_SQL: &'static [&'static str];
    /// `INSERT INTO {table} (...) SELECT ... FROM {legacy} WHERE true ON CONFLICT (key) DO NOTHING`:
    /// copies the legacy rows whose key is not there yet, and fails (rather than skipping the
    /// row, as `INSERT OR IGNORE` would) on any other constraint. `None` without a legacy table.
    const COPY_SQL: Option<&'static str>;
    /// `DROP TABLE IF EXISTS {legacy}`, which drops the legacy table's indexes with it.
    /// Empty without a legacy table.
    const DROP_LEGACY_SQL: &'static [&'static str];
    /// The columns, in field order.
    const COLUMNS: &'static [Column];
    /// Columns of the existing table that a rebuild may discard although they hold data:
    /// columns whose fields were removed on purpose (`#[wrkflw_table(drop_columns("old"))]`).
    /// Without consent, a rebuild that would discard a column holding any non-NULL value is
    /// refused with [`Error::SchemaDrift`](crate::Error::SchemaDrift); a column that holds only
    /// NULL goes without it. Default: none.
    const DROP_COLUMNS: &'static [&'static str] = &[];
    /// `INSERT INTO {table} (...) VALUES (?1, ...)`: every field, in field order. A `None`
    /// in an `Option` field with a `default` gives way to the default
    /// (`coalesce(?n, default)`).
    const INSERT_SQL: &'static str;
    /// `INSERT_SQL` followed by `ON CONFLICT (key) DO UPDATE SET` every other column; a
    /// `None` in an `Option` field with a `default` keeps the stored value.
    const UPSERT_SQL: &'static str;
    /// `UPDATE {table} SET ... WHERE key = ?n`, the same parameters as `INSERT_SQL`; a `None`
    /// in an `Option` field with a `default` keeps the stored value.
    const UPDATE_SQL: &'static str;
    /// `SELECT` every column `FROM {table} WHERE key = ?1`.
    const SELECT_SQL: &'static str;
    /// `SELECT` every column `FROM {table} ORDER BY key`.
    const SELECT_ALL_SQL: &'static str;
    /// `DELETE FROM {table} WHERE key = ?1`.
    const DELETE_SQL: &'static str;
    /// `SELECT count(*) FROM {table}`.
    const COUNT_SQL: &'static str;

    /// The whole migration as one commented SQL script inside one transaction, for review or
    /// for running by hand. With [`LegacyTable::Keep`] the drop statements are commented out.
    /// The script assumes the legacy table exists; [`Table::migrate`] does not.
    fn migration_sql(legacy: LegacyTable) -> &'static str;

    /// Creates the table and its indexes and copies the legacy table's rows over, in one
    /// transaction. See [`crate::migrate`].
    fn migrate(conn: &mut Connection, legacy: LegacyTable) -> Result<MigrationReport>
    where
        Self: Sized,
    {
        crate::migrate::<Self>(conn, legacy)
    }

    /// The statements [`Table::migrate`] would run on this database now, each with its
    /// reason, without writing anything. See [`crate::plan`].
    fn plan(conn: &Connection, legacy: LegacyTable) -> Result<Plan>
    where
        Self: Sized,
    {
        crate::plan::<Self>(conn, legacy)
    }

    /// Reads a row of any query that selects the table's columns, by column name: a
    /// hand-written `SELECT * FROM ...`, or one with the columns in another order. JSON
    /// columns are decoded with serde.
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>
    where
        Self: Sized;

    /// Reads a row of the generated statements, whose columns come in field order.
    #[doc(hidden)]
    fn __read_ordered(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>
    where
        Self: Sized;

    /// Runs `run` with the row's values as parameters, in field order (JSON columns encoded).
    #[doc(hidden)]
    fn __with_params<R>(
        &self,
        run: &mut dyn FnMut(&[&dyn ToSql]) -> rusqlite::Result<R>,
    ) -> Result<rusqlite::Result<R>>;

    /// Inserts the row. A row with the same key already there is [`Error::KeyExists`].
    ///
    /// [`Error::KeyExists`]: crate::Error::KeyExists
    fn insert(&self, conn: &Connection) -> Result<()>
    where
        Self: Sized,
    {
        crate::rows::insert(self, conn)
    }

    /// Inserts the row, or, when its key is there, updates every other column.
    fn upsert(&self, conn: &Connection) -> Result<()>
    where
        Self: Sized,
    {
        crate::rows::upsert(self, conn)
    }

    /// Updates the row with this row's key; `false` when there is none.
    fn update(&self, conn: &Connection) -> Result<bool>
    where
        Self: Sized,
    {
        crate::rows::update(self, conn)
    }

    /// The row with this key, if there is one.
    fn get(conn: &Connection, key: impl ToSql) -> Result<Option<Self>>
    where
        Self: Sized,
    {
        crate::rows::get(conn, &key)
    }

    /// Deletes the row with this key; `true` when there was one.
    fn delete(conn: &Connection, key: impl ToSql) -> Result<bool>
    where
        Self: Sized,
    {
        crate::rows::delete::<Self>(conn, &key)
    }

    /// Every row, in key order.
    fn all(conn: &Connection) -> Result<Vec<Self>>
    where
        Self: Sized,
    {
        crate::rows::all(conn)
    }

    /// How many rows the table holds.
    fn count(conn: &Connection) -> Result<u64>
    where
        Self: Sized,
    {
        crate::rows::count::<Self>(conn)
    }
}

/// One column of a [`Table`], as declared by a struct field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Column {
    /// The column name (the field name, without `r#`).
    pub name: &'static str,
    /// The declared SQLite type.
    pub sql_type: SqlType,
    /// Whether the column accepts NULL (`Option<T>` fields); all others are `NOT NULL`.
    pub nullable: bool,
    /// Whether this is the table's primary key.
    pub primary_key: bool,
    /// Whether the column has an `idx_{table}_{column}` index.
    pub indexed: bool,
    /// Whether the field is stored as JSON text (`#[wrkflw(json)]`).
    pub json: bool,
    /// The `DEFAULT` expression, as written in the attribute.
    pub default: Option<&'static str>,
    /// The column's name in the legacy table, when `#[wrkflw(rename_from = "...")]` renames
    /// it; the copy reads that column into this one.
    pub rename_from: Option<&'static str>,
}

impl Column {
    /// The name the copy reads from the legacy table: `rename_from`, else [`Column::name`].
    pub fn legacy_name(&self) -> &'static str {
        self.rename_from.unwrap_or(self.name)
    }
}

/// The SQLite type a column is declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// `TEXT`: `String`.
    Text,
    /// `INTEGER`: `i64`, `i32`, `i16`, `i8`, `u32`, `u16`, `u8`, `bool`.
    Integer,
    /// `REAL`: `f64`, `f32`.
    Real,
    /// `BLOB`: `Vec<u8>`.
    Blob,
}

impl SqlType {
    /// The type's name as written in `CREATE TABLE`, e.g. `"TEXT"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Integer => "INTEGER",
            SqlType::Real => "REAL",
            SqlType::Blob => "BLOB",
        }
    }
}

impl std::fmt::Display for SqlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a migration does with the legacy table once its rows are safely copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LegacyTable {
    /// Leave it in place (the default, as the original library did).
    #[default]
    Keep,
    /// Drop it and its indexes, in the same transaction, after the copy is verified.
    Drop,
}
