//! Planning the changes an existing table needs to match its struct: renamed columns
//! (`ALTER TABLE ... RENAME COLUMN`), added columns (`ADD COLUMN`), and, for any difference
//! `ALTER TABLE` cannot express, a rebuild by SQLite's twelve-step procedure
//! (<https://sqlite.org/lang_altertable.html#otheralter>): create the table as the struct
//! declares it under a temporary name, copy the rows, check them, drop the old table, rename
//! the new one into place, and create again every index, trigger and view that belonged to
//! or used the old one.
//!
//! Everything a rebuild could lose is checked here, before anything is written: a column
//! holding data that no field keeps (unless the struct consents with `DROP_COLUMNS`), NULLs
//! where the struct says `NOT NULL`, values a new type would change, keys a new key would
//! merge, indexes, views or triggers the new shape would break. Each is a difference of
//! [`Error::SchemaDrift`] saying what would settle it.
//!
//! Turning foreign keys off (which must happen outside the transaction) is the runner's
//! part; the foreign key check after the rebuild is a step of the plan.

use rusqlite::Connection;

use crate::drift::{add_column_sql, drift, rename_column_sql, Drift};
use crate::error::{sqlite_error, Step};
use crate::plan::{Action, PlannedStep, RebuildStep};
use crate::plan::{Context, Counting, Rebuild};
use crate::schema::{self, SchemaObject, TableColumn};
use crate::spec::TableSpec;
use crate::sql_text::{literal, main, mentions, quoted};
use crate::{Column, Error, Result};

/// The suffix of the name the rebuilt table is built under: the table's own name followed
/// by it, so it keeps the table's prefix.
const TEMPORARY_SUFFIX: &str = "__wrkflw_rebuild";

/// How many keys a sample holds.
const SAMPLE: usize = 5;

/// The statements that bring an existing table to the struct's shape, and what they do.
#[derive(Debug)]
pub(crate) struct SchemaChange {
    pub(crate) steps: Vec<PlannedStep>,
    /// Columns the struct gained: added by `ADD COLUMN`, or in the rebuilt table.
    pub(crate) added: Vec<&'static Column>,
    /// (old name, new name) of each renamed column.
    pub(crate) renamed: Vec<(String, String)>,
    /// Field columns the table held before this run (by the field's name).
    pub(crate) kept: Vec<&'static str>,
    /// Set when the table is rebuilt.
    pub(crate) rebuilt: Option<Rebuilt>,
    /// The table needs a rebuild, not planned because foreign keys are on: the runner turns
    /// them off and plans again.
    pub(crate) deferred: bool,
}

#[derive(Debug)]
pub(crate) struct Rebuilt {
    /// Columns the rebuild discards.
    pub(crate) dropped_columns: Vec<String>,
    /// The table's own capture triggers the rebuild drops: the capture must be installed
    /// again after it.
    pub(crate) dropped_capture: Vec<String>,
}

