//! The `#[wrkflw_table]` attribute of [wrkflw](https://docs.rs/wrkflw). Use it through the
//! `wrkflw` crate, which re-exports it next to the runtime it expands to.
//!
//! The expansion is pure: it reads the struct, checks it, and writes constants and one impl.
//! It opens no database, reads no environment and writes no file.

mod args;
mod ast;
mod check;
mod errors;
mod expand;
mod names;
mod pg_check;
mod pg_default;
mod pg_expand;
mod pg_sql;
mod sql;

use proc_macro::TokenStream;

/// Turns a struct into a prefixed SQLite table with its schema and migration as `const` SQL,
/// and, with the `postgres` feature, the same table on PostgreSQL.
///
/// Each named field is a column, in field order. The struct is emitted unchanged apart from
/// the `#[wrkflw(...)]` field attributes, and implements
/// [`wrkflw::Table`](https://docs.rs/wrkflw/latest/wrkflw/trait.Table.html), whose constants
/// hold the generated SQL.
///
/// # Table options: `#[wrkflw_table(...)]`
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `rename_from = "workflow_runs"` | the legacy table whose rows `migrate` copies over | none |
/// | `name = "runs"` | the base name of the table | `rename_from`, else the struct name in snake_case |
/// | `prefix = "app_"` | put in front of the base name | `"wrkflw_"` |
/// | `index(a, b)` | an index `idx_{table}_a_b` on those fields, in order (repeatable) | none |
/// | `unique(a, b)` | a unique index `uq_{table}_a_b` (repeatable) | none |
/// | `strict` | a `STRICT` table | not strict |
/// | `drop_columns("old")` | existing columns a table rebuild may drop with their data | none |
///
/// # Field options: `#[wrkflw(...)]`
///
/// | key | meaning |
/// | --- | --- |
/// | `primary_key` | the table's key (required); on several fields, a composite key in field order |
/// | `index` | an index named `idx_{table}_{column}` |
/// | `unique` | a unique index named `uq_{table}_{column}` |
/// | `references = Other` | a foreign key to the `#[wrkflw_table]` struct `Other`'s one-column key (`Self` for the same table) |
/// | `on_delete = "cascade"` | with `references`: `cascade`, `restrict`, `set_null`, `set_default` or `no_action` |
/// | `default = "unixepoch()"` | a SQL expression, written as `DEFAULT (unixepoch())` |
/// | `postgres_default = "..."` | with `default`: the same default as PostgreSQL writes it, used there instead of `default` translated (see [PostgreSQL](#postgresql)) |
/// | `rename_from = "old_column"` | the column's old name: the copy reads the legacy column of that name, and `migrate` renames an existing table's column of that name |
/// | `json` | any serde type, stored as JSON text (`None` is SQL NULL, `Some(null)` the text `null`) |
///
/// Field types: `String` is `TEXT`; `i64`, `i32`, `i16`, `i8`, `u32`, `u16`, `u8` and `bool`
/// are `INTEGER`; `f64` and `f32` are `REAL`; `Vec<u8>` is `BLOB`; a `json` field is `TEXT`.
/// `Option<T>` is the same type and nullable; every other column is `NOT NULL`, the primary
/// key included.
///
/// The struct also gets typed rows through [`wrkflw::Table`](https://docs.rs/wrkflw/latest/wrkflw/trait.Table.html)
/// (`insert`, `upsert`, `update`, `get`, `delete`, `all`, `count`, `from_row`; a composite
/// key is a tuple, `Step::get(&conn, ("r1", 3))`) and, for each index on columns `a, b`,
/// `find_by_a_and_b` with its statement in `FIND_BY_A_AND_B_SQL`: returning `Option<Self>`
/// for a unique index, `Vec<Self>` for a plain one.
///
/// # Example
///
/// ```
/// use wrkflw::{wrkflw_table, LegacyTable, Table};
///
/// #[wrkflw_table(rename_from = "jobs")]
/// pub struct Job {
///     #[wrkflw(primary_key)]
///     pub id: String,
///     #[wrkflw(index, default = "'queued'")]
///     pub state: String,
///     pub attempts: Option<i64>,
/// }
///
/// assert_eq!(Job::TABLE_NAME, "wrkflw_jobs");
/// assert_eq!(
///     Job::CREATE_SQL,
///     "CREATE TABLE IF NOT EXISTS wrkflw_jobs (
///   id TEXT NOT NULL PRIMARY KEY,
///   state TEXT NOT NULL DEFAULT ('queued'),
///   attempts INTEGER
/// )"
/// );
/// assert_eq!(
///     Job::INDEX_SQL,
///     ["CREATE INDEX IF NOT EXISTS idx_wrkflw_jobs_state ON wrkflw_jobs (state)"]
/// );
/// assert_eq!(
///     Job::DROP_LEGACY_SQL,
///     ["DROP TABLE IF EXISTS jobs"]
/// );
///
/// let mut conn = wrkflw::rusqlite::Connection::open_in_memory()?;
/// let report = Job::migrate(&mut conn, LegacyTable::Keep)?;
/// assert!(!report.legacy_found);
/// # Ok::<(), wrkflw::Error>(())
/// ```
///
/// # PostgreSQL
///
/// With `wrkflw`'s `postgres` feature the struct also implements
/// [`wrkflw::postgres::PgTable`](https://docs.rs/wrkflw/latest/wrkflw/postgres/trait.PgTable.html):
/// the same table written for PostgreSQL, in constants beside the SQLite ones
/// (`PG_CREATE_SQL`, `PG_INDEX_SQL`, `PG_COPY_SQL`, `PG_DROP_LEGACY_SQL`, `PG_COLUMNS`,
/// `PG_INSERT_SQL`, `PG_UPSERT_SQL`, `PG_UPDATE_SQL`, `PG_SELECT_SQL`, `PG_SELECT_ALL_SQL`,
/// `PG_DELETE_SQL`, `PG_COUNT_SQL`, and `pg_migration_sql`), the typed rows on a `postgres`
/// client, and for each index a `pg_find_by_a_and_b` with its `PG_FIND_BY_A_AND_B_SQL`,
/// whose parameters have the columns' own types (`&str` for a `String`, `u32` for a `u32`;
/// `impl Into<Option<..>>` for an `Option` field). The columns, their order, the key, the
/// index names and the row semantics are those of SQLite.
///
/// Types follow the Rust type: `i64` and `u32` are `BIGINT`; `i32` and `u16` `INTEGER`;
/// `i16`, `i8` and `u8` `SMALLINT`; `bool` `BOOLEAN`; `f64` `DOUBLE PRECISION`; `f32`
/// `REAL`; `String` `TEXT`; `Vec<u8>` `BYTEA`; a `json` field `JSONB`. Names PostgreSQL
/// reserves (`user`, `order`, `limit`, ...) or that hold a capital letter are
/// double-quoted, so the catalog holds each name exactly as the struct gives it; a name
/// longer than PostgreSQL's 63 bytes is a compile error. `strict` means nothing there:
/// PostgreSQL's types are always strict.
///
/// A `default` is written for SQLite and translated: numbers, `'text'`, `NULL` (no
/// default), `TRUE`/`FALSE` (and `0`/`1` on a `bool`), `X'..'` blobs, `unixepoch()` (also
/// `unixepoch('now')` and `strftime('%s', 'now')`, as whole seconds:
/// `floor(extract(epoch from now()))::bigint`) and `CURRENT_TIMESTAMP`, `CURRENT_DATE`,
/// `CURRENT_TIME` on a `String` (SQLite's UTC text: `to_char(now() AT TIME ZONE 'UTC',
/// 'YYYY-MM-DD HH24:MI:SS')`). Any other default is a compile error, when the PostgreSQL
/// statements are generated, until the field says how PostgreSQL writes it:
///
/// ```
/// use wrkflw::{wrkflw_table, Table};
///
/// #[wrkflw_table]
/// pub struct Job {
///     #[wrkflw(primary_key)]
///     pub id: i64,
///     #[wrkflw(default = "abs(random()) % 16", postgres_default = "floor(random() * 16)::bigint")]
///     pub shard: i64,
/// }
///
/// // SQLite keeps its own form; PostgreSQL's `PG_CREATE_SQL` has
/// // `shard BIGINT NOT NULL DEFAULT (floor(random() * 16)::bigint)`.
/// assert_eq!(Job::COLUMNS[1].default, Some("abs(random()) % 16"));
/// ```
///
/// `postgres_default` needs a `default`: alone, the column would have a default on one
/// engine only, and `insert` of a `None` two meanings. It is accepted with or without the
/// feature, so a struct reads the same either way.
///
/// Mistakes are compile errors on the offending token, all of them in one compile:
///
/// ```compile_fail
/// #[wrkflw::wrkflw_table(rename_form = "jobs")] // did you mean `rename_from`?
/// struct Job {
///     #[wrkflw(primary_key)]
///     id: String,
/// }
/// ```
#[proc_macro_attribute]
pub fn wrkflw_table(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::wrkflw_table(args.into(), item.into()).into()
}
