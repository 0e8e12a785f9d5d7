//! A PostgreSQL server for the tests: each test gets a database of its own on the server that
//! `WRKFLW_TEST_POSTGRES` names (a connection string, `host=localhost user=postgres ...` or a
//! `postgres://` URL), created empty and dropped when the test ends.
//!
//! Without the variable, a PostgreSQL test returns early and says so on the terminal, once per
//! test binary, with how to run it. Under CI (`CI=true`) a skip is a failure: CI runs these
//! tests against a throwaway cluster (`.ci/run`, with Debian's `pg_virtualenv`).

use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use wrkflw::postgres::driver::{Client, Config, NoTls};

#[path = "../../wrkflw/examples/seed/postgres.rs"]
mod seed_postgres;
pub use seed_postgres::LEGACY_SCHEMA_SQL;

/// Creates [`LEGACY_SCHEMA_SQL`]'s table and loads the seed's runs `first..first + count`
/// with `COPY`, for the tests that need many rows.
pub fn copy_legacy_runs(client: &mut Client, first: u64, count: u64) {
    seed_postgres::load_legacy_runs(client, first, count).unwrap();
}

/// The variable naming the server.
pub const SERVER_VARIABLE: &str = "WRKFLW_TEST_POSTGRES";

/// A database of its own for one test, dropped (with any connections still open) when it
/// goes out of scope.
pub struct PgDb {
    name: String,
    server: Config,
    config: Config,
}

impl PgDb {
    /// A fresh empty database on the server, or `None` (after saying so loudly) when no
    /// server is named. Panics under `CI=true` without one, and whenever the server named
    /// cannot be reached: a test that was asked to run must not pass silently.
    pub fn new() -> Option<PgDb> {
        let Ok(server) = std::env::var(SERVER_VARIABLE) else {
            skip();
            return None;
        };
        let server = Config::from_str(&server).unwrap_or_else(|error| {
            panic!("{SERVER_VARIABLE} is not a connection string: {error}")
        });
        Some(PgDb::create_on(server, "wrkflw_test"))
    }

    /// A fresh empty database on `server`, named `{prefix}_{process}_{n}_{nanos}`. Panics
    /// when the server cannot be reached. (The benchmarks share this file.)
    pub fn create_on(server: Config, prefix: &str) -> PgDb {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let mut admin = server
            .connect(NoTls)
            .unwrap_or_else(|error| panic!("cannot reach the PostgreSQL server: {error}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|error| panic!("cannot create a database {name}: {error}"));
        let mut config = server.clone();
        config.dbname(&name);
        PgDb {
            name,
            server,
            config,
        }
    }

    /// A new connection to the test's database.
    pub fn client(&self) -> Client {
        self.config
            .connect(NoTls)
            .unwrap_or_else(|error| panic!("cannot connect to {}: {error}", self.name))
    }

    /// The connection's settings, for connecting from another thread.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The database's connection string, for a child process: `key=value` pairs.
    pub fn connection_string(&self) -> String {
        let mut parts = vec![format!("dbname={}", self.name)];
        if let Some(user) = self.config.get_user() {
            parts.push(format!("user={user}"));
        }
        if let Some(password) = self.config.get_password() {
            parts.push(format!("password={}", String::from_utf8_lossy(password)));
        }
        for host in self.config.get_hosts() {
            match host {
                wrkflw::postgres::driver::config::Host::Tcp(host) => {
                    parts.push(format!("host={host}"))
                }
                #[cfg(unix)]
                wrkflw::postgres::driver::config::Host::Unix(path) => {
                    parts.push(format!("host={}", path.display()))
                }
            }
        }
        if let Some(port) = self.config.get_ports().first() {
            parts.push(format!("port={port}"));
        }
        parts.join(" ")
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.server.connect(NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn skip() {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "CI=true and no PostgreSQL server: set {SERVER_VARIABLE}; under CI a skipped \
             PostgreSQL test is a failure"
        );
    }
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        // Straight to the terminal: the test harness captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "\n\
             ############################################################################\n\
             # SKIPPED: the PostgreSQL tests in this binary did not run.                #\n\
             # Set {SERVER_VARIABLE} to a server's connection string to run them, e.g. #\n\
             #   {SERVER_VARIABLE}='host=localhost user=postgres password=...' \\      #\n\
             #     cargo test --workspace                                              #\n\
             # or run them on a throwaway cluster as CI does:  ./.ci/run              #\n\
             ############################################################################"
        );
    });
}

