//! What the code `#[wrkflw_table]` generates refers to, by absolute path. Not public API.

#[doc(hidden)]
pub use crate::rows::{find, find_one, json, json_opt, to_json, to_json_opt};
#[doc(hidden)]
pub use rusqlite;

/// What the generated `PgTable` impls use.
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub mod pg {
    pub use crate::postgres::rows::{find, find_one};
    pub use crate::postgres::value::*;
    pub use ::postgres;
}

/// Its input with the `postgres` feature, nothing without. `#[wrkflw_table]` wraps what it
/// generates for PostgreSQL in it, so that the runtime's feature decides whether that code
/// is compiled: the macro's own feature can be on for a build of `wrkflw` whose feature is
/// off (Cargo resolves a proc-macro's features apart, for the host).
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrkflw_if_postgres {
    ($($code:tt)*) => { $($code)* };
}

/// Its input with the `postgres` feature, nothing without (this build has it off).
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrkflw_if_postgres {
    ($($code:tt)*) => {};
}

#[doc(hidden)]
pub use crate::__wrkflw_if_postgres as if_postgres;

use crate::SqlType;

/// What a `references = Other` column needs of `Other` at compile time. Literals only, so
/// that two tables that reference each other do not make their constants depend on each
/// other.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a #[wrkflw_table] struct",
    label = "needs a struct annotated with #[wrkflw_table]"
)]
pub trait Referenced {
    /// The table's name, as `Table::TABLE_NAME`.
    const TABLE_NAME: &'static str;
    /// The table's name as SQL text: double-quoted where SQLite would read a keyword.
    const TABLE_SQL: &'static str;
    /// The one-column primary key, or `""` for a composite key.
    const KEY_COLUMN: &'static str;
    /// The key column's name as SQL text.
    const KEY_SQL: &'static str;
    /// How many columns the key has.
    const KEY_LEN: usize;
    /// The key's SQL type (of its first column).
    const KEY_TYPE: SqlType;
    /// The table's name as PostgreSQL text: double-quoted where PostgreSQL reserves the word
    /// or where it holds a capital letter.
    #[cfg(feature = "postgres")]
    const PG_TABLE_SQL: &'static str;
    /// The one-column key's name as PostgreSQL text, or `""` for a composite key.
    #[cfg(feature = "postgres")]
    const PG_KEY_SQL: &'static str;
    /// The key's PostgreSQL type (of its first column).
    #[cfg(feature = "postgres")]
    const PG_KEY_TYPE: crate::postgres::PgType;
}

/// The length of `pieces` joined.
#[doc(hidden)]
pub const fn joined_len(pieces: &[&str]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < pieces.len() {
        len += pieces[i].len();
        i += 1;
    }
    len
}

/// `pieces` joined into `N` bytes (`N` from [`joined_len`]), at compile time.
#[doc(hidden)]
pub const fn join<const N: usize>(pieces: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < pieces.len() {
        let bytes = pieces[i].as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            out[at] = bytes[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(at == N, "joined SQL text has another length than computed");
    out
}

/// Joined pieces of `&str` as text again; they are UTF-8 by construction.
#[doc(hidden)]
pub const fn utf8(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("joined SQL text is not UTF-8"),
    }
}
