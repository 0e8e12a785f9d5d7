//! The conflict log `wrkflw_conflicts` as `migrate` reads and settles it on PostgreSQL: each
//! logged key is looked at against both tables as they are now, and what remains a conflict
//! is settled under the migrator's [`OnConflict`], as on SQLite (`crate::conflicts`). The
//! statements name the keys they settle, as read under the legacy table's lock.

use ::postgres::types::Type;
use ::postgres::Transaction;

use super::failure::is_data_exception;
use super::link::Link;
use super::sql_text::{literal, qualified, NOW};
pub(crate) use crate::conflicts::{Reason, Settled, Standing, State};
use crate::ledger::CONFLICTS_TABLE;
use crate::OnConflict;

/// A logged key, as the tables stand now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Logged {
    /// `legacy_key` as stored: the JSON array of the key's values.
    pub(crate) logged: String,
    /// The key as SQL literals, for messages: `'r1'`, or `('r1', 3)`.
    pub(crate) key: String,
    pub(crate) reason: Reason,
    pub(crate) settled: Settled,
    pub(crate) state: State,
    /// The legacy row has every value the table requires.
    pub(crate) complete: bool,
    /// Every value of the legacy row converts to its column's type.
    pub(crate) converts: bool,
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

    /// Whether the table could hold the legacy row.
    pub(crate) fn writable(&self) -> bool {
        self.complete && self.converts && self.state != State::NullKey
    }
}

/// Every entry of `link`'s table in the conflict log (which must exist), comparing the
/// columns for which `present` is true (those the table has now).
///
/// A legacy row whose values do not all convert to the table's types cannot be compared;
/// the entries are then read one by one, each in a savepoint, and such a row counts as
/// differing and not convertible.
pub(crate) fn read(
    tx: &mut Transaction<'_>,
    link: &Link,
    present: &dyn Fn(&str) -> bool,
) -> Result<Vec<Logged>, ::postgres::Error> {
    match read_where(tx, link, present, None, true) {
        Ok(logged) => Ok(logged),
        Err(error) if is_data_exception(&error) => {
            let keys = read_keys(tx, link)?;
            let mut logged = Vec::with_capacity(keys.len());
            for key in keys {
                match read_where(tx, link, present, Some(&key), true) {
                    Ok(entries) => logged.extend(entries),
                    Err(error) if is_data_exception(&error) => {
                        logged.extend(read_where(tx, link, present, Some(&key), false)?)
                    }
                    Err(error) => return Err(error),
                }
            }
            Ok(logged)
        }
        Err(error) => Err(error),
    }
}

