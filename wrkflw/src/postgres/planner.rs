//! Deciding every statement of a table's migration on PostgreSQL from the database as it is:
//! the catalog, the legacy table, the ledger, the change capture and its conflict log. Any
//! reason to refuse (drift that would lose data, a legacy row the table cannot hold, a
//! conflict under `OnConflict::Fail`, something that still uses the legacy table) is found
//! here, before anything is written. `plan` and `migrate` both call it, so they cannot
//! disagree.

use std::time::Duration;

use ::postgres::Transaction;

use super::capture::{self, Capture};
use super::catalog::{self, TableForeignKey};
use super::checks::{self, Earlier, Rows};
use super::conflicts::{self, Logged, Settlement};
use super::convert::Conversion;
use super::drift;
use super::failure::failed;
use super::ledger;
use super::link::Link;
use super::spec::PgSpec;
use super::sql_text::{ident, literal, qualified};
use crate::ledger::{CONFLICTS_TABLE, LEDGER_TABLE};
use crate::plan::{Action, CopyPath, Found, LegacyFate, Plan, PlannedStep};
use crate::{CaptureStatus, Error, KeyProblem, OnConflict, Result, Step};

/// What a table's plan needs to know of the `PgMigrator` run it is part of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The other tables of the run that read this table's legacy table.
    pub(crate) companions: &'a [&'static str],
    /// The tables of the run that come before this one.
    pub(crate) earlier: &'a [PgSpec],
    /// Legacy tables the run drops: their references to a legacy table do not stop its drop.
    pub(crate) dropped: &'a [&'static str],
    /// Legacy tables this table drops after its own steps, group by group (a group of legacy
    /// tables that reference each other in a cycle goes in one statement): when it is the last.
    pub(crate) drops_at_end: &'a [Vec<&'static str>],
    pub(crate) on_conflict: OnConflict,
    pub(crate) timeout: Duration,
}

/// What the catalog holds for one table and its legacy table: read before planning, and
/// again once the legacy table is locked. Reads no row of either.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) schema: String,
    pub(crate) table: Option<catalog::Table>,
    pub(crate) foreign_keys: Vec<TableForeignKey>,
    pub(crate) legacy: Option<catalog::Table>,
    /// The schema of the `search_path` where the legacy table's name resolves, when the
    /// migration's schema has no table of that name and another schema has.
    pub(crate) legacy_elsewhere: Option<String>,
    pub(crate) ledger_exists: bool,
    pub(crate) log_exists: bool,
    /// The table's ledger row.
    pub(crate) previous: Option<ledger::Entry>,
    /// Entries of the conflict log for the table.
    pub(crate) logged: u64,
    pub(crate) function: Option<catalog::Function>,
    pub(crate) triggers: Vec<catalog::Trigger>,
}

impl Snapshot {
    pub(crate) fn read(
        tx: &mut Transaction<'_>,
        spec: &PgSpec,
        schema: &str,
        timeout: Duration,
    ) -> Result<Snapshot> {
        let inspect = failed(spec.table, Step::Inspect, timeout);
        let mut names = vec![spec.table, LEDGER_TABLE, CONFLICTS_TABLE];
        names.extend(spec.legacy);
        let relations = catalog::relations(tx, schema, &names).map_err(&inspect)?;
        let find = |name: &str| relations.iter().find(|(n, _)| n == name).map(|(_, r)| r);
        let table_of = |tx: &mut Transaction<'_>,
                        name: &str,
                        defaults: bool|
         -> Result<Option<catalog::Table>> {
            match find(name) {
                None => Ok(None),
                Some(relation) if relation.is_table() => Ok(Some(
                    catalog::table(tx, name, relation, defaults).map_err(&inspect)?,
                )),
                Some(relation) => Err(Error::NotATable {
                    name: name.to_owned(),
                    kind: relation.kind_name().to_owned(),
                }),
            }
        };
        let table = table_of(tx, spec.table, true)?;
        let legacy = match spec.legacy {
            Some(name) => table_of(tx, name, false)?,
            None => None,
        };
        let legacy_elsewhere = match spec.legacy {
            Some(name) if legacy.is_none() => {
                catalog::table_elsewhere(tx, schema, name).map_err(&inspect)?
            }
            _ => None,
        };
        let foreign_keys = match &table {
            Some(table) => catalog::foreign_keys(tx, table.oid).map_err(&inspect)?,
            None => Vec::new(),
        };
        let ledger_exists = find(LEDGER_TABLE).is_some_and(|r| r.is_table());
        let log_exists = find(CONFLICTS_TABLE).is_some_and(|r| r.is_table());
        let previous = if ledger_exists {
            ledger::read(tx, schema, spec.table).map_err(&inspect)?
        } else {
            None
        };
        let logged = if log_exists {
            ledger::logged(tx, schema, spec.table).map_err(&inspect)?
        } else {
            0
        };
        let (function, row_trigger, truncate_trigger) = capture::names(spec.table);
        let (function, triggers) = match &legacy {
            Some(legacy) => (
                catalog::function(tx, schema, &function).map_err(&inspect)?,
                catalog::triggers(tx, legacy.oid, &[row_trigger, truncate_trigger])
                    .map_err(&inspect)?,
            ),
            None => (
                catalog::function(tx, schema, &function).map_err(&inspect)?,
                Vec::new(),
            ),
        };
        Ok(Snapshot {
            schema: schema.to_owned(),
            table,
            foreign_keys,
            legacy,
            legacy_elsewhere,
            ledger_exists,
            log_exists,
            previous,
            logged,
            function,
            triggers,
        })
    }

