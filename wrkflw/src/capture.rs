//! Change capture: five triggers on a kept legacy table that carry every write an old
//! deployment makes to it (insert, update, delete, by key) into the new table, inside the
//! writer's own transaction.
//!
//! Why at once, rather than logged and applied by the next `migrate`: the new application
//! writes the new table at the same time, and only applying each legacy write when it
//! happens puts the two sides' writes to one key in their real order, so the newer write wins
//! without clocks. It also means a row an old deployment writes is visible to the new one
//! straight away, and a re-run of `migrate` has nothing to copy and writes nothing.
//!
//! The triggers run inside whatever SQLite the old deployment links, so they use only SQL
//! that every SQLite 3 understands (no UPSERT, no `unixepoch()`). Their statements never
//! rely on a conflict clause: the writer's `INSERT OR IGNORE` / `OR REPLACE` overrides the
//! clause of every statement in a trigger it fires, so each statement is written so that no
//! constraint of the new table can fail:
//!
//! - a row the new table cannot hold (a NULL where it says `NOT NULL`) is logged in
//!   `wrkflw_conflicts` as `rejected`, not written, and `migrate` reports it;
//! - a key the legacy table did not hold before, which the new table holds already, belongs
//!   to another row there (ids handed out on both sides): it is logged as `key_taken` and the
//!   new table's row is left alone until `migrate` settles it under [`OnConflict`];
//! - `INSERT OR REPLACE` of a key the legacy table holds (or `UPDATE OR REPLACE` moving a row
//!   onto one) is an update, not a new row. SQLite fires no delete trigger for the row it
//!   replaces, so `BEFORE` triggers mark such keys in `wrkflw_replaced_keys` for the `AFTER`
//!   triggers to tell the two apart;
//! - the values written are checked to still be the legacy row's: when a trigger of the
//!   application's fires first and rewrites the row, its own write is carried over as it
//!   happens, and the older values are not written after it.
//!
//! [`OnConflict`]: crate::OnConflict

use crate::ledger::{CONFLICTS_TABLE, REPLACED_KEYS_TABLE};
use crate::link::{Filled, Link};
use crate::sql_text::{checksum, literal, quoted, wrapped_list};

/// One trigger: its name and its `CREATE TRIGGER` text as SQLite stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trigger {
    pub(crate) name: String,
    pub(crate) sql: String,
}

impl Trigger {
    /// The statement that creates it in the main schema (SQLite stores it without `main.`).
    pub(crate) fn create_statement(&self) -> String {
        self.sql
            .replacen("CREATE TRIGGER ", "CREATE TRIGGER main.", 1)
    }

    pub(crate) fn drop_statement(&self) -> String {
        format!("DROP TRIGGER main.{}", quoted(&self.name))
    }
}

/// The names of a table's capture triggers, in the order they are installed.
pub(crate) fn trigger_names(table: &str) -> [String; 5] {
    [
        "before_insert",
        "before_update",
        "insert",
        "update",
        "delete",
    ]
    .map(|event| format!("{table}_capture_{event}"))
}

/// A checksum of the triggers' text, recorded in the ledger when they are installed.
pub(crate) fn fingerprint<'a>(sqls: impl IntoIterator<Item = &'a str>) -> String {
    checksum(sqls)
}

