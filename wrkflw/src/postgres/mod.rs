//! PostgreSQL, the scale-out path: the same structs, migrations and typed rows on a server,
//! behind the `postgres` feature, through the synchronous [`postgres`](driver) crate.
//!
//! With the feature on, `#[wrkflw_table]` also implements [`PgTable`] for each struct: the
//! PostgreSQL statements as constants (`PG_CREATE_SQL`, ...), a migration on
//! `&mut postgres::Client` and the typed row methods.
//!
//! Each row method is one statement in one round trip to the server: its parameters go with
//! their columns' types, so that it is parsed, bound and run at once. The methods take any
//! [`GenericClient`]: a [`Client`], or a `Transaction` (or savepoint) of one. Unlike SQLite,
//! PostgreSQL aborts a transaction at the first statement that fails in it, a taken key
//! included (see [`PgTable::insert`]).
//!
//! Async callers run these calls on a blocking thread (`tokio::task::spawn_blocking`): the
//! client blocks the thread it runs on.
//!
//! ```no_run
//! use wrkflw::postgres::{Client, NoTls, PgMigrator, PgTable, PgWorkflowStorage};
//! use wrkflw::{wrkflw_table, LegacyTable};
//!
//! #[wrkflw_table(rename_from = "workflow_runs")]
//! #[derive(Debug, Clone, PartialEq)]
//! pub struct WorkflowRun {
//!     #[wrkflw(primary_key)]
//!     pub run_id: String,
//!     #[wrkflw(index)]
//!     pub status: String,
//!     #[wrkflw(default = "unixepoch()")]
//!     pub created_at: Option<i64>,
//! }
//!
//! let mut client = Client::connect("host=db user=app dbname=app", NoTls)?;
//! // Every table in one transaction, serialized against other application servers.
//! let reports = PgMigrator::new()
//!     .table::<WorkflowRun>()
//!     .run(&mut client, LegacyTable::Keep)?;
//! println!("{}", reports[0]);
//!
//! let run = WorkflowRun { run_id: "run-1".into(), status: "running".into(), created_at: None };
//! run.insert(&mut client)?;
//! let same = WorkflowRun::get(&mut client, "run-1")?;
//! let running = WorkflowRun::pg_find_by_status(&mut client, "running")?;
//! assert_eq!(running.len(), 1);
//! println!("{}", WorkflowRun::PG_CREATE_SQL);
//!
//! // The original library's storage, shared by every application server.
//! let storage = PgWorkflowStorage::connect("host=db user=app dbname=app")?;
//! # let _ = (same, storage);
//! # Ok::<(), wrkflw::Error>(())
//! ```
//!
//! Bring [`PgTable`] into scope where rows are read and written on PostgreSQL. Where
//! [`Table`](crate::Table) is in scope too, a method both traits have (`insert`, `get`,
//! `migrate`, ...) is ambiguous: call it as `PgTable::insert(&run, &mut client)`.
//!
//! # Migrations
//!
//! [`migrate`] and [`PgMigrator`] keep SQLite's promises on a server: every legacy row is
//! copied and checked, nothing is written unless all of it is, an old deployment can keep
//! writing the legacy table, and a re-run over an up-to-date table reads no legacy row.
//! [`plan`] shows the statements a run would make, decided by the same code.
//!
//! - **One transaction.** PostgreSQL's DDL is transactional: the table, its indexes, the
//!   capture, the copy, the drops and the ledger commit together or not at all. The
//!   transaction is `READ COMMITTED`, so that each statement reads what was committed before
//!   it ran, the copy included (see the capture below).
//! - **One migrator at a time.** Each run first takes the transaction-scoped advisory lock
//!   [`MIGRATION_LOCK_KEY`], trying `pg_try_advisory_xact_lock` with short sleeps until its
//!   [`lock_timeout`](PgMigrator::lock_timeout), then [`Error::Busy`](crate::Error::Busy).
//!   Transaction-scoped, so a commit, a rollback or a dead client's session end releases it
//!   (a killed migrator never leaves it behind); tried and polled, so the caller's timeout
//!   holds without the session's `lock_timeout` being changed for the wait; advisory, so the
//!   application's reads and writes never queue behind waiting migrators.
//! - **Change capture by trigger.** PostgreSQL has no rowid to find the legacy rows added
//!   since the last run, so a kept legacy table gets a PL/pgSQL function and an `AFTER INSERT
//!   OR UPDATE OR DELETE ... FOR EACH ROW` trigger (and a `BEFORE TRUNCATE` one) that carry
//!   every write into the new table in the writer's own transaction, with SQLite's semantics:
//!   a key the new table holds for another row is logged as `key_taken`, a row it cannot hold
//!   as `rejected`, both in `wrkflw_conflicts`, settled by the next run under
//!   [`OnConflict`](crate::OnConflict). No write may fall between the first copy and the
//!   trigger: the run takes `LOCK TABLE legacy IN SHARE ROW EXCLUSIVE MODE` (old deployments'
//!   writes wait, their reads do not) before it reads the legacy table, installs the trigger,
//!   then copies; the copy's snapshot comes after the lock, and every later write fires the
//!   trigger. It is the order pt-online-schema-change keeps (triggers, then the copy), in one
//!   transaction instead of chunks. The ledger records the capture's fingerprint (its
//!   function's source and its triggers' events and state); a re-run that finds it, and the
//!   struct's schema checksum, reads only the catalog, the ledger and the conflict log. A
//!   capture found missing or altered (the legacy table recreated, a trigger dropped or
//!   disabled) is reconciled by key and installed again
//!   ([`CaptureStatus::Restored`](crate::CaptureStatus::Restored)). The function runs
//!   `SECURITY DEFINER` with a fixed `search_path` and names every table with its schema, so
//!   an old deployment's role needs no privilege on the new table.
//! - **Checks before writing.** Under the legacy table's lock and before anything is written:
//!   NULLs where the table says `NOT NULL` ([`RejectedRows`](crate::Error::RejectedRows)),
//!   values that do not convert to the field's type or that converting would change (text
//!   that is not a number or not JSON, `2` for a `bool`, a fraction for an integer:
//!   [`WrongType`](crate::Error::WrongType)), two legacy rows under one key
//!   ([`DuplicateKeys`](crate::Error::DuplicateKeys)), references to no row
//!   ([`DanglingReferences`](crate::Error::DanglingReferences)) and values a unique index
//!   would hold twice ([`UniqueViolation`](crate::Error::UniqueViolation)). Conversions that
//!   can fail are tried in a savepoint (PostgreSQL 15 cannot test a value without converting
//!   it); the rows at fault are then found by halving page ranges. After the copy, every
//!   legacy key is proven to have arrived ([`MissingRows`](crate::Error::MissingRows)
//!   otherwise).
//! - **Drift, read from the catalog and altered in place.** A field added is `ADD COLUMN`, a
//!   field renamed with `rename_from` is `RENAME COLUMN`, a type, `NOT NULL` or default
//!   declared otherwise is `ALTER COLUMN` (`TYPE ... USING`, refused when a value would not
//!   convert or would change; `SET NOT NULL`, refused while the column holds NULL), a column
//!   no field keeps is dropped when it holds only NULL or is named in `drop_columns`, missing
//!   indexes are created, foreign keys added, changed or dropped. What would lose data is
//!   [`SchemaDrift`](crate::Error::SchemaDrift) naming the table and the column.
//!
//! What differs from SQLite: there is no table rebuild (PostgreSQL alters in place), no
//! transfer optimization (the copy is `INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING`,
//! converting a legacy column whose type differs: JSON kept as `text` into `jsonb`, `0`/`1`
//! integers into `boolean`), no progress callback, and a kept legacy table's key must have
//! the table key's type ([`KeyProblem::Type`](crate::KeyProblem::Type)). Everything lives in
//! `current_schema()`. `wrkflw_conflicts.legacy_key` holds the key as a JSON array of its
//! values (`["run-1"]`, `["r1", 3]`). [`plan`] lists the legacy table's lock but does not take
//! it.

mod capture;
mod catalog;
mod checks;
mod conflicts;
mod convert;
mod drift;
mod failure;
mod ledger;
mod link;
mod lock;
mod migrate;
mod planner;
pub(crate) mod rows;
mod spec;
mod sql_text;
mod storage;
mod table;
#[doc(hidden)]
pub mod value;

/// The [`postgres`](https://docs.rs/postgres) crate this module is built against, so users need
/// no dependency of their own (and cannot end up with two versions of it).
pub use ::postgres as driver;
pub use ::postgres::{Client, GenericClient, NoTls};

pub use lock::MIGRATION_LOCK_KEY;
pub use migrate::{migrate, plan, PgMigrator, DEFAULT_LOCK_TIMEOUT};
pub use storage::PgWorkflowStorage;
pub use table::{PgColumn, PgKey, PgKeyPart, PgTable, PgType};