/// Plans the changes to an existing table. `own_capture` names this table's change
/// capture triggers, which a rebuild drops and leaves to the capture to install again. With
/// `defer`, a needed rebuild is only reported (`deferred`), before its checks read the rows.
pub(crate) fn changes(
    conn: &Connection,
    spec: &TableSpec,
    existing: &[TableColumn],
    own_capture: &[String],
    context: &Context<'_>,
) -> Result<SchemaChange> {
    let (policy, counting, defer) = (context.rebuild, context.counting, context.defer_rebuild);
    let drift = drift(conn, spec, existing, context.earlier)?;
    let mut steps: Vec<PlannedStep> = drift
        .renames
        .iter()
        .map(|(from, column)| PlannedStep {
            action: Action::RenameColumn {
                from: from.clone(),
                to: column.name.to_owned(),
            },
            sql: rename_column_sql(spec.table, from, column.name),
        })
        .collect();
    let mut change = SchemaChange {
        steps: Vec::new(),
        added: drift.added.clone(),
        renamed: drift
            .renames
            .iter()
            .map(|(from, column)| (from.clone(), column.name.to_owned()))
            .collect(),
        kept: drift.matched.iter().map(|(c, _)| c.name).collect(),
        rebuilt: None,
        deferred: false,
    };
    let mut blocking = drift.blocking.clone();
    if drift.rebuild.is_empty() {
        refuse(spec, blocking)?;
        steps.extend(drift.added.iter().map(|column| PlannedStep {
            action: Action::AddColumn {
                column: column.name.to_owned(),
            },
            sql: add_column_sql(spec.table, column),
        }));
        change.steps = steps;
        return Ok(change);
    }
    if policy == Rebuild::Never {
        blocking.extend(drift.rebuild.iter().map(|reason| {
            format!(
                "{reason}; only a rebuild can change that, and rebuilds are off (Rebuild::Never)"
            )
        }));
        return Err(drift_error(spec, blocking));
    }
    refuse(spec, blocking)?;
    if defer {
        change.deferred = true;
        return Ok(change);
    }

    let planner = Planner {
        conn,
        spec,
        drift: &drift,
        temporary: format!("{}{TEMPORARY_SUFFIX}", spec.table),
    };
    let mut blocking = planner.check_rows()?;
    blocking.extend(lost_in_a_rebuild(conn, spec)?);
    if let Some(kind) = schema::kind(conn, &planner.temporary).map_err(planner.inspect())? {
        blocking.push(format!(
            "the table must be rebuilt under the name `{}`, which a {kind} has; rename or drop it",
            planner.temporary
        ));
    }
    let mut objects = schema::objects(conn).map_err(planner.inspect())?;
    if !steps.is_empty() {
        // The renames run first, and SQLite rewrites the views and triggers that name the
        // renamed columns: those are the statements to create again.
        match renamed_objects(conn, &steps) {
            Some(renamed) => objects = renamed,
            None => {
                for object in objects.iter().filter(|o| mentions(&o.sql, spec.table)) {
                    for (from, _) in drift
                        .renames
                        .iter()
                        .filter(|(from, _)| mentions(&object.sql, from))
                    {
                        blocking.push(format!(
                            "{} `{}` uses column `{from}`, which is renamed while the table is rebuilt; \
                             migrate once with only the rename, then again",
                            object.kind, object.name
                        ));
                    }
                }
            }
        }
    }
    let dependents = planner.dependents(objects, own_capture, &mut blocking)?;
    refuse(spec, blocking)?;
    let rows = match counting {
        Counting::Count => planner.count_rows()?,
        Counting::Skip => 0,
    };
    let rebuild = planner.steps(&dependents, rows)?;
    let mut blocking = Vec::new();
    if let Some(problem) = rehearse(conn, &steps, &rebuild) {
        blocking.push(problem);
    }
    refuse(spec, blocking)?;
    steps.extend(rebuild);
    change.steps = steps;
    change.rebuilt = Some(Rebuilt {
        dropped_columns: drift.removed.iter().map(|c| c.name.clone()).collect(),
        dropped_capture: dependents.dropped_capture,
    });
    Ok(change)
}

/// What the existing table has that a table created from the struct would not, and that a
/// rebuild would therefore drop without a word: each is a difference that stops it.
fn lost_in_a_rebuild(conn: &Connection, spec: &TableSpec) -> Result<Vec<String>> {
    let inspect = sqlite_error(spec.table, Step::Inspect);
    let mut lost = Vec::new();
    let sql = schema::table_sql(conn, spec.table)
        .map_err(&inspect)?
        .unwrap_or_default();
    let settle = "migrate this change by hand, or remove it from the table first";
    if mentions(&sql, "AUTOINCREMENT") {
        lost.push(format!(
            "the table uses AUTOINCREMENT, which a struct cannot declare: rebuilt from the struct, it \
             would hand out the keys of deleted rows again; {settle}"
        ));
    }
    if mentions(&sql, "CHECK") {
        lost.push(format!(
            "the table has a CHECK constraint, which a struct cannot declare and a rebuild would drop; {settle}"
        ));
    }
    if mentions(&sql, "DEFERRABLE") {
        lost.push(format!(
            "a foreign key of the table is DEFERRABLE, which a struct cannot declare and a rebuild would drop; {settle}"
        ));
    }
    for fk in schema::foreign_keys(conn, spec.table).map_err(&inspect)? {
        if !fk.on_update.eq_ignore_ascii_case("NO ACTION") {
            lost.push(format!(
                "column `{}` references `{}` ON UPDATE {}, which a struct cannot declare and a rebuild \
                 would drop; {settle}",
                fk.from, fk.table, fk.on_update
            ));
        }
    }
    // Temp triggers and views live in the connection's own schema: the drop of the old table
    // takes a temp trigger on it along, and a temp view over it breaks the rename.
    for object in schema::temp_objects(conn).map_err(&inspect)? {
        let on_table = object.kind == "trigger" && object.table.eq_ignore_ascii_case(spec.table);
        if on_table || mentions(&object.sql, spec.table) {
            lost.push(format!(
                "temp {} `{}` of this connection uses the table, and a rebuild would lose or break it; \
                 drop it, migrate, and create it again",
                object.kind, object.name
            ));
        }
    }
    Ok(lost)
}

