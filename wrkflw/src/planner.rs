//! Deciding every statement of a table's migration from the database as it is: the schema,
//! the legacy table, the ledger, the change capture and its conflict log. Any reason to refuse
//! (drift, a missing legacy column, a key that is not unique, a conflict under
//! `OnConflict::Fail`, something that still uses the legacy table) is found here, before
//! anything is written.

use rusqlite::Connection;

use crate::capture::{self, Trigger};
use crate::conflicts::{self, Logged, Reason, Settled, Settlement, State};
use crate::constraints;
use crate::error::{sqlite_error, Step};
use crate::ledger::{
    self, CONFLICTS_TABLE, CREATE_CONFLICTS_SQL, CREATE_LEDGER_SQL, CREATE_REPLACED_KEYS_SQL,
    LEDGER_TABLE, REPLACED_KEYS_TABLE,
};
use crate::link::Link;
pub(crate) use crate::plan::LegacyFate;
use crate::plan::{Action, Context, CopyPath, Counting, Found, Plan, PlannedStep};
use crate::rebuild;
use crate::schema::{self, TableColumn};
use crate::spec::TableSpec;
use crate::sql_text::{literal, main, quoted};
use crate::verify;
use crate::{CaptureStatus, Error, KeyProblem, LegacyTable, OnConflict, Result, SqlType, Table};

/// A table's plan with what `migrate` needs to run, verify and report it.
#[derive(Debug)]
pub(crate) struct TablePlan {
    pub(crate) plan: Plan,
    pub(crate) table_existed: bool,
    pub(crate) columns_added: Vec<String>,
    /// (old name, new name) of each column renamed.
    pub(crate) columns_renamed: Vec<(String, String)>,
    /// Set when the table is rebuilt: the columns the rebuild discards.
    pub(crate) rebuilt: Option<Vec<String>>,
    /// The table's ledger row before this run, for a table without a legacy table whose
    /// rebuild is recorded.
    pub(crate) ledger_entry: ledger::Entry,
    /// The legacy table, when it exists.
    pub(crate) legacy: Option<LegacyPlan>,
    /// The table needs a rebuild and planning stopped there: foreign keys are on.
    pub(crate) deferred: bool,
}

#[derive(Debug)]
pub(crate) struct LegacyPlan {
    pub(crate) link: Link,
    /// The capture after this run, for the report.
    pub(crate) capture: Option<CaptureStatus>,
    /// The capture's checksum to record in the ledger: `None` when none is left installed.
    pub(crate) capture_checksum: Option<String>,
    /// Keys of the conflicts this run settles, as SQL literals.
    pub(crate) conflicts: Vec<String>,
    /// The ledger row before this run (empty if none).
    pub(crate) previous: ledger::Entry,
    /// A legacy key column and the table's have different affinities, so distinct legacy
    /// keys may become one key in the table (`'01'` and `'1'`).
    pub(crate) keys_may_merge: bool,
}

