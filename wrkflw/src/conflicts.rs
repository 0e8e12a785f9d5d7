//! The conflict log `wrkflw_conflicts` as `migrate` reads and settles it: each logged key is
//! looked at against both tables as they are now, and what remains a conflict is settled
//! under the migrator's [`OnConflict`].

use rusqlite::types::Value;
use rusqlite::Connection;

use crate::ledger::CONFLICTS_TABLE;
use crate::link::Link;
use crate::sql_text::{literal, main};

/// What to do with a legacy row whose key the table holds for another row: two different
/// rows under one key, most often from ids handed out on both sides (an `AUTOINCREMENT`
/// key, or ids the applications assign). Set with
/// [`Migrator::on_conflict`](crate::Migrator::on_conflict).
///
/// The change capture logs such rows in `wrkflw_conflicts` and leaves the table's row alone;
/// the next `migrate` settles them, counts them in its report and the ledger, and lists their
/// keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OnConflict {
    /// Fail the migration with [`Error::Conflicts`](crate::Error::Conflicts), naming the
    /// keys; nothing is changed, and the conflicts stay logged. The default: only the
    /// application knows which of two rows is right, and choosing either silently loses the
    /// other.
    #[default]
    Fail,
    /// Keep the table's row. The legacy row stays in the legacy table, apart (later writes
    /// to it are not carried over), and is gone when the legacy table is dropped.
    KeepTable,
    /// Overwrite the table's row with the legacy row's values; from then on the two are one
    /// row and the capture carries the legacy row's writes over again.
    TakeLegacy,
}

/// A logged key, as the tables stand now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Logged {
    /// The legacy key as an SQL literal: `'r1'`, or `('r1', 3)` for a composite key.
    pub(crate) key: String,
    /// The legacy key as the log stores it (see [`Link::logged_key`]).
    pub(crate) value: Value,
    pub(crate) reason: Reason,
    pub(crate) settled: Settled,
    pub(crate) state: State,
    /// The legacy row has every value the table requires.
    pub(crate) complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    KeyTaken,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    Pending,
    KeptTable,
    TookLegacy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// The legacy row is gone.
    Gone,
    /// The legacy row's key is NULL (or has a NULL in it): it cannot be written to the
    /// table.
    NullKey,
    /// The table does not hold the key (any more).
    Free,
    /// The table holds the key with the legacy row's values.
    Same,
    /// The table holds the key with other values.
    Differs,
}

impl Reason {
    /// The reason as the log's `reason` column writes it: `rejected`, else `key_taken`.
    pub(crate) fn from_log(text: &str) -> Reason {
        if text == "rejected" {
            Reason::Rejected
        } else {
            Reason::KeyTaken
        }
    }
}

impl Settled {
    /// The settlement as the log's `settled` column writes it: NULL while pending.
    pub(crate) fn from_log(text: Option<&str>) -> Settled {
        match text {
            None => Settled::Pending,
            Some("took_legacy") => Settled::TookLegacy,
            Some(_) => Settled::KeptTable,
        }
    }
}

impl State {
    /// The state as the queries that read the log name it (`gone`, `null_key`, `free`,
    /// `same`; anything else differs).
    pub(crate) fn from_log(text: &str) -> State {
        match text {
            "gone" => State::Gone,
            "null_key" => State::NullKey,
            "free" => State::Free,
            "same" => State::Same,
            _ => State::Differs,
        }
    }
}

