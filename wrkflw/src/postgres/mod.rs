//! PostgreSQL, the scale-out path: the same structs, migrations and typed rows on a server,
//! behind the `postgres` feature, through the synchronous [`postgres`](driver) crate.
//!
//! With the feature on, `#[wrkflw_table]` also implements [`PgTable`] for each struct: the
//! PostgreSQL statements as constants (`PG_CREATE_SQL`, ...), a migration on
//! `&mut postgres::Client` and the typed row methods.
//!
//! Async callers run these calls on a blocking thread (`tokio::task::spawn_blocking`): the
//! client blocks the thread it runs on.
//!
//! Bring [`PgTable`] into scope where rows are read and written on PostgreSQL. Where
//! [`Table`](crate::Table) is in scope too, a method both traits have (`insert`, `get`,
//! `migrate`, ...) is ambiguous: call it as `PgTable::insert(&run, &mut client)`.

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
