//! The command line, behind the `cli` feature: `status`, `plan`, `migrate` and `sql` for the
//! tables of a [`Migrator`].
//!
//! An application gets it for its own structs in three lines, as a binary of its own
//! (`src/bin/migrate.rs`, say):
//!
//! ```no_run
//! use std::process::ExitCode;
//! # #[wrkflw::wrkflw_table(rename_from = "workflow_runs")] struct Run { #[wrkflw(primary_key)] run_id: String }
//!
//! fn main() -> ExitCode {
//!     wrkflw::cli::run(wrkflw::Migrator::new().table::<Run>())
//! }
//! ```
//!
//! The crate's own `wrkflw` binary is this for [`WorkflowStorage`](crate::storage::WorkflowStorage)'s
//! table (`cargo install --path wrkflw --features cli`).
//!
//! # Commands
//!
//! - `status [--check]`: for each table, whether it and its legacy table exist and their
//!   rows, the rows waiting to be copied, the ledger's last run and the schema changes the
//!   next migration would make. With `--check`, exits with 2 when a migration has anything
//!   to do.
//! - `plan [--drop-legacy]`: every statement `migrate` would run now, with its reason.
//! - `migrate [--drop-legacy] [--busy-timeout 30s] [--on-conflict fail|keep-table|take-legacy]`:
//!   runs the migration, in one transaction, and prints a report per table.
//!   `--busy-timeout` (`200ms`, `30s`, `2m`) replaces the migrator's own wait for another
//!   connection's write lock; `--on-conflict` its policy for logged conflicts. Progress goes to
//!   stderr: a bar during each copy on a terminal, plain lines otherwise; Ctrl-C cancels it.
//! - `sql [--drop-legacy]`: the generated script of each table; needs no database.
//!
//! The database is `--database PATH`, else the variable `WRKFLW_DATABASE`, else
//! `DATABASE_URL`; each takes a path or a `sqlite:` URL (`sqlite:runs.db`,
//! `sqlite://runs.db`, `sqlite:///srv/runs.db`). It must exist: the command line never
//! creates a database. `status` and `plan` open it with `PRAGMA query_only`.
//!
//! # Output
//!
//! Results go to stdout, in the `--format` chosen (`text`, the default, or `json`);
//! messages about the run go to stderr. In JSON, stdout holds exactly one object, an error
//! included, so that a script reads one place. Every object has `schema_version` (1: fields
//! may be added, none is removed or changes meaning without a new version) and `command`:
//!
//! ```json
//! {"schema_version": 1, "command": "status", "database": "runs.db", "pending": true,
//!  "tables": [{"table": "wrkflw_workflow_runs", "pending": true,
//!              "table_exists": false, "rows": null,
//!              "legacy_table": "workflow_runs", "legacy_exists": true, "legacy_rows": 5000,
//!              "rows_waiting": 5000,
//!              "last_run": null,
//!              "schema_changes": [], "conflicts": null, "steps": 13}]}
//! ```
//!
//! - `last_run`, once a migration ran: `{"migrated_at": 1767225600` (unix seconds)`,
//!   "migrated_at_utc": "2026-01-01T00:00:00Z", "rows_copied": 5000, "capture": true,
//!   "conflicts_settled": 0}`.
//! - `conflicts`, when the change capture logged some that `migrate` would refuse:
//!   `{"count": 1, "sample_keys": ["'run-9'"]}`.
//! - `plan`: `{"schema_version": 1, "command": "plan", "database": ..., "legacy": "keep",
//!   "tables": [{"table": ..., "steps": [{"action": "copy", "reason": "copy 5000 legacy
//!   rows (transfer optimization)", "sql": "INSERT INTO ..."}]}]}`; `legacy` is `"keep"` or
//!   `"drop"`, `action` one of the snake-case names of [`Action`](crate::Action)'s variants.
//! - `migrate`: `{"schema_version": 1, "command": "migrate", "database": ..., "legacy":
//!   "keep", "tables": [report]}`, each report the fields of
//!   [`MigrationReport`](crate::MigrationReport) (`table`, `legacy_table`, `legacy_found`,
//!   `table_created`, `rows_copied`, `legacy_dropped`, `copy_path` (`"transfer"`,
//!   `"bulk_insert"`, `"reconcile"` or null), `columns_added`, `columns_renamed` (`[[old,
//!   new]]`), `rebuilt`, `columns_dropped`, `defaulted_columns`, `legacy_only_columns`,
//!   `capture` (`"installed"`, `"active"`, `"updated"`, `"restored"`, `"removed"` or null),
//!   `rows_differing`, `conflicts`) and `summary`, its one-line text.
//! - `sql`: `{"schema_version": 1, "command": "sql", "database": null, "legacy": "keep",
//!   "tables": [{"table": ..., "sql": ...}]}`.
//! - An error: `{"schema_version": 1, "command": "migrate", "error": "busy", "message":
//!   "...", "hint": "..." or null, "exit_code": 3}`. `error` is a stable snake-case code:
//!   `usage`, `no_database`, `database_url`, `database_not_found`, `open`, or the
//!   [`Error`] variant (`busy`, `conflicts`, `schema_drift`, ...); `command`
//!   is null when the arguments could not be read.
//!
//! # Exit codes
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done; `status --check`: nothing pending |
//! | 1 | an error: no database, a bad flag, a migration refused (the message says what to do) |
//! | 2 | `status --check`: a migration has something to do |
//! | 3 | busy: another connection held the write lock past the busy timeout; retry |
//! | 130 | `migrate` cancelled by Ctrl-C: rolled back, nothing changed |