/// Every entry of `link`'s table in the conflict log (which must exist), comparing the
/// columns for which `present` is true (those the table has now).
pub(crate) fn read(
    conn: &Connection,
    link: &Link,
    present: impl Fn(&str) -> bool,
) -> rusqlite::Result<Vec<Logged>> {
    let legacy = main(link.legacy);
    let table = main(link.table);
    let logged = |l: &str| link.logged_as(l, "=", "c.legacy_key");
    let row_of = |extra: &str| {
        format!(
            "SELECT 1 FROM {legacy} AS l, {table} AS n WHERE {} AND {}{extra}",
            logged("l"),
            link.same_key("n", "l")
        )
    };
    // A one-column NULL key is logged as NULL, which `=` never finds; a composite key
    // with a NULL in it is logged as text, and found.
    let null_key = match link.key_without_null("l") {
        None => format!(
            "WHEN c.legacy_key IS NULL THEN
      CASE WHEN EXISTS (SELECT 1 FROM {legacy} AS l WHERE {} IS NULL) THEN 'null_key' ELSE 'gone' END",
            link.logged_key("l")
        ),
        Some(without_null) => format!(
            "WHEN EXISTS (SELECT 1 FROM {legacy} AS l WHERE {} AND NOT ({without_null})) THEN 'null_key'",
            logged("l")
        ),
    };
    let sql = format!(
        "SELECT {}, c.reason, c.settled,
  CASE
    {null_key}
    WHEN NOT EXISTS (SELECT 1 FROM {legacy} AS l WHERE {}) THEN 'gone'
    WHEN NOT EXISTS ({free}) THEN 'free'
    WHEN EXISTS ({same}) THEN 'same'
    ELSE 'differs'
  END,
  EXISTS (SELECT 1 FROM {legacy} AS l WHERE {} AND {complete}),
  c.legacy_key
FROM main.{CONFLICTS_TABLE} AS c WHERE c.table_name = ?1",
        link.shown_logged("c.legacy_key"),
        logged("l"),
        link.logged_as("l", "IS", "c.legacy_key"),
        free = row_of(""),
        same = row_of(&format!(" AND {}", link.equal_among("n", "l", present))),
        complete = link.complete("l"),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([link.table], |row| {
        let reason: String = row.get(1)?;
        let settled: Option<String> = row.get(2)?;
        let state: String = row.get(3)?;
        Ok(Logged {
            key: row.get(0)?,
            reason: Reason::from_log(&reason),
            settled: Settled::from_log(settled.as_deref()),
            state: State::from_log(&state),
            complete: row.get(4)?,
            value: row.get(5)?,
        })
    })?;
    rows.collect()
}

impl Logged {
    fn standing(&self) -> Standing {
        Standing {
            reason: self.reason,
            settled: self.settled,
            state: self.state,
        }
    }

    /// See [`Standing::pending_conflict`].
    pub(crate) fn pending_conflict(&self) -> bool {
        self.standing().pending_conflict()
    }

    /// See [`Standing::written`].
    pub(crate) fn written(&self, policy: OnConflict) -> bool {
        self.standing().written(policy)
    }
}

/// Where a logged key stands, on either engine: why it was logged, how it was settled, and
/// the two tables now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Standing {
    pub(crate) reason: Reason,
    pub(crate) settled: Settled,
    pub(crate) state: State,
}

impl Standing {
    /// A conflict still to be settled: another row under the key, nothing decided yet.
    pub(crate) fn pending_conflict(self) -> bool {
        self.reason == Reason::KeyTaken
            && self.settled == Settled::Pending
            && self.state == State::Differs
    }

    /// Whether settling writes this legacy row into the table under `policy`.
    pub(crate) fn written(self, policy: OnConflict) -> bool {
        match self.state {
            State::NullKey => true,
            State::Free => self.settled != Settled::TookLegacy,
            State::Differs => {
                (self.reason == Reason::Rejected && self.settled == Settled::Pending)
                    || (self.pending_conflict() && policy == OnConflict::TakeLegacy)
            }
            State::Gone | State::Same => false,
        }
    }
}

/// The statements that settle a table's log, in the order they run: forget entries whose
/// legacy row is gone, copy legacy rows whose key is free, apply `rejected` rows the table
/// can now hold, forget entries where both tables agree, then settle what is left.
pub(crate) struct Settlement {
    pub(crate) forget_gone: String,
    pub(crate) copy_free: String,
    pub(crate) apply_rejected: String,
    pub(crate) forget_same: String,
    pub(crate) take_legacy: String,
    pub(crate) mark_kept: String,
    pub(crate) mark_took: String,
}

impl Settlement {
    /// `present`: the columns the table had when the log was read; rows compare on those, as
    /// planning compared them.
    pub(crate) fn new(link: &Link, present: impl Fn(&str) -> bool) -> Settlement {
        let t = literal(link.table);
        let log = format!("main.{CONFLICTS_TABLE}");
        let legacy = main(link.legacy);
        let table = main(link.table);
        let mark = |how: &str| {
            format!(
                "UPDATE {log} SET settled = '{how}', settled_at = unixepoch()\nWHERE table_name = {t} AND reason = 'key_taken' AND settled IS NULL"
            )
        };
        let logged = |filter: &str| {
            format!("SELECT legacy_key FROM {log} WHERE table_name = {t} AND {filter}")
        };
        let entry = format!("{CONFLICTS_TABLE}.legacy_key");
        Settlement {
            forget_gone: format!(
                "DELETE FROM {log}\nWHERE table_name = {t}\n  AND NOT EXISTS (SELECT 1 FROM {legacy} AS l WHERE {})",
                link.logged_as("l", "IS", &entry)
            ),
            copy_free: link.insert_select(Some(&format!(
                "{} IN ({})\n  AND {}",
                link.logged_key("l"),
                logged("settled IS NOT 'took_legacy'"),
                link.not_in_table("l")
            ))),
            apply_rejected: link
                .update_from_legacy(&link.table_row_logged("n", &logged("reason = 'rejected'"))),
            forget_same: format!(
                "DELETE FROM {log}\nWHERE table_name = {t} AND settled IS NOT 'took_legacy'\n  AND EXISTS (SELECT 1 FROM {legacy} AS l, {table} AS n\n    WHERE {} AND {} AND {})",
                link.logged_as("l", "=", &entry),
                link.same_key("n", "l"),
                link.equal_among("n", "l", present),
            ),
            take_legacy: link.update_from_legacy(&link.table_row_logged(
                "n",
                &logged("reason = 'key_taken' AND settled IS NULL"),
            )),
            mark_kept: mark("kept_table"),
            mark_took: mark("took_legacy"),
        }
    }
}
