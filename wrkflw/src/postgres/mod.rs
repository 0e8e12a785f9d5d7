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
//! Bring [`PgTable`] into scope where rows are read and written on PostgreSQL. Where
//! [`Table`](crate::Table) is in scope too, a method both traits have (`insert`, `get`,
//! `migrate`, ...) is ambiguous: call it as `PgTable::insert(&run, &mut client)`.

mod migrate;
pub(crate) mod rows;
mod table;
#[doc(hidden)]
pub mod value;

/// The [`postgres`](https://docs.rs/postgres) crate this module is built against, so users need
/// no dependency of their own (and cannot end up with two versions of it).
pub use ::postgres as driver;
pub use ::postgres::{Client, GenericClient, NoTls};

pub use migrate::{migrate, plan};
pub use table::{PgColumn, PgKey, PgKeyPart, PgTable, PgType};
