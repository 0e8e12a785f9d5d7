//! Change capture on PostgreSQL: one PL/pgSQL function per table and two triggers on the kept
//! legacy table (`AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW`, and `BEFORE TRUNCATE`)
//! that carry every write an old deployment makes there into the new table, by key, inside
//! the writer's own transaction. The semantics are SQLite's (see `crate::capture`):
//!
//! - a row the new table cannot hold (a NULL where it says `NOT NULL`, a value that does not
//!   convert to its column's type, such as text that is not JSON) is logged in
//!   `wrkflw_conflicts` as `rejected`, not written, and `migrate` reports it;
//! - a key the legacy table did not hold before, which the new table holds already for a
//!   different row, is logged as `key_taken`, and the new table's row is left alone until
//!   `migrate` settles it under [`OnConflict`](crate::OnConflict);
//! - a row's values are written only while they are still the legacy row's: when a trigger of
//!   the application's rewrites the row in a nested statement, that write is carried over as
//!   it happens, and the older values are not written after it.
//!
//! PostgreSQL needs none of SQLite's `BEFORE` triggers: it has no `INSERT OR REPLACE`, and
//! an `INSERT ... ON CONFLICT DO UPDATE` fires the update trigger for the row it updates.
//! A `TRUNCATE` fires no row trigger, so a statement trigger carries it over as a delete of
//! every legacy row before it runs.
//!
//! # No write between the copy and the capture
//!
//! PostgreSQL has no rowid to tell which legacy rows came after a copy, so a re-run relies on
//! the capture having seen every write since: none may fall between the first copy's snapshot
//! and the trigger. The migration takes `LOCK TABLE legacy IN SHARE ROW EXCLUSIVE MODE`
//! before it reads the legacy table (old deployments' writes wait; their reads do not),
//! installs the trigger, then copies, in one `READ COMMITTED` transaction: the copy's snapshot
//! is taken after the lock, so it sees every write committed before it, and every write after
//! the commit fires the trigger. It is the order pt-online-schema-change keeps with its
//! triggers and chunked copy (triggers first, then the copy), with one transaction instead of
//! chunks because PostgreSQL's DDL is transactional. A write still waiting for the lock when
//! the migration commits runs after it, through the trigger.
//!
//! The function runs `SECURITY DEFINER` with `search_path` set to `pg_catalog, pg_temp` and
//! every table named with its schema, so that an old deployment's role, search path and
//! temporary tables cannot change what it writes; it needs no privilege on the new table of
//! that role.
//!
//! The ledger records the capture's fingerprint: a checksum of the function's source and of
//! the triggers' events, columns and state. A re-run that finds the function and triggers
//! with the fingerprint this struct installs reads no legacy row; one that finds them missing
//! or altered (the legacy table dropped and recreated, a trigger dropped or disabled)
//! reconciles the tables by key and installs them again.

use super::catalog;
use super::link::{Link, Pair};
use super::sql_text::{ident, literal, object_name, qualified, NOW};
use crate::ledger::{CONFLICTS_TABLE, LEDGER_TABLE};

/// `pg_trigger.tgtype` of the row trigger: `ROW | INSERT | DELETE | UPDATE`, `AFTER`.
const ROW_EVENTS: i16 = 1 | 4 | 8 | 16;
/// `pg_trigger.tgtype` of the truncate trigger: `BEFORE | TRUNCATE`, for each statement.
const TRUNCATE_EVENTS: i16 = 2 | 32;

/// The capture of one table: its function and triggers, as installed and as described to
/// compare with the catalog.
#[derive(Debug, Clone)]
pub(crate) struct Capture {
    pub(crate) function: String,
    pub(crate) row_trigger: String,
    pub(crate) truncate_trigger: String,
    /// The function's body, as `prosrc` stores it.
    pub(crate) source: String,
    /// The legacy columns an update must touch to fire the trigger; empty: every update.
    pub(crate) watched: Vec<String>,
    schema: String,
    legacy: String,
}

/// The names of a table's capture objects: its function (in the schema) and its two
/// triggers (on the legacy table).
pub(crate) fn names(table: &str) -> (String, String, String) {
    (
        object_name(&format!("{table}_capture")),
        object_name(&format!("{table}_capture")),
        object_name(&format!("{table}_capture_truncate")),
    )
}