/// Whether the table exists and differs from its struct in a way only a rebuild settles. A
/// table the ledger records as built from this very schema is taken to match without
/// comparing its columns: this is a look ahead on every run, and a table changed by hand is
/// still found by the run itself.
pub(crate) fn needed(conn: &Connection, spec: &TableSpec) -> Result<bool> {
    let inspect = sqlite_error(spec.table, Step::Inspect);
    let built = crate::ledger::schema_checksum(spec.create_sql, spec.index_sql);
    if crate::ledger::recorded_schema(conn, spec.table).map_err(&inspect)? == Some(built) {
        return Ok(false);
    }
    if schema::kind(conn, spec.table).map_err(&inspect)?.as_deref() != Some("table") {
        return Ok(false);
    }
    let existing = schema::columns(conn, spec.table).map_err(&inspect)?;
    Ok(!drift(conn, spec, &existing, &[])?.rebuild.is_empty())
}

fn drift_error(spec: &TableSpec, differences: Vec<String>) -> Error {
    Error::SchemaDrift {
        table: spec.table.to_owned(),
        differences,
    }
}

fn refuse(spec: &TableSpec, differences: Vec<String>) -> Result<()> {
    if differences.is_empty() {
        Ok(())
    } else {
        Err(drift_error(spec, differences))
    }
}

/// The indexes, triggers and views a rebuild drops and creates again.
struct Dependents {
    /// Views and other tables' triggers that use the table, dropped before the rebuild.
    dropped: Vec<SchemaObject>,
    /// Indexes the struct does not declare, and triggers and views, created again after
    /// the rebuild, with the statement that creates each, in the order they were created.
    recreated: Vec<SchemaObject>,
    dropped_capture: Vec<String>,
}

struct Planner<'a> {
    conn: &'a Connection,
    spec: &'a TableSpec,
    drift: &'a Drift,
    temporary: String,
}

/// Words a difference, given how many rows it concerns and sample keys.
type Describe = Box<dyn Fn(u64, &str) -> String>;

/// A check over the table's rows that finds what the rebuild could not carry over.
struct RowCheck {
    /// The condition on a row `o` of the table.
    condition: String,
    /// The one column of the table the condition reads.
    column: String,
    describe: Describe,
}