impl Link {
    /// The five triggers, in install order.
    pub(crate) fn triggers(&self) -> Vec<Trigger> {
        let [before_insert, before_update, insert, update, delete] = trigger_names(self.table);
        let legacy = quoted(self.legacy);
        let table = quoted(self.table);
        let t = literal(self.table);
        // Updates of legacy-only columns need not fire; a generated column read may change
        // with any column, so then every update does. A rowid key also changes through
        // `SET rowid = ...`, which SQLite matches by that name.
        let mut watched: Vec<String> = self.pairs.iter().map(|(_, s)| quoted(s)).collect();
        let mut key_names: Vec<String> = self.keys.iter().map(|(_, s)| quoted(s)).collect();
        if self.legacy_key_is_rowid {
            watched.extend(self.rowid_names.iter().map(|n| n.to_string()));
            key_names.extend(self.rowid_names.iter().map(|n| n.to_string()));
        }
        let update_of = if self.reads_generated {
            " ".to_owned()
        } else {
            format!(" OF\n{}\n", wrapped_list(&watched))
        };
        let moved = self.key_moved();
        let fresh_key = |row: &str| {
            [
                format!("NOT {}", self.replaced(row)),
                self.holds(row),
                format!("NOT {}", self.same_row(row)),
            ]
        };
        let log_conflict = |conditions: &[String]| {
            format!(
                "  INSERT INTO {CONFLICTS_TABLE} (table_name, legacy_key, reason, detected_at)\n  \
                 SELECT {t}, {}, 'key_taken', {NOW}\n{};\n",
                self.logged_key("NEW"),
                where_all(conditions)
            )
        };
        let mark = |conditions: &[String]| {
            format!(
                "  INSERT INTO {REPLACED_KEYS_TABLE} (table_name, legacy_key)\n  \
                 SELECT {t}, {}\n{};\n",
                self.logged_key("NEW"),
                where_all(conditions)
            )
        };
        let forget = |what: &str, conditions: &[String]| {
            format!("  DELETE FROM {what}\n{};\n", where_all(conditions))
        };
        let log_key = |row: &str| format!("legacy_key = {}", self.log_operand(row));
        // What was logged under a key the row left; not under a key with a NULL in it,
        // which other legacy rows may hold too.
        let left_key = |row: &str| {
            let mut conditions = vec![format!("table_name = {t}"), log_key(row)];
            conditions.extend(self.key_without_null(row));
            conditions
        };
        vec![
            Trigger {
                sql: format!(
                    "CREATE TRIGGER {name}\nBEFORE INSERT ON {legacy}\n\
                     WHEN EXISTS (SELECT 1 FROM {legacy} WHERE {})\nBEGIN\n\
                     \x20 -- An insert of a key the legacy table holds replaces its row (INSERT OR\n\
                     \x20 -- REPLACE): mark it, so that the insert trigger carries it over as an update.\n\
                     {}END",
                    self.legacy_key_is("NEW"),
                    mark(&[format!("NOT {}", self.replaced("NEW"))]),
                    name = quoted(&before_insert),
                ),
                name: before_insert,
            },
            Trigger {
                sql: format!(
                    "CREATE TRIGGER {name}\nBEFORE UPDATE OF {} ON {legacy}\n\
                     WHEN {moved}\n\
                     \x20 AND EXISTS (SELECT 1 FROM {legacy} WHERE {})\nBEGIN\n\
                     \x20 -- A key moved onto one the legacy table holds replaces that row (UPDATE OR\n\
                     \x20 -- REPLACE): mark it, so that the update trigger carries it over as an update.\n\
                     {}END",
                    key_names.join(", "),
                    self.legacy_key_is("NEW"),
                    mark(&[format!("NOT {}", self.replaced("NEW"))]),
                    name = quoted(&before_update),
                ),
                name: before_update,
            },
            Trigger {
                sql: format!(
                    "CREATE TRIGGER {name}\nAFTER INSERT ON {legacy}\nBEGIN\n{}\
                     \x20 -- A key the legacy table did not hold: what was logged about it is over, and\n\
                     \x20 -- a different row the new table holds under it is another row (a conflict).\n\
                     {}{}{}{}END",
                    self.unique_guard(None),
                    forget(
                        CONFLICTS_TABLE,
                        &[
                            format!("table_name = {t}"),
                            log_key("NEW"),
                            format!("NOT {}", self.replaced("NEW")),
                        ]
                    ),
                    log_conflict(&fresh_key("NEW")),
                    forget(REPLACED_KEYS_TABLE, &[format!("table_name = {t}"), log_key("NEW")]),
                    self.apply(),
                    name = quoted(&insert),
                ),
                name: insert,
            },
            Trigger {
                sql: format!(
                    "CREATE TRIGGER {name}\nAFTER UPDATE{update_of}ON {legacy}\nBEGIN\n\
                     \x20 -- A new key: the row left the old one (a delete, unless the new table's\n\
                     \x20 -- row there is another row) and took one the legacy table did not hold,\n\
                     \x20 -- unless it replaced the row there (UPDATE OR REPLACE).\n\
                     {}{}{}{}{}\
                     \x20 -- Marks of this statement, or of an upsert's DO UPDATE, are spent.\n\
                     {}{}END",
                    self.unique_guard(Some("OLD")),
                    forget(
                        &table,
                        &[
                            self.table_key_is("OLD"),
                            moved.clone(),
                            format!("NOT {}", self.taken("OLD")),
                        ]
                    ),
                    forget(CONFLICTS_TABLE, &[left_key("OLD"), vec![moved.clone()]].concat()),
                    forget(
                        CONFLICTS_TABLE,
                        &[
                            format!("table_name = {t}"),
                            log_key("NEW"),
                            moved.clone(),
                            format!("NOT {}", self.replaced("NEW")),
                        ]
                    ),
                    log_conflict(&[&[moved.clone()][..], &fresh_key("NEW")].concat()),
                    forget(
                        REPLACED_KEYS_TABLE,
                        &[
                            format!("table_name = {t}"),
                            format!(
                                "legacy_key IN ({}, {})",
                                self.log_operand("OLD"),
                                self.log_operand("NEW")
                            ),
                        ]
                    ),
                    self.apply(),
                    name = quoted(&update),
                ),
                name: update,
            },
            Trigger {
                sql: format!(
                    "CREATE TRIGGER {name}\nAFTER DELETE ON {legacy}\nBEGIN\n\
                     \x20 -- Carried over, unless the new table's row under the key is another row.\n\
                     {}{}{}END",
                    forget(
                        &table,
                        &[
                            self.table_key_is("OLD"),
                            format!("NOT {}", self.taken("OLD")),
                        ]
                    ),
                    forget(CONFLICTS_TABLE, &left_key("OLD")),
                    forget(
                        REPLACED_KEYS_TABLE,
                        &[format!("table_name = {t}"), log_key("OLD")]
                    ),
                    name = quoted(&delete),
                ),
                name: delete,
            },
        ]
    }