fn read_keys(tx: &mut Transaction<'_>, link: &Link) -> Result<Vec<String>, ::postgres::Error> {
    let rows = tx.query_typed(
        &format!(
            "SELECT legacy_key FROM {} WHERE table_name = $1 ORDER BY legacy_key",
            log(link)
        ),
        &[(&link.table, Type::TEXT)],
    )?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

fn log(link: &Link) -> String {
    qualified(&link.schema, CONFLICTS_TABLE)
}

/// The entries (of one key, or all), in a savepoint of their own. Without `compare`, the
/// legacy rows' values are not converted: a row the table holds counts as differing, and
/// as not convertible.
fn read_where(
    tx: &mut Transaction<'_>,
    link: &Link,
    present: &dyn Fn(&str) -> bool,
    key: Option<&str>,
    compare: bool,
) -> Result<Vec<Logged>, ::postgres::Error> {
    let legacy = link.legacy_sql();
    let table = link.table_sql();
    let logged = link.logged_as("l", "c.legacy_key");
    let held = format!(
        "SELECT 1 FROM {legacy} AS l JOIN {table} AS n ON {} WHERE {logged}",
        link.same_key("n", "l")
    );
    let same = if compare {
        format!(
            "WHEN EXISTS ({held} AND {}) THEN 'same'",
            link.equal_among("n", "l", present)
        )
    } else {
        String::new()
    };
    // Converting the legacy row's values (a cast that fails aborts the read, which is then
    // made entry by entry).
    let fallible: Vec<String> = link
        .pairs
        .iter()
        .filter(|p| p.conversion.fallible())
        .map(|p| p.value("l"))
        .collect();
    let converts = match (compare, fallible.is_empty()) {
        (false, _) => "false".to_owned(),
        (true, true) => "true".to_owned(),
        (true, false) => format!(
            "NOT EXISTS (SELECT 1 FROM {legacy} AS l WHERE {logged} AND num_nulls({}) < 0)",
            fallible.join(", ")
        ),
    };
    let sql = format!(
        "SELECT c.legacy_key, c.reason, c.settled,
  CASE
    WHEN c.legacy_key::jsonb @> '[null]'::jsonb THEN
      CASE WHEN EXISTS (SELECT 1 FROM {legacy} AS l WHERE {logged_key} = c.legacy_key)
        THEN 'null_key' ELSE 'gone' END
    WHEN NOT EXISTS (SELECT 1 FROM {legacy} AS l WHERE {logged}) THEN 'gone'
    WHEN NOT EXISTS ({held}) THEN 'free'
    {same}
    ELSE 'differs'
  END,
  EXISTS (SELECT 1 FROM {legacy} AS l WHERE {logged} AND {complete}),
  {converts}
FROM {log} AS c WHERE c.table_name = $1 AND ($2::text IS NULL OR c.legacy_key = $2)
ORDER BY c.legacy_key",
        logged_key = link.logged_key("l"),
        complete = if link.required().next().is_some() {
            link.complete("l")
        } else {
            "true".to_owned()
        },
        log = log(link),
    );
    let mut savepoint = tx.transaction()?;
    let rows = savepoint.query_typed(&sql, &[(&link.table, Type::TEXT), (&key, Type::TEXT)])?;
    savepoint.commit()?;
    rows.iter()
        .map(|row| {
            let logged: String = row.try_get(0)?;
            let reason: String = row.try_get(1)?;
            let settled: Option<String> = row.try_get(2)?;
            let state: String = row.try_get(3)?;
            Ok(Logged {
                key: shown_key(&logged),
                logged,
                reason: Reason::from_log(&reason),
                settled: Settled::from_log(settled.as_deref()),
                state: State::from_log(&state),
                complete: row.try_get(4)?,
                converts: row.try_get(5)?,
            })
        })
        .collect()
}

/// A logged key (`["r1", 3]`) as SQL literals for messages: `'r1'`, or `('r1', 3)`.
pub(crate) fn shown_key(logged: &str) -> String {
    let Ok(serde_json::Value::Array(values)) = serde_json::from_str::<serde_json::Value>(logged)
    else {
        return literal(logged);
    };
    let parts: Vec<String> = values.iter().map(sql_literal).collect();
    match parts.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    }
}

fn sql_literal(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "NULL".to_owned(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => literal(s),
        other => literal(&other.to_string()),
    }
}

/// `(l.a, l.b) IN (('r1'::text, '3'::bigint), ...)`: the legacy rows under the logged keys,
/// compared on the legacy key's columns so that its index serves.
pub(crate) fn legacy_rows_of(link: &Link, l: &str, entries: &[&Logged]) -> String {
    let tuples: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            let serde_json::Value::Array(values) = serde_json::from_str(&e.logged).ok()? else {
                return None;
            };
            let parts: Option<Vec<String>> = values
                .iter()
                .zip(&link.keys)
                .map(|(value, pair)| {
                    let text = match value {
                        serde_json::Value::Null => return None,
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some(format!("{}::{}", literal(&text), pair.source_type))
                })
                .collect();
            let parts = parts?;
            Some(if parts.len() == 1 {
                parts[0].clone()
            } else {
                format!("({})", parts.join(", "))
            })
        })
        .collect();
    let columns: Vec<String> = link.keys.iter().map(|p| p.source_of(l)).collect();
    let columns = if columns.len() == 1 {
        columns[0].clone()
    } else {
        format!("({})", columns.join(", "))
    };
    if tuples.is_empty() {
        "false".to_owned()
    } else {
        format!("{columns} IN ({})", tuples.join(", "))
    }
}