impl Planner<'_> {
    fn inspect(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        sqlite_error(self.spec.table, Step::Inspect)
    }

    /// Whether a field's values go through `CAST` to its new type: its declared type
    /// changes, or it becomes the table's `INTEGER PRIMARY KEY`, which takes only integers.
    fn converted(&self, column: &Column, found: &TableColumn) -> bool {
        let retyped = !found
            .declared_type
            .eq_ignore_ascii_case(column.sql_type.as_str());
        retyped || (self.key_is_rowid() && column.primary_key && !found.primary_key)
    }

    /// The new table's key is SQLite's rowid under another name.
    fn key_is_rowid(&self) -> bool {
        !self.spec.without_rowid()
            && self.spec.key_columns().count() == 1
            && self.spec.key_is_rowid()
    }

    /// The value a field takes from the row `o` of the old table, once the renames have
    /// run (the column has the field's name).
    fn source(&self, column: &Column, found: &TableColumn) -> String {
        self.value(column, found, column.name)
    }

    /// The same while planning, before the renames (the column has the table's name).
    fn source_now(&self, column: &Column, found: &TableColumn) -> String {
        self.value(column, found, &found.name)
    }

    fn value(&self, column: &Column, found: &TableColumn, name: &str) -> String {
        let name = format!("o.{}", quoted(name));
        if self.converted(column, found) {
            format!("CAST({name} AS {})", column.sql_type)
        } else {
            name
        }
    }

    /// How a row of the old table is named in samples: its key, else its rowid.
    fn sample_key(&self, existing: &[&TableColumn]) -> String {
        let key: Vec<&&TableColumn> = existing.iter().filter(|c| c.primary_key).collect();
        match key.as_slice() {
            [] => "'rowid ' || o.rowid".to_owned(),
            [only] => format!("quote(o.{})", quoted(&only.name)),
            several => format!(
                "'(' || {} || ')'",
                several
                    .iter()
                    .map(|c| format!("quote(o.{})", quoted(&c.name)))
                    .collect::<Vec<_>>()
                    .join(" || ', ' || ")
            ),
        }
    }

    /// Reads the rows once for everything that would stop the rebuild: data in columns
    /// discarded without consent, NULLs where the struct says `NOT NULL`, values a new type
    /// would change; then, if the key changes, keys several rows share.
    fn check_rows(&self) -> Result<Vec<String>> {
        let mut checks: Vec<RowCheck> = Vec::new();
        for removed in &self.drift.removed {
            if self.spec.consents_to_drop(&removed.name) {
                continue;
            }
            let name = removed.name.clone();
            checks.push(RowCheck {
                condition: format!("o.{} IS NOT NULL", quoted(&removed.name)),
                column: removed.name.clone(),
                describe: Box::new(move |n, keys| {
                    format!(
                        "column `{name}` is in the table but not in the struct, and {} a value there (keys {keys}); \
                         add `drop_columns(\"{name}\")` to `#[wrkflw_table]` to discard it, or add the field back",
                        rows_hold(n)
                    )
                }),
            });
        }
        for (column, found) in &self.drift.matched {
            let name = column.name;
            let now = format!("o.{}", quoted(&found.name));
            let required = !column.nullable || column.primary_key;
            if required && !found.not_null {
                checks.push(RowCheck {
                    condition: format!("{now} IS NULL"),
                    column: found.name.clone(),
                    describe: Box::new(move |n, keys| {
                        format!(
                            "column `{name}` is NOT NULL in the struct but {} NULL there (keys {keys}); \
                             make it `Option<_>`, or give those rows a value first",
                            rows_hold(n)
                        )
                    }),
                });
            }
            if self.converted(column, found) {
                let from = if found.declared_type.is_empty() {
                    "untyped".to_owned()
                } else {
                    found.declared_type.to_ascii_uppercase()
                };
                let to = column.sql_type;
                checks.push(RowCheck {
                    condition: changed_by_cast(&now, to.as_str()),
                    column: found.name.clone(),
                    describe: Box::new(move |n, keys| {
                        format!(
                            "column `{name}` is {from} in the table but {to} in the struct, and {} values that {to} \
                             would change (keys {keys}); keep the field's type, or convert those values first",
                            rows_hold(n)
                        )
                    }),
                });
            }
        }
        let existing: Vec<&TableColumn> = self
            .drift
            .matched
            .iter()
            .map(|(_, c)| c)
            .chain(&self.drift.removed)
            .collect();
        let sample_key = self.sample_key(&existing);
        let from = format!("FROM {} AS o", main(self.spec.table));
        let mut differences = Vec::new();
        if !checks.is_empty() {
            // A check on an indexed column reads that index alone (a fraction of the table)
            // and counts only when it finds a row; the others share one pass over the table.
            let indexed =
                schema::indexed_columns(self.conn, self.spec.table).map_err(self.inspect())?;
            let alone = |check: &RowCheck| {
                indexed
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&check.column))
            };
            let mut counts = vec![0i64; checks.len()];
            for (i, check) in checks.iter().enumerate().filter(|(_, c)| alone(c)) {
                let found: bool = self
                    .conn
                    .query_row(
                        &format!("SELECT EXISTS (SELECT 1 {from} WHERE {})", check.condition),
                        [],
                        |row| row.get(0),
                    )
                    .map_err(self.inspect())?;
                if found {
                    counts[i] = self
                        .conn
                        .query_row(
                            &format!("SELECT count(*) {from} WHERE {}", check.condition),
                            [],
                            |row| row.get(0),
                        )
                        .map_err(self.inspect())?;
                }
            }
            let shared: Vec<usize> = (0..checks.len()).filter(|&i| !alone(&checks[i])).collect();
            if !shared.is_empty() {
                let sums: Vec<String> = shared
                    .iter()
                    .map(|&i| format!("coalesce(sum({}), 0)", checks[i].condition))
                    .collect();
                let found: Vec<i64> = self
                    .conn
                    .query_row(&format!("SELECT {} {from}", sums.join(", ")), [], |row| {
                        (0..shared.len()).map(|i| row.get(i)).collect()
                    })
                    .map_err(self.inspect())?;
                for (&i, n) in shared.iter().zip(found) {
                    counts[i] = n;
                }
            }
            for (check, n) in checks.iter().zip(counts) {
                if n > 0 {
                    let keys = self.samples(&format!(
                        "SELECT {sample_key} {from} WHERE {} LIMIT {SAMPLE}",
                        check.condition
                    ))?;
                    differences.push((check.describe)(n as u64, &keys.join(", ")));
                }
            }
        }
        differences.extend(self.shared_keys(&sample_key, &from)?);
        Ok(differences)
    }

    /// When the key is a new set of columns, or a column of it is converted, the key values
    /// several rows share.
    fn shared_keys(&self, sample_key: &str, from: &str) -> Result<Option<String>> {
        let key: Vec<(&Column, &TableColumn)> = self
            .drift
            .matched
            .iter()
            .filter(|(c, _)| c.primary_key)
            .map(|(c, found)| (*c, found))
            .collect();
        let was_key = key.iter().all(|(_, found)| found.primary_key)
            && self
                .drift
                .removed
                .iter()
                .chain(self.drift.matched.iter().map(|(_, f)| f))
                .filter(|f| f.primary_key)
                .count()
                == key.len();
        // The same key columns, none of them converted, stay as unique as they were; a
        // conversion may make two keys one (`'1'` and `X'31'` both 1 as INTEGER).
        let converted = key.iter().any(|(c, found)| self.converted(c, found));
        if key.is_empty() || (was_key && !converted) {
            return Ok(None);
        }
        let sources: Vec<String> = key.iter().map(|(c, f)| self.source_now(c, f)).collect();
        let group = sources.join(", ");
        let shared: i64 = self
            .conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM (SELECT 1 {from} GROUP BY {group} HAVING count(*) > 1)"
                ),
                [],
                |row| row.get(0),
            )
            .map_err(self.inspect())?;
        if shared == 0 {
            return Ok(None);
        }
        let keys = self.samples(&format!(
            "SELECT {sample_key} {from} WHERE ({group}) IN \
             (SELECT {group} {from} GROUP BY {group} HAVING count(*) > 1) LIMIT {SAMPLE}"
        ))?;
        let names: Vec<&str> = key.iter().map(|(c, _)| c.name).collect();
        Ok(Some(format!(
            "the key is now ({}), and {shared} of its values are held by several rows (keys {}); \
             keep the table's key, or make those rows' values distinct first",
            names.join(", "),
            keys.join(", ")
        )))
    }

    fn samples(&self, sql: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(sql).map_err(self.inspect())?;
        let rows = stmt
            .query_map([], |row| row.get(0))
            .map_err(self.inspect())?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(self.inspect())
    }

    fn count_rows(&self) -> Result<u64> {
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM {}", main(self.spec.table)),
                [],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(self.inspect())
    }

    /// The indexes, triggers and views to drop and create again around the rebuild. One
    /// that would break (it uses a column the rebuild discards) is a difference in
    /// `blocking`.
    fn dependents(
        &self,
        objects: Vec<SchemaObject>,
        own_capture: &[String],
        blocking: &mut Vec<String>,
    ) -> Result<Dependents> {
        let table = self.spec.table;
        let struct_indexes: Vec<String> = self
            .spec
            .indexes()
            .map(|(index, _)| index.name.to_owned())
            .collect();
        let removed: Vec<&str> = self.drift.removed.iter().map(|c| c.name.as_str()).collect();
        let all = objects.clone();
        let mut dependents = Dependents {
            dropped: Vec::new(),
            recreated: Vec::new(),
            dropped_capture: Vec::new(),
        };
        for object in objects {
            let on_table = object.kind != "view" && object.table.eq_ignore_ascii_case(table);
            if object.kind == "index" {
                let ours = struct_indexes
                    .iter()
                    .any(|i| i.eq_ignore_ascii_case(&object.name));
                if !on_table || ours {
                    continue;
                }
                let columns =
                    schema::index_columns(self.conn, &object.name).map_err(self.inspect())?;
                let gone = columns
                    .iter()
                    .find(|c| removed.iter().any(|r| r.eq_ignore_ascii_case(c)))
                    .cloned()
                    .or_else(|| {
                        removed
                            .iter()
                            .find(|r| mentions(&object.sql, r))
                            .map(|r| r.to_string())
                    });
                if let Some(column) = gone {
                    blocking.push(format!(
                        "index `{}` of the table uses column `{column}`, which the struct no longer has; \
                         drop the index, or keep the field",
                        object.name
                    ));
                }
                dependents.recreated.push(object);
                continue;
            }
            if !on_table && !mentions(&object.sql, table) {
                continue;
            }
            // The capture this struct installs sits on its legacy table; a capture left on
            // another table (the struct no longer names it) is an ordinary trigger here,
            // dropped and created again as it is.
            let capture = own_capture
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&object.name))
                && object.kind == "trigger"
                && self
                    .spec
                    .legacy
                    .is_some_and(|legacy| legacy.eq_ignore_ascii_case(&object.table));
            if capture {
                dependents.dropped_capture.push(object.name.clone());
                dependents.dropped.push(object);
                continue;
            }
            if let Some(column) = removed.iter().find(|r| mentions(&object.sql, r)) {
                blocking.push(format!(
                    "{} `{}` uses column `{column}`, which the struct no longer has; \
                     change or drop the {}, or keep the field",
                    object.kind, object.name, object.kind
                ));
            }
            if !on_table {
                dependents.dropped.push(object.clone());
            }
            dependents.recreated.push(object);
        }
        // What uses a view that goes must go and come back too (a view over that view, a
        // trigger reading it), or the rename finds it pointing at nothing: to a fixed point,
        // in the order the schema created them.
        loop {
            let views: Vec<String> = dependents
                .dropped
                .iter()
                .filter(|o| o.kind == "view")
                .map(|o| o.name.clone())
                .collect();
            let taken = |o: &SchemaObject| {
                dependents
                    .recreated
                    .iter()
                    .chain(&dependents.dropped)
                    .any(|d| d.kind == o.kind && d.name.eq_ignore_ascii_case(&o.name))
            };
            let more: Vec<SchemaObject> = all
                .iter()
                .filter(|o| o.kind != "index" && !taken(o))
                .filter(|o| views.iter().any(|v| mentions(&o.sql, v)))
                .cloned()
                .collect();
            if more.is_empty() {
                break;
            }
            for object in more {
                if let Some(column) = removed.iter().find(|r| mentions(&object.sql, r)) {
                    blocking.push(format!(
                        "{} `{}` uses column `{column}`, which the struct no longer has; \
                         change or drop the {}, or keep the field",
                        object.kind, object.name, object.kind
                    ));
                }
                dependents.dropped.push(object.clone());
                dependents.recreated.push(object);
            }
        }
        let position = |o: &SchemaObject| {
            all.iter()
                .position(|a| a.kind == o.kind && a.name.eq_ignore_ascii_case(&o.name))
        };
        dependents.dropped.sort_by_key(position);
        dependents.recreated.sort_by_key(position);
        Ok(dependents)
    }

    /// The rebuild's statements, in order.
    fn steps(&self, dependents: &Dependents, rows: u64) -> Result<Vec<PlannedStep>> {
        let table = self.spec.table;
        let temporary = &self.temporary;
        let step = |step: RebuildStep, sql: String| PlannedStep {
            action: Action::RebuildTable { step },
            sql,
        };
        let mut steps = Vec::new();
        for object in dependents.dropped.iter().rev() {
            let name = object.name.clone();
            let sql = format!(
                "DROP {} main.{}",
                object.kind.to_ascii_uppercase(),
                quoted(&name)
            );
            steps.push(if object.kind == "view" {
                step(RebuildStep::DropView { view: name }, sql)
            } else {
                step(RebuildStep::DropTrigger { trigger: name }, sql)
            });
        }
        let columns = self.spec.create_sql;
        let columns = &columns[columns.find('(').unwrap_or(0)..];
        steps.push(step(
            RebuildStep::CreateTable {
                temporary: temporary.clone(),
                reasons: self.drift.rebuild.clone(),
            },
            format!("CREATE TABLE main.{} {columns}", quoted(temporary)),
        ));

        let mut targets: Vec<String> = Vec::new();
        let mut sources: Vec<String> = Vec::new();
        let named_rowid = self
            .drift
            .matched
            .iter()
            .map(|(_, f)| f)
            .chain(&self.drift.removed)
            .any(|c| {
                ["rowid", "oid", "_rowid_"]
                    .iter()
                    .any(|a| c.name.eq_ignore_ascii_case(a))
            });
        let keeps_rowid = !self.spec.without_rowid()
            && !self.key_is_rowid()
            && !named_rowid
            && schema::has_rowid(self.conn, table).map_err(self.inspect())?;
        if keeps_rowid {
            // The rows keep their rowids, so `ORDER BY rowid` reads them as before.
            targets.push("rowid".to_owned());
            sources.push("o.rowid".to_owned());
        }
        for (column, found) in &self.drift.matched {
            targets.push(quoted(column.name));
            sources.push(self.source(column, found));
        }
        steps.push(step(
            RebuildStep::Copy {
                rows,
                dropped: self.drift.removed.iter().map(|c| c.name.clone()).collect(),
            },
            format!(
                "INSERT INTO main.{} ({})\nSELECT {}\nFROM {} AS o",
                quoted(temporary),
                targets.join(", "),
                sources.join(", "),
                main(table)
            ),
        ));
        // The copy has no conflict clause and no filter, into a table created empty in this
        // transaction, with no trigger of its own: it inserts every row it reads or fails,
        // and what it inserted is what the new table holds. As many rows inserted as the old
        // table holds then proves every row arrived; the keys are the old table's, unchanged
        // or through a CAST proved above to change none. (Counting the new table as well
        // would read all of it again: it has no index yet.)
        steps.push(step(
            RebuildStep::Verify,
            format!("SELECT count(*) FROM {}", main(table)),
        ));
        steps.push(step(
            RebuildStep::DropOld,
            format!("DROP TABLE {}", main(table)),
        ));
        steps.push(step(
            RebuildStep::Rename {
                temporary: temporary.clone(),
            },
            format!(
                "ALTER TABLE main.{} RENAME TO {}",
                quoted(temporary),
                quoted(table)
            ),
        ));
        for (index, sql) in self.spec.indexes() {
            steps.push(PlannedStep {
                action: Action::CreateIndex {
                    index: index.name.to_owned(),
                },
                sql: self.spec.index_statement(sql),
            });
        }
        let mut recreated: Vec<&SchemaObject> = dependents.recreated.iter().collect();
        // Indexes first, as a fresh table gets them; then triggers and views in the order
        // they were created, which is an order they can be created in.
        recreated.sort_by_key(|o| o.kind != "index");
        for object in recreated {
            let name = object.name.clone();
            let sql = create_in_main(&object.sql);
            steps.push(match object.kind.as_str() {
                "index" => step(RebuildStep::RecreateIndex { index: name }, sql),
                "view" => step(RebuildStep::RecreateView { view: name }, sql),
                _ => step(RebuildStep::RecreateTrigger { trigger: name }, sql),
            });
        }
        if let Some(sql) = self.foreign_key_check()? {
            steps.push(step(RebuildStep::CheckForeignKeys, sql));
        }
        Ok(steps)
    }

    /// The foreign key check of the table and of the tables that reference it, grouped by
    /// table, referencing columns and parent; `None` when no foreign key is involved.
    fn foreign_key_check(&self) -> Result<Option<String>> {
        let table = self.spec.table;
        let mut checked = Vec::new();
        let own = schema::has_foreign_keys(self.conn, table).map_err(self.inspect())?
            || mentions(self.spec.create_sql, "REFERENCES");
        if own {
            checked.push(format!(
                "SELECT * FROM pragma_foreign_key_check({}, 'main')",
                literal(table)
            ));
        }
        for referencing in schema::referencing_tables(self.conn, table).map_err(self.inspect())? {
            checked.push(format!(
                "SELECT * FROM pragma_foreign_key_check({}, 'main') WHERE parent = {} COLLATE NOCASE",
                literal(&referencing),
                literal(table)
            ));
        }
        if checked.is_empty() {
            return Ok(None);
        }
        Ok(Some(format!(
            "SELECT c.\"table\",\n  (SELECT group_concat(f.\"from\", ', ') FROM pragma_foreign_key_list(c.\"table\", 'main') AS f\n   WHERE f.id = c.fkid),\n  c.parent, count(*)\nFROM (\n  {}\n) AS c\nGROUP BY 1, 2, 3",
            checked.join("\n  UNION ALL\n  ")
        )))
    }
}

