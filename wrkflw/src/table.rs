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
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a #[wrkflw_table] struct",
    label = "needs a struct annotated with #[wrkflw_table]"
)]
pub trait Table {
    /// The table's name: prefix + base name, e.g. `"wrkflw_workflow_runs"`.
    const TABLE_NAME: &'static str;
    /// The legacy table that rows are migrated from (`rename_from`), if any.
    const LEGACY_TABLE_NAME: Option<&'static str>;
    /// `CREATE TABLE IF NOT EXISTS ...` with one line per column, in field order.
    const CREATE_SQL: &'static str;
    /// One `CREATE [UNIQUE] INDEX IF NOT EXISTS ...` per entry of [`Table::INDEXES`], in
    /// the same order.
    const INDEX_SQL: &'static [&'static str];
    /// The table's indexes: `#[wrkflw(index)]` and `#[wrkflw(unique)]` fields, then the
    /// struct's `index(...)` and `unique(...)` lists, in the order written.
    const INDEXES: &'static [Index];
    /// Whether the table is declared `STRICT` (`#[wrkflw_table(strict)]`).
    const STRICT: bool = false;
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
    /// `SELECT` every column `FROM {table} WHERE key = ?1` (`a = ?1 AND b = ?2` for a
    /// composite key, in field order).
    const SELECT_SQL: &'static str;
    /// `SELECT` every column `FROM {table} ORDER BY key`.
    const SELECT_ALL_SQL: &'static str;
    /// `DELETE FROM {table} WHERE key = ?1`, binding the key as `SELECT_SQL` does.
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

    /// How many columns the primary key has, as a type ([`key::One`], [`key::Two`], ...):
    /// `get` and `delete` take a [`Key`] of the same size, so a key with the wrong number of
    /// values is a type error where it is passed.
    type KeySize: key::Size;

    /// The row with this key, if there is one. A composite key is a tuple in field order:
    /// `Step::get(&conn, ("r1", 3))`.
    fn get(conn: &Connection, key: impl Key<Size = Self::KeySize>) -> Result<Option<Self>>
    where
        Self: Sized,
    {
        crate::rows::get(conn, &key)
    }

    /// Deletes the row with this key (a tuple for a composite key); `true` when there was one.
    fn delete(conn: &Connection, key: impl Key<Size = Self::KeySize>) -> Result<bool>
    where
        Self: Sized,
    {
        crate::rows::delete::<Self, _>(conn, &key)
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
    /// Whether the column is the table's primary key or, for a composite key, part of it.
    pub primary_key: bool,
    /// Whether the column has an `idx_{table}_{column}` index.
    pub indexed: bool,
    /// Whether the column alone is unique (`#[wrkflw(unique)]`): its index is
    /// `uq_{table}_{column}`.
    pub unique: bool,
    /// The table and key this column refers to (`#[wrkflw(references = Other)]`).
    pub references: Option<ForeignKey>,
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

/// A column's `REFERENCES` clause: the referenced table's name and primary key, resolved at
/// compile time from the struct named in `#[wrkflw(references = ...)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForeignKey {
    /// The referenced table, e.g. `"wrkflw_workflow_runs"`.
    pub table: &'static str,
    /// Its primary-key column.
    pub column: &'static str,
    /// What deleting the referenced row does to this one.
    pub on_delete: OnDelete,
}

/// A foreign key's `ON DELETE` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnDelete {
    /// `NO ACTION`, SQLite's default: the delete fails at commit while rows still refer.
    #[default]
    NoAction,
    /// `RESTRICT`: the delete fails at once while rows still refer.
    Restrict,
    /// `SET NULL`: referring rows get NULL.
    SetNull,
    /// `SET DEFAULT`: referring rows get the column's default.
    SetDefault,
    /// `CASCADE`: referring rows are deleted too.
    Cascade,
}

impl OnDelete {
    /// The action as SQL writes it, e.g. `"CASCADE"`.
    pub const fn as_sql(self) -> &'static str {
        match self {
            OnDelete::NoAction => "NO ACTION",
            OnDelete::Restrict => "RESTRICT",
            OnDelete::SetNull => "SET NULL",
            OnDelete::SetDefault => "SET DEFAULT",
            OnDelete::Cascade => "CASCADE",
        }
    }
}

/// One index of a [`Table`]: a field's `index` or `unique`, or a struct's
/// `index(a, b)` / `unique(a, b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Index {
    /// `idx_{table}_{a}_{b}`, or `uq_{table}_{a}_{b}` for a unique index.
    pub name: &'static str,
    /// The indexed columns, in order.
    pub columns: &'static [&'static str],
    /// Whether the index is `UNIQUE`.
    pub unique: bool,
}

/// A key given to [`Table::get`] and [`Table::delete`]: one value for a single-column key,
/// a tuple in field order for a composite one (`("r1", 3)`).
///
/// A key with the wrong number of values for its table is a compile error where `get` or
/// `delete` is called: its [`Key::Size`] is not the table's [`Table::KeySize`].
pub trait Key {
    /// How many values the key holds, as a type.
    type Size: key::Size;
    /// Runs `run` with the key's values as parameters, in order.
    fn with_params<R>(&self, run: &mut dyn FnMut(&[&dyn ToSql]) -> R) -> R;
}

/// One value of a [`Key`]: the types a key column holds.
pub trait KeyPart: ToSql {}

macro_rules! key_parts {
    ($($ty:ty),*) => { $(impl KeyPart for $ty {})* };
}
key_parts!(
    str,
    String,
    i64,
    i32,
    i16,
    i8,
    u32,
    u16,
    u8,
    bool,
    f64,
    f32,
    [u8],
    Vec<u8>,
    rusqlite::types::Value
);
impl<T: KeyPart + ?Sized> KeyPart for &T {}

impl<A: KeyPart> Key for A {
    type Size = key::One;
    fn with_params<R>(&self, run: &mut dyn FnMut(&[&dyn ToSql]) -> R) -> R {
        run(&[self])
    }
}

macro_rules! tuple_keys {
    ($($size:ident: $($part:ident $at:tt),+;)*) => {$(
        impl<$($part: KeyPart),+> Key for ($($part,)+) {
            type Size = key::$size;
            fn with_params<R>(&self, run: &mut dyn FnMut(&[&dyn ToSql]) -> R) -> R {
                run(&[$(&self.$at),+])
            }
        }
    )*};
}
tuple_keys! {
    Two: A 0, B 1;
    Three: A 0, B 1, C 2;
    Four: A 0, B 1, C 2, D 3;
    Five: A 0, B 1, C 2, D 3, E 4;
}

/// The sizes of keys, as types, so that a key's size is checked where it is passed.
pub mod key {
    /// A key size: [`One`] to [`Five`] values.
    pub trait Size {
        /// The number of values.
        const LEN: usize;
    }

    macro_rules! sizes {
        ($($name:ident $len:literal $doc:literal;)*) => {$(
            #[doc = $doc]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum $name {}
            impl Size for $name {
                const LEN: usize = $len;
            }
        )*};
    }
    sizes! {
        One 1 "A one-column key: one value.";
        Two 2 "A two-column key: a pair.";
        Three 3 "A three-column key: a triple.";
        Four 4 "A four-column key: a 4-tuple.";
        Five 5 "A five-column key: a 5-tuple.";
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
