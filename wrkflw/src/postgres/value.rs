//! How field values cross to PostgreSQL and back: what the code `#[wrkflw_table]` generates
//! for [`PgTable`](super::PgTable) calls, by absolute path. Not public API.
//!
//! PostgreSQL's integer types are signed and fixed in width, and the `postgres` crate maps
//! each Rust integer to exactly one of them (`i8` to the one-byte `"char"`, `u32` to `oid`).
//! So every field is written as the type its column is declared with (`u32` as `BIGINT`, `u8`
//! as `SMALLINT`, ...) and read back with a checked conversion.

use std::error::Error as StdError;

use ::postgres::row::RowIndex;
use ::postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type, WasNull};
use ::postgres::Row;
use bytes::BytesMut;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Result};

/// A parameter as its column stores it: borrowed where the Rust type is the column's own,
/// converted where it is not.
///
/// Its `Debug` is the value as an SQL literal (`'r1'`, `3`): the parameters reach the row
/// methods as `dyn ToSql`, whose only way to show a value is `Debug`, and an error names a
/// duplicate key that way.
pub enum PgParam<'a> {
    /// The value as it is.
    Value(&'a (dyn ToSql + Sync)),
    /// Text borrowed from a `str`.
    Text(&'a str),
    /// Bytes borrowed from a `[u8]`.
    Bytes(&'a [u8]),
    /// A `BOOLEAN`.
    Bool(bool),
    /// A `SMALLINT`, as it is or widened.
    SmallInt(i16),
    /// An `INTEGER`, as it is or widened.
    Integer(i32),
    /// A `BIGINT`, as it is or widened.
    BigInt(i64),
    /// A JSON value for a `JSONB` column.
    Json(serde_json::Value),
    /// `NULL`, of whatever type the parameter has.
    Null,
}

impl ToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            PgParam::Value(value) => value.to_sql_checked(ty, out),
            PgParam::Text(value) => value.to_sql_checked(ty, out),
            PgParam::Bytes(value) => value.to_sql_checked(ty, out),
            PgParam::Bool(value) => value.to_sql_checked(ty, out),
            PgParam::SmallInt(value) => integer_to_sql((*value).into(), ty, out),
            PgParam::Integer(value) => integer_to_sql((*value).into(), ty, out),
            PgParam::BigInt(value) => integer_to_sql(*value, ty, out),
            PgParam::Json(value) => value.to_sql_checked(ty, out),
            PgParam::Null => Ok(IsNull::Yes),
        }
    }

    /// Any type: the value inside is checked against it (`to_sql` calls the inner value's
    /// `to_sql_checked`), and `NULL` fits every type.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// An integer as the integer type the statement's parameter has, whatever Rust type it came
/// in: `get(&mut client, 3)` passes an `i32` for a `BIGINT` key, as rusqlite would take it.
/// A value the type cannot hold is an error, never a wrapped number.
fn integer_to_sql(
    value: i64,
    ty: &Type,
    out: &mut BytesMut,
) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
    let too_big = || format!("{value} does not fit a {ty} parameter");
    match *ty {
        Type::INT2 => i16::try_from(value)
            .map_err(|_| too_big())?
            .to_sql_checked(ty, out),
        Type::INT4 => i32::try_from(value)
            .map_err(|_| too_big())?
            .to_sql_checked(ty, out),
        _ => value.to_sql_checked(ty, out),
    }
}

/// A field type that can be written to PostgreSQL.
pub trait PgField {
    /// The value as its column stores it.
    fn param(&self) -> PgParam<'_>;
}

macro_rules! as_is {
    ($($ty:ty),*) => {$(
        impl PgField for $ty {
            fn param(&self) -> PgParam<'_> {
                PgParam::Value(self)
            }
        }
    )*};
}
as_is!(f64, f32);

/// Keys are shown in errors (`PgParam::shown`), so the types a key can hold are kept as
/// values that know how to show themselves rather than as `Value`.
macro_rules! by_variant {
    ($($ty:ty => $variant:ident($value:ident => $inner:expr)),*) => {$(
        impl PgField for $ty {
            fn param(&self) -> PgParam<'_> {
                let $value = self;
                PgParam::$variant($inner)
            }
        }
    )*};
}
by_variant!(
    str => Text(value => value),
    String => Text(value => value.as_str()),
    [u8] => Bytes(value => value),
    Vec<u8> => Bytes(value => value.as_slice()),
    bool => Bool(value => *value),
    i16 => SmallInt(value => *value),
    i32 => Integer(value => *value),
    i64 => BigInt(value => *value)
);

macro_rules! widened {
    ($($ty:ty => $variant:ident),*) => {$(
        impl PgField for $ty {
            fn param(&self) -> PgParam<'_> {
                PgParam::$variant((*self).into())
            }
        }
    )*};
}
widened!(i8 => SmallInt, u8 => SmallInt, u16 => Integer, u32 => BigInt);

impl<T: PgField> PgField for Option<T> {
    fn param(&self) -> PgParam<'_> {
        match self {
            Some(value) => value.param(),
            None => PgParam::Null,
        }
    }
}

impl<T: PgField + ?Sized> PgField for &T {
    fn param(&self) -> PgParam<'_> {
        (**self).param()
    }
}

