//! wrkflw's bookkeeping tables on PostgreSQL, created on first use in the schema the
//! migration works in, with the same columns as on SQLite (see [`crate::LEDGER_TABLE`] and
//! [`crate::CONFLICTS_TABLE`]) in PostgreSQL's types:
//!
//! - `wrkflw_migrations`: one row per migrated table: its legacy table, the rows migrations
//!   copied, the change capture's fingerprint, the conflicts settled, the schema checksum and
//!   when it last ran (unix seconds).
//! - `wrkflw_conflicts`: legacy rows the capture could not carry over, by key: `key_taken`
//!   or `rejected`, pending until `migrate` settles them. `legacy_key` is the key as a JSON
//!   array of its values in field order (`["run-1"]`, `["r1", 3]`), as `jsonb` writes it.
//!
//! PostgreSQL needs no `wrkflw_replaced_keys`: it has no `INSERT OR REPLACE`, and an upsert's
//! update fires the update trigger.

use ::postgres::types::Type;
use ::postgres::Transaction;

use super::sql_text::{qualified, NOW};
use crate::ledger::{CONFLICTS_TABLE, LEDGER_TABLE};

/// Creates the ledger in `schema`.
pub(crate) fn create_ledger_sql(schema: &str) -> String {
    format!(
        "CREATE TABLE {} (
  table_name TEXT NOT NULL PRIMARY KEY,
  legacy_table TEXT NOT NULL,
  rows_copied BIGINT NOT NULL,
  capture TEXT,
  conflicts_settled BIGINT NOT NULL,
  schema_checksum TEXT NOT NULL,
  migrated_at BIGINT NOT NULL
)",
        qualified(schema, LEDGER_TABLE)
    )
}

/// Creates the conflict log in `schema`.
pub(crate) fn create_conflicts_sql(schema: &str) -> String {
    format!(
        "CREATE TABLE {} (
  table_name TEXT NOT NULL,
  legacy_key TEXT NOT NULL,
  reason TEXT NOT NULL,
  detected_at BIGINT NOT NULL,
  settled TEXT,
  settled_at BIGINT,
  PRIMARY KEY (table_name, legacy_key)
)",
        qualified(schema, CONFLICTS_TABLE)
    )
}

/// Records one table's run, replacing its previous row. Parameters: table, legacy table,
/// rows copied, capture, conflicts settled, schema checksum.
pub(crate) fn record_sql(schema: &str) -> String {
    format!(
        "INSERT INTO {}
  (table_name, legacy_table, rows_copied, capture, conflicts_settled, schema_checksum, migrated_at)
VALUES ($1, $2, $3, $4, $5, $6, {NOW})
ON CONFLICT (table_name) DO UPDATE SET
  legacy_table = EXCLUDED.legacy_table, rows_copied = EXCLUDED.rows_copied,
  capture = EXCLUDED.capture, conflicts_settled = EXCLUDED.conflicts_settled,
  schema_checksum = EXCLUDED.schema_checksum, migrated_at = EXCLUDED.migrated_at",
        qualified(schema, LEDGER_TABLE)
    )
}

/// A table's row in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Entry {
    pub(crate) legacy_table: String,
    /// Rows copied by migrations over all runs (the capture's writes are not counted).
    pub(crate) rows_copied: u64,
    /// The fingerprint of the capture installed on the legacy table, if any.
    pub(crate) capture: Option<String>,
    pub(crate) conflicts_settled: u64,
    pub(crate) schema_checksum: String,
}

/// The ledger row of `table` (the ledger exists).
pub(crate) fn read(
    tx: &mut Transaction<'_>,
    schema: &str,
    table: &str,
) -> Result<Option<Entry>, ::postgres::Error> {
    let row = tx.query_typed_opt(
        &format!(
            "SELECT legacy_table, rows_copied, capture, conflicts_settled, schema_checksum
             FROM {} WHERE table_name = $1",
            qualified(schema, LEDGER_TABLE)
        ),
        &[(&table, Type::TEXT)],
    )?;
    row.map(|row| {
        Ok(Entry {
            legacy_table: row.try_get(0)?,
            rows_copied: row.try_get::<_, i64>(1)? as u64,
            capture: row.try_get(2)?,
            conflicts_settled: row.try_get::<_, i64>(3)? as u64,
            schema_checksum: row.try_get(4)?,
        })
    })
    .transpose()
}

/// The tables whose ledger row records a capture installed on `legacy` (the ledger exists).
pub(crate) fn capturing(
    tx: &mut Transaction<'_>,
    schema: &str,
    legacy: &str,
) -> Result<Vec<String>, ::postgres::Error> {
    let rows = tx.query_typed(
        &format!(
            "SELECT table_name FROM {} WHERE legacy_table = $1 AND capture IS NOT NULL
             ORDER BY table_name",
            qualified(schema, LEDGER_TABLE)
        ),
        &[(&legacy, Type::TEXT)],
    )?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// How many entries the conflict log holds for `table` (the log exists).
pub(crate) fn logged(
    tx: &mut Transaction<'_>,
    schema: &str,
    table: &str,
) -> Result<u64, ::postgres::Error> {
    let count: i64 = tx
        .query_typed_one(
            &format!(
                "SELECT count(*) FROM {} WHERE table_name = $1",
                qualified(schema, CONFLICTS_TABLE)
            ),
            &[(&table, Type::TEXT)],
        )?
        .try_get(0)?;
    Ok(count as u64)
}

/// Writes `table`'s ledger row with `record_sql`.
pub(crate) fn record(
    tx: &mut Transaction<'_>,
    sql: &str,
    table: &str,
    entry: &Entry,
) -> Result<(), ::postgres::Error> {
    let rows_copied = entry.rows_copied as i64;
    let conflicts_settled = entry.conflicts_settled as i64;
    tx.query_typed(
        sql,
        &[
            (&table, Type::TEXT),
            (&entry.legacy_table, Type::TEXT),
            (&rows_copied, Type::INT8),
            (&entry.capture, Type::TEXT),
            (&conflicts_settled, Type::INT8),
            (&entry.schema_checksum, Type::TEXT),
        ],
    )?;
    Ok(())
}