    /// The ledger row of a run over this legacy table.
    fn previous_for(&self, legacy: &str) -> Option<&ledger::Entry> {
        self.previous
            .as_ref()
            .filter(|p| self.table.is_some() && p.legacy_table == legacy)
    }

    /// Whether a field the table lacks is one the legacy table holds (its rows fill it).
    fn fills_a_column(&self, spec: &PgSpec) -> bool {
        let (Some(table), Some(legacy)) = (&self.table, &self.legacy) else {
            return false;
        };
        spec.columns.iter().any(|c| {
            table.column(c.name).is_none()
                && c.rename_from.is_none_or(|old| table.column(old).is_none())
                && (legacy.column(c.legacy_name()).is_some() || legacy.column(c.name).is_some())
        })
    }
}

fn found(capture: &Capture, snapshot: &Snapshot, previous: Option<&ledger::Entry>) -> Found {
    let now = capture.found(snapshot.function.as_ref(), &snapshot.triggers);
    let recorded = previous.and_then(|p| p.capture.as_deref());
    match now {
        // The capture writes its conflicts there: without it, what was logged is gone and
        // every write to the legacy table since failed, so nothing captured can be trusted.
        Some(_) if !snapshot.log_exists => Found::Altered,
        Some(now) if now == capture.fingerprint() => Found::Intact,
        Some(now) if recorded == Some(now.as_str()) => Found::Outdated,
        _ if recorded.is_some() => Found::Altered,
        _ => Found::Absent,
    }
}

/// Refuses, from the catalog alone and before any lock or write, a legacy table the
/// migration cannot take whatever its rows hold:
///
/// - one the `search_path` finds in another schema than the migration's: the table would be
///   created there empty, the legacy rows left behind
///   ([`Error::LegacyTableInOtherSchema`]);
/// - a partitioned one kept ([`LegacyFate::Keep`]): its capture's triggers would miss a
///   `TRUNCATE` of one partition (truncate triggers are not cloned to partitions) and
///   `ATTACH` or `DETACH PARTITION` (which fire none), so the table would keep rows the legacy
///   table no longer holds while the capture reports itself intact
///   ([`Error::PartitionedLegacyTable`]).
pub(crate) fn refuse_legacy(spec: &PgSpec, snapshot: &Snapshot, fate: LegacyFate) -> Result<()> {
    let Some(name) = spec.legacy else {
        return Ok(());
    };
    if let Some(legacy_schema) = &snapshot.legacy_elsewhere {
        return Err(Error::LegacyTableInOtherSchema {
            table: spec.table.to_owned(),
            legacy_table: name.to_owned(),
            legacy_schema: legacy_schema.clone(),
            schema: snapshot.schema.clone(),
        });
    }
    if fate == LegacyFate::Keep && snapshot.legacy.as_ref().is_some_and(|l| l.partitioned) {
        return Err(Error::PartitionedLegacyTable {
            table: spec.table.to_owned(),
            legacy_table: name.to_owned(),
        });
    }
    Ok(())
}

