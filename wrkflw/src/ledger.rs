//! The migration ledger, table `wrkflw_migrations`: one row per migrated table recording how
//! far its legacy table has been copied. A re-run copies only legacy rows above the
//! watermark, so rows added by an old deployment still arrive while rows the application
//! deleted from the new table stay deleted.

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

use crate::schema;

/// The ledger's table name. `#[wrkflw_table]` refuses a struct that would take it.
pub const LEDGER_TABLE: &str = "wrkflw_migrations";

/// Creates the ledger. `watermark_key` has no declared type so that a key keeps its own
/// type (text or integer) when stored, as SQLite does for a column without affinity.
pub(crate) const CREATE_LEDGER_SQL: &str = "CREATE TABLE IF NOT EXISTS wrkflw_migrations (
  table_name TEXT NOT NULL PRIMARY KEY,
  legacy_table TEXT NOT NULL,
  rows_copied INTEGER NOT NULL,
  watermark INTEGER,
  watermark_key,
  schema_checksum TEXT NOT NULL,
  migrated_at INTEGER NOT NULL
)";

/// Records one table's progress, replacing its previous row.
pub(crate) const RECORD_SQL: &str = "INSERT INTO wrkflw_migrations
  (table_name, legacy_table, rows_copied, watermark, watermark_key, schema_checksum, migrated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, unixepoch())
ON CONFLICT (table_name) DO UPDATE SET
  legacy_table = excluded.legacy_table, rows_copied = excluded.rows_copied,
  watermark = excluded.watermark, watermark_key = excluded.watermark_key,
  schema_checksum = excluded.schema_checksum, migrated_at = excluded.migrated_at";

/// A table's row in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) legacy_table: String,
    /// Rows copied over all runs.
    pub(crate) rows_copied: u64,
    /// The highest legacy rowid copied so far; `None` for a legacy table without a rowid.
    pub(crate) watermark: Option<i64>,
    /// The key of the legacy row at the watermark, to find it again if its rowid changed
    /// (`VACUUM` may renumber the rowids of a table without an `INTEGER PRIMARY KEY`).
    pub(crate) watermark_key: Option<Value>,
}

/// The ledger row of `table`, if the ledger exists and has one.
pub(crate) fn read(conn: &Connection, table: &str) -> rusqlite::Result<Option<Entry>> {
    if schema::kind(conn, LEDGER_TABLE)?.as_deref() != Some("table") {
        return Ok(None);
    }
    conn.query_row(
        "SELECT legacy_table, rows_copied, watermark, watermark_key FROM wrkflw_migrations
         WHERE table_name = ?1 COLLATE NOCASE",
        [table],
        |row| {
            Ok(Entry {
                legacy_table: row.get(0)?,
                rows_copied: row.get::<_, i64>(1)? as u64,
                watermark: row.get(2)?,
                watermark_key: match row.get::<_, Value>(3)? {
                    Value::Null => None,
                    key => Some(key),
                },
            })
        },
    )
    .optional()
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
            entry.watermark,
            entry.watermark_key.clone().unwrap_or(Value::Null),
            checksum
        ],
    )?;
    Ok(())
}

/// A checksum of a table's schema as the struct declares it (64-bit FNV-1a of its
/// `CREATE TABLE` and `CREATE INDEX` text, in hex): it changes when the struct does.
pub(crate) fn checksum(create_sql: &str, index_sql: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in std::iter::once(create_sql).chain(index_sql.iter().copied()) {
        for byte in part.bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn the_checksum_follows_the_schema_text() {
        let a = checksum("CREATE TABLE t (a TEXT)", &[]);
        assert_eq!(a.len(), 16);
        assert_eq!(a, checksum("CREATE TABLE t (a TEXT)", &[]));
        assert_ne!(a, checksum("CREATE TABLE t (a INTEGER)", &[]));
        assert_ne!(
            a,
            checksum("CREATE TABLE t (a TEXT)", &["CREATE INDEX i ON t (a)"])
        );
    }
}
