//! Typed rows on PostgreSQL: the methods of [`PgTable`], run on the statements it generates.
//! Generic over the table but needing nothing of its fields, as `crate::rows` is for SQLite.
//!
//! Every statement goes with its parameters' types (each column's declared type), so that
//! the driver sends it, binds it and runs it in one round trip (`execute_typed`,
//! `query_typed`) instead of preparing it first and waiting for the server to describe it,
//! which `client.execute("...", ...)` does: on a local server that halves an insert's time.

use ::postgres::error::SqlState;
use ::postgres::types::{ToSql, Type};
use ::postgres::{GenericClient, Row};

use super::value::{bytes_literal, quoted, Refused};
use super::{PgKey, PgTable, PgType};
use crate::{Error, Result};

type Param<'p> = &'p (dyn ToSql + Sync);

fn failed<T: PgTable>(action: &'static str) -> impl Fn(::postgres::Error) -> Error {
    move |source| Error::PgRows {
        table: T::TABLE_NAME.to_owned(),
        action,
        source,
    }
}

/// The driver's type for a column's declared type.
fn wire_type(pg_type: PgType) -> Type {
    match pg_type {
        PgType::SmallInt => Type::INT2,
        PgType::Integer => Type::INT4,
        PgType::BigInt => Type::INT8,
        PgType::Boolean => Type::BOOL,
        PgType::Real => Type::FLOAT4,
        PgType::DoublePrecision => Type::FLOAT8,
        PgType::Text => Type::TEXT,
        PgType::Bytea => Type::BYTEA,
        PgType::Jsonb => Type::JSONB,
    }
}

/// `params`, each with the type of the column at the same place in `columns` (positions in
/// [`PgTable::PG_COLUMNS`]).
fn typed<'p, T: PgTable>(
    params: &[Param<'p>],
    columns: impl Iterator<Item = usize>,
) -> Vec<(Param<'p>, Type)> {
    params
        .iter()
        .zip(columns)
        .map(|(param, at)| {
            let pg_type = T::PG_COLUMNS.get(at).map_or(PgType::Text, |c| c.pg_type);
            (*param, wire_type(pg_type))
        })
        .collect()
}

/// How a row's statement failed, told apart while its parameters are at hand.
enum Failure {
    /// Another row holds the key, shown as SQL literals.
    KeyExists(String),
    /// A value was refused before it was sent: its column's position and why.
    Refused(usize, String),
    Other,
}

/// Runs one of the table's statements with the row's values as parameters, in field order.
/// A duplicate key is [`Error::KeyExists`], as on SQLite; a value PostgreSQL cannot hold is
/// [`Error::Encode`], naming its column.
fn execute_with<T: PgTable>(
    row: &T,
    client: &mut impl GenericClient,
    sql: &str,
    action: &'static str,
) -> Result<u64> {
    let mut failure = Failure::Other;
    let done = row.__pg_with_params(&mut |params| {
        let typed = typed::<T>(params, 0..params.len());
        let done = client.execute_typed(sql, &typed);
        if let Err(error) = &done {
            failure = if is_key_violation::<T>(error) {
                Failure::KeyExists(shown_key(key_positions::<T>().map(|at| params[at])))
            } else {
                refused_in(error, &typed)
                    .map_or(Failure::Other, |(at, why)| Failure::Refused(at, why))
            };
        }
        done
    })?;
    done.map_err(|source| match &failure {
        Failure::KeyExists(key) => Error::KeyExists {
            table: T::TABLE_NAME.to_owned(),
            key: key.clone(),
        },
        Failure::Refused(at, reason) => Error::Encode {
            table: T::TABLE_NAME.to_owned(),
            column: T::COLUMNS.get(*at).map_or("", |c| c.name).to_owned(),
            reason: reason.clone(),
        },
        Failure::Other => failed::<T>(action)(source),
    })
}

/// Which of `params` was refused before the statement was sent, and why, when that is why
/// the statement failed.
fn refused_in(error: &::postgres::Error, params: &[(Param<'_>, Type)]) -> Option<(usize, String)> {
    if !Refused::caused(error) {
        return None;
    }
    params
        .iter()
        .enumerate()
        .find_map(|(at, (param, ty))| Refused::by(*param, ty).map(|why| (at, why)))
}

/// A lookup whose value was refused before it was sent (text with a NUL character, an
/// integer beyond its column's type) finds nothing: no stored row can hold that value.
fn or_nothing<R>(done: Result<R, ::postgres::Error>, nothing: R) -> Result<R, ::postgres::Error> {
    match done {
        Err(error) if Refused::caused(&error) => Ok(nothing),
        done => done,
    }
}

/// Whether PostgreSQL refused a row because another holds its primary key: a unique
/// violation (23505) of the key's constraint, which PostgreSQL names `{table}_pkey` (the
/// table's name cut to 58 bytes, so that the whole fits in 63). Other unique indexes stay
/// errors of the statement.
fn is_key_violation<T: PgTable>(error: &::postgres::Error) -> bool {
    let Some(db) = error.as_db_error() else {
        return false;
    };
    let table = T::TABLE_NAME;
    let cut = &table[..table.len().min(58)];
    db.code() == &SqlState::UNIQUE_VIOLATION
        && db
            .constraint()
            .is_some_and(|name| name.strip_suffix("_pkey") == Some(cut))
}

/// Where the key's columns are among the fields (and the generated statements' columns).
fn key_positions<T: PgTable>() -> impl Iterator<Item = usize> {
    T::COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| c.primary_key)
        .map(|(at, _)| at)
}

/// A key as SQL literals: `'r1'`, or `('r1', 3)` for a composite key.
fn shown_key<'p>(values: impl Iterator<Item = Param<'p>>) -> String {
    let shown: Vec<String> = values.map(|value| format!("{value:?}")).collect();
    joined_key(shown)
}