/// `LOCK TABLE legacy IN SHARE ROW EXCLUSIVE MODE`, unless the run has nothing to read or
/// write in the legacy table: an up-to-date table whose capture is intact and whose
/// conflict log holds nothing for it, kept. Decided from the catalog alone; `migrate` takes
/// the lock before it reads the catalog again and plans the rest. A legacy table
/// [`refuse_legacy`] refuses is refused here, before the lock waits for anyone.
pub(crate) fn lock_steps(
    spec: &PgSpec,
    snapshot: &Snapshot,
    fate: LegacyFate,
) -> Result<Vec<PlannedStep>> {
    refuse_legacy(spec, snapshot, fate)?;
    let (Some(legacy), Some(name)) = (&snapshot.legacy, spec.legacy) else {
        return Ok(Vec::new());
    };
    let quiet = snapshot.table.is_some()
        && fate == LegacyFate::Keep
        && snapshot.logged == 0
        && !snapshot.fills_a_column(spec)
        && Link::new(spec, &snapshot.schema, legacy).is_ok_and(|link| {
            found(&Capture::new(&link), snapshot, snapshot.previous_for(name)) == Found::Intact
        });
    if quiet {
        return Ok(Vec::new());
    }
    Ok(vec![PlannedStep {
        action: Action::LockLegacy {
            legacy_table: name.to_owned(),
        },
        sql: format!(
            "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
            qualified(&snapshot.schema, name)
        ),
    }])
}

/// A table's plan with what `migrate` needs to run, verify and report it.
#[derive(Debug)]
pub(crate) struct TablePlan {
    pub(crate) plan: Plan,
    pub(crate) table_existed: bool,
    pub(crate) columns_added: Vec<String>,
    pub(crate) columns_renamed: Vec<(String, String)>,
    pub(crate) columns_altered: Vec<String>,
    pub(crate) columns_dropped: Vec<String>,
    /// The ledger row `RecordLedger` writes, before this run's copies and settlements are
    /// added to it.
    pub(crate) entry: ledger::Entry,
    pub(crate) legacy: Option<LegacyPlan>,
}

#[derive(Debug)]
pub(crate) struct LegacyPlan {
    pub(crate) link: Link,
    /// The capture after this run, for the report.
    pub(crate) capture: Option<CaptureStatus>,
    /// Keys of the conflicts this run settles, as SQL literals.
    pub(crate) conflicts: Vec<String>,
    /// The legacy rows the copy reads, counted under the lock before it.
    pub(crate) rows_to_copy: u64,
}