/// Creates [`LEGACY_SCHEMA_SQL`]'s table and inserts the seed's runs `first..first + count`
/// ([`crate::seed::legacy_run`]), in one transaction.
pub fn legacy_runs(client: &mut Client, first: u64, count: u64) {
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(LEGACY_SCHEMA_SQL).unwrap();
    let insert = tx
        .prepare(
            "INSERT INTO workflow_runs (run_id, workflow_id, status, execution_path,
               step_results, state, input_data, result, error, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .unwrap();
    for n in first..first + count {
        let run = crate::seed::legacy_run(n);
        tx.execute(
            &insert,
            &[
                &run.run_id,
                &run.workflow_id,
                &run.status,
                &run.execution_path,
                &run.step_results,
                &run.state,
                &run.input_data,
                &run.result,
                &run.error,
                &run.created_at,
                &run.updated_at,
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// `SELECT count(*)` of a table.
pub fn count(client: &mut Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
        .unwrap()
        .get(0)
}

/// Whether the current schema has a relation named `name`.
pub fn exists(client: &mut Client, name: &str) -> bool {
    client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1
               AND relnamespace = current_schema()::regnamespace)",
            &[&name],
        )
        .unwrap()
        .get(0)
}

/// Whether the current schema has a function named `name`.
pub fn function_exists(client: &mut Client, name: &str) -> bool {
    client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = $1
               AND pronamespace = current_schema()::regnamespace)",
            &[&name],
        )
        .unwrap()
        .get(0)
}

/// The triggers of `table`, by name.
pub fn triggers(client: &mut Client, table: &str) -> Vec<String> {
    client
        .query(
            "SELECT tgname::text FROM pg_trigger WHERE tgrelid = $1::text::regclass
               AND NOT tgisinternal ORDER BY 1",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The table's columns as (name, type, not null, default), in order.
pub fn columns(client: &mut Client, table: &str) -> Vec<(String, String, bool, Option<String>)> {
    client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    pg_get_expr(d.adbin, d.adrelid)
             FROM pg_attribute AS a
             LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

/// The table's indexes as `pg_indexes` defines them, by name.
pub fn indexes(client: &mut Client, table: &str) -> Vec<(String, String)> {
    client
        .query(
            "SELECT indexname::text, indexdef FROM pg_indexes
             WHERE schemaname = current_schema() AND tablename = $1 ORDER BY 1",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// A ledger row, as either engine stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub legacy_table: String,
    pub rows_copied: i64,
    /// The checksum of the capture triggers installed, if any.
    pub capture: Option<String>,
    pub conflicts_settled: i64,
    pub schema_checksum: String,
    pub migrated_at: i64,
}

/// The ledger row of `table` on PostgreSQL, if there is one.
pub fn ledger(client: &mut Client, table: &str) -> Option<LedgerRow> {
    client
        .query_opt(
            "SELECT legacy_table, rows_copied, capture, conflicts_settled, schema_checksum,
                    migrated_at
             FROM wrkflw_migrations WHERE table_name = $1",
            &[&table],
        )
        .unwrap()
        .map(|r| LedgerRow {
            legacy_table: r.get(0),
            rows_copied: r.get(1),
            capture: r.get(2),
            conflicts_settled: r.get(3),
            schema_checksum: r.get(4),
            migrated_at: r.get(5),
        })
}

/// The conflict log's entries for `table`: (legacy key, reason, settled), by key.
pub fn conflicts(client: &mut Client, table: &str) -> Vec<(String, String, Option<String>)> {
    client
        .query(
            "SELECT legacy_key, reason, settled FROM wrkflw_conflicts
             WHERE table_name = $1 ORDER BY legacy_key",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Everything a migration could change in the current schema, as text to compare before and
/// after: each relation with its columns, indexes, constraints and triggers, each function's
/// source, and each table's row count with a checksum of its rows that needs no sort (a sum
/// of their hashes), so that it stays cheap on large tables.
pub fn database_state(client: &mut Client) -> String {
    let schema: Vec<String> = client
        .query(
            "SELECT c.relkind::text || ' ' || c.relname || ': ' ||
               coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                   || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
                 FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
               || coalesce((SELECT ' | ' || string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname)
                 FROM pg_constraint AS k WHERE k.conrelid = c.oid), '')
               || coalesce((SELECT ' | ' || string_agg(pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text, '; ' ORDER BY t.tgname)
                 FROM pg_trigger AS t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
               || CASE WHEN c.relkind = 'i' THEN ' ' || pg_get_indexdef(c.oid) ELSE '' END
             FROM pg_class AS c WHERE c.relnamespace = current_schema()::regnamespace
             ORDER BY c.relname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let functions: Vec<String> = client
        .query(
            "SELECT proname || ': ' || prosrc FROM pg_proc
             WHERE pronamespace = current_schema()::regnamespace ORDER BY proname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tables: Vec<String> = client
        .query(
            "SELECT relname::text FROM pg_class WHERE relkind = 'r'
               AND relnamespace = current_schema()::regnamespace ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let rows: Vec<String> = tables
        .iter()
        .map(|table| format!("{table}: {}", rows_checksum(client, table)))
        .collect();
    [schema, functions, rows].concat().join("\n")
}

/// How far the new table is from mirroring the seed's legacy table, for a database no
/// application wrote to except through the legacy table: (legacy rows missing from the new
/// table or different there, new-table rows with no legacy row).
pub fn mirror_differences(client: &mut Client) -> (i64, i64) {
    let row = client
        .query_one(
            "SELECT
               (SELECT count(*) FROM workflow_runs AS l WHERE NOT EXISTS
                  (SELECT 1 FROM wrkflw_workflow_runs AS n WHERE n.run_id = l.run_id
                     AND n::text = l::text)),
               (SELECT count(*) FROM wrkflw_workflow_runs AS n WHERE NOT EXISTS
                  (SELECT 1 FROM workflow_runs AS l WHERE l.run_id = n.run_id))",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// A table's row count and a checksum of its rows that needs no sort or join (a sum of their
/// hashes): two tables with the same columns in the same order hold the same rows when these
/// are equal.
pub fn rows_checksum(client: &mut Client, table: &str) -> String {
    client
        .query_one(
            &format!(
                "SELECT count(*) || ' ' || coalesce(sum(hashtextextended(t::text, 0)), 0) FROM \"{table}\" AS t"
            ),
            &[],
        )
        .unwrap()
        .get(0)
}