/// `table_name = 't' AND legacy_key IN ('["a"]', ...)`.
fn entries_are(link: &Link, entries: &[&Logged]) -> String {
    let keys: Vec<String> = entries.iter().map(|e| literal(&e.logged)).collect();
    format!(
        "table_name = {} AND legacy_key IN ({})",
        literal(link.table),
        keys.join(", ")
    )
}

/// The statements that settle the log, each with the entries it covers, in the order they
/// run: forget entries whose legacy row is gone, copy legacy rows whose key is free, apply
/// `rejected` rows the table can now hold, forget entries where both tables agree, then
/// settle what is left under the policy.
pub(crate) struct Settlement {
    pub(crate) forget_gone: (u64, String),
    pub(crate) copy_free: (u64, String),
    pub(crate) apply_rejected: (u64, String),
    pub(crate) forget_same: (u64, String),
    pub(crate) take_legacy: (u64, String),
    pub(crate) mark: (u64, String),
}

impl Settlement {
    /// `present`: the columns the table had when the log was read; rows compare on those.
    pub(crate) fn new(
        link: &Link,
        logged: &[Logged],
        on_conflict: OnConflict,
        present: &dyn Fn(&str) -> bool,
    ) -> Settlement {
        let live = |e: &Logged| e.settled != Settled::TookLegacy;
        let pick = |keep: &dyn Fn(&Logged) -> bool| -> Vec<&Logged> {
            logged.iter().filter(|e| keep(e)).collect()
        };
        let gone = pick(&|e| e.state == State::Gone);
        let free = pick(&|e| e.state == State::Free && live(e));
        let rejected = pick(&|e| {
            e.state == State::Differs
                && e.reason == Reason::Rejected
                && e.settled == Settled::Pending
        });
        let mut agreeing = pick(&|e| e.state == State::Same && live(e));
        agreeing.extend(free.iter().copied());
        agreeing.extend(rejected.iter().copied());
        let pending = pick(&|e| e.pending_conflict());
        let log = log(link);
        let n = |entries: &[&Logged]| entries.len() as u64;
        let how = match on_conflict {
            OnConflict::TakeLegacy => "took_legacy",
            _ => "kept_table",
        };
        Settlement {
            forget_gone: (
                n(&gone),
                format!("DELETE FROM {log}\nWHERE {}", entries_are(link, &gone)),
            ),
            copy_free: (
                n(&free),
                link.insert_select(Some(&format!(
                    "{}\n  AND {}",
                    legacy_rows_of(link, "l", &free),
                    link.not_in_table("l")
                ))),
            ),
            apply_rejected: (
                n(&rejected),
                link.update_from_legacy(&legacy_rows_of(link, "l", &rejected)),
            ),
            forget_same: (
                n(&agreeing),
                format!(
                    "DELETE FROM {log} AS c\nWHERE {}\n  AND EXISTS (SELECT 1 FROM {} AS l JOIN {} AS n ON {}\n    WHERE {} AND {})",
                    entries_are(link, &agreeing).replace("table_name", "c.table_name").replace("legacy_key IN", "c.legacy_key IN"),
                    link.legacy_sql(),
                    link.table_sql(),
                    link.same_key("n", "l"),
                    link.logged_as("l", "c.legacy_key"),
                    link.equal_among("n", "l", present),
                ),
            ),
            take_legacy: (
                if on_conflict == OnConflict::TakeLegacy {
                    n(&pending)
                } else {
                    0
                },
                link.update_from_legacy(&legacy_rows_of(link, "l", &pending)),
            ),
            mark: (
                n(&pending),
                format!(
                    "UPDATE {log} SET settled = '{how}', settled_at = {NOW}\nWHERE {} AND reason = 'key_taken' AND settled IS NULL",
                    entries_are(link, &pending)
                ),
            ),
        }
    }
}