impl TablePlan {
    /// Plans `spec`'s migration with its legacy table's `fate`, as part of the run `context`,
    /// after `locks`.
    pub(crate) fn new(
        tx: &mut Transaction<'_>,
        spec: &PgSpec,
        snapshot: &Snapshot,
        fate: LegacyFate,
        context: &Context<'_>,
        locks: Vec<PlannedStep>,
    ) -> Result<TablePlan> {
        refuse_legacy(spec, snapshot, fate)?;
        let schema = snapshot.schema.as_str();
        let inspect = failed(spec.table, Step::Inspect, context.timeout);
        let verify = failed(spec.table, Step::Verify, context.timeout);
        let table_existed = snapshot.table.is_some();
        let mut schema_steps = Vec::new();
        let mut changes = drift::Drift::default();
        match &snapshot.table {
            Some(table) => {
                let trusted = snapshot
                    .previous
                    .as_ref()
                    .is_some_and(|p| p.schema_checksum == spec.schema_checksum());
                changes = drift::drift(
                    tx,
                    spec,
                    schema,
                    table,
                    &snapshot.foreign_keys,
                    trusted,
                    &inspect,
                )?;
                schema_steps.append(&mut changes.steps);
            }
            None => schema_steps.push(PlannedStep {
                action: Action::CreateTable,
                sql: spec.create_sql.to_owned(),
            }),
        }
        let indexes = missing_indexes(tx, spec, snapshot, &verify)?;
        let entry = ledger::Entry {
            legacy_table: spec.legacy.unwrap_or_default().to_owned(),
            schema_checksum: spec.schema_checksum(),
            ..snapshot.previous.clone().unwrap_or_default()
        };
        let base = TablePlan {
            plan: Plan {
                table: spec.table.to_owned(),
                steps: Vec::new(),
            },
            table_existed,
            columns_added: changes.added.clone(),
            columns_renamed: changes.renamed.clone(),
            columns_altered: changes.altered.clone(),
            columns_dropped: changes.dropped.clone(),
            entry,
            legacy: None,
        };

        let (Some(legacy_table), Some(legacy_name)) = (&snapshot.legacy, spec.legacy) else {
            // No legacy table: the table, its drift and indexes, recorded when anything
            // changed or the ledger does not know the struct's schema yet.
            let mut steps = locks;
            schema_steps.extend(indexes);
            let record = !schema_steps.is_empty()
                || snapshot
                    .previous
                    .as_ref()
                    .is_none_or(|p| p.schema_checksum != spec.schema_checksum());
            if record && !snapshot.ledger_exists {
                steps.push(create_ledger(schema));
            }
            steps.extend(schema_steps);
            if record {
                steps.push(record_ledger(schema));
            }
            // The capture of an earlier legacy table of this name is not this run's.
            let mut plan = base;
            plan.entry.legacy_table = String::new();
            plan.entry.capture = None;
            plan.plan.steps = steps;
            return Ok(plan);
        };

        let link = Link::new(spec, schema, legacy_table)?;
        let previous = snapshot.previous_for(legacy_name).cloned();
        let capture = Capture::new(&link);
        let found = if table_existed {
            found(&capture, snapshot, previous.as_ref())
        } else {
            Found::Absent
        };
        let copy_path = if !table_existed {
            Some(CopyPath::BulkInsert)
        } else if matches!(found, Found::Altered | Found::Absent) {
            Some(CopyPath::Reconcile)
        } else {
            None
        };
        let install = fate == LegacyFate::Keep && found != Found::Intact;
        if install || matches!(found, Found::Intact | Found::Outdated) {
            capture_fits(spec, &link, legacy_table, install)?;
        }
        let dropping = matches!(
            fate,
            LegacyFate::Drop | LegacyFate::DroppedLater | LegacyFate::DroppedAtEnd
        );
        if matches!(fate, LegacyFate::Drop | LegacyFate::DroppedAtEnd) {
            refuse_drop_while_used(tx, spec, snapshot, legacy_table, context)?;
        }
        if dropping && link.keys.iter().any(|p| !p.source_not_null) && copy_path.is_none() {
            // A legacy row under a NULL key never reaches the table: dropping the legacy
            // table would lose it.
            checks::legacy_rows(
                tx,
                &link,
                &format!("NOT ({})", link.key_not_null("l")),
                &verify,
            )?;
        }

        // Columns the struct gained that the legacy table holds: the rows already here take
        // their values from it.
        for column in &changes.added {
            if let Some(fill) = fill_step(tx, &link, column, snapshot.log_exists, &verify)? {
                let at = schema_steps
                    .iter()
                    .position(
                        |s| matches!(&s.action, Action::AddColumn { column: c } if c == column),
                    )
                    .map_or(schema_steps.len(), |at| at + 1);
                schema_steps.insert(at, fill);
            }
        }

        // The conflict log: settled before any copy, which then copies only the rest.
        let table_columns = snapshot.table.as_ref();
        let present = |column: &str| table_columns.is_some_and(|t| t.column(column).is_some());
        let mut settle_steps = Vec::new();
        let mut settled_keys = Vec::new();
        if snapshot.log_exists && snapshot.logged > 0 {
            if !table_existed {
                settle_steps.push(PlannedStep {
                    action: Action::ForgetConflicts {
                        entries: snapshot.logged,
                    },
                    sql: format!(
                        "DELETE FROM {} WHERE table_name = {}",
                        qualified(schema, CONFLICTS_TABLE),
                        literal(spec.table)
                    ),
                });
            } else {
                let logged = conflicts::read(tx, &link, &present).map_err(failed(
                    spec.table,
                    Step::Settle,
                    context.timeout,
                ))?;
                let unwritable: Vec<&Logged> = logged
                    .iter()
                    .filter(|e| e.written(context.on_conflict) && !e.writable())
                    .collect();
                if !unwritable.is_empty() {
                    return Err(checks::refuse_logged(tx, &link, &unwritable, &verify));
                }
                settled_keys = settle(
                    &link,
                    &logged,
                    context.on_conflict,
                    &present,
                    &mut settle_steps,
                )?;
            }
        }

        let mut rows_to_copy = 0;
        let mut copy_steps = Vec::new();
        if let Some(path) = copy_path {
            let filter = match path {
                CopyPath::Reconcile => link.not_in_table("l"),
                _ => "true".to_owned(),
            };
            // Constraints the copied rows would break are refused before anything is written.
            rows_to_copy = checks::legacy_rows(tx, &link, &filter, &verify)?;
            let sources: Vec<&str> = link.keys.iter().map(|p| p.source.as_str()).collect();
            if !legacy_table.is_unique(&sources)
                || link.keys.iter().any(|p| p.conversion.may_merge())
            {
                checks::duplicate_keys(tx, &link, &verify)?;
            }
            let earlier = earlier_legacy_keys(tx, schema, context.earlier, &inspect)?;
            // Whether each referenced table exists now: in `plan`, the tables earlier in the
            // run are not created yet, and their legacy rows count instead.
            let mut parents = Vec::new();
            for pair in &link.pairs {
                if let Some(fk) = pair.field.column.references {
                    let found = catalog::relations(tx, schema, &[fk.table])
                        .map_err(&inspect)?
                        .into_iter()
                        .any(|(_, r)| r.is_table());
                    parents.push((fk.table, found));
                }
            }
            let parent_exists = |name: &str| parents.iter().any(|(n, found)| *n == name && *found);
            checks::dangling_references(
                tx,
                spec,
                &link,
                &filter,
                &earlier,
                &parent_exists,
                &verify,
            )?;
            for (index, values) in checks::legacy_values(spec, &link, &filter, table_existed) {
                checks::unique_values(tx, spec, index, legacy_name, &values, &verify)?;
            }
            copy_steps.push(PlannedStep {
                action: Action::Copy {
                    rows: rows_to_copy,
                    path,
                },
                sql: match path {
                    CopyPath::Reconcile => link.insert_select(Some(&filter)),
                    _ => link.insert_select(None),
                },
            });
        }

        let mut capture_steps = Vec::new();
        if install {
            capture_steps.push(PlannedStep {
                action: Action::InstallCaptureFunction {
                    function: capture.function.clone(),
                },
                sql: capture.create_function(),
            });
            for (name, sql) in capture.triggers() {
                let intact =
                    capture.trigger_intact(&name, snapshot.function.as_ref(), &snapshot.triggers);
                if intact && table_existed {
                    continue;
                }
                if snapshot.triggers.iter().any(|t| t.name == name) {
                    capture_steps.push(PlannedStep {
                        action: Action::RemoveCapture {
                            trigger: name.clone(),
                        },
                        sql: capture.drop_trigger(&name),
                    });
                }
                capture_steps.push(PlannedStep {
                    action: Action::InstallCapture { trigger: name },
                    sql,
                });
            }
        }

        let mut drop_steps = Vec::new();
        if dropping && snapshot.function.is_some() {
            for trigger in &snapshot.triggers {
                drop_steps.push(PlannedStep {
                    action: Action::RemoveCapture {
                        trigger: trigger.name.clone(),
                    },
                    sql: capture.drop_trigger(&trigger.name),
                });
            }
            drop_steps.push(PlannedStep {
                action: Action::RemoveCaptureFunction {
                    function: capture.function.clone(),
                },
                sql: capture.drop_function(),
            });
        }
        if fate == LegacyFate::Drop {
            drop_steps.push(PlannedStep {
                action: Action::DropLegacy,
                sql: format!("DROP TABLE {}", link.legacy_sql()),
            });
        }
        for group in context.drops_at_end {
            let tables: Vec<String> = group.iter().map(|t| qualified(schema, t)).collect();
            drop_steps.push(PlannedStep {
                action: Action::DropLegacyOf {
                    legacy_table: group.join(", "),
                },
                sql: format!("DROP TABLE {}", tables.join(", ")),
            });
        }

        let capture_status = found.status(fate);
        let fingerprint = match capture_status {
            Some(CaptureStatus::Removed) | None => None,
            Some(_) => Some(capture.fingerprint()),
        };

        let mut bookkeeping = Vec::new();
        if install && !snapshot.log_exists {
            bookkeeping.push(PlannedStep {
                action: Action::CreateCaptureTable {
                    table: CONFLICTS_TABLE.to_owned(),
                },
                sql: ledger::create_conflicts_sql(schema),
            });
        }
        let writes = !schema_steps.is_empty()
            || !indexes.is_empty()
            || !settle_steps.is_empty()
            || !copy_steps.is_empty()
            || !capture_steps.is_empty()
            || !drop_steps.is_empty();
        // The ledger is written when the run changes anything, is the table's first, or
        // leaves the capture or the schema otherwise than recorded.
        let record = writes
            || previous.as_ref().is_none_or(|p| {
                p.capture != fingerprint || p.schema_checksum != spec.schema_checksum()
            });
        if record && !snapshot.ledger_exists {
            bookkeeping.insert(0, create_ledger(schema));
        }

        let mut steps = locks;
        steps.extend(bookkeeping);
        steps.extend(schema_steps);
        if table_existed {
            steps.extend(indexes.iter().cloned());
        }
        steps.extend(settle_steps);
        steps.extend(capture_steps);
        steps.extend(copy_steps);
        if !table_existed {
            // A fresh table gets its indexes after the copy: one sort each instead of an
            // update per row.
            steps.extend(indexes);
        }
        steps.extend(drop_steps);
        if record {
            steps.push(record_ledger(schema));
        }
        let mut plan = base;
        plan.plan.steps = steps;
        let previous = previous.unwrap_or_default();
        plan.entry = ledger::Entry {
            legacy_table: legacy_name.to_owned(),
            rows_copied: previous.rows_copied,
            capture: fingerprint,
            conflicts_settled: previous.conflicts_settled,
            schema_checksum: spec.schema_checksum(),
        };
        plan.legacy = Some(LegacyPlan {
            link,
            capture: capture_status,
            conflicts: settled_keys,
            rows_to_copy,
        });
        Ok(plan)
    }
}