fn joined_key(parts: Vec<String>) -> String {
    match parts.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    }
}

pub(crate) fn insert<T: PgTable>(row: &T, client: &mut impl GenericClient) -> Result<()> {
    execute_with(row, client, T::PG_INSERT_SQL, "insert").map(|_| ())
}

pub(crate) fn upsert<T: PgTable>(row: &T, client: &mut impl GenericClient) -> Result<()> {
    execute_with(row, client, T::PG_UPSERT_SQL, "upsert").map(|_| ())
}

pub(crate) fn update<T: PgTable>(row: &T, client: &mut impl GenericClient) -> Result<bool> {
    execute_with(row, client, T::PG_UPDATE_SQL, "update").map(|changed| changed > 0)
}

pub(crate) fn get<T: PgTable, K: PgKey>(
    client: &mut impl GenericClient,
    key: &K,
) -> Result<Option<T>> {
    let row = key
        .with_pg_params(&mut |params| {
            let typed = typed::<T>(params, key_positions::<T>());
            or_nothing(client.query_typed_opt(T::PG_SELECT_SQL, &typed), None)
        })
        .map_err(failed::<T>("get"))?;
    row.as_ref().map(read_row::<T>).transpose()
}

pub(crate) fn delete<T: PgTable, K: PgKey>(
    client: &mut impl GenericClient,
    key: &K,
) -> Result<bool> {
    let deleted = key
        .with_pg_params(&mut |params| {
            let typed = typed::<T>(params, key_positions::<T>());
            or_nothing(client.execute_typed(T::PG_DELETE_SQL, &typed), 0)
        })
        .map_err(failed::<T>("delete"))?;
    Ok(deleted > 0)
}

pub(crate) fn all<T: PgTable>(client: &mut impl GenericClient) -> Result<Vec<T>> {
    let rows = client
        .query_typed(T::PG_SELECT_ALL_SQL, &[])
        .map_err(failed::<T>("read"))?;
    rows.iter().map(read_row::<T>).collect()
}

pub(crate) fn count<T: PgTable>(client: &mut impl GenericClient) -> Result<u64> {
    let count: i64 = client
        .query_typed_one(T::PG_COUNT_SQL, &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed::<T>("count"))?;
    Ok(count as u64)
}

/// The rows a generated `pg_find_by_...` statement selects for `values`, the values of the
/// columns at `columns` (positions in [`PgTable::PG_COLUMNS`]).
pub fn find<T: PgTable>(
    client: &mut impl GenericClient,
    sql: &str,
    columns: &[usize],
    values: &[Param<'_>],
) -> Result<Vec<T>> {
    let typed = typed::<T>(values, columns.iter().copied());
    let rows =
        or_nothing(client.query_typed(sql, &typed), Vec::new()).map_err(failed::<T>("find"))?;
    rows.iter().map(read_row::<T>).collect()
}

/// The row a generated `pg_find_by_...` statement of a unique index selects for `values`, as
/// [`find`].
pub fn find_one<T: PgTable>(
    client: &mut impl GenericClient,
    sql: &str,
    columns: &[usize],
    values: &[Param<'_>],
) -> Result<Option<T>> {
    let typed = typed::<T>(values, columns.iter().copied());
    let row = or_nothing(client.query_typed_opt(sql, &typed), None).map_err(failed::<T>("find"))?;
    row.as_ref().map(read_row::<T>).transpose()
}

/// Reads a row of a generated statement (columns in field order); a value that does not fit
/// its field is named with the row's key, as on SQLite.
fn read_row<T: PgTable>(row: &Row) -> Result<T> {
    T::__pg_read_ordered(row).map_err(|error| match error {
        Error::Decode {
            table,
            column,
            key: None,
            reason,
        } => Error::Decode {
            table,
            column,
            key: row_key::<T>(row),
            reason,
        },
        other => other,
    })
}

/// The row's key as SQL literals, when every key column reads as its declared type.
fn row_key<T: PgTable>(row: &Row) -> Option<String> {
    let parts: Option<Vec<String>> = key_positions::<T>()
        .map(|at| shown_value(row, at, T::PG_COLUMNS.get(at)?.pg_type))
        .collect();
    parts.map(joined_key)
}

fn shown_value(row: &Row, at: usize, pg_type: PgType) -> Option<String> {
    fn text<V: for<'a> ::postgres::types::FromSql<'a> + ToString>(
        row: &Row,
        at: usize,
    ) -> Option<String> {
        row.try_get::<_, V>(at).ok().map(|value| value.to_string())
    }
    match pg_type {
        PgType::Text => row.try_get::<_, String>(at).ok().map(|t| quoted(&t)),
        PgType::Bytea => row
            .try_get::<_, Vec<u8>>(at)
            .ok()
            .map(|b| bytes_literal(&b)),
        PgType::Boolean => row
            .try_get::<_, bool>(at)
            .ok()
            .map(|b| if b { "TRUE" } else { "FALSE" }.to_owned()),
        PgType::SmallInt => text::<i16>(row, at),
        PgType::Integer => text::<i32>(row, at),
        PgType::BigInt => text::<i64>(row, at),
        PgType::Real => text::<f32>(row, at),
        PgType::DoublePrecision => text::<f64>(row, at),
        PgType::Jsonb => None,
    }
}
