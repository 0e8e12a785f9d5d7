//! Typed rows on PostgreSQL: the methods of [`PgTable`], run on the statements it generates.
//! Generic over the table but needing nothing of its fields, as `crate::rows` is for SQLite.

use ::postgres::GenericClient;

use super::{PgKey, PgTable};
use crate::{Error, Result};

fn failed<T: PgTable>(action: &'static str) -> impl Fn(::postgres::Error) -> Error {
    move |source| Error::PgRows {
        table: T::TABLE_NAME.to_owned(),
        action,
        source,
    }
}

fn execute_with<T: PgTable>(
    row: &T,
    client: &mut impl GenericClient,
    sql: &str,
    action: &'static str,
) -> Result<u64> {
    row.__pg_with_params(&mut |params| client.execute(sql, params))?
        .map_err(failed::<T>(action))
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
    row.as_ref().map(T::__pg_read_ordered).transpose()
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
    rows.iter().map(T::__pg_read_ordered).collect()
}

pub(crate) fn count<T: PgTable>(client: &mut impl GenericClient) -> Result<u64> {
    let count: i64 = client
        .query_one(T::PG_COUNT_SQL, &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed::<T>("count"))?;
    Ok(count as u64)
}