impl TablePlan {
    /// Plans `spec`'s migration with its legacy table's `fate`, as part of the run `context`.
    pub(crate) fn new(
        conn: &Connection,
        spec: &TableSpec,
        fate: LegacyFate,
        context: &Context<'_>,
    ) -> Result<TablePlan> {
        let Context {
            companions,
            on_conflict,
            counting,
            ..
        } = *context;
        let inspect = sqlite_error(spec.table, Step::Inspect);
        if schema::journal_mode(conn).map_err(&inspect)? == "off" {
            return Err(Error::JournalOff {
                table: spec.table.to_owned(),
            });
        }
        let table_existed = table_exists(conn, spec.table)?;
        let legacy_name = match spec.legacy {
            Some(name) if table_exists(conn, name)? => Some(name),
            _ => None,
        };
        let mut schema_steps = Vec::new();
        let mut columns_added = Vec::new();
        let mut columns_renamed = Vec::new();
        let mut kept: Vec<&str> = Vec::new();
        let mut rebuilt = None;
        let own_capture = capture::trigger_names(spec.table);
        if table_existed {
            let existing = schema::columns(conn, spec.table).map_err(&inspect)?;
            let change = rebuild::changes(conn, spec, &existing, &own_capture, context)?;
            if change.deferred {
                return Ok(TablePlan {
                    plan: Plan {
                        table: spec.table.to_owned(),
                        steps: Vec::new(),
                    },
                    table_existed,
                    columns_added: Vec::new(),
                    columns_renamed: Vec::new(),
                    rebuilt: None,
                    ledger_entry: ledger::Entry::default(),
                    legacy: None,
                    deferred: true,
                });
            }
            columns_added = change.added.iter().map(|c| c.name.to_owned()).collect();
            columns_renamed = change.renamed;
            kept = change.kept;
            schema_steps = change.steps;
            rebuilt = change.rebuilt;
        } else {
            schema_steps.push(PlannedStep {
                action: Action::CreateTable,
                sql: spec.create_statement(),
            });
        }
        let mut indexes = missing_indexes(conn, spec)?;
        if rebuilt.is_some() {
            // The rebuild creates every index of the struct on the new table.
            indexes.clear();
        }
        // The capture triggers the rebuild dropped are installed again below.
        let dropped_capture: Vec<String> = rebuilt
            .as_ref()
            .map(|r| r.dropped_capture.clone())
            .unwrap_or_default();
        let dropped_columns = rebuilt.map(|r| r.dropped_columns);

        let Some(legacy_name) = legacy_name else {
            schema_steps.extend(indexes);
            // A rebuild is recorded in the ledger with the schema it built.
            let mut ledger_entry = ledger::Entry::default();
            if dropped_columns.is_some() {
                ledger_entry = ledger::read(conn, spec.table)
                    .map_err(&inspect)?
                    .unwrap_or_default();
                if !table_is(conn, LEDGER_TABLE)? {
                    schema_steps.insert(
                        0,
                        PlannedStep {
                            action: Action::CreateLedger,
                            sql: CREATE_LEDGER_SQL.to_owned(),
                        },
                    );
                }
                schema_steps.push(PlannedStep {
                    action: Action::RecordLedger,
                    sql: ledger::RECORD_SQL.to_owned(),
                });
            }
            return Ok(TablePlan {
                plan: Plan {
                    table: spec.table.to_owned(),
                    steps: schema_steps,
                },
                table_existed,
                columns_added,
                columns_renamed,
                rebuilt: dropped_columns,
                ledger_entry,
                legacy: None,
                deferred: false,
            });
        };

        let legacy_columns = schema::columns(conn, legacy_name).map_err(&inspect)?;
        let link = Link::new(spec, legacy_name, &legacy_columns)?;
        let previous = if table_existed {
            ledger::read(conn, spec.table)
                .map_err(&inspect)?
                .filter(|e| e.legacy_table.eq_ignore_ascii_case(legacy_name))
        } else {
            None
        };

        // The capture: what is installed, and whether rows may have gone uncaptured.
        let triggers = link.triggers();
        let stored = triggers
            .iter()
            .map(|t| schema::trigger(conn, &t.name))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&inspect)?;
        let rebuild_drops_capture = !dropped_capture.is_empty();
        let found = if !table_existed {
            Found::Absent
        } else {
            found(&triggers, &stored, legacy_name, previous.as_ref())
        };
        let mut transfers_indexes = false;
        let copy_path = if !table_existed {
            let (path, with_indexes) = first_copy_path(conn, spec, &legacy_columns)?;
            transfers_indexes = with_indexes;
            Some(path)
        } else if matches!(found, Found::Altered | Found::Absent) {
            Some(CopyPath::Reconcile)
        } else {
            None
        };
        let install = fate == LegacyFate::Keep && (found != Found::Intact || rebuild_drops_capture);
        let captured = matches!(found, Found::Intact | Found::Outdated);
        if install || captured {
            capture_fits(conn, spec, &link, &legacy_columns, install)?;
        }
        if matches!(fate, LegacyFate::Drop | LegacyFate::DroppedAtEnd) {
            refuse_drop_while_used(conn, spec.table, companions, context.dropped, legacy_name)?;
            // A legacy row under a NULL key never reaches the table (a capture installed
            // before 0.2 did not even log it): dropping the legacy table would lose it.
            let null_key = format!(
                "NOT ({})",
                link.each_key(|_, s| format!("l.{} IS NOT NULL", quoted(s)))
            );
            let nulls = verify::nulls_where(conn, &link, &null_key).map_err(&inspect)?;
            if !nulls.is_empty() {
                return Err(verify::rejected(&link, nulls));
            }
        }

        // The conflict log: settled before any copy, which then copies only the rest.
        let log_exists = table_is(conn, CONFLICTS_TABLE)? && table_is(conn, REPLACED_KEYS_TABLE)?;
        add_fill_steps(conn, &link, &columns_added, log_exists, &mut schema_steps)?;
        let present = |column: &str| kept.iter().any(|c| c.eq_ignore_ascii_case(column));
        let mut steps = Vec::new();
        let settled_keys = if log_exists {
            log_steps(conn, &link, table_existed, on_conflict, present, &mut steps)?
        } else {
            Vec::new()
        };