/// `n rows hold` / `1 row holds`.
fn rows_hold(n: u64) -> String {
    if n == 1 {
        "1 row holds".to_owned()
    } else {
        format!("{n} rows hold")
    }
}

/// Whether `CAST(value AS to)` changes the value: cast back to the value's own storage
/// class, it must be the value again. `'5'` into INTEGER passes; `'05'`, `'abc'`, `1.5` do not.
fn changed_by_cast(value: &str, to: &str) -> String {
    let cast = format!("CAST({value} AS {to})");
    format!(
        "({value} IS NOT NULL AND CASE typeof({value}) \
         WHEN 'integer' THEN CAST({cast} AS INTEGER) \
         WHEN 'real' THEN CAST({cast} AS REAL) \
         WHEN 'text' THEN CAST({cast} AS TEXT) \
         ELSE CAST({cast} AS BLOB) END IS NOT {value})"
    )
}

/// A stored `CREATE INDEX`, `CREATE TRIGGER` or `CREATE VIEW` pointed at the main schema.
/// SQLite stores each as `CREATE [UNIQUE] INDEX name ...`, `CREATE TRIGGER name ...`,
/// `CREATE VIEW name ...`, whatever was written.
fn create_in_main(sql: &str) -> String {
    for head in [
        "CREATE INDEX ",
        "CREATE UNIQUE INDEX ",
        "CREATE TRIGGER ",
        "CREATE VIEW ",
    ] {
        if let Some(rest) = sql.strip_prefix(head) {
            return format!("{head}main.{rest}");
        }
    }
    sql.to_owned()
}

