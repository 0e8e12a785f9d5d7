//! What `#[wrkflw_table]` generates for PostgreSQL: the [`PgTable`] trait and its parts.

use ::postgres::types::ToSql;
use ::postgres::{Client, GenericClient, Row};

use crate::table::key;
use crate::{LegacyTable, MigrationReport, Plan, Result, Table};

/// A [`Table`] on PostgreSQL: the same table's statements written for PostgreSQL, fixed at
/// compile time, its migration and its typed rows on a `postgres` client.
///
/// Implemented by `#[wrkflw_table]` when the `postgres` feature is on. The constants carry a
/// `PG_` prefix so that they never clash with [`Table`]'s SQLite ones.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no PostgreSQL statements",
    label = "needs a #[wrkflw_table] struct, compiled with wrkflw's `postgres` feature"
)]
pub trait PgTable: Table {
    /// `CREATE TABLE IF NOT EXISTS ...` for PostgreSQL, one line per column, in field order.
    const PG_CREATE_SQL: &'static str;
    /// One `CREATE [UNIQUE] INDEX IF NOT EXISTS ...` per entry of [`Table::INDEXES`], in the
    /// same order.
    const PG_INDEX_SQL: &'static [&'static str];
    /// `INSERT INTO {table} (...) SELECT ... FROM {legacy} ON CONFLICT (key) DO NOTHING`, for
    /// a legacy table whose columns have the new table's types. `None` without a legacy
    /// table.
    const PG_COPY_SQL: Option<&'static str>;
    /// `DROP TABLE IF EXISTS {legacy}`. Empty without a legacy table.
    const PG_DROP_LEGACY_SQL: &'static [&'static str];
    /// Each column's PostgreSQL type and default, in field order (parallel to
    /// [`Table::COLUMNS`]).
    const PG_COLUMNS: &'static [PgColumn];
    /// `INSERT INTO {table} (...) VALUES ($1, ...)`: every field, in field order; a `None` in
    /// an `Option` field with a default gives way to the default.
    const PG_INSERT_SQL: &'static str;
    /// `PG_INSERT_SQL` followed by `ON CONFLICT (key) DO UPDATE SET` every other column.
    const PG_UPSERT_SQL: &'static str;
    /// `UPDATE {table} SET ... WHERE key = $n`, the parameters of `PG_INSERT_SQL`.
    const PG_UPDATE_SQL: &'static str;
    /// `SELECT` every column `FROM {table} WHERE key = $1` (`a = $1 AND b = $2` for a
    /// composite key).
    const PG_SELECT_SQL: &'static str;
    /// `SELECT` every column `FROM {table} ORDER BY key`.
    const PG_SELECT_ALL_SQL: &'static str;
    /// `DELETE FROM {table} WHERE key = $1`, binding the key as `PG_SELECT_SQL` does.
    const PG_DELETE_SQL: &'static str;
    /// `SELECT count(*) FROM {table}`.
    const PG_COUNT_SQL: &'static str;

    /// The whole PostgreSQL migration as one commented SQL script inside one transaction, for
    /// review or for running by hand. With [`LegacyTable::Keep`] the drops are commented out.
    fn pg_migration_sql(legacy: LegacyTable) -> &'static str;

    /// Creates the table and its indexes and copies the legacy table's rows over, in one
    /// transaction. See [`crate::postgres::migrate`].
    fn migrate(client: &mut Client, legacy: LegacyTable) -> Result<MigrationReport>
    where
        Self: Sized,
    {
        crate::postgres::migrate::<Self>(client, legacy)
    }

    /// The statements [`PgTable::migrate`] would run on this database now, each with its
    /// reason, without writing anything. See [`crate::postgres::plan`].
    fn plan(client: &mut Client, legacy: LegacyTable) -> Result<Plan>
    where
        Self: Sized,
    {
        crate::postgres::plan::<Self>(client, legacy)
    }

    /// Reads a row of any query that selects the table's columns, by column name (other
    /// columns may come before, between and after them). JSON columns are decoded with serde;
    /// an integer field reads any of PostgreSQL's integer types, so that an expression that
    /// widens a column (`coalesce(smallint_column, 0)` is an `integer`) still reads, and a
    /// value the field cannot hold is [`Error::Decode`](crate::Error::Decode).
    fn from_pg_row(row: &Row) -> Result<Self>
    where
        Self: Sized;

    /// Reads a row of the generated statements, whose columns come in field order.
    #[doc(hidden)]
    fn __pg_read_ordered(row: &Row) -> Result<Self>
    where
        Self: Sized;

    /// Runs `run` with the row's values as parameters, in field order (JSON columns encoded,
    /// integers widened to their column's type).
    #[doc(hidden)]
    fn __pg_with_params<R>(&self, run: &mut dyn FnMut(&[&(dyn ToSql + Sync)]) -> R) -> Result<R>;

    /// Inserts the row. A row with the same key already there is
    /// [`Error::KeyExists`](crate::Error::KeyExists); a value PostgreSQL cannot hold (text
    /// or JSON with a NUL character, which SQLite stores) is
    /// [`Error::Encode`](crate::Error::Encode) naming its column, refused before anything
    /// is sent.
    ///
    /// Inside a transaction, a taken key (or any error of the server) aborts the whole
    /// transaction, where SQLite undoes only the one statement: PostgreSQL refuses every
    /// later statement of it (`Error::PgRows` with SQLSTATE `25P02`,
    /// `in_failed_sql_transaction`) until it is rolled back, and answers a `commit` with a
    /// rollback that the driver does not report as an error. Where a key may be taken, insert
    /// under a savepoint (`tx.savepoint("insert")?`, dropped to roll back to it), or upsert.
    fn insert(&self, client: &mut impl GenericClient) -> Result<()>
    where
        Self: Sized,
    {
        crate::postgres::rows::insert(self, client)
    }

    /// Inserts the row, or, when its key is there, updates every other column. Errors as
    /// [`PgTable::insert`]'s.
    fn upsert(&self, client: &mut impl GenericClient) -> Result<()>
    where
        Self: Sized,
    {
        crate::postgres::rows::upsert(self, client)
    }

    /// Updates the row with this row's key; `false` when there is none.
    fn update(&self, client: &mut impl GenericClient) -> Result<bool>
    where
        Self: Sized,
    {
        crate::postgres::rows::update(self, client)
    }

    /// The row with this key, if there is one. A composite key is a tuple in field order;
    /// its values may be of another type that converts to the column's (an `i32` or a `u8`
    /// for a `BIGINT` key). A key no row can hold (an integer beyond the column's type, text
    /// with a NUL character) finds none, as any other key that is not there.
    fn get(
        client: &mut impl GenericClient,
        key: impl PgKey<Size = Self::KeySize>,
    ) -> Result<Option<Self>>
    where
        Self: Sized,
    {
        crate::postgres::rows::get(client, &key)
    }

    /// Deletes the row with this key; `true` when there was one. Keys as for
    /// [`PgTable::get`].
    fn delete(
        client: &mut impl GenericClient,
        key: impl PgKey<Size = Self::KeySize>,
    ) -> Result<bool>
    where
        Self: Sized,
    {
        crate::postgres::rows::delete::<Self, _>(client, &key)
    }

    /// Every row, in key order.
    fn all(client: &mut impl GenericClient) -> Result<Vec<Self>>
    where
        Self: Sized,
    {
        crate::postgres::rows::all(client)
    }

    /// How many rows the table holds.
    fn count(client: &mut impl GenericClient) -> Result<u64>
    where
        Self: Sized,
    {
        crate::postgres::rows::count::<Self>(client)
    }
}