        if let Some(path) = copy_path {
            // Constraints the copied rows would break are refused before anything is written.
            let copied = copied_rows(&link, path);
            constraints::refuse_dangling_references(conn, spec, &link, &copied, context.earlier)?;
            for (index, values) in constraints::legacy_values(spec, &link, &copied, table_existed) {
                constraints::refuse_duplicates(conn, spec, index, link.legacy, &values)?;
            }
            let rows = match counting {
                Counting::Skip => 0,
                Counting::Count => count_copy(conn, &link, path).map_err(&inspect)?,
            };
            let copy = PlannedStep {
                action: Action::Copy { rows, path },
                sql: copy_sql(spec, &link, path),
            };
            // A fresh table gets its indexes after the copy (one sort each instead of an
            // update per row), unless the transfer copies them along from the legacy
            // table's own; an existing table already has them.
            if table_existed || transfers_indexes {
                schema_steps.extend(indexes);
                schema_steps.push(copy);
            } else {
                schema_steps.push(copy);
                schema_steps.extend(indexes);
            }
        } else {
            schema_steps.extend(indexes);
        }

        let mut capture_steps = if install {
            // What the rebuild dropped is no longer there to remove.
            let stored: Vec<_> = triggers
                .iter()
                .zip(stored)
                .map(|(t, s)| s.filter(|_| !dropped_capture.contains(&t.name)))
                .collect();
            install_steps(&triggers, &stored)
        } else {
            Vec::new()
        };
        if fate == LegacyFate::Drop {
            capture_steps.push(PlannedStep {
                action: Action::DropLegacy,
                sql: format!("DROP TABLE {}", main(legacy_name)),
            });
        }
        capture_steps.extend(drops_at_end(conn, context)?);

        let mut bookkeeping = Vec::new();
        if install && !log_exists {
            for (table, sql) in [
                (CONFLICTS_TABLE, CREATE_CONFLICTS_SQL),
                (REPLACED_KEYS_TABLE, CREATE_REPLACED_KEYS_SQL),
            ] {
                if !table_is(conn, table)? {
                    bookkeeping.push(PlannedStep {
                        action: Action::CreateCaptureTable {
                            table: table.to_owned(),
                        },
                        sql: sql.to_owned(),
                    });
                }
            }
        }
        // A table whose legacy table a later table of the run drops ends the run without a
        // capture too.
        let capture = found.status(fate);
        let capture_checksum = match capture {
            Some(CaptureStatus::Removed) | None => None,
            Some(_) if install => Some(capture::fingerprint(
                triggers.iter().map(|t| t.sql.as_str()),
            )),
            Some(_) => previous.as_ref().and_then(|p| p.capture.clone()),
        };
        let changes = !schema_steps.is_empty() || !steps.is_empty() || !capture_steps.is_empty();
        // The ledger is written when the run changes anything, is the table's first, or
        // leaves the capture otherwise than recorded (a later table of the run drops it).
        let record = changes
            || previous
                .as_ref()
                .is_none_or(|p| p.capture != capture_checksum);
        if record && !table_is(conn, LEDGER_TABLE)? {
            bookkeeping.insert(
                0,
                PlannedStep {
                    action: Action::CreateLedger,
                    sql: CREATE_LEDGER_SQL.to_owned(),
                },
            );
        }

        let mut all = bookkeeping;
        // Settling writes the table's rows, so it comes after the table is there.
        let split = schema_steps
            .iter()
            .position(|s| matches!(s.action, Action::Copy { .. }))
            .unwrap_or(schema_steps.len());
        let mut schema_steps = schema_steps.into_iter();
        all.extend(schema_steps.by_ref().take(split));
        all.extend(steps);
        all.extend(schema_steps);
        all.extend(capture_steps);
        if record {
            all.push(PlannedStep {
                action: Action::RecordLedger,
                sql: ledger::RECORD_SQL.to_owned(),
            });
        }
        let keys_may_merge = link.keys.iter().any(|(column, source)| {
            legacy_affinity(&legacy_columns, source) != Some(table_affinity(column.sql_type))
        });
        Ok(TablePlan {
            plan: Plan {
                table: spec.table.to_owned(),
                steps: all,
            },
            table_existed,
            columns_added,
            columns_renamed,
            rebuilt: dropped_columns,
            ledger_entry: ledger::Entry::default(),
            deferred: false,
            legacy: Some(LegacyPlan {
                link,
                capture,
                capture_checksum,
                conflicts: settled_keys,
                previous: previous.unwrap_or_default(),
                keys_may_merge,
            }),
        })
    }
}

/// A column the struct gained that the legacy table holds: the rows already here take their
/// values from it, or those values would be lost with the legacy table. Each fill follows
/// its column's `ADD COLUMN`.
fn add_fill_steps(
    conn: &Connection,
    link: &Link,
    columns_added: &[String],
    log_exists: bool,
    schema_steps: &mut Vec<PlannedStep>,
) -> Result<()> {
    for column in columns_added {
        refuse_nulls_for_a_required_fill(conn, link, column)?;
        let Some(sql) = fill_column_sql(link, column, log_exists) else {
            continue;
        };
        let at = schema_steps
            .iter()
            .position(|s| matches!(&s.action, Action::AddColumn { column: c } if c == column))
            .map_or(schema_steps.len(), |at| at + 1);
        let action = Action::FillColumn {
            column: column.clone(),
        };
        schema_steps.insert(at, PlannedStep { action, sql });
    }
    Ok(())
}