fn create_ledger(schema: &str) -> PlannedStep {
    PlannedStep {
        action: Action::CreateLedger,
        sql: ledger::create_ledger_sql(schema),
    }
}

fn record_ledger(schema: &str) -> PlannedStep {
    PlannedStep {
        action: Action::RecordLedger,
        sql: ledger::record_sql(schema),
    }
}

/// PostgreSQL cuts names longer than 63 bytes, as it stores them.
fn stored_name(name: &str) -> &str {
    let mut end = name.len().min(63);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// `CREATE [UNIQUE] INDEX` of each index of the struct the table lacks, by name. A name
/// another relation of the schema took is [`Error::IndexNameTaken`]; a unique index added
/// to a table with rows must hold them all.
fn missing_indexes(
    tx: &mut Transaction<'_>,
    spec: &PgSpec,
    snapshot: &Snapshot,
    fail: &dyn Fn(::postgres::Error) -> Error,
) -> Result<Vec<PlannedStep>> {
    let schema = snapshot.schema.as_str();
    let mut steps = Vec::new();
    for index in spec.indexes {
        let name = stored_name(index.name);
        if let Some(table) = &snapshot.table {
            if table.indexes.iter().any(|i| i.name == name) {
                continue;
            }
        }
        if let Some(owner) = catalog::index_owner(tx, schema, name).map_err(fail)? {
            return Err(Error::IndexNameTaken {
                index: index.name.to_owned(),
                table: spec.table.to_owned(),
                owner,
            });
        }
        if index.unique && snapshot.table.is_some() {
            let values = checks::table_values(schema, spec.table, index);
            checks::unique_values(tx, spec, index, spec.table, &values, fail)?;
        }
        let columns: Vec<String> = index.columns.iter().map(|c| ident(c)).collect();
        steps.push(PlannedStep {
            action: Action::CreateIndex {
                index: index.name.to_owned(),
            },
            sql: format!(
                "CREATE {}INDEX {} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                ident(index.name),
                qualified(schema, spec.table),
                columns.join(", ")
            ),
        });
    }
    Ok(steps)
}

/// The legacy key columns of the tables earlier in the run whose legacy tables exist: their
/// rows arrive in this run.
fn earlier_legacy_keys<'a>(
    tx: &mut Transaction<'_>,
    schema: &str,
    earlier: &'a [PgSpec],
    fail: &dyn Fn(::postgres::Error) -> Error,
) -> Result<Vec<Earlier<'a>>> {
    let mut found = Vec::new();
    for spec in earlier {
        let mut legacy_key = None;
        if let (Some(legacy), Some(key)) = (spec.legacy, spec.key_fields().first().copied()) {
            let relations = catalog::relations(tx, schema, &[legacy]).map_err(fail)?;
            if let Some((_, relation)) = relations.iter().find(|(_, r)| r.is_table()) {
                let columns = catalog::columns(tx, relation.oid, false).map_err(fail)?;
                legacy_key = [key.column.legacy_name(), key.name()]
                    .into_iter()
                    .find_map(|name| columns.iter().find(|c| c.name == name))
                    .map(|c| (c.name.clone(), Conversion::new(&c.type_name, key.pg_type)));
            }
        }
        found.push(Earlier { spec, legacy_key });
    }
    Ok(found)
}

