//! Serializing migrators: one advisory lock that every PostgreSQL migration takes inside its
//! transaction before it reads anything.
//!
//! Why this kind of lock:
//!
//! - **Transaction-scoped** (`pg_try_advisory_xact_lock`): the commit or the rollback releases
//!   it, and so does the end of the session when a migrator dies (killed, crashed, its
//!   connection cut): the server rolls its transaction back and the lock goes with it. A
//!   killed migrator never leaves a lock behind for someone to clear by hand.
//! - **Tried and polled**, with short sleeps, until the migrator's `lock_timeout`: the caller
//!   gets exactly the wait it asked for and then [`Error::Busy`], without the session's own
//!   `lock_timeout` being touched for the wait.
//! - **Advisory**: it locks no table, so the application's reads and writes never wait behind
//!   migrators queued for it; only migrators wait for each other.
//!
//! One key serves every table of a database: two migrators of different tables queue too,
//! which keeps runs whose tables reference each other apart. The key is
//! [`MIGRATION_LOCK_KEY`], 64-bit FNV-1a of the ledger's name, `wrkflw_migrations`, so that
//! an operator can find a migrator holding it (`SELECT pid FROM pg_locks WHERE locktype =
//! 'advisory' AND (classid::bigint << 32 | objid::bigint) = <key>`) or hold it to keep
//! migrators out.

use std::time::{Duration, Instant};

use ::postgres::types::Type;
use ::postgres::Transaction;

use super::failure::classify;
use crate::{Error, Result, Step};

/// The advisory lock every PostgreSQL migration holds for its transaction:
/// `pg_try_advisory_xact_lock(MIGRATION_LOCK_KEY)`, the 64-bit FNV-1a hash of
/// `"wrkflw_migrations"` read as a signed 64-bit integer (`-26386999723800840`).
///
/// Holding it in another session keeps every migrator of the database waiting:
///
/// ```sql
/// BEGIN;
/// SELECT pg_advisory_xact_lock(-26386999723800840);  -- until COMMIT or ROLLBACK
/// ```
pub const MIGRATION_LOCK_KEY: i64 = fnv1a(b"wrkflw_migrations") as i64;

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The first sleep between two tries; each sleep doubles, up to [`MAX_SLEEP`].
const FIRST_SLEEP: Duration = Duration::from_millis(5);
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Takes the lock, trying until `timeout` has passed; then [`Error::Busy`] naming `table`.
pub(crate) fn acquire(tx: &mut Transaction<'_>, table: &str, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    let mut sleep = FIRST_SLEEP;
    loop {
        let taken: bool = tx
            .query_typed_one(
                "SELECT pg_try_advisory_xact_lock($1)",
                &[(&MIGRATION_LOCK_KEY, Type::INT8)],
            )
            .and_then(|row| row.try_get(0))
            .map_err(|source| classify(table, Step::Begin, timeout, source))?;
        if taken {
            return Ok(());
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(Error::Busy {
                table: table.to_owned(),
                step: Step::Begin,
                timeout,
            });
        }
        std::thread::sleep(sleep.min(timeout - waited));
        sleep = (sleep * 2).min(MAX_SLEEP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_fnv1a_of_the_ledgers_name() {
        assert_eq!(MIGRATION_LOCK_KEY, -26386999723800840);
    }
}