/// The steps that bring the capture's log up to date: for a new table, forget what was
/// logged about an earlier one; else settle it. Marks of replaced keys are all stale under
/// the write lock (an `INSERT OR IGNORE` left them), so they are cleared. Returns the keys of
/// the conflicts settled.
fn log_steps(
    conn: &Connection,
    link: &Link,
    table_existed: bool,
    on_conflict: OnConflict,
    present: impl Fn(&str) -> bool,
    steps: &mut Vec<PlannedStep>,
) -> Result<Vec<String>> {
    let inspect = sqlite_error(link.table, Step::Inspect);
    let entries = count_entries(conn, CONFLICTS_TABLE, link.table).map_err(&inspect)?;
    let mut settled = Vec::new();
    if !table_existed && entries > 0 {
        steps.push(PlannedStep {
            action: Action::ForgetConflicts { entries },
            sql: format!(
                "DELETE FROM main.{CONFLICTS_TABLE} WHERE table_name = {}",
                literal(link.table)
            ),
        });
    } else if entries > 0 {
        let logged = conflicts::read(conn, link, &present)
            .map_err(sqlite_error(link.table, Step::Settle))?;
        settled = settle(conn, link, &logged, on_conflict, present, steps)?;
    }
    let marks = count_entries(conn, REPLACED_KEYS_TABLE, link.table).map_err(&inspect)?;
    if marks > 0 {
        steps.push(PlannedStep {
            action: Action::ClearReplacedKeys { keys: marks },
            sql: format!(
                "DELETE FROM main.{REPLACED_KEYS_TABLE} WHERE table_name = {}",
                literal(link.table)
            ),
        });
    }
    Ok(settled)
}

/// Drops the capture triggers found under this table's names (out of date, altered, or left
/// by an earlier table of the same name), then creates them all.
fn install_steps(
    triggers: &[Trigger],
    stored: &[Option<schema::StoredTrigger>],
) -> Vec<PlannedStep> {
    let removals = triggers
        .iter()
        .zip(stored)
        .filter(|(_, stored)| stored.is_some())
        .map(|(trigger, _)| PlannedStep {
            action: Action::RemoveCapture {
                trigger: trigger.name.clone(),
            },
            sql: trigger.drop_statement(),
        });
    let installs = triggers.iter().map(|trigger| PlannedStep {
        action: Action::InstallCapture {
            trigger: trigger.name.clone(),
        },
        sql: trigger.create_statement(),
    });
    removals.chain(installs).collect()
}

fn table_affinity(sql_type: SqlType) -> schema::Affinity {
    match sql_type {
        SqlType::Text => schema::Affinity::Text,
        SqlType::Integer => schema::Affinity::Integer,
        SqlType::Real => schema::Affinity::Real,
        SqlType::Blob => schema::Affinity::Blob,
    }
}

/// Compares the capture triggers on the legacy table with the ones this struct installs,
/// and with the ledger's record of the ones last installed.
fn found(
    triggers: &[Trigger],
    stored: &[Option<schema::StoredTrigger>],
    legacy: &str,
    previous: Option<&ledger::Entry>,
) -> Found {
    let on_legacy: Option<Vec<&str>> = stored
        .iter()
        .map(|s| {
            s.as_ref()
                .filter(|s| s.table.eq_ignore_ascii_case(legacy))
                .map(|s| s.sql.as_str())
        })
        .collect();
    let recorded = previous.and_then(|p| p.capture.as_deref());
    match on_legacy {
        Some(sqls) if sqls.iter().zip(triggers).all(|(s, t)| *s == t.sql) => Found::Intact,
        Some(sqls) if recorded == Some(capture::fingerprint(sqls.iter().copied()).as_str()) => {
            Found::Outdated
        }
        _ if recorded.is_some() => Found::Altered,
        _ => Found::Absent,
    }
}