/// Runs the renames and the rebuild's schema statements on an empty copy of the schema in
/// memory, and says what would break: a view or trigger that no longer resolves after them
/// (SQLite checks every one when a table is renamed). `None` when nothing breaks, and when
/// the schema cannot be copied (a collation or function only the application registers):
/// then the checks on the columns the views and triggers mention stand alone.
fn rehearse(conn: &Connection, renames: &[PlannedStep], rebuild: &[PlannedStep]) -> Option<String> {
    let scratch = replay(conn)?;
    const PROBE: &str = "CREATE TABLE main.wrkflw_probe (x);
        ALTER TABLE main.wrkflw_probe RENAME TO wrkflw_probe_renamed;
        DROP TABLE main.wrkflw_probe_renamed;";
    // A schema already broken before the rebuild says nothing about the rebuild.
    scratch.execute_batch(PROBE).ok()?;
    for step in renames.iter().chain(rebuild) {
        let ddl = !matches!(
            step.action,
            Action::RebuildTable {
                step: RebuildStep::Copy { .. }
                    | RebuildStep::Verify
                    | RebuildStep::CheckForeignKeys
            }
        );
        if !ddl {
            continue;
        }
        if let Err(error) = scratch.execute_batch(&step.sql) {
            return Some(format!(
                "after the rebuild, `{}` would fail: {error}; change or drop what it names first",
                step.action
            ));
        }
    }
    scratch.execute_batch(PROBE).err().map(|error| {
        format!("after the rebuild, the schema would not resolve ({error}); change or drop that view or trigger first")
    })
}