mod database;
mod output;
mod progress;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use rusqlite::Connection;

use crate::{Error, LegacyTable, Migrator};

use output::Output;

/// Runs the command line on the process's arguments for the tables of `migrator`, printing
/// results on stdout and returning the exit code (see the [module docs](self)).
pub fn run(migrator: Migrator) -> ExitCode {
    run_from(std::env::args_os(), migrator)
}

/// [`run`] on the given arguments, the first being the program's name, as in
/// `run_from(["wrkflw", "status", "--database", "runs.db"], migrator)`. The database
/// variables are still read from the process's environment.
pub fn run_from<I, T>(args: I, migrator: Migrator) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return usage(error, asks_for_json(&args)),
    };
    let format = cli.format;
    let command = cli.command.name();
    let result = execute(cli, migrator, |name| std::env::var_os(name));
    let mut stdout = std::io::stdout().lock();
    let (text, code) = match result {
        Ok(output) => (output.render(format), output.exit_code()),
        Err(failure) => {
            let code = failure.exit_code();
            match format {
                Format::Json => (output::failure_json(Some(command), &failure), code),
                Format::Text => {
                    // A closed stderr loses the message, not the exit code.
                    let _ = writeln!(std::io::stderr(), "{}", output::failure_text(&failure));
                    (String::new(), code)
                }
            }
        }
    };
    // A closed stdout (`wrkflw status | head -0`) loses the output, not the exit code.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    ExitCode::from(code)
}

/// What the command line was asked, as clap reads it.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Migrate legacy SQLite tables into their prefixed tables, losslessly",
    long_about = None
)]
struct Cli {
    /// The SQLite database: a path or a sqlite: URL. Default: $WRKFLW_DATABASE, else $DATABASE_URL.
    #[arg(long, global = true, value_name = "PATH")]
    database: Option<OsString>,
    /// How to print results on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// One JSON object, for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Where each table stands: rows, rows waiting, the last run, schema drift.
    Status {
        /// Exit with 2 when a migration has anything to do (for deploy checks).
        #[arg(long)]
        check: bool,
    },
    /// Every statement `migrate` would run now, with its reason. Writes nothing.
    Plan {
        /// Plan to drop the legacy tables, as `migrate --drop-legacy` would.
        #[arg(long)]
        drop_legacy: bool,
    },
    /// Migrate every table in one transaction and print what happened.
    Migrate {
        /// Drop the legacy tables after copying (default: keep them, with the change capture).
        #[arg(long)]
        drop_legacy: bool,
        /// How long to wait for another connection's write lock, e.g. 200ms, 30s, 2m.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        busy_timeout: Option<Duration>,
        /// How to settle legacy rows whose key the table holds for another row (conflicts
        /// the change capture logged); default: the migrator's own (fail, unless the
        /// application chose otherwise).
        #[arg(long, value_enum, value_name = "POLICY")]
        on_conflict: Option<ConflictPolicy>,
    },
    /// Print each table's generated migration script.
    Sql {
        /// The script that drops the legacy table.
        #[arg(long)]
        drop_legacy: bool,
    },
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Status { .. } => "status",
            Command::Plan { .. } => "plan",
            Command::Migrate { .. } => "migrate",
            Command::Sql { .. } => "sql",
        }
    }
}

/// `--on-conflict`: [`OnConflict`](crate::OnConflict) as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ConflictPolicy {
    /// Stop and change nothing, naming the keys.
    Fail,
    /// The table's row stays; the legacy row stays apart in the legacy table.
    KeepTable,
    /// The legacy row overwrites the table's.
    TakeLegacy,
}

impl From<ConflictPolicy> for crate::OnConflict {
    fn from(policy: ConflictPolicy) -> crate::OnConflict {
        match policy {
            ConflictPolicy::Fail => crate::OnConflict::Fail,
            ConflictPolicy::KeepTable => crate::OnConflict::KeepTable,
            ConflictPolicy::TakeLegacy => crate::OnConflict::TakeLegacy,
        }
    }
}

