//! How field values cross to PostgreSQL and back: what the code `#[wrkflw_table]` generates
//! for [`PgTable`](super::PgTable) calls, by absolute path. Not public API.
//!
//! PostgreSQL's integer types are signed and fixed in width, and the `postgres` crate maps
//! each Rust integer to exactly one of them (`i8` to the one-byte `"char"`, `u32` to `oid`).
//! So every field is written as the type its column is declared with (`u32` as `BIGINT`, `u8`
//! as `SMALLINT`, ...) and read back, from any integer type, with a checked conversion.

use std::error::Error as StdError;

use ::postgres::row::RowIndex;
use ::postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type, WasNull, WrongType};
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
            PgParam::Text(value) => {
                if let Some(at) = value.bytes().position(|b| b == 0) {
                    return Err(Box::new(Refused(format!(
                        "it holds a NUL character (\\0) at byte {at}, which PostgreSQL cannot store in {ty}"
                    ))));
                }
                value.to_sql_checked(ty, out)
            }
            PgParam::Bytes(value) => value.to_sql_checked(ty, out),
            PgParam::Bool(value) => value.to_sql_checked(ty, out),
            PgParam::SmallInt(value) => integer_to_sql((*value).into(), ty, out),
            PgParam::Integer(value) => integer_to_sql((*value).into(), ty, out),
            PgParam::BigInt(value) => integer_to_sql(*value, ty, out),
            PgParam::Json(value) => {
                if holds_nul(value) {
                    return Err(Box::new(Refused(format!(
                        "a string in it holds a NUL character (\\u0000), which PostgreSQL cannot store in {ty}"
                    ))));
                }
                value.to_sql_checked(ty, out)
            }
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

/// A value PostgreSQL cannot hold as its parameter's type: text or JSON with a NUL character,
/// an integer beyond the column's type. Raised by [`PgParam`]'s `to_sql`, before anything is
/// sent, so that a caller's transaction is not aborted by it; the row methods turn it into
/// [`Error::Encode`] for a value written, and into "no such row" for a value looked up (no
/// stored row can hold it).
#[derive(Debug)]
pub(crate) struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refused {}

impl Refused {
    /// Why `value` was refused, when it was: PostgreSQL's type is `ty`.
    pub(crate) fn by(value: &(dyn ToSql + Sync), ty: &Type) -> Option<String> {
        let refused = value.to_sql_checked(ty, &mut BytesMut::new()).err()?;
        refused.downcast_ref::<Refused>().map(|r| r.0.clone())
    }

    /// Whether `error` is a statement's parameter refused before it was sent.
    pub(crate) fn caused(error: &::postgres::Error) -> bool {
        StdError::source(error).is_some_and(|cause| cause.is::<Refused>())
    }
}

/// Whether a string anywhere in the JSON value, or a key, holds a NUL character.
fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// An integer as the integer type the statement's parameter has, whatever Rust type it came
/// in: `get(&mut client, 3)` passes an `i32` for a `BIGINT` key, as rusqlite would take it.
/// A value the type cannot hold is [`Refused`], never a wrapped number.
fn integer_to_sql(
    value: i64,
    ty: &Type,
    out: &mut BytesMut,
) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
    let too_big = || Refused(format!("{value} does not fit in {ty}"));
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
            reason: format!("serde cannot write it as JSON: {error}"),
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
read_as_is!(String, bool, f64, f32, Vec<u8>);

/// A value of any of PostgreSQL's integer types. An integer field reads any of them, as
/// SQLite's one integer type would give it: a hand-written query's expression often widens
/// a column (`coalesce(smallint_column, 0)` is an `integer`, `sum` a `bigint`). A value the
/// field cannot hold is a `Decode` error, never a wrapped number.
pub struct AnyInteger(i64);

impl<'a> FromSql<'a> for AnyInteger {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        match *ty {
            Type::INT2 => i16::from_sql(ty, raw).map(|v| AnyInteger(v.into())),
            Type::INT4 => i32::from_sql(ty, raw).map(|v| AnyInteger(v.into())),
            _ => i64::from_sql(ty, raw).map(AnyInteger),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8)
    }
}

macro_rules! read_integer {
    ($($ty:ty),*) => {$(
        impl PgRead for $ty {
            type Stored = AnyInteger;
            fn convert(AnyInteger(stored): AnyInteger) -> std::result::Result<$ty, String> {
                <$ty>::try_from(stored).map_err(|_| {
                    format!("{stored} does not fit in {}", stringify!($ty))
                })
            }
        }
    )*};
}
read_integer!(i64, i32, i16, i8, u32, u16, u8);

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

/// Why a value could not be read: said as for SQLite where PostgreSQL's words are less clear
/// ("error deserializing column 3" says neither what was there nor what was wanted).
fn read_failed<T>(row: &Row, table: &str, column: &str, error: ::postgres::Error) -> Error {
    match StdError::source(&error) {
        Some(cause) if cause.is::<WasNull>() => {
            decode(table, column, "it is NULL but the field is not an Option")
        }
        Some(cause) if cause.is::<WrongType>() => {
            let found = row
                .columns()
                .iter()
                .find(|c| c.name() == column)
                .map_or_else(String::new, |c| format!("`{}` ", c.type_()));
            decode(
                table,
                column,
                format!(
                    "the query gives it as PostgreSQL's {found}type, which a field of type `{}` cannot be read from",
                    short_type_name::<T>()
                ),
            )
        }
        Some(cause) => decode(table, column, cause),
        None => decode(table, column, error),
    }
}

/// `T`'s name without module paths: `Option<String>` for
/// `core::option::Option<alloc::string::String>`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut short = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            short.push_str(word.rsplit("::").next().unwrap_or_default());
            word.clear();
            short.push(c);
        }
    }
    short.pop();
    short
}

/// Whether the row's first columns are the table's, in field order (`SELECT *`, or the
/// generated statements): then `from_pg_row` reads them by position, which finds the same
/// columns as by name (the first of that name) without searching the row's columns for each
/// field (the `pg_rows` bench measured that search at 4 % of reading the seed's rows).
pub fn in_field_order(row: &Row, columns: &[crate::Column]) -> bool {
    let found = row.columns();
    found.len() >= columns.len()
        && columns
            .iter()
            .zip(found)
            .all(|(column, found)| found.name() == column.name)
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
        .map_err(|error| read_failed::<T>(row, table, column, error))?;
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
        .map_err(|error| read_failed::<T>(row, table, column, error))?;
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
        .map_err(|error| read_failed::<Option<T>>(row, table, column, error))?;
    value
        .map(serde_json::from_value)
        .transpose()
        .map_err(|error| decode(table, column, error))
}
