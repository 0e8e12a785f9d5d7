//! The table the rebuild benchmarks change: `items` with two indexes, whose `score` turns
//! from text into an integer, rebuilt by wrkflw and by the same twelve steps written by hand.
//! Shared by the suite (`main.rs`) and the criterion bench (`benches/rebuild.rs`).

use std::path::Path;

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, LegacyTable, Table};

/// Before: `score` is text.
pub mod before {
    use super::wrkflw_table;

    #[wrkflw_table(name = "items")]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(index)]
        pub name: String,
        #[wrkflw(index)]
        pub score: String,
        pub payload: Option<String>,
    }
}

/// After: `score` is an integer, which `ALTER TABLE` cannot change.
pub mod after {
    use super::wrkflw_table;

    #[wrkflw_table(name = "items")]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(index)]
        pub name: String,
        #[wrkflw(index)]
        pub score: i64,
        pub payload: Option<String>,
    }
}

/// A database file holding `rows` items in `before`'s table, names in scattered order.
pub fn build(path: &Path, rows: u64) -> wrkflw::Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(&name);
    }
    let mut conn = Connection::open(path)?;
    before::Item::migrate(&mut conn, LegacyTable::Keep)?;
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1)
         INSERT INTO wrkflw_items (id, name, score, payload)
         SELECT i, 'item-' || ((i * 7919) % ?1), CAST(i % 1000 AS TEXT),
                'payload of item ' || i || ': ' || hex(randomblob(32))
         FROM k",
        [rows as i64],
    )?;
    Ok(())
}

/// wrkflw's rebuild: `migrate` with the changed struct.
pub fn rebuild_with_wrkflw(conn: &mut Connection) -> wrkflw::Result<()> {
    let report = after::Item::migrate(conn, LegacyTable::Keep)?;
    assert!(report.rebuilt, "{report}");
    Ok(())
}

/// The twelve steps written by hand, as a careful engineer would with rusqlite: foreign keys
/// off outside the transaction, create, copy with a `CAST`, drop, rename, indexes, foreign
/// key check, commit, foreign keys back on.
pub const HAND_WRITTEN_SQL: &str = "
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE wrkflw_items_new (
  id INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  score INTEGER NOT NULL,
  payload TEXT
);
INSERT INTO wrkflw_items_new (id, name, score, payload)
SELECT id, name, CAST(score AS INTEGER), payload FROM wrkflw_items;
DROP TABLE wrkflw_items;
ALTER TABLE wrkflw_items_new RENAME TO wrkflw_items;
CREATE INDEX idx_wrkflw_items_name ON wrkflw_items (name);
CREATE INDEX idx_wrkflw_items_score ON wrkflw_items (score);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
";

/// The hand-written rebuild.
pub fn rebuild_by_hand(conn: &Connection) -> wrkflw::rusqlite::Result<()> {
    conn.execute_batch(HAND_WRITTEN_SQL)
}
