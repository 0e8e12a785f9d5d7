//! Typed rows on PostgreSQL: the methods of [`PgTable`], run on the statements it generates.
//! Generic over the table but needing nothing of its fields, as `crate::rows` is for SQLite.

use ::postgres::error::SqlState;
use ::postgres::types::ToSql;
use ::postgres::{GenericClient, Row};

use super::value::{bytes_literal, quoted};
use super::{PgKey, PgTable, PgType};
use crate::{Error, Result};

fn failed<T: PgTable>(action: &'static str) -> impl Fn(::postgres::Error) -> Error {
    move |source| Error::PgRows {
        table: T::TABLE_NAME.to_owned(),
        action,
        source,
    }
}

/// Runs one of the table's statements with the row's values as parameters, in field order.
/// A duplicate key is [`Error::KeyExists`], as on SQLite.
fn execute_with<T: PgTable>(
    row: &T,
    client: &mut impl GenericClient,
    sql: &str,
    action: &'static str,
) -> Result<u64> {
    let mut key = String::new();
    let done = row.__pg_with_params(&mut |params| {
        let done = client.execute(sql, params);
        if done.as_ref().is_err_and(is_key_violation::<T>) {
            key = shown_key(key_positions::<T>().map(|at| params[at]));
        }
        done
    })?;
    done.map_err(|source| {
        if is_key_violation::<T>(&source) {
            Error::KeyExists {
                table: T::TABLE_NAME.to_owned(),
                key: key.clone(),
            }
        } else {
            failed::<T>(action)(source)
        }
    })
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
fn shown_key<'p>(values: impl Iterator<Item = &'p (dyn ToSql + Sync)>) -> String {
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
        .with_pg_params(&mut |params| client.query_opt(T::PG_SELECT_SQL, params))
        .map_err(failed::<T>("get"))?;
    row.as_ref().map(read_row::<T>).transpose()
}

pub(crate) fn delete<T: PgTable, K: PgKey>(
    client: &mut impl GenericClient,
    key: &K,
) -> Result<bool> {
    let deleted = key
        .with_pg_params(&mut |params| client.execute(T::PG_DELETE_SQL, params))
        .map_err(failed::<T>("delete"))?;
    Ok(deleted > 0)
}

pub(crate) fn all<T: PgTable>(client: &mut impl GenericClient) -> Result<Vec<T>> {
    let rows = client
        .query(T::PG_SELECT_ALL_SQL, &[])
        .map_err(failed::<T>("read"))?;
    rows.iter().map(read_row::<T>).collect()
}

pub(crate) fn count<T: PgTable>(client: &mut impl GenericClient) -> Result<u64> {
    let count: i64 = client
        .query_one(T::PG_COUNT_SQL, &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed::<T>("count"))?;
    Ok(count as u64)
}

/// The rows a generated `pg_find_by_...` statement selects for `values`.
pub fn find<T: PgTable>(
    client: &mut impl GenericClient,
    sql: &str,
    values: &[&(dyn ToSql + Sync)],
) -> Result<Vec<T>> {
    let rows = client.query(sql, values).map_err(failed::<T>("find"))?;
    rows.iter().map(read_row::<T>).collect()
}

/// The row a generated `pg_find_by_...` statement of a unique index selects for `values`.
pub fn find_one<T: PgTable>(
    client: &mut impl GenericClient,
    sql: &str,
    values: &[&(dyn ToSql + Sync)],
) -> Result<Option<T>> {
    let row = client.query_opt(sql, values).map_err(failed::<T>("find"))?;
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
