//! Typed rows: the methods `#[wrkflw_table]` gives a struct, run on the statements it
//! generates. Everything here is generic over the table but needs nothing of its fields, so
//! each struct's generated code stays a few small functions. Statements are prepared once per
//! connection (`prepare_cached`).

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row, RowIndex, Statement, ToSql};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Key, Result, Table};

/// Runs one of the table's statements with the row's values bound, in field order.
fn execute_with<T: Table>(
    row: &T,
    conn: &Connection,
    sql: &str,
    action: &'static str,
) -> Result<usize> {
    let mut stmt = conn.prepare_cached(sql).map_err(failed::<T>(action))?;
    let mut key = None;
    let done = row.__with_params(&mut |params| {
        let done = stmt.execute(params);
        if done.is_err() {
            key = Some(shown_key(key_positions::<T>().map(|at| params[at])));
        }
        done
    })?;
    done.map_err(|source| {
        let extended = match &source {
            rusqlite::Error::SqliteFailure(error, _) => error.extended_code,
            _ => 0,
        };
        // SQLITE_CONSTRAINT_PRIMARYKEY: another row holds the key.
        if extended == 1555 {
            Error::KeyExists {
                table: T::TABLE_NAME.to_owned(),
                key: key.clone().unwrap_or_default(),
            }
        } else {
            failed::<T>(action)(source)
        }
    })
}

pub(crate) fn insert<T: Table>(row: &T, conn: &Connection) -> Result<()> {
    execute_with(row, conn, T::INSERT_SQL, "insert").map(|_| ())
}

pub(crate) fn upsert<T: Table>(row: &T, conn: &Connection) -> Result<()> {
    execute_with(row, conn, T::UPSERT_SQL, "upsert").map(|_| ())
}

pub(crate) fn update<T: Table>(row: &T, conn: &Connection) -> Result<bool> {
    execute_with(row, conn, T::UPDATE_SQL, "update").map(|changed| changed > 0)
}

pub(crate) fn get<T: Table, K: Key>(conn: &Connection, key: &K) -> Result<Option<T>> {
    key.with_params(&mut |params| read_one(conn, T::SELECT_SQL, params, "get"))
}

pub(crate) fn delete<T: Table, K: Key>(conn: &Connection, key: &K) -> Result<bool> {
    let mut stmt = conn
        .prepare_cached(T::DELETE_SQL)
        .map_err(failed::<T>("delete"))?;
    let deleted = key
        .with_params(&mut |params| stmt.execute(params))
        .map_err(failed::<T>("delete"))?;
    Ok(deleted > 0)
}

pub(crate) fn all<T: Table>(conn: &Connection) -> Result<Vec<T>> {
    let mut stmt = conn
        .prepare_cached(T::SELECT_ALL_SQL)
        .map_err(failed::<T>("read"))?;
    read_all(&mut stmt, &[])
}

pub(crate) fn count<T: Table>(conn: &Connection) -> Result<u64> {
    let mut stmt = conn
        .prepare_cached(T::COUNT_SQL)
        .map_err(failed::<T>("count"))?;
    stmt.query_row([], |row| row.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(failed::<T>("count"))
}

/// The rows a generated `find_by_...` statement selects for `values`.
pub fn find<T: Table>(conn: &Connection, sql: &str, values: &[&dyn ToSql]) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(failed::<T>("find"))?;
    read_all(&mut stmt, values)
}

/// The row a generated `find_by_...` statement of a unique index selects for `values`.
pub fn find_one<T: Table>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> Result<Option<T>> {
    read_one(conn, sql, values, "find")
}

/// The first row a generated statement (columns in field order) selects, if any.
fn read_one<T: Table>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    action: &'static str,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(failed::<T>(action))?;
    let mut rows = stmt.query(params).map_err(failed::<T>(action))?;
    match rows.next().map_err(failed::<T>(action))? {
        Some(row) => T::__read_ordered(row)
            .map(Some)
            .map_err(|e| decode_error::<T>(row, e)),
        None => Ok(None),
    }
}

/// Reads every row a generated statement (columns in field order) selects.
pub(crate) fn read_all<T: Table>(
    stmt: &mut Statement<'_>,
    params: &[&dyn ToSql],
) -> Result<Vec<T>> {
    let mut rows = stmt.query(params).map_err(failed::<T>("read"))?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(failed::<T>("read"))? {
        found.push(T::__read_ordered(row).map_err(|e| decode_error::<T>(row, e))?);
    }
    Ok(found)
}

