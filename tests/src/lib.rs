//! Shared fixtures for wrkflw's behaviour tests: the seed table of the original engine with
//! its exact DDL (the same module the `migrate_legacy` example uses), and helpers that build
//! databases in real files and read back what they hold.

use std::path::{Path, PathBuf};

use tempfile::TempDir;
use wrkflw::rusqlite::types::Value;
use wrkflw::rusqlite::{self, Connection};

#[path = "../../wrkflw/examples/seed/mod.rs"]
pub mod seed;

pub use seed::WorkflowRun;

/// The seed table with `status` optional: a struct that needs the seed's table rebuilt.
pub mod loose {
    use wrkflw::wrkflw_table;

    #[wrkflw_table(rename_from = "workflow_runs")]
    #[derive(Debug, Clone, PartialEq)]
    pub struct LooseRun {
        #[wrkflw(primary_key)]
        pub run_id: String,
        #[wrkflw(index)]
        pub workflow_id: String,
        #[wrkflw(index)]
        pub status: Option<String>,
        pub execution_path: Option<String>,
        pub step_results: Option<String>,
        pub state: Option<String>,
        pub input_data: Option<String>,
        pub result: Option<String>,
        pub error: Option<String>,
        #[wrkflw(default = "unixepoch()")]
        pub created_at: Option<i64>,
        #[wrkflw(default = "unixepoch()")]
        pub updated_at: Option<i64>,
    }
}

pub use loose::LooseRun;

/// What surrounds the seed's table in the rebuild tests: an index of the user's, a
/// referencing table (every tenth run has a note), a trigger and a view.
pub const AROUND_RUNS_SQL: &str = "
CREATE INDEX runs_by_created ON wrkflw_workflow_runs (created_at);
CREATE TABLE run_notes (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES wrkflw_workflow_runs (run_id) ON DELETE CASCADE
);
INSERT INTO run_notes SELECT rowid, run_id FROM wrkflw_workflow_runs WHERE rowid % 10 = 0;
CREATE TABLE run_audit (run_id TEXT);
CREATE TRIGGER runs_audit AFTER UPDATE ON wrkflw_workflow_runs BEGIN
  INSERT INTO run_audit VALUES (NEW.run_id);
END;
CREATE VIEW failed_runs AS SELECT run_id FROM wrkflw_workflow_runs WHERE status = 'failed';
";

/// A file whose seed table of `rows` runs (migrated, legacy table dropped) is surrounded by
/// [`AROUND_RUNS_SQL`]: [`LooseRun`] rebuilds it.
pub fn runs_to_rebuild(rows: u64) -> DbFile {
    let db = DbFile::legacy(rows);
    let mut conn = db.open();
    <WorkflowRun as wrkflw::Table>::migrate(&mut conn, wrkflw::LegacyTable::Drop).unwrap();
    conn.execute_batch(AROUND_RUNS_SQL).unwrap();
    // No free pages (the legacy table's, dropped): SQLite does not journal the old content of
    // free pages it reuses, so a rolled-back file equals its old bytes only without them.
    conn.execute_batch("VACUUM").unwrap();
    db
}

/// A SQLite file in its own temporary directory, removed when dropped.
pub struct DbFile {
    _dir: TempDir,
    path: PathBuf,
}

impl DbFile {
    /// An empty (not yet created) database file.
    pub fn new() -> DbFile {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("app.sqlite3");
        DbFile { _dir: dir, path }
    }

    /// A file holding the original engine's legacy table with `rows` runs.
    pub fn legacy(rows: u64) -> DbFile {
        let db = DbFile::new();
        let mut conn = db.open();
        conn.execute_batch(seed::LEGACY_SCHEMA_SQL).unwrap();
        seed::insert_legacy_runs(&mut conn, 0, rows).unwrap();
        db
    }

    /// A file holding `rows` seed runs in a legacy table created by `schema` (a variant of
    /// the original DDL) instead of the original's.
    pub fn legacy_with_schema(schema: &str, rows: u64) -> DbFile {
        let db = DbFile::new();
        let mut conn = db.open();
        conn.execute_batch(schema).unwrap();
        seed::insert_legacy_runs(&mut conn, 0, rows).unwrap();
        db
    }

    pub fn open(&self) -> Connection {
        Connection::open(&self.path).expect("open database file")
    }