/// Whether the legacy key can carry writes over by key: stored columns, unique there
/// together (a `PRIMARY KEY` or `UNIQUE` index on exactly the key's columns), each of the
/// table key's affinity and compared byte for byte. Only uniqueness can change while the
/// capture is installed (the rest would need the table rebuilt, which removes the capture).
fn capture_fits(
    conn: &Connection,
    spec: &TableSpec,
    link: &Link,
    legacy_columns: &[TableColumn],
    install: bool,
) -> Result<()> {
    let inspect = sqlite_error(spec.table, Step::Inspect);
    let unfit = |column: &str, problem: KeyProblem| {
        Err(Error::CannotCapture {
            table: spec.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            column: column.to_owned(),
            problem,
        })
    };
    let find = |source: &str| {
        legacy_columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(source))
    };
    for (_, source) in &link.keys {
        if find(source).is_none_or(|c| c.generated) {
            return unfit(source, KeyProblem::Generated);
        }
    }
    let sources: Vec<&str> = link.keys.iter().map(|(_, s)| s.as_str()).collect();
    if !schema::is_unique(conn, link.legacy, &sources, legacy_columns).map_err(&inspect)? {
        return unfit(
            &link.key_names(),
            KeyProblem::NotUnique {
                since_installed: !install,
            },
        );
    }
    if !install {
        return Ok(());
    }
    for (column, source) in &link.keys {
        let legacy_affinity = legacy_affinity(legacy_columns, source);
        if legacy_affinity != Some(table_affinity(column.sql_type)) {
            return unfit(
                source,
                KeyProblem::Affinity {
                    legacy: affinity_name(legacy_affinity).to_owned(),
                    field: column.sql_type,
                },
            );
        }
        let collation = schema::collation(conn, link.legacy, source).map_err(&inspect)?;
        if !collation.eq_ignore_ascii_case("BINARY") {
            return unfit(source, KeyProblem::Collation { collation });
        }
    }
    Ok(())
}

/// The affinity of a legacy column, if the legacy table has it.
fn legacy_affinity(legacy_columns: &[TableColumn], name: &str) -> Option<schema::Affinity> {
    legacy_columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .map(|c| schema::affinity(&c.declared_type))
}

fn affinity_name(affinity: Option<schema::Affinity>) -> &'static str {
    match affinity {
        Some(schema::Affinity::Integer) => "INTEGER",
        Some(schema::Affinity::Text) => "TEXT",
        Some(schema::Affinity::Real) => "REAL",
        Some(schema::Affinity::Numeric) => "NUMERIC",
        Some(schema::Affinity::Blob) | None => "no (BLOB)",
    }
}

/// Dropping the legacy table must not cascade into other tables' rows (foreign keys), break
/// views and triggers that use it, or end the capture of another table that reads it and
/// has not copied for the last time (one outside this `Migrator`).
fn refuse_drop_while_used(
    conn: &Connection,
    table: &str,
    companions: &[&str],
    dropped: &[&str],
    legacy: &str,
) -> Result<()> {
    let inspect = sqlite_error(legacy, Step::Inspect);
    // A legacy table the same run drops may reference it: the run drops that one first.
    let referencing: Vec<String> = schema::referencing_tables(conn, legacy)
        .map_err(&inspect)?
        .into_iter()
        .filter(|t| !dropped.iter().any(|d| d.eq_ignore_ascii_case(t)))
        .collect();
    if !referencing.is_empty() {
        return Err(Error::ReferencedByForeignKeys {
            legacy_table: legacy.to_owned(),
            tables: referencing,
        });
    }
    let mut using = schema::objects_using(conn, legacy).map_err(&inspect)?;
    for other in ledger::capturing(conn, legacy).map_err(&inspect)? {
        let ours = other.eq_ignore_ascii_case(table)
            || companions.iter().any(|c| c.eq_ignore_ascii_case(&other));
        if !ours {
            using.push(format!("the change capture of table `{other}`"));
        }
    }
    if !using.is_empty() {
        return Err(Error::LegacyTableInUse {
            legacy_table: legacy.to_owned(),
            objects: using,
        });
    }
    Ok(())
}