/// A JSON column's value, decoded; SQL NULL is an error (the field is not an `Option`).
pub fn json<V: DeserializeOwned>(row: &Row<'_>, index: impl RowIndex) -> rusqlite::Result<V> {
    let at = index.idx(row.as_ref())?;
    let text: String = row.get(at)?;
    decode_json(at, &text)
}

/// A nullable JSON column's value: SQL NULL is `None`; the text `null` is a value.
pub fn json_opt<V: DeserializeOwned>(
    row: &Row<'_>,
    index: impl RowIndex,
) -> rusqlite::Result<Option<V>> {
    let at = index.idx(row.as_ref())?;
    let text: Option<String> = row.get(at)?;
    text.map(|text| decode_json(at, &text)).transpose()
}

fn decode_json<V: DeserializeOwned>(at: usize, text: &str) -> rusqlite::Result<V> {
    serde_json::from_str(text).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(error))
    })
}

/// A field's value as JSON text, for a JSON column.
pub fn to_json<V: Serialize + ?Sized>(value: &V, table: &str, column: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|error| Error::Encode {
        table: table.to_owned(),
        column: column.to_owned(),
        reason: format!("serde cannot write it as JSON: {error}"),
    })
}

/// An `Option` field's value as JSON text, `None` as SQL NULL.
pub fn to_json_opt<V: Serialize>(
    value: &Option<V>,
    table: &str,
    column: &str,
) -> Result<Option<String>> {
    value
        .as_ref()
        .map(|value| to_json(value, table, column))
        .transpose()
}

/// Where the key's columns are among the fields (and among the generated statements'
/// columns), in field order.
fn key_positions<T: Table>() -> impl Iterator<Item = usize> {
    T::COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| c.primary_key)
        .map(|(at, _)| at)
}

/// A key as SQL literals: `'r1'`, or `('r1', 3)` for a composite key.
fn shown_key<'p>(values: impl Iterator<Item = &'p dyn ToSql>) -> String {
    let shown: Vec<String> = values.map(shown).collect();
    match shown.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    }
}

/// A bound value as an SQL literal, for error messages.
fn shown(value: &dyn ToSql) -> String {
    match value.to_sql() {
        Ok(output) => literal(match &output {
            rusqlite::types::ToSqlOutput::Borrowed(value) => *value,
            rusqlite::types::ToSqlOutput::Owned(value) => value.into(),
            _ => ValueRef::Null,
        }),
        Err(_) => "?".to_owned(),
    }
}

/// A value as SQLite's `quote()` would write it.
fn literal(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(text) => format!("'{}'", String::from_utf8_lossy(text).replace('\'', "''")),
        ValueRef::Blob(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            format!("X'{hex}'")
        }
    }
}

/// A failed decode of `row`, named by table, column and the row's key.
fn decode_error<T: Table>(row: &Row<'_>, error: rusqlite::Error) -> Error {
    let stmt = row.as_ref();
    let column = match &error {
        rusqlite::Error::InvalidColumnType(_, name, _) => name.clone(),
        rusqlite::Error::FromSqlConversionFailure(at, _, _)
        | rusqlite::Error::IntegralValueOutOfRange(at, _) => {
            stmt.column_name(*at).map(str::to_owned).unwrap_or_default()
        }
        _ => String::new(),
    };
    let key: Option<Vec<String>> = key_positions::<T>()
        .map(|at| row.get_ref(at).ok().map(literal))
        .collect();
    let key = key.map(|parts| match parts.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    });
    let reason = match error {
        rusqlite::Error::InvalidColumnType(_, _, rusqlite::types::Type::Null) => {
            "it is NULL but the field is not an Option".to_owned()
        }
        rusqlite::Error::InvalidColumnType(_, _, found) => {
            format!("it holds a {found} value the field's type cannot take")
        }
        rusqlite::Error::FromSqlConversionFailure(_, _, cause) => cause.to_string(),
        rusqlite::Error::IntegralValueOutOfRange(_, value) => {
            format!("{value} is out of the field's range")
        }
        other => other.to_string(),
    };
    Error::Decode {
        table: T::TABLE_NAME.to_owned(),
        column,
        key,
        reason,
    }
}

/// A statement of a row method (or of the storage, on its table) that failed in SQLite.
pub(crate) fn failed<T: Table>(action: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |source| Error::Rows {
        table: T::TABLE_NAME.to_owned(),
        action,
        source,
    }
}