impl PgParam<'_> {
    /// The value as an SQL literal, for error messages: `'r1'`, `3`, `NULL`.
    pub fn shown(&self) -> String {
        match self {
            PgParam::Text(text) => quoted(text),
            PgParam::Bytes(bytes) => bytes_literal(bytes),
            PgParam::Bool(value) => if *value { "TRUE" } else { "FALSE" }.to_owned(),
            PgParam::SmallInt(value) => value.to_string(),
            PgParam::Integer(value) => value.to_string(),
            PgParam::BigInt(value) => value.to_string(),
            PgParam::Json(value) => quoted(&value.to_string()),
            PgParam::Value(value) => format!("{value:?}"),
            PgParam::Null => "NULL".to_owned(),
        }
    }
}

impl std::fmt::Debug for PgParam<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

/// Text as a quoted SQL literal.
pub(crate) fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Bytes as a `BYTEA` literal in hex form.
pub(crate) fn bytes_literal(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("'\\x{hex}'")
}

/// The value of a plain field, for a parameter.
pub fn param<T: PgField + ?Sized>(value: &T) -> PgParam<'_> {
    value.param()
}

/// A JSON field's value, for a `JSONB` parameter.
pub fn json_param<T: Serialize>(value: &T, table: &str, column: &str) -> Result<PgParam<'static>> {
    serde_json::to_value(value)
        .map(PgParam::Json)
        .map_err(|error| Error::Encode {
            table: table.to_owned(),
            column: column.to_owned(),
            reason: error.to_string(),
        })
}

/// An `Option` JSON field's value: `None` is SQL `NULL`.
pub fn json_param_opt<T: Serialize>(
    value: &Option<T>,
    table: &str,
    column: &str,
) -> Result<PgParam<'static>> {
    match value {
        Some(value) => json_param(value, table, column),
        None => Ok(PgParam::Null),
    }
}

/// A field type that can be read from PostgreSQL: read as the type its column stores, then
/// converted.
pub trait PgRead: Sized {
    /// The type the column stores.
    type Stored: for<'a> FromSql<'a>;
    /// The field's value, or why the stored one does not fit it.
    fn convert(stored: Self::Stored) -> std::result::Result<Self, String>;
}

macro_rules! read_as_is {
    ($($ty:ty),*) => {$(
        impl PgRead for $ty {
            type Stored = $ty;
            fn convert(stored: $ty) -> std::result::Result<$ty, String> {
                Ok(stored)
            }
        }
    )*};
}
read_as_is!(String, i64, i32, i16, bool, f64, f32, Vec<u8>);

macro_rules! read_narrowed {
    ($($ty:ty => $stored:ty),*) => {$(
        impl PgRead for $ty {
            type Stored = $stored;
            fn convert(stored: $stored) -> std::result::Result<$ty, String> {
                <$ty>::try_from(stored).map_err(|_| {
                    format!("{stored} does not fit in {}", stringify!($ty))
                })
            }
        }
    )*};
}
read_narrowed!(i8 => i16, u8 => i16, u16 => i32, u32 => i64);

impl<T: PgRead> PgRead for Option<T> {
    type Stored = Option<T::Stored>;
    fn convert(stored: Self::Stored) -> std::result::Result<Self, String> {
        stored.map(T::convert).transpose()
    }
}

fn decode(table: &str, column: &str, reason: impl ToString) -> Error {
    Error::Decode {
        table: table.to_owned(),
        column: column.to_owned(),
        key: None,
        reason: reason.to_string(),
    }
}

/// Why a value could not be read: said as for SQLite where PostgreSQL's words are less clear.
fn read_failed(table: &str, column: &str, error: ::postgres::Error) -> Error {
    let was_null = StdError::source(&error).is_some_and(|cause| cause.is::<WasNull>());
    if was_null {
        decode(table, column, "it is NULL but the field is not an Option")
    } else {
        decode(table, column, error)
    }
}

/// A plain field's value from column `at` (a position or a name).
pub fn read<T: PgRead, I: RowIndex + std::fmt::Display>(
    row: &Row,
    at: I,
    table: &str,
    column: &str,
) -> Result<T> {
    let stored = row
        .try_get::<_, T::Stored>(at)
        .map_err(|error| read_failed(table, column, error))?;
    T::convert(stored).map_err(|reason| decode(table, column, reason))
}

/// A JSON field's value from a `JSONB` (or `JSON`) column.
pub fn read_json<T: DeserializeOwned, I: RowIndex + std::fmt::Display>(
    row: &Row,
    at: I,
    table: &str,
    column: &str,
) -> Result<T> {
    let value = row
        .try_get::<_, serde_json::Value>(at)
        .map_err(|error| read_failed(table, column, error))?;
    serde_json::from_value(value).map_err(|error| decode(table, column, error))
}

/// An `Option` JSON field's value: SQL `NULL` is `None`.
pub fn read_json_opt<T: DeserializeOwned, I: RowIndex + std::fmt::Display>(
    row: &Row,
    at: I,
    table: &str,
    column: &str,
) -> Result<Option<T>> {
    let value = row
        .try_get::<_, Option<serde_json::Value>>(at)
        .map_err(|error| decode(table, column, error))?;
    value
        .map(serde_json::from_value)
        .transpose()
        .map_err(|error| decode(table, column, error))
}