/// Plans the settlement of a table's logged conflicts, in order, and returns the keys of
/// the conflicts it settles. A logged row that would be written but cannot be held is
/// [`Error::RejectedRows`]; a conflict under [`OnConflict::Fail`] is [`Error::Conflicts`].
fn settle(
    conn: &Connection,
    link: &Link,
    logged: &[Logged],
    on_conflict: OnConflict,
    present: impl Fn(&str) -> bool,
    steps: &mut Vec<PlannedStep>,
) -> Result<Vec<String>> {
    let unwritable: Vec<_> = logged
        .iter()
        .filter(|e| e.written(on_conflict) && !e.complete)
        .map(|e| e.value.clone())
        .collect();
    if !unwritable.is_empty() {
        let fail = sqlite_error(link.table, Step::Settle);
        let nulls = crate::verify::nulls_of(conn, link, &unwritable).map_err(&fail)?;
        if !nulls.is_empty() {
            return Err(crate::verify::rejected(link, nulls));
        }
        return Err(Error::WrongType {
            table: link.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            column: link.key_names(),
            expected: "integers".to_owned(),
            sample_keys: logged
                .iter()
                .filter(|e| e.written(on_conflict) && !e.complete)
                .take(5)
                .map(|e| e.key.clone())
                .collect(),
        });
    }
    let pending: Vec<&Logged> = logged.iter().filter(|e| e.pending_conflict()).collect();
    if on_conflict == OnConflict::Fail && !pending.is_empty() {
        return Err(Error::Conflicts {
            table: link.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            count: pending.len() as u64,
            sample_keys: pending.iter().take(5).map(|e| e.key.clone()).collect(),
        });
    }
    let count = |keep: &dyn Fn(&Logged) -> bool| logged.iter().filter(|e| keep(e)).count() as u64;
    let live = |e: &Logged| e.settled != Settled::TookLegacy;
    let gone = count(&|e| e.state == State::Gone);
    let free = count(&|e| e.state == State::Free && live(e));
    let rejected = count(&|e| {
        e.state == State::Differs && e.reason == Reason::Rejected && e.settled == Settled::Pending
    });
    let same = count(&|e| e.state == State::Same && live(e)) + free + rejected;
    let sql = Settlement::new(link, present);
    let mut push = |n: u64, action: Action, sql: String| {
        if n > 0 {
            steps.push(PlannedStep { action, sql });
        }
    };
    push(
        gone,
        Action::ForgetConflicts { entries: gone },
        sql.forget_gone,
    );
    push(free, Action::CopyConflictRows { rows: free }, sql.copy_free);
    push(
        rejected,
        Action::ApplyRejectedRows { rows: rejected },
        sql.apply_rejected,
    );
    push(
        same,
        Action::ForgetConflicts { entries: same },
        sql.forget_same,
    );
    let n = pending.len() as u64;
    if on_conflict == OnConflict::TakeLegacy {
        push(n, Action::TakeLegacyRows { rows: n }, sql.take_legacy);
    }
    let mark = match on_conflict {
        OnConflict::TakeLegacy => sql.mark_took,
        _ => sql.mark_kept,
    };
    push(
        n,
        Action::SettleConflicts {
            conflicts: n,
            on_conflict,
        },
        mark,
    );
    Ok(pending.iter().map(|e| e.key.clone()).collect())
}

/// A `NOT NULL` column just added and filled from the legacy table: legacy rows the table
/// holds with NULL there cannot be written into it.
fn refuse_nulls_for_a_required_fill(conn: &Connection, link: &Link, column: &str) -> Result<()> {
    let Some((added, source)) = link.pairs.iter().find(|(c, _)| c.name == column) else {
        return Ok(());
    };
    if added.nullable {
        return Ok(());
    }
    let held = format!(
        "EXISTS (SELECT 1 FROM {} AS n WHERE {})",
        main(link.table),
        link.same_key("n", "l")
    );
    let nulls: Vec<_> = crate::verify::nulls_where(conn, link, &held)
        .map_err(sqlite_error(link.table, Step::Inspect))?
        .into_iter()
        .filter(|n| n.column == *source)
        .collect();
    if nulls.is_empty() {
        Ok(())
    } else {
        Err(crate::verify::rejected(link, nulls))
    }
}

/// `UPDATE` that fills a column just added from the legacy column feeding it, for every
/// row whose key the legacy table holds, except keys whose table row is another row (a
/// conflict kept apart).
fn fill_column_sql(link: &Link, column: &str, log_exists: bool) -> Option<String> {
    let (_, source) = link.pairs.iter().find(|(c, _)| c.name == column)?;
    let row = format!(
        "FROM {} AS l WHERE {}",
        main(link.legacy),
        link.same_key("n", "l")
    );
    let mut sql = format!(
        "UPDATE {} AS n SET {} = (SELECT l.{} {row})\nWHERE EXISTS (SELECT 1 {row})",
        main(link.table),
        quoted(column),
        quoted(source),
    );
    if log_exists {
        let taken = format!(
            "SELECT legacy_key FROM main.{CONFLICTS_TABLE}\n    WHERE table_name = {} AND reason = 'key_taken' AND settled IS NOT 'took_legacy'",
            literal(link.table)
        );
        sql.push_str(&format!(
            "\n  AND NOT {}",
            link.table_row_logged("n", &taken)
        ));
    }
    Some(sql)
}

/// The rows of `table` in one of the capture's bookkeeping tables.
fn count_entries(conn: &Connection, log: &str, table: &str) -> rusqlite::Result<u64> {
    conn.prepare_cached(&format!(
        "SELECT count(*) FROM main.{log} WHERE table_name = ?1"
    ))?
    .query_row([table], |row| row.get::<_, i64>(0))
    .map(|n| n as u64)
}

/// Whether `name` is a table; a view or an index under that name is an error.
fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    match schema::kind(conn, name).map_err(sqlite_error(name, Step::Inspect))? {
        None => Ok(false),
        Some(kind) if kind == "table" => Ok(true),
        Some(kind) => Err(Error::NotATable {
            name: name.to_owned(),
            kind,
        }),
    }
}