    /// For each unique index of the new table, a statement that fails the legacy write when
    /// the index holds `NEW`'s values under another key (other than `moved_from`'s, the key
    /// a moving row leaves). Carried over, the row would break the index; and under the
    /// writer's `OR REPLACE`, which every statement in the trigger inherits, it would delete
    /// the row there. `RAISE` is not a constraint, so no conflict clause turns it into
    /// anything but an error.
    fn unique_guard(&self, moved_from: Option<&str>) -> String {
        let table = quoted(self.table);
        self.uniques
            .iter()
            .map(|(index, columns)| {
                let mut terms: Vec<String> = columns
                    .iter()
                    .map(|(column, filled)| match filled {
                        Filled::From(source) => {
                            format!("n.{} = NEW.{}", quoted(column), quoted(source))
                        }
                        Filled::Default(default) => format!("n.{} = ({default})", quoted(column)),
                    })
                    .collect();
                terms.push(format!("NOT ({})", self.same_key("n", "NEW")));
                if let Some(old) = moved_from {
                    terms.push(format!("NOT ({})", self.same_key("n", old)));
                }
                let message = literal(&format!(
                    "wrkflw: unique index {index} of {} already holds these values under another key; the write is refused so that the row there stays",
                    self.table
                ));
                format!(
                    "  -- Values unique index {index} holds under another key: refuse the write.\n  \
                     SELECT RAISE(ABORT, {message})\n  WHERE EXISTS (SELECT 1 FROM {table} AS n\n    WHERE {});\n",
                    terms.join("\n    AND ")
                )
            })
            .collect()
    }

