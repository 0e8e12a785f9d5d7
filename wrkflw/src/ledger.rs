//! wrkflw's bookkeeping tables, in the migrated database beside the user's tables:
//!
//! - `wrkflw_migrations`, the ledger: one row per migrated table, recording its legacy
//!   table, the rows migrations copied, the change capture installed on the legacy table
//!   (a checksum of its triggers), the conflicts settled and the schema checksum.
//! - `wrkflw_conflicts`: legacy rows the capture could not carry over, by key: `key_taken`
//!   (the table holds another row under that key) or `rejected` (a NULL where the table
//!   says `NOT NULL`), pending until `migrate` settles them, and the settled ones while their
//!   legacy row lives.
//! - `wrkflw_replaced_keys`: keys an `INSERT OR REPLACE` is replacing in the legacy table,
//!   marked by the capture for the length of one statement.

use rusqlite::{params, Connection, OptionalExtension};

use crate::schema;

/// The ledger's table name. `#[wrkflw_table]` refuses a struct that would take it.
pub const LEDGER_TABLE: &str = "wrkflw_migrations";

/// The table where the change capture logs conflicts, one row per legacy key: `table_name`,
/// `legacy_key`, `reason` (`key_taken` or `rejected`), `detected_at`, `settled` (`NULL`
/// while pending, then `kept_table` or `took_legacy`) and `settled_at`.
///
/// `legacy_key` holds a one-column key as it is, and a composite key as the text
/// `('r1', 3)`: each value as SQLite's `quote()` writes it, in field order.
pub const CONFLICTS_TABLE: &str = "wrkflw_conflicts";

/// The table where the change capture marks keys being replaced by `INSERT OR REPLACE`.
pub(crate) const REPLACED_KEYS_TABLE: &str = "wrkflw_replaced_keys";

/// Creates the ledger.
pub(crate) const CREATE_LEDGER_SQL: &str = "CREATE TABLE main.wrkflw_migrations (
  table_name TEXT NOT NULL PRIMARY KEY,
  legacy_table TEXT NOT NULL,
  rows_copied INTEGER NOT NULL,
  capture TEXT,
  conflicts_settled INTEGER NOT NULL,
  schema_checksum TEXT NOT NULL,
  migrated_at INTEGER NOT NULL
)";

/// Creates the conflict log. `legacy_key` has no declared type, so that a key keeps its own
/// type (text or integer) as SQLite does for a column without affinity; a composite key is
/// one text value (see [`CONFLICTS_TABLE`]).
pub(crate) const CREATE_CONFLICTS_SQL: &str = "CREATE TABLE main.wrkflw_conflicts (
  table_name TEXT NOT NULL,
  legacy_key,
  reason TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  settled TEXT,
  settled_at INTEGER,
  PRIMARY KEY (table_name, legacy_key)
)";

/// Creates the table of keys being replaced.
pub(crate) const CREATE_REPLACED_KEYS_SQL: &str = "CREATE TABLE main.wrkflw_replaced_keys (
  table_name TEXT NOT NULL,
  legacy_key,
  PRIMARY KEY (table_name, legacy_key)
)";

/// Records one table's progress, replacing its previous row.
pub(crate) const RECORD_SQL: &str = "INSERT INTO main.wrkflw_migrations
  (table_name, legacy_table, rows_copied, capture, conflicts_settled, schema_checksum, migrated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, unixepoch())
ON CONFLICT (table_name) DO UPDATE SET
  legacy_table = excluded.legacy_table, rows_copied = excluded.rows_copied,
  capture = excluded.capture, conflicts_settled = excluded.conflicts_settled,
  schema_checksum = excluded.schema_checksum, migrated_at = excluded.migrated_at";

/// A table's row in the ledger.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Entry {
    pub(crate) legacy_table: String,
    /// Rows copied by migrations over all runs (the capture's writes are not counted).
    pub(crate) rows_copied: u64,
    /// The checksum of the capture triggers installed on the legacy table, if any.
    pub(crate) capture: Option<String>,
    /// Conflicts settled over all runs.
    pub(crate) conflicts_settled: u64,
}

/// The ledger row of `table`, if the ledger exists and has one.
pub(crate) fn read(conn: &Connection, table: &str) -> rusqlite::Result<Option<Entry>> {
    if schema::kind(conn, LEDGER_TABLE)?.as_deref() != Some("table") {
        return Ok(None);
    }
    conn.prepare_cached(
        "SELECT legacy_table, rows_copied, capture, conflicts_settled FROM main.wrkflw_migrations
         WHERE table_name = ?1 COLLATE NOCASE",
    )?
    .query_row([table], |row| {
        Ok(Entry {
            legacy_table: row.get(0)?,
            rows_copied: row.get::<_, i64>(1)? as u64,
            capture: row.get(2)?,
            conflicts_settled: row.get::<_, i64>(3)? as u64,
        })
    })
    .optional()
}

/// `table`'s ledger row as [`LastRun`](crate::LastRun), if the ledger exists and has one.
pub(crate) fn last_run(conn: &Connection, table: &str) -> rusqlite::Result<Option<crate::LastRun>> {
    if schema::kind(conn, LEDGER_TABLE)?.as_deref() != Some("table") {
        return Ok(None);
    }
    conn.prepare_cached(
        "SELECT migrated_at, rows_copied, capture IS NOT NULL, conflicts_settled
         FROM main.wrkflw_migrations WHERE table_name = ?1 COLLATE NOCASE",
    )?
    .query_row([table], |row| {
        Ok(crate::LastRun {
            migrated_at: row.get(0)?,
            rows_copied: row.get::<_, i64>(1)? as u64,
            capture: row.get(2)?,
            conflicts_settled: row.get::<_, i64>(3)? as u64,
        })
    })
    .optional()
}

/// The tables whose ledger row records a capture installed on `legacy`.
pub(crate) fn capturing(conn: &Connection, legacy: &str) -> rusqlite::Result<Vec<String>> {
    if schema::kind(conn, LEDGER_TABLE)?.as_deref() != Some("table") {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT table_name FROM main.wrkflw_migrations
         WHERE legacy_table = ?1 COLLATE NOCASE AND capture IS NOT NULL ORDER BY table_name",
    )?;
    let rows = stmt.query_map([legacy], |row| row.get(0))?;
    rows.collect()
}

/// Writes `table`'s ledger row.
pub(crate) fn record(
    conn: &Connection,
    table: &str,
    entry: &Entry,
    checksum: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        RECORD_SQL,
        params![
            table,
            entry.legacy_table,
            entry.rows_copied as i64,
            entry.capture,
            entry.conflicts_settled as i64,
            checksum
        ],
    )?;
    Ok(())
}

/// The schema checksum the ledger recorded for `table` at its last recorded run, if any.
pub(crate) fn recorded_schema(conn: &Connection, table: &str) -> rusqlite::Result<Option<String>> {
    if schema::kind(conn, LEDGER_TABLE)?.as_deref() != Some("table") {
        return Ok(None);
    }
    conn.prepare_cached(
        "SELECT schema_checksum FROM main.wrkflw_migrations WHERE table_name = ?1 COLLATE NOCASE",
    )?
    .query_row([table], |row| row.get(0))
    .optional()
}

/// A checksum of a table's schema as the struct declares it: it changes when the struct does.
pub(crate) fn schema_checksum(create_sql: &str, index_sql: &[&str]) -> String {
    crate::sql_text::checksum(std::iter::once(create_sql).chain(index_sql.iter().copied()))
}