impl Capture {
    pub(crate) fn new(link: &Link) -> Capture {
        let (function, row_trigger, truncate_trigger) = names(link.table);
        // Updates of legacy-only columns need not fire; a generated column read may change
        // with any column, so then every update does.
        let watched = if link.reads_generated {
            Vec::new()
        } else {
            link.pairs.iter().map(|p| p.source.clone()).collect()
        };
        Capture {
            source: function_source(link),
            function,
            row_trigger,
            truncate_trigger,
            watched,
            schema: link.schema.clone(),
            legacy: link.legacy.to_owned(),
        }
    }

    pub(crate) fn function_sql(&self) -> String {
        qualified(&self.schema, &self.function)
    }

    /// `CREATE OR REPLACE FUNCTION ...`: replacing keeps the function's identity, so the
    /// triggers that execute it keep working.
    pub(crate) fn create_function(&self) -> String {
        let mut tag = "$wrkflw$".to_owned();
        while self.source.contains(&tag) {
            tag.insert(tag.len() - 1, '_');
        }
        format!(
            "CREATE OR REPLACE FUNCTION {}() RETURNS trigger\n\
             LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp\n\
             AS {tag}{}{tag}",
            self.function_sql(),
            self.source
        )
    }

    pub(crate) fn create_row_trigger(&self) -> String {
        let update = if self.watched.is_empty() {
            "UPDATE".to_owned()
        } else {
            let columns: Vec<String> = self.watched.iter().map(|c| ident(c)).collect();
            format!("UPDATE OF {}", columns.join(", "))
        };
        format!(
            "CREATE TRIGGER {} AFTER INSERT OR {update} OR DELETE ON {}\n\
             FOR EACH ROW EXECUTE FUNCTION {}()",
            ident(&self.row_trigger),
            qualified(&self.schema, &self.legacy),
            self.function_sql()
        )
    }

    pub(crate) fn create_truncate_trigger(&self) -> String {
        format!(
            "CREATE TRIGGER {} BEFORE TRUNCATE ON {}\n\
             FOR EACH STATEMENT EXECUTE FUNCTION {}()",
            ident(&self.truncate_trigger),
            qualified(&self.schema, &self.legacy),
            self.function_sql()
        )
    }

    pub(crate) fn drop_trigger(&self, name: &str) -> String {
        format!(
            "DROP TRIGGER {} ON {}",
            ident(name),
            qualified(&self.schema, &self.legacy)
        )
    }

    pub(crate) fn drop_function(&self) -> String {
        format!("DROP FUNCTION {}()", self.function_sql())
    }

    /// The triggers as (name, statement), in install order.
    pub(crate) fn triggers(&self) -> [(String, String); 2] {
        [
            (self.row_trigger.clone(), self.create_row_trigger()),
            (
                self.truncate_trigger.clone(),
                self.create_truncate_trigger(),
            ),
        ]
    }

    /// How each trigger is described when it is exactly as installed: name, events,
    /// enabled, executing the capture's function, update columns.
    fn expected_triggers(&self) -> [String; 2] {
        [
            describe(&self.row_trigger, ROW_EVENTS, 'O', true, &self.watched),
            describe(&self.truncate_trigger, TRUNCATE_EVENTS, 'O', true, &[]),
        ]
    }

    /// The fingerprint recorded in the ledger when it is installed.
    pub(crate) fn fingerprint(&self) -> String {
        let [row, truncate] = self.expected_triggers();
        fingerprint_of(&self.source, &row, &truncate)
    }

    /// The fingerprint of what the catalog holds under the capture's names; `None` when the
    /// function or a trigger is missing.
    pub(crate) fn found(
        &self,
        function: Option<&catalog::Function>,
        triggers: &[catalog::Trigger],
    ) -> Option<String> {
        let function = function?;
        let find = |name: &str| triggers.iter().find(|t| t.name == name);
        let described = |trigger: &catalog::Trigger| {
            describe(
                &trigger.name,
                trigger.events,
                trigger.enabled,
                trigger.function == function.oid,
                &trigger.columns,
            )
        };
        let row = described(find(&self.row_trigger)?);
        let truncate = described(find(&self.truncate_trigger)?);
        Some(fingerprint_of(&function.source, &row, &truncate))
    }