/// The legacy key can carry writes over by key: stored columns, of the table key's type (or
/// one widening to it), unique there together, compared byte for byte.
fn capture_fits(spec: &PgSpec, link: &Link, legacy: &catalog::Table, install: bool) -> Result<()> {
    let unfit = |column: &str, problem: KeyProblem| {
        Err(Error::CannotCapture {
            table: spec.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            column: column.to_owned(),
            problem,
        })
    };
    for pair in &link.keys {
        let Some(column) = legacy.column(&pair.source) else {
            return unfit(&pair.source, KeyProblem::Generated);
        };
        if column.generated {
            return unfit(&pair.source, KeyProblem::Generated);
        }
        if pair.conversion.may_merge() {
            return unfit(
                &pair.source,
                KeyProblem::Type {
                    legacy: column.type_name.clone(),
                    field: pair.field.pg_type.catalog_name(),
                },
            );
        }
        if !column.deterministic {
            return unfit(
                &pair.source,
                KeyProblem::Collation {
                    collation: "a nondeterministic collation".to_owned(),
                },
            );
        }
    }
    let sources: Vec<&str> = link.keys.iter().map(|p| p.source.as_str()).collect();
    if !legacy.is_unique(&sources) {
        return unfit(
            &link.key_names(),
            KeyProblem::NotUnique {
                since_installed: !install,
            },
        );
    }
    Ok(())
}