/// One column's PostgreSQL side: its type and default, beside [`Table::COLUMNS`]' entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PgColumn {
    /// The column name, as in [`Table::COLUMNS`].
    pub name: &'static str,
    /// The declared PostgreSQL type.
    pub pg_type: PgType,
    /// The `DEFAULT` expression for PostgreSQL, without the parentheses `PG_CREATE_SQL`
    /// puts around it: the field's `postgres_default`, or its SQLite `default` translated.
    /// `None` without a default, and for a default of `NULL` (PostgreSQL's catalog keeps
    /// none for it).
    pub default: Option<&'static str>,
}

/// The PostgreSQL type a column is declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgType {
    /// `SMALLINT`: `i16`, `i8`, `u8`.
    SmallInt,
    /// `INTEGER`: `i32`, `u16`.
    Integer,
    /// `BIGINT`: `i64`, `u32`.
    BigInt,
    /// `BOOLEAN`: `bool`.
    Boolean,
    /// `REAL`: `f32`.
    Real,
    /// `DOUBLE PRECISION`: `f64`.
    DoublePrecision,
    /// `TEXT`: `String`.
    Text,
    /// `BYTEA`: `Vec<u8>`.
    Bytea,
    /// `JSONB`: `#[wrkflw(json)]` fields.
    Jsonb,
}