    /// A second file with the same bytes, for comparing two ways of migrating it.
    pub fn copy(&self) -> DbFile {
        let db = DbFile::new();
        std::fs::copy(&self.path, &db.path).unwrap();
        db
    }

    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for DbFile {
    fn default() -> Self {
        DbFile::new()
    }
}

/// `PRAGMA table_info` as (name, type, notnull, default, pk) rows.
pub fn table_info(
    conn: &Connection,
    table: &str,
) -> Vec<(String, String, bool, Option<String>, i64)> {
    let mut stmt = conn
        .prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid")
        .unwrap();
    stmt.query_map([table], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// The table's explicit indexes as (name, indexed columns), sorted by name.
pub fn indexes(conn: &Connection, table: &str) -> Vec<(String, Vec<String>)> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_index_list(?1) WHERE origin = 'c' ORDER BY name")
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    names
        .into_iter()
        .map(|name| {
            let mut cols = conn
                .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .unwrap();
            let columns = cols
                .query_map([&name], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            (name, columns)
        })
        .collect()
}

/// Every row of `table`, all columns, ordered by rowid.
pub fn rows(conn: &Connection, table: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))
        .unwrap();
    let width = stmt.column_count();
    stmt.query_map([], |r| (0..width).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Whether the main schema has a table (or other object) named `name`.
pub fn exists(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        > 0
}

/// The whole schema as (type, name, sql), for before/after comparisons.
pub fn schema(conn: &Connection) -> Vec<(String, String, Option<String>)> {
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

pub fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// The ledger row of `table`: one type for both engines, defined beside the PostgreSQL
/// fixtures, which the benchmarks share.
pub use pg::LedgerRow;

/// A file holding the original engine's legacy table with `rows` runs, migrated by the seed
/// struct with the legacy table kept (and captured), and a connection to it.
pub fn migrated_keeping_legacy(rows: u64) -> (DbFile, Connection) {
    let db = DbFile::legacy(rows);
    let mut conn = db.open();
    <WorkflowRun as wrkflw::Table>::migrate(&mut conn, wrkflw::LegacyTable::Keep).unwrap();
    (db, conn)
}

/// The ledger row of `table`, if there is one.
pub fn ledger(conn: &Connection, table: &str) -> Option<LedgerRow> {
    conn.query_row(
        "SELECT legacy_table, rows_copied, capture, conflicts_settled, schema_checksum, migrated_at
         FROM wrkflw_migrations WHERE table_name = ?1",
        [table],
        |r| {
            Ok(LedgerRow {
                legacy_table: r.get(0)?,
                rows_copied: r.get(1)?,
                capture: r.get(2)?,
                conflicts_settled: r.get(3)?,
                schema_checksum: r.get(4)?,
                migrated_at: r.get(5)?,
            })
        },
    )
    .ok()
}

/// The entries of the conflict log for `table`: (legacy key as SQL text, reason, settled),
/// by key.
pub fn conflicts(conn: &Connection, table: &str) -> Vec<(String, String, Option<String>)> {
    let mut stmt = conn
        .prepare(
            "SELECT quote(legacy_key), reason, settled FROM wrkflw_conflicts
             WHERE table_name = ?1 ORDER BY legacy_key",
        )
        .unwrap();
    stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The capture triggers on the legacy table, by name.
pub fn capture_triggers(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%\\_capture\\_%' ESCAPE '\\' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Every key of the table, sorted.
pub fn keys(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("SELECT run_id FROM \"{table}\" ORDER BY run_id"))
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// `PRAGMA integrity_check`'s verdict: `"ok"` for a sound file.
pub fn integrity(conn: &Connection) -> String {
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// How far the new table is from mirroring the legacy table, for a database no application
/// wrote to except through the legacy table: (legacy rows missing from the new table or
/// different there, new-table rows with no legacy row). Both are zero when the capture
/// carried every write over.
pub fn mirror_differences(conn: &Connection) -> (i64, i64) {
    let columns = [
        "workflow_id",
        "status",
        "execution_path",
        "step_results",
        "state",
        "input_data",
        "result",
        "error",
        "created_at",
        "updated_at",
    ];
    let same: Vec<String> = columns.iter().map(|c| format!("n.{c} IS l.{c}")).collect();
    conn.query_row(
        &format!(
            "SELECT
               (SELECT count(*) FROM workflow_runs AS l WHERE NOT EXISTS
                  (SELECT 1 FROM wrkflw_workflow_runs AS n WHERE n.run_id = l.run_id AND {})),
               (SELECT count(*) FROM wrkflw_workflow_runs AS n WHERE NOT EXISTS
                  (SELECT 1 FROM workflow_runs AS l WHERE l.run_id = n.run_id))",
            same.join(" AND ")
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// Asserts that `error` is `Error::RejectedRows` for one column only, with that many rows and
/// those sample keys.
pub fn assert_rejected(error: &wrkflw::Error, column: &str, rows: u64, sample_keys: &[&str]) {
    match error {
        wrkflw::Error::RejectedRows { nulls, .. } => {
            assert_eq!(nulls.len(), 1, "{nulls:?}");
            assert_eq!(
                (
                    nulls[0].column.as_str(),
                    nulls[0].rows,
                    &nulls[0].sample_keys
                ),
                (
                    column,
                    rows,
                    &sample_keys.iter().map(|k| k.to_string()).collect()
                )
            );
        }
        other => panic!("expected RejectedRows, got {other:?}"),
    }
}

/// A PostgreSQL database per test (`WRKFLW_TEST_POSTGRES`).
pub mod pg;