/// Whether a table of wrkflw's own is there.
fn table_is(conn: &Connection, name: &str) -> Result<bool> {
    Ok(schema::kind(conn, name)
        .map_err(sqlite_error(name, Step::Inspect))?
        .as_deref()
        == Some("table"))
}

/// The index statements still to run. An index name taken by another table is an error:
/// index names are global in SQLite, and `IF NOT EXISTS` would silently keep the other one.
fn missing_indexes(conn: &Connection, spec: &TableSpec) -> Result<Vec<PlannedStep>> {
    let mut steps = Vec::new();
    for (declared, sql) in spec.indexes() {
        let index = declared.name.to_owned();
        match schema::index_owner(conn, &index).map_err(sqlite_error(spec.table, Step::Inspect))? {
            Some(owner) if owner.eq_ignore_ascii_case(spec.table) => {}
            Some(owner) => {
                return Err(Error::IndexNameTaken {
                    index,
                    table: spec.table.to_owned(),
                    owner,
                })
            }
            None => {
                // A unique index added to a table with rows must hold them all.
                if declared.unique && table_exists(conn, spec.table)? {
                    let values = constraints::table_values(spec.table, declared);
                    constraints::refuse_duplicates(conn, spec, declared, spec.table, &values)?;
                }
                steps.push(PlannedStep {
                    action: Action::CreateIndex { index },
                    sql: spec.index_statement(sql),
                })
            }
        }
    }
    Ok(steps)
}

/// The legacy tables the last table of the run drops once every table has run (those
/// another legacy table of the run references), referencing ones first.
///
/// Where connections enforce foreign keys, `DROP TABLE` first deletes the table's rows,
/// which would fail while another of these legacy tables still references them (they may
/// reference each other in a cycle). The first drop defers the foreign keys to the commit,
/// by which time every one of these tables is gone: `PRAGMA defer_foreign_keys` lasts until
/// the transaction ends.
fn drops_at_end(conn: &Connection, context: &Context<'_>) -> Result<Vec<PlannedStep>> {
    let mut steps = Vec::new();
    for legacy in context.drops_at_end {
        if table_exists(conn, legacy)? {
            let defer = if steps.is_empty() {
                "PRAGMA defer_foreign_keys = ON;\n"
            } else {
                ""
            };
            steps.push(PlannedStep {
                action: Action::DropLegacyOf {
                    legacy_table: (*legacy).to_owned(),
                },
                sql: format!("{defer}DROP TABLE {}", main(legacy)),
            });
        }
    }
    Ok(steps)
}

/// The legacy rows a copy delivers, as a filter on `main.legacy AS l`.
pub(crate) fn copied_rows(link: &Link, path: CopyPath) -> String {
    match path {
        CopyPath::Reconcile => link.not_in_table("l"),
        CopyPath::Transfer | CopyPath::BulkInsert => "true".to_owned(),
    }
}

/// The copy statement of each path.
fn copy_sql(spec: &TableSpec, link: &Link, path: CopyPath) -> String {
    // An INTEGER PRIMARY KEY would number a NULL key instead of refusing it: such rows are
    // left out, and the check after the copy reports them.
    let not_null_key = spec
        .key_is_rowid()
        .then(|| format!("l.{} IS NOT NULL", quoted(link.key_source())));
    match path {
        CopyPath::Transfer => format!(
            "INSERT INTO {} SELECT * FROM {}",
            main(spec.table),
            main(link.legacy)
        ),
        CopyPath::BulkInsert => link.insert_select(not_null_key.as_deref()),
        CopyPath::Reconcile => {
            let mut filter = link.not_in_table("l");
            if let Some(not_null) = not_null_key {
                filter = format!("{not_null} AND {filter}");
            }
            link.insert_select(Some(&filter))
        }
    }
}

/// The legacy rows a copy will insert: all of them into a fresh table, those whose key is
/// missing on a reconcile.
fn count_copy(conn: &Connection, link: &Link, path: CopyPath) -> rusqlite::Result<u64> {
    let filter = match path {
        CopyPath::Reconcile => link.not_in_table("l"),
        CopyPath::Transfer | CopyPath::BulkInsert => "true".to_owned(),
    };
    conn.query_row(
        &format!(
            "SELECT count(*) FROM {} AS l WHERE {filter}",
            main(link.legacy)
        ),
        [],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n as u64)
}