impl PgType {
    /// The type's name as written in `CREATE TABLE`, e.g. `"DOUBLE PRECISION"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PgType::SmallInt => "SMALLINT",
            PgType::Integer => "INTEGER",
            PgType::BigInt => "BIGINT",
            PgType::Boolean => "BOOLEAN",
            PgType::Real => "REAL",
            PgType::DoublePrecision => "DOUBLE PRECISION",
            PgType::Text => "TEXT",
            PgType::Bytea => "BYTEA",
            PgType::Jsonb => "JSONB",
        }
    }

    /// The type's name as PostgreSQL's catalog reports it (`format_type`), e.g.
    /// `"double precision"`.
    pub const fn catalog_name(self) -> &'static str {
        match self {
            PgType::SmallInt => "smallint",
            PgType::Integer => "integer",
            PgType::BigInt => "bigint",
            PgType::Boolean => "boolean",
            PgType::Real => "real",
            PgType::DoublePrecision => "double precision",
            PgType::Text => "text",
            PgType::Bytea => "bytea",
            PgType::Jsonb => "jsonb",
        }
    }
}

impl std::fmt::Display for PgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key given to [`PgTable::get`] and [`PgTable::delete`]: one value, or a tuple in field
/// order for a composite key. As with [`Key`](crate::Key), a key with the wrong number of
/// values is a compile error where it is passed.
pub trait PgKey {
    /// How many values the key holds, as a type.
    type Size: key::Size;
    /// Runs `run` with the key's values as parameters, in order, each converted as its column
    /// stores it.
    fn with_pg_params<R>(&self, run: &mut dyn FnMut(&[&(dyn ToSql + Sync)]) -> R) -> R;
}

/// One value of a [`PgKey`]: the types a key column holds.
pub trait PgKeyPart: super::value::PgField {}

macro_rules! pg_key_parts {
    ($($ty:ty),*) => { $(impl PgKeyPart for $ty {})* };
}
pg_key_parts!(
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
    Vec<u8>
);
impl<T: PgKeyPart + ?Sized> PgKeyPart for &T {}

impl<A: PgKeyPart> PgKey for A {
    type Size = key::One;
    fn with_pg_params<R>(&self, run: &mut dyn FnMut(&[&(dyn ToSql + Sync)]) -> R) -> R {
        let a = self.param();
        run(&[&a])
    }
}

macro_rules! pg_tuple_keys {
    ($($size:ident: $($part:ident $at:tt $local:ident),+;)*) => {$(
        impl<$($part: PgKeyPart),+> PgKey for ($($part,)+) {
            type Size = key::$size;
            fn with_pg_params<R>(&self, run: &mut dyn FnMut(&[&(dyn ToSql + Sync)]) -> R) -> R {
                $(let $local = self.$at.param();)+
                run(&[$(&$local),+])
            }
        }
    )*};
}
pg_tuple_keys! {
    Two: A 0 a, B 1 b;
    Three: A 0 a, B 1 b, C 2 c;
    Four: A 0 a, B 1 b, C 2 c, D 3 d;
    Five: A 0 a, B 1 b, C 2 c, D 3 d, E 4 e;
}