/// Dropping the legacy table must not fail on other tables' foreign keys or views, or end
/// the capture of another table that reads it (one outside this run).
fn refuse_drop_while_used(
    tx: &mut Transaction<'_>,
    spec: &PgSpec,
    snapshot: &Snapshot,
    legacy: &catalog::Table,
    context: &Context<'_>,
) -> Result<()> {
    let inspect = failed(&legacy.name, Step::Inspect, context.timeout);
    let referencing: Vec<String> = catalog::referencing_tables(tx, legacy.oid)
        .map_err(&inspect)?
        .into_iter()
        .filter(|t| !context.dropped.contains(&t.as_str()))
        .collect();
    if !referencing.is_empty() {
        return Err(Error::ReferencedByForeignKeys {
            legacy_table: legacy.name.clone(),
            tables: referencing,
        });
    }
    let mut using: Vec<String> = catalog::views_using(tx, legacy.oid)
        .map_err(&inspect)?
        .into_iter()
        .map(|view| format!("view `{view}`"))
        .collect();
    if snapshot.ledger_exists {
        for other in ledger::capturing(tx, &snapshot.schema, &legacy.name).map_err(&inspect)? {
            let ours = other == spec.table || context.companions.contains(&other.as_str());
            if !ours {
                using.push(format!("the change capture of table `{other}`"));
            }
        }
    }
    if !using.is_empty() {
        return Err(Error::LegacyTableInUse {
            legacy_table: legacy.name.clone(),
            objects: using,
        });
    }
    Ok(())
}