fn legacy_table(drop_legacy: bool) -> LegacyTable {
    if drop_legacy {
        LegacyTable::Drop
    } else {
        LegacyTable::Keep
    }
}

/// Runs the command; `env` reads the database variables.
fn execute(
    cli: Cli,
    migrator: Migrator,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Output, Failure> {
    if let Command::Sql { drop_legacy } = cli.command {
        let legacy = legacy_table(drop_legacy);
        return Ok(Output::Sql {
            legacy,
            scripts: migrator.migration_sql(legacy),
        });
    }
    let path = database::locate(cli.database.as_deref(), env)?;
    let mut conn = database::open(&path)?;
    let database = path.display().to_string();
    match cli.command {
        Command::Status { check } => {
            read_only(&conn)?;
            let tables = migrator.status(&conn, LegacyTable::Keep)?;
            Ok(Output::Status {
                database,
                tables,
                check,
            })
        }
        Command::Plan { drop_legacy } => {
            read_only(&conn)?;
            let legacy = legacy_table(drop_legacy);
            let plans = migrator.plan(&conn, legacy)?;
            Ok(Output::Plan {
                database,
                legacy,
                plans,
            })
        }
        Command::Migrate {
            drop_legacy,
            busy_timeout,
            on_conflict,
        } => {
            let legacy = legacy_table(drop_legacy);
            let migrator = match busy_timeout {
                Some(timeout) => migrator.busy_timeout(timeout),
                None => migrator,
            };
            let migrator = match on_conflict {
                Some(policy) => migrator.on_conflict(policy.into()),
                None => migrator,
            };
            let reporter = progress::reporter(cli.format);
            let result = reporter.attach(migrator).run(&mut conn, legacy);
            reporter.finish();
            Ok(Output::Migrate {
                database,
                legacy,
                reports: result?,
            })
        }
        Command::Sql { .. } => unreachable!("answered before the database is opened"),
    }
}

/// `status` and `plan` only read: make sure of it. Closing the last connection to a WAL
/// database checkpoints it, which writes the file: not on this one.
fn read_only(conn: &Connection) -> Result<(), Failure> {
    let fail = |source| Failure::Wrkflw(Error::Sqlite(source));
    conn.execute_batch("PRAGMA query_only = ON").map_err(fail)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .map_err(fail)?;
    Ok(())
}

/// `200ms`, `30s`, `2m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("`{text}` is not a duration: give a number and a unit, such as 200ms, 30s or 2m")
    })?;
    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        "" => return Err(format!("`{text}` has no unit: write {text}s or {text}ms")),
        _ => return Err(format!("`{unit}` is not a unit of time: use ms, s, m or h")),
    };
    // SQLite counts the wait in milliseconds in a C int.
    if duration > crate::migrate::MAX_BUSY_TIMEOUT {
        return Err(format!(
            "`{text}` is longer than SQLite can wait (about 24 days, {}ms)",
            i32::MAX
        ));
    }
    Ok(duration)
}

/// Whether the arguments ask for JSON, read before clap could make sense of them, so that
/// a usage error can still be JSON.
fn asks_for_json(args: &[OsString]) -> bool {
    args.iter().enumerate().any(|(i, arg)| {
        arg == "--format=json"
            || (arg == "--format" && args.get(i + 1).is_some_and(|next| next == "json"))
    })
}

/// clap could not read the arguments: help and version are printed as asked (exit 0);
/// anything else is a usage error (exit 1).
fn usage(error: clap::Error, json: bool) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let failure = Failure::Usage(error);
    if json {
        print!("{}", output::failure_json(None, &failure));
    } else if let Failure::Usage(error) = &failure {
        let _ = error.print();
    }
    ExitCode::from(failure.exit_code())
}

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The arguments could not be read.
    Usage(clap::Error),
    /// No `--database`, `WRKFLW_DATABASE` or `DATABASE_URL`.
    NoDatabase,
    /// A URL of another database, or of an in-memory one.
    DatabaseUrl { source: &'static str, value: String },
    /// No file at the path.
    DatabaseNotFound { path: PathBuf },
    /// SQLite could not open the file.
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The migration, plan or status failed.
    Wrkflw(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Wrkflw(error)
    }
}

impl Failure {
    /// 3 for a lock held too long, 130 for Ctrl-C (as a shell reports a command ended by
    /// SIGINT), 1 for anything else.
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Wrkflw(Error::Busy { .. }) => 3,
            Failure::Wrkflw(Error::Cancelled { .. }) => 130,
            _ => 1,
        }
    }
}