/// The main schema, without rows, in a scratch database in memory; `None` when it cannot
/// be copied there.
fn replay(conn: &Connection) -> Option<Connection> {
    let definitions = schema::all_definitions(conn).ok()?;
    let scratch = Connection::open_in_memory().ok()?;
    scratch.execute_batch("PRAGMA foreign_keys = OFF").ok()?;
    for sql in &definitions {
        scratch.execute_batch(sql).ok()?;
    }
    Some(scratch)
}

/// The indexes, triggers and views as they are after the renames, which SQLite rewrites.
fn renamed_objects(conn: &Connection, renames: &[PlannedStep]) -> Option<Vec<SchemaObject>> {
    let scratch = replay(conn)?;
    for step in renames {
        scratch.execute_batch(&step.sql).ok()?;
    }
    schema::objects(&scratch).ok()
}

#[cfg(test)]
mod tests {
    use super::{changed_by_cast, create_in_main};
    use rusqlite::Connection;

    #[test]
    fn a_cast_changes_a_value_unless_it_casts_back_to_itself() {
        let conn = Connection::open_in_memory().unwrap();
        let changed = |value: &str, to: &str| -> bool {
            conn.query_row(
                &format!(
                    "SELECT {} FROM (SELECT {value} AS v)",
                    changed_by_cast("v", to)
                ),
                [],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert!(!changed("'5'", "INTEGER"));
        assert!(changed("'05'", "INTEGER"));
        assert!(changed("'abc'", "INTEGER"));
        assert!(changed("1.5", "INTEGER"));
        assert!(!changed("2.0", "INTEGER"));
        assert!(!changed("42", "TEXT"));
        assert!(!changed("'x'", "BLOB"));
        assert!(!changed("NULL", "INTEGER"));
    }

    #[test]
    fn stored_statements_are_pointed_at_main() {
        assert_eq!(
            create_in_main("CREATE UNIQUE INDEX i ON t (a)"),
            "CREATE UNIQUE INDEX main.i ON t (a)"
        );
        assert_eq!(
            create_in_main("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END"),
            "CREATE TRIGGER main.tr AFTER INSERT ON t BEGIN SELECT 1; END"
        );
        assert_eq!(
            create_in_main("CREATE VIEW v AS SELECT 1"),
            "CREATE VIEW main.v AS SELECT 1"
        );
    }
}