    /// The statements that write the legacy row `NEW` into the new table: an update of the
    /// row under its key, else an insert; or a `rejected` entry when the new table cannot
    /// hold it. Nothing when the key is another row's there, or when `NEW` is no longer the
    /// legacy row (a trigger of the application's rewrote it, and that write was carried
    /// over as it happened).
    fn apply(&self) -> String {
        let table = quoted(self.table);
        let t = literal(self.table);
        let complete = self.complete("NEW");
        let not_taken = format!("NOT {}", self.taken("NEW"));
        let current = self.current("NEW");
        let not_holds = format!("NOT {}", self.holds("NEW"));
        let sets: Vec<String> = self
            .pairs
            .iter()
            .filter(|(column, _)| !column.primary_key)
            .map(|(column, source)| format!("{} = NEW.{}", quoted(column.name), quoted(source)))
            .collect();
        let writes = [complete.clone(), not_taken.clone(), current.clone()];
        let update = if sets.is_empty() {
            String::new()
        } else {
            format!(
                "  UPDATE {table} SET\n{}\n{};\n",
                indented(&wrapped_list(&sets)),
                where_all(&[&[self.table_key_is("NEW")][..], &writes].concat())
            )
        };
        let inserted = [&writes[..], &[not_holds]].concat();
        format!(
            "  -- Write it into the new table; a row the new table cannot hold is logged.\n\
             \x20 DELETE FROM {CONFLICTS_TABLE}\n{};\n\
             \x20 INSERT INTO {CONFLICTS_TABLE} (table_name, legacy_key, reason, detected_at)\n\
             \x20 SELECT {t}, {}, 'rejected', {NOW}\n{};\n\
             {update}\
             \x20 INSERT INTO {table} (\n{}\n  )\n  SELECT\n{}\n{};\n\
             \x20 -- A constraint added to the new table by hand would, under the writer's\n\
             \x20 -- INSERT OR IGNORE, drop the row silently: fail the write instead.\n\
             \x20 SELECT RAISE(ABORT,\n    {message})\n{};\n",
            where_all(&[
                format!("table_name = {t}"),
                format!("legacy_key = {}", self.log_operand("NEW")),
                not_taken.clone(),
            ]),
            self.logged_key("NEW"),
            where_all(&[format!("NOT ({complete})"), not_taken, current]),
            indented(&wrapped_list(&self.columns())),
            indented(&wrapped_list(&self.sources("NEW."))),
            where_all(&inserted),
            where_all(&inserted),
            message = literal(&format!(
                "wrkflw: {} did not keep the row written to {}; nothing was written",
                self.table, self.legacy
            )),
        )
    }

    /// The new table's row under the key is another row: a conflict pending, or settled by
    /// keeping the new table's row.
    fn taken(&self, row: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {CONFLICTS_TABLE} WHERE table_name = {}\n\
             AND legacy_key = {} AND reason = 'key_taken' AND settled IS NOT 'took_legacy')",
            literal(self.table),
            self.log_operand(row)
        )
    }

    /// The new table holds the key.
    fn holds(&self, row: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {} WHERE {})",
            quoted(self.table),
            self.table_key_is(row)
        )
    }

    /// The new table's row under the key holds the legacy row's values as they are now: the
    /// same row, whoever wrote it there.
    fn same_row(&self, row: &str) -> String {
        let n_key = self.same_key("n", row);
        let l_key = self.each_key(|_, s| format!("l.{0} = {row}.{0}", quoted(s)));
        format!(
            "EXISTS (SELECT 1 FROM {} AS n, {} AS l\nWHERE {n_key} AND {l_key}\nAND {})",
            quoted(self.table),
            quoted(self.legacy),
            self.equal("n", "l"),
        )
    }

    /// `NEW` is still the legacy row: no later write to it (by a trigger of the
    /// application's, firing before this one) has changed it since.
    fn current(&self, row: &str) -> String {
        let same: Vec<String> = self
            .pairs
            .iter()
            .map(|(_, s)| format!("{0} IS {row}.{0} COLLATE BINARY", quoted(s)))
            .collect();
        let exists = format!(
            "EXISTS (SELECT 1 FROM {} WHERE {}\nAND {})",
            quoted(self.legacy),
            self.legacy_key_is(row),
            same.join(" AND "),
        );
        // `=` finds no row under a key with a NULL in it. Such a row is only ever logged as
        // rejected, and an entry a stale write leaves is forgotten by `migrate` once no
        // legacy row holds that key.
        let without_null = self.each_key(|_, s| format!("{row}.{} IS NOT NULL", quoted(s)));
        format!("(NOT ({without_null})\nOR {exists})")
    }

    /// The insert replaces the legacy row of its key (marked by a before trigger).
    fn replaced(&self, row: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {REPLACED_KEYS_TABLE} WHERE table_name = {}\n\
             AND legacy_key = {})",
            literal(self.table),
            self.log_operand(row)
        )
    }
}

/// A wrapped list two spaces further in, inside a trigger's body.
fn indented(list: &str) -> String {
    list.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `  WHERE a\n    AND b ...`: one condition a line; a condition's own continuation lines
/// (a subquery's) are indented under it.
fn where_all(conditions: &[String]) -> String {
    conditions
        .iter()
        .enumerate()
        .map(|(i, condition)| {
            let head = if i == 0 { "  WHERE " } else { "    AND " };
            format!("{head}{}", condition.replace('\n', "\n        "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The current time in unix seconds, in SQL every SQLite 3 understands.
const NOW: &str = "CAST(strftime('%s', 'now') AS INTEGER)";