    /// Whether the catalog holds trigger `name` exactly as installed.
    pub(crate) fn trigger_intact(
        &self,
        name: &str,
        function: Option<&catalog::Function>,
        triggers: &[catalog::Trigger],
    ) -> bool {
        let Some(function) = function else {
            return false;
        };
        let expected = self.expected_triggers();
        triggers.iter().any(|t| {
            t.name == name
                && expected.contains(&describe(
                    &t.name,
                    t.events,
                    t.enabled,
                    t.function == function.oid,
                    &t.columns,
                ))
        })
    }
}

fn describe(name: &str, events: i16, enabled: char, ours: bool, columns: &[String]) -> String {
    format!("{name} {events} {enabled} {ours} {}", columns.join(","))
}

fn fingerprint_of(source: &str, row: &str, truncate: &str) -> String {
    crate::sql_text::checksum([source, row, truncate])
}

/// The PL/pgSQL body of the capture's function.
fn function_source(link: &Link) -> String {
    let table = link.table_sql();
    let legacy = link.legacy_sql();
    let log = qualified(&link.schema, CONFLICTS_TABLE);
    let t = literal(link.table);
    // One variable per column written: the legacy row NEW as the table's types.
    let var = |i: usize| format!("v{}", i + 1);
    let vars: Vec<(String, &Pair)> = link
        .pairs
        .iter()
        .enumerate()
        .map(|(i, p)| (var(i), p))
        .collect();
    let var_of = |pair: &Pair| {
        vars.iter()
            .find(|(_, p)| p.column() == pair.column())
            .map(|(v, _)| v.clone())
            .unwrap_or_default()
    };
    let declare: String = vars
        .iter()
        .map(|(v, p)| format!("  {v} {};\n", p.field.pg_type.as_str()))
        .collect();
    let assign: String = vars
        .iter()
        .map(|(v, p)| format!("    {v} := {};\n", p.value("NEW")))
        .collect();
    let fallible = link.pairs.iter().any(|p| p.conversion.fallible());
    let converting = if fallible {
        format!(
            "  BEGIN\n{assign}  EXCEPTION WHEN data_exception THEN\n    fits := false;\n  END;\n"
        )
    } else {
        assign.replace("    ", "  ")
    };
    let required: Vec<String> = link
        .required()
        .map(|p| format!("{} IS NOT NULL", var_of(p)))
        .collect();
    let key_var = |row_alias: &str| {
        link.each_key(|p| format!("{row_alias}.{} = {}", ident(p.column()), var_of(p)))
    };
    let logged = |row: &str| format!("table_name = {t} AND legacy_key = {}", link.logged_key(row));
    let taken = |row: &str| {
        format!(
            "EXISTS (SELECT 1 FROM {log} WHERE {}\n      AND reason = 'key_taken' AND settled IS DISTINCT FROM 'took_legacy')",
            logged(row)
        )
    };
    let log_entry = |reason: &str| {
        format!(
            "INSERT INTO {log} (table_name, legacy_key, reason, detected_at)\n      VALUES ({t}, {}, '{reason}', {NOW})\n      ON CONFLICT (table_name, legacy_key) DO UPDATE SET reason = EXCLUDED.reason,\n        detected_at = EXCLUDED.detected_at, settled = NULL, settled_at = NULL;",
            link.logged_key("NEW")
        )
    };
    // A key another row took in the same statement (keys swapped or shifted along a
    // chain by one UPDATE) is that row's now: its own trigger carries it over, before or
    // after this one, so the new table's row and the log under it are not this row's to
    // remove.
    let leave_old = format!(
        "    IF NOT EXISTS (SELECT 1 FROM {legacy} AS l WHERE {}) THEN\n      DELETE FROM {table} AS n WHERE {}\n        AND NOT {};\n      DELETE FROM {log} WHERE {};\n    END IF;\n",
        link.legacy_key_is("l", "OLD"),
        link.each_key(|p| format!("n.{} = {}", ident(p.column()), p.value("OLD"))),
        taken("OLD"),
        logged("OLD"),
    );
    let ledger = qualified(&link.schema, LEDGER_TABLE);
    let moved = link.key_differs("OLD", "NEW");
    let columns = link.columns().join(", ");
    let values: Vec<String> = vars.iter().map(|(v, _)| v.clone()).collect();
    let updates: Vec<String> = link
        .pairs
        .iter()
        .filter(|p| !p.field.column.primary_key)
        .map(|p| format!("{0} = EXCLUDED.{0}", ident(p.column())))
        .collect();
    let on_conflict = if updates.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        format!("DO UPDATE SET {}", updates.join(", "))
    };
    // The new table's row under the key is the legacy row as it is now (not NEW, which a
    // nested write may have rewritten since): the same row, whoever wrote it there.
    let same = format!(
        "same := EXISTS (SELECT 1 FROM {table} AS n JOIN {legacy} AS l ON {}\n        WHERE {} AND {});",
        link.legacy_key_is("l", "NEW"),
        key_var("n"),
        link.equal("n", "l"),
    );
    let same_row = if fallible {
        format!(
            "      BEGIN\n        {same}\n      EXCEPTION WHEN data_exception THEN\n        same := false;\n      END;\n"
        )
    } else {
        format!("      {same}\n")
    };
    let current = format!(
        "(NOT ({}) OR EXISTS (SELECT 1 FROM {legacy} AS l\n      WHERE {} AND l::text = NEW::text))",
        link.key_not_null("NEW"),
        link.legacy_key_is("l", "NEW"),
    );
    format!(
        "
-- wrkflw's change capture of {legacy} into {table}: installed by migrate, do not edit.
DECLARE
{declare}  fits boolean := true;
  same boolean;
BEGIN
  -- A snapshot taken before the migration committed (REPEATABLE READ, SERIALIZABLE) does
  -- not see the rows it copied, so it cannot carry a write over by key: the write must
  -- fail and be retried, as any serialization failure is, rather than be lost.
  IF NOT EXISTS (SELECT 1 FROM {ledger} WHERE table_name = {t}) THEN
    RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
      MESSAGE = 'wrkflw: ' || {t} || ' was migrated after this transaction''s snapshot; retry the transaction';
  END IF;
  IF TG_OP = 'TRUNCATE' THEN
    -- Every legacy row goes: carried over as deletes, except where the new table's row
    -- under the key is another row; what was logged is over.
    DELETE FROM {table} AS n USING {legacy} AS l
      WHERE {same_key}
      AND NOT EXISTS (SELECT 1 FROM {log} AS c WHERE c.table_name = {t}
        AND c.legacy_key = {logged_l} AND c.reason = 'key_taken'
        AND c.settled IS DISTINCT FROM 'took_legacy');
    DELETE FROM {log} WHERE table_name = {t};
    RETURN NULL;
  END IF;
  IF (CASE WHEN TG_OP = 'UPDATE' THEN {moved} ELSE TG_OP = 'DELETE' END) THEN
    -- The row left its key (deleted, or moved to another): carried over, unless the new
    -- table's row under the key is another row; what was logged about the key is over.
{leave_old}  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN NULL;
  END IF;
  -- The legacy row NEW as the table's types: a value that does not convert, or a NULL
  -- where the table says NOT NULL, makes a row the table cannot hold.
{converting}  fits := fits AND {required};
  IF (CASE WHEN TG_OP = 'UPDATE' THEN {moved} ELSE true END) THEN
    -- A key the legacy table did not hold: what was logged about it is over, and a
    -- different row the new table holds under it is another row (a conflict).
    DELETE FROM {log} WHERE {logged_new};
    IF EXISTS (SELECT 1 FROM {table} AS n WHERE {key_var}) THEN
{same_row}      IF NOT same THEN
        {key_taken}
      END IF;
    END IF;
  END IF;
  -- Written into the new table, unless the key is another row's there, or NEW is no
  -- longer the legacy row (a later write rewrote it, and is carried over itself).
  IF NOT {taken_new}
    AND {current} THEN
    DELETE FROM {log} WHERE {logged_new};
    IF fits THEN
      INSERT INTO {table} AS n ({columns})
      VALUES ({value_list})
      ON CONFLICT ({key_columns}) {on_conflict};
    ELSE
      {rejected}
    END IF;
  END IF;
  RETURN NULL;
END
",
        same_key = link.same_key("n", "l"),
        logged_l = link.logged_key("l"),
        required = if required.is_empty() {
            "true".to_owned()
        } else {
            required.join(" AND ")
        },
        logged_new = logged("NEW"),
        key_var = key_var("n"),
        key_taken = log_entry("key_taken"),
        taken_new = taken("NEW"),
        value_list = values.join(", "),
        key_columns = link.key_columns(),
        rejected = log_entry("rejected"),
    )
}
