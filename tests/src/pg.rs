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

/// The seed's legacy table as an application on PostgreSQL would have kept it: the original
/// DDL with PostgreSQL's types (unix seconds as `BIGINT`), and its indexes.
pub const LEGACY_SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS workflow_runs (
  run_id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  execution_path TEXT,
  step_results TEXT,
  state TEXT,
  input_data TEXT,
  result TEXT,
  error TEXT,
  created_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint),
  updated_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint)
);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_workflow_id ON workflow_runs (workflow_id);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_status ON workflow_runs (status);
";

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