/// The path of a first copy into a fresh table, and whether the transfer copies the
/// indexes along (then they are created before the copy).
///
/// The transfer optimization (`INSERT INTO new SELECT * FROM legacy`) pairs columns by
/// position, so the legacy columns must be exactly the ones the struct reads, in order; then
/// SQLite's own checks decide (types, NOT NULL, defaults, collations, constraints), read off
/// the `EXPLAIN` of the statement in a scratch in-memory database holding both tables'
/// definitions. The scratch database keeps the user's connection untouched, so planning
/// works on read-only and `query_only` connections. A transfer without the new table's
/// indexes is asked first; with them (SQLite then transfers the legacy indexes' entries
/// too), only if that one applies.
fn first_copy_path(
    conn: &Connection,
    spec: &TableSpec,
    legacy_columns: &[TableColumn],
) -> Result<(CopyPath, bool)> {
    let legacy = spec.legacy.unwrap_or_default();
    let same_columns = legacy_columns.len() == spec.columns.len()
        && legacy_columns
            .iter()
            .zip(spec.columns)
            .all(|(l, c)| l.name.eq_ignore_ascii_case(c.legacy_name()) && !l.generated);
    if !same_columns {
        return Ok((CopyPath::BulkInsert, false));
    }
    let (Some(create_legacy), legacy_indexes) =
        schema::definitions(conn, legacy).map_err(sqlite_error(spec.table, Step::Inspect))?
    else {
        return Ok((CopyPath::BulkInsert, false));
    };
    let probe = || -> rusqlite::Result<(CopyPath, bool)> {
        let scratch = Connection::open_in_memory()?;
        scratch.execute_batch(&create_legacy)?;
        for sql in &legacy_indexes {
            scratch.execute_batch(sql)?;
        }
        scratch.execute_batch(spec.create_sql)?;
        let transfers = || -> rusqlite::Result<bool> {
            let mut explain = scratch.prepare(&format!(
                "EXPLAIN INSERT INTO {} SELECT * FROM {}",
                main(spec.table),
                main(legacy)
            ))?;
            let opcodes = explain.query_map([], |row| row.get::<_, String>(1))?;
            let mut transfers = false;
            for opcode in opcodes {
                // Only the transfer path copies whole records: RowCell in current SQLite,
                // RowData in older versions.
                transfers |= matches!(opcode?.as_str(), "RowCell" | "RowData");
            }
            Ok(transfers)
        };
        if !transfers()? {
            return Ok((CopyPath::BulkInsert, false));
        }
        if spec.index_sql.is_empty() {
            return Ok((CopyPath::Transfer, false));
        }
        for sql in spec.index_sql {
            scratch.execute_batch(sql)?;
        }
        Ok((CopyPath::Transfer, transfers()?))
    };
    // A legacy definition the scratch database cannot take (a collation or function the
    // application registered) only means no transfer.
    Ok(probe().unwrap_or((CopyPath::BulkInsert, false)))
}

/// The statements [`migrate`](crate::migrate) would run for `T` on this database now, without
/// writing anything. Runs in a read transaction of its own unless one is open. Works on a
/// read-only or `query_only` connection.
///
/// ```
/// use wrkflw::{plan, wrkflw_table, Action, CopyPath, LegacyTable};
///
/// #[wrkflw_table(rename_from = "jobs")]
/// struct Job {
///     #[wrkflw(primary_key)]
///     id: String,
/// }
///
/// let conn = wrkflw::rusqlite::Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE jobs (id TEXT NOT NULL PRIMARY KEY); INSERT INTO jobs VALUES ('a');")?;
/// let plan = plan::<Job>(&conn, LegacyTable::Drop)?;
/// let copy = plan.steps.iter().find(|s| matches!(s.action, Action::Copy { .. })).unwrap();
/// assert_eq!(copy.action, Action::Copy { rows: 1, path: CopyPath::Transfer });
/// println!("{plan}");
/// # Ok::<(), wrkflw::Error>(())
/// ```
pub fn plan<T: Table>(conn: &Connection, legacy: LegacyTable) -> Result<Plan> {
    let spec = TableSpec::of::<T>();
    in_read_transaction(conn, spec.table, |conn| {
        let fate = LegacyFate::from(legacy);
        Ok(TablePlan::new(conn, &spec, fate, &Context::alone(Counting::Count))?.plan)
    })
}

/// Runs `work` in a read transaction, so that every look-up sees the same moment, unless the
/// caller already has a transaction open.
pub(crate) fn in_read_transaction<R>(
    conn: &Connection,
    table: &str,
    work: impl FnOnce(&Connection) -> Result<R>,
) -> Result<R> {
    if !conn.is_autocommit() {
        return work(conn);
    }
    let read = conn
        .unchecked_transaction()
        .map_err(sqlite_error(table, Step::Begin))?;
    let result = work(&read)?;
    // Nothing was written: ending the read transaction either way is the same.
    read.rollback().map_err(sqlite_error(table, Step::Commit))?;
    Ok(result)
}