/// `UPDATE` that fills a column just added from the legacy column feeding it, for every row
/// whose key the legacy table holds, except keys whose row in the table is another row (a
/// conflict kept apart). A required column's legacy NULLs, or values that do not convert,
/// are refused first.
fn fill_step(
    tx: &mut Transaction<'_>,
    link: &Link,
    column: &str,
    log_exists: bool,
    fail: &dyn Fn(::postgres::Error) -> Error,
) -> Result<Option<PlannedStep>> {
    let Some(pair) = link.pairs.iter().find(|p| p.column() == column) else {
        return Ok(None);
    };
    let held = format!(
        "EXISTS (SELECT 1 FROM {} AS n WHERE {})",
        link.table_sql(),
        link.same_key("n", "l")
    );
    if pair.field.required() && !pair.source_not_null {
        let nulls: i64 = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM {} AS l WHERE {held} AND {} IS NULL",
                    link.legacy_sql(),
                    pair.source_of("l")
                ),
                &[],
            )
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        if nulls > 0 {
            let sample_keys = checks::strings(
                tx,
                &format!(
                    "SELECT {} FROM {} AS l WHERE {held} AND {} IS NULL LIMIT 5",
                    link.shown_key("l"),
                    link.legacy_sql(),
                    pair.source_of("l")
                ),
            )
            .map_err(fail)?;
            return Err(Error::RejectedRows {
                table: link.table.to_owned(),
                legacy_table: link.legacy.to_owned(),
                nulls: vec![crate::NullCount {
                    column: pair.source.clone(),
                    rows: nulls as u64,
                    sample_keys,
                }],
            });
        }
    }
    if pair.conversion.fallible() {
        let rows = Rows {
            relation: link.legacy_sql(),
            shown_key: link.shown_key("l"),
        };
        let keys = rows.failing(tx, &pair.value("l"), &held).map_err(fail)?;
        if !keys.is_empty() {
            return Err(Error::WrongType {
                table: link.table.to_owned(),
                legacy_table: link.legacy.to_owned(),
                column: pair.source.clone(),
                expected: pair.conversion.expects(),
                sample_keys: keys,
            });
        }
    }
    let mut sql = format!(
        "UPDATE {} AS n SET {} = {}\nFROM {} AS l\nWHERE {}",
        link.table_sql(),
        ident(column),
        pair.value("l"),
        link.legacy_sql(),
        link.same_key("n", "l")
    );
    if log_exists {
        sql.push_str(&format!(
            "\n  AND NOT EXISTS (SELECT 1 FROM {} AS c WHERE c.table_name = {}\n    AND c.legacy_key = {} AND c.reason = 'key_taken' AND c.settled IS DISTINCT FROM 'took_legacy')",
            qualified(&link.schema, CONFLICTS_TABLE),
            literal(link.table),
            link.logged_key("l")
        ));
    }
    Ok(Some(PlannedStep {
        action: Action::FillColumn {
            column: column.to_owned(),
        },
        sql,
    }))
}

/// Plans the settlement of a table's logged conflicts, in order, and returns the keys of the
/// conflicts it settles (none of them a row the table cannot hold). A conflict under
/// [`OnConflict::Fail`] is [`Error::Conflicts`].
fn settle(
    link: &Link,
    logged: &[Logged],
    on_conflict: OnConflict,
    present: &dyn Fn(&str) -> bool,
    steps: &mut Vec<PlannedStep>,
) -> Result<Vec<String>> {
    let pending: Vec<&Logged> = logged.iter().filter(|e| e.pending_conflict()).collect();
    if on_conflict == OnConflict::Fail && !pending.is_empty() {
        return Err(Error::Conflicts {
            table: link.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            count: pending.len() as u64,
            sample_keys: pending.iter().take(5).map(|e| e.key.clone()).collect(),
        });
    }
    let settlement = Settlement::new(link, logged, on_conflict, present);
    let mut push = |(n, sql): (u64, String), action: Action| {
        if n > 0 {
            steps.push(PlannedStep { action, sql });
        }
    };
    let (gone, free, rejected, same) = (
        settlement.forget_gone.0,
        settlement.copy_free.0,
        settlement.apply_rejected.0,
        settlement.forget_same.0,
    );
    let (taken, marked) = (settlement.take_legacy.0, settlement.mark.0);
    push(
        settlement.forget_gone,
        Action::ForgetConflicts { entries: gone },
    );
    push(
        settlement.copy_free,
        Action::CopyConflictRows { rows: free },
    );
    push(
        settlement.apply_rejected,
        Action::ApplyRejectedRows { rows: rejected },
    );
    push(
        settlement.forget_same,
        Action::ForgetConflicts { entries: same },
    );
    push(
        settlement.take_legacy,
        Action::TakeLegacyRows { rows: taken },
    );
    push(
        settlement.mark,
        Action::SettleConflicts {
            conflicts: marked,
            on_conflict,
        },
    );
    Ok(pending.iter().map(|e| e.key.clone()).collect())
}
