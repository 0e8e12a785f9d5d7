//! Drift on PostgreSQL: how an existing table differs from its struct, read from the catalog,
//! and the `ALTER TABLE` statements that settle each difference in place, where SQLite needs
//! the table rebuilt. Each change is checked against the table's rows before it is planned,
//! and a difference no statement can settle without losing data is refused with
//! [`Error::SchemaDrift`], every sentence naming the table's column and what would settle it.
//!
//! - a field renamed with `rename_from` whose old column is there: `RENAME COLUMN`;
//! - a field new in the struct: `ADD COLUMN` when it is nullable, has a default, or the table
//!   is empty; refused otherwise;
//! - a column of another type: `ALTER COLUMN ... TYPE ... USING`, refused when a value would
//!   not convert or would change (a fraction into an integer);
//! - `NOT NULL` added (refused while the column holds NULL) or dropped; a default set,
//!   changed or dropped;
//! - a column no field keeps: dropped when it holds only NULL or the struct names it in
//!   `drop_columns`, refused otherwise;
//! - a primary key other than the struct's: refused;
//! - foreign keys the struct declares added (refused while rows point at nothing), the ones
//!   it does not declare dropped, changed ones dropped and added again.
//!
//! Defaults are compared as PostgreSQL prints them (`pg_get_expr`). The struct's own are
//! printed the same way by declaring them on a temporary table inside the transaction, and
//! only when the ledger's schema checksum says the struct changed since the table was last
//! migrated: a re-run of an unchanged struct writes nothing, not even a temporary table.

use ::postgres::Transaction;

use super::catalog::{self, TableColumn, TableForeignKey};
use super::checks::{self, Rows};
use super::convert::Conversion;
use super::spec::{Field, PgSpec};
use super::sql_text::{ident, literal, qualified};
use crate::plan::{Action, ColumnChange, PlannedStep};
use crate::{Error, OnDelete, Result};

/// What settles the table's drift, in the order it runs.
#[derive(Debug, Default)]
pub(crate) struct Drift {
    pub(crate) steps: Vec<PlannedStep>,
    /// (old name, field).
    pub(crate) renamed: Vec<(String, String)>,
    pub(crate) added: Vec<String>,
    pub(crate) altered: Vec<String>,
    pub(crate) dropped: Vec<String>,
}

type Fail<'a> = &'a dyn Fn(::postgres::Error) -> Error;

/// Compares the table with the struct. `trusted_defaults`: the ledger's schema checksum is
/// the struct's, so the defaults are the ones the struct declared.
pub(crate) fn drift(
    tx: &mut Transaction<'_>,
    spec: &PgSpec,
    schema: &str,
    table: &catalog::Table,
    foreign_keys: &[TableForeignKey],
    trusted_defaults: bool,
    fail: Fail<'_>,
) -> Result<Drift> {
    let mut drift = Drift::default();
    let mut refusals: Vec<String> = Vec::new();
    let table_sql = qualified(schema, spec.table);
    let alter = |what: String| format!("ALTER TABLE {table_sql} {what}");
    let mut has_rows: Option<bool> = None;
    let mut holds_rows = |tx: &mut Transaction<'_>| -> Result<bool> {
        if let Some(known) = has_rows {
            return Ok(known);
        }
        let known: bool = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table_sql})"), &[])
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        has_rows = Some(known);
        Ok(known)
    };
    let rows = Rows {
        relation: table_sql.clone(),
        shown_key: checks::shown_table_key(spec, "l"),
    };

    // Each field with the column it keeps, after renames.
    let mut matched: Vec<(Field, &TableColumn)> = Vec::new();
    let mut missing: Vec<Field> = Vec::new();
    for field in spec.fields() {
        let column = field.column;
        let renamed = column
            .rename_from
            .filter(|_| table.column(column.name).is_none())
            .and_then(|old| table.column(old));
        match table.column(column.name).or(renamed) {
            Some(found) => {
                if renamed.is_some() {
                    drift
                        .renamed
                        .push((found.name.clone(), column.name.to_owned()));
                    drift.steps.push(PlannedStep {
                        action: Action::RenameColumn {
                            from: found.name.clone(),
                            to: column.name.to_owned(),
                        },
                        sql: alter(format!(
                            "RENAME COLUMN {} TO {}",
                            ident(&found.name),
                            ident(column.name)
                        )),
                    });
                }
                matched.push((field, found));
            }
            None => missing.push(field),
        }
    }

    // The key.
    let table_key: Vec<&str> = table
        .indexes
        .iter()
        .find(|i| i.primary)
        .map(|i| i.columns.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let struct_key: Vec<&str> = matched
        .iter()
        .filter(|(f, _)| f.column.primary_key)
        .map(|(_, c)| c.name.as_str())
        .collect();
    let key_fields = spec.key_fields().len();
    if table_key != struct_key || struct_key.len() != key_fields {
        let keys: Vec<&str> = spec.key_fields().iter().map(|f| f.name()).collect();
        refusals.push(format!(
            "the primary key is ({}) in the table but ({}) in the struct; wrkflw does not change a table's key: \
             keep the key the table has, or move the rows to a new table yourself",
            table_key.join(", "),
            keys.join(", ")
        ));
    }

    // Columns the struct declares otherwise.
    let defaults = if trusted_defaults {
        None
    } else {
        Some(canonical_defaults(tx, &matched, fail)?)
    };
    for (i, (field, found)) in matched.iter().enumerate() {
        let name = field.name();
        let column_sql = ident(name);
        let mut changes: Vec<ColumnChange> = Vec::new();
        let mut statements: Vec<String> = Vec::new();
        if found.generated || found.identity {
            refusals.push(format!(
                "column `{name}` is {} in the table but a plain column in the struct; \
                 drop the {} (ALTER TABLE {} ALTER COLUMN {column_sql} DROP {})",
                if found.generated {
                    "generated"
                } else {
                    "an identity column"
                },
                if found.generated {
                    "expression"
                } else {
                    "identity"
                },
                table_sql,
                if found.generated {
                    "EXPRESSION"
                } else {
                    "IDENTITY"
                },
            ));
            continue;
        }
        let default_differs = match &defaults {
            None => false,
            Some(canonical) => canonical[i] != found.default,
        };
        let to = field.pg_type.catalog_name();
        let retyped = found.type_name != to;
        if retyped {
            let conversion = Conversion::new(&found.type_name, field.pg_type);
            let value = conversion.apply(&format!("l.{column_sql}"));
            if conversion.fallible() {
                let keys = rows.failing(tx, &value, "true").map_err(fail)?;
                if !keys.is_empty() {
                    refusals.push(format!(
                        "column `{name}` is {} in the table but {} in the struct, and rows with keys {} hold values \
                         that are not {}; fix those rows, or keep the field's type",
                        found.type_name,
                        field.pg_type,
                        keys.join(", "),
                        conversion.expects()
                    ));
                    continue;
                }
            }
            if let Some(changed) = conversion.changes(&format!("l.{column_sql}")) {
                let keys = checks::strings(
                    tx,
                    &format!(
                        "SELECT {} FROM {table_sql} AS l WHERE {changed} LIMIT 5",
                        rows.shown_key
                    ),
                )
                .map_err(fail)?;
                if !keys.is_empty() {
                    refusals.push(format!(
                        "column `{name}` is {} in the table but {} in the struct, and converting would change \
                         the values of rows with keys {} (they are not {}); fix those rows, or keep the field's type",
                        found.type_name,
                        field.pg_type,
                        keys.join(", "),
                        conversion.expects()
                    ));
                    continue;
                }
            }
            // The old default may not convert: it goes first, and the field's comes after.
            if found.default.is_some() {
                changes.push(ColumnChange::DropDefault);
                statements.push(alter(format!("ALTER COLUMN {column_sql} DROP DEFAULT")));
            }
            changes.push(ColumnChange::Type {
                from: found.type_name.clone(),
                to: field.pg_type.as_str().to_owned(),
            });
            statements.push(alter(format!(
                "ALTER COLUMN {column_sql} TYPE {} USING {}",
                field.pg_type,
                conversion.apply(&column_sql)
            )));
        }
        if (retyped && found.default.is_some()) || default_differs {
            match field.default {
                Some(default) => {
                    changes.push(ColumnChange::SetDefault {
                        default: default.to_owned(),
                    });
                    statements.push(alter(format!(
                        "ALTER COLUMN {column_sql} SET DEFAULT {default}"
                    )));
                }
                None if !retyped => {
                    changes.push(ColumnChange::DropDefault);
                    statements.push(alter(format!("ALTER COLUMN {column_sql} DROP DEFAULT")));
                }
                None => {}
            }
        }
        if field.required() && !found.not_null {
            let nulls: i64 = tx
                .query_one(
                    &format!("SELECT count(*) FROM {table_sql} AS l WHERE l.{column_sql} IS NULL"),
                    &[],
                )
                .and_then(|row| row.try_get(0))
                .map_err(fail)?;
            if nulls > 0 {
                refusals.push(format!(
                    "column `{name}` holds NULL in {nulls} rows but the struct says NOT NULL; fill those rows \
                     (UPDATE {table_sql} SET {column_sql} = ... WHERE {column_sql} IS NULL), or make the field an Option"
                ));
                continue;
            }
            changes.push(ColumnChange::SetNotNull);
            statements.push(alter(format!("ALTER COLUMN {column_sql} SET NOT NULL")));
        } else if !field.required() && found.not_null {
            changes.push(ColumnChange::DropNotNull);
            statements.push(alter(format!("ALTER COLUMN {column_sql} DROP NOT NULL")));
        }
        if !changes.is_empty() {
            drift.altered.push(name.to_owned());
        }
        for (change, sql) in changes.into_iter().zip(statements) {
            drift.steps.push(PlannedStep {
                action: Action::AlterColumn {
                    column: name.to_owned(),
                    change,
                },
                sql,
            });
        }
    }

    // Columns the struct gained.
    for field in missing {
        let name = field.name();
        if field.column.primary_key {
            refusals.push(format!(
                "primary key `{name}` is not in the table; wrkflw does not change a table's key: keep the key \
                 the table has, or move the rows to a new table yourself"
            ));
            continue;
        }
        if field.required() && field.default.is_none() && holds_rows(tx)? {
            refusals.push(format!(
                "column `{name}` is new, NOT NULL and has no default, so the rows already in the table would \
                 have no value for it; make it `Option<_>` or give it a `default`"
            ));
            continue;
        }
        let mut definition = format!("ADD COLUMN {} {}", ident(name), field.pg_type);
        if field.required() {
            definition.push_str(" NOT NULL");
        }
        if let Some(default) = field.default {
            definition.push_str(&format!(" DEFAULT {default}"));
        }
        if let Some(fk) = field.column.references {
            definition.push_str(&format!(
                " REFERENCES {} ({}){}",
                qualified(schema, fk.table),
                ident(fk.column),
                on_delete_clause(fk.on_delete)
            ));
        }
        drift.added.push(name.to_owned());
        drift.steps.push(PlannedStep {
            action: Action::AddColumn {
                column: name.to_owned(),
            },
            sql: alter(definition),
        });
    }

    // Columns no field keeps.
    for column in &table.columns {
        if matched.iter().any(|(_, found)| found.name == column.name) {
            continue;
        }
        let consent = spec.consents_to_drop(&column.name);
        let only_null = consent || {
            let held: bool = tx
                .query_one(
                    &format!(
                        "SELECT EXISTS (SELECT 1 FROM {table_sql} WHERE {} IS NOT NULL)",
                        ident(&column.name)
                    ),
                    &[],
                )
                .and_then(|row| row.try_get(0))
                .map_err(fail)?;
            !held
        };
        if table_key.contains(&column.name.as_str()) {
            continue; // refused with the key above
        }
        if !only_null {
            refusals.push(format!(
                "column `{}` is not in the struct and holds data; keep a field for it, or consent to \
                 dropping it with #[wrkflw_table(drop_columns(\"{}\"))]",
                column.name, column.name
            ));
            continue;
        }
        drift.dropped.push(column.name.clone());
        drift.steps.push(PlannedStep {
            action: Action::DropColumn {
                column: column.name.clone(),
            },
            sql: alter(format!("DROP COLUMN {}", ident(&column.name))),
        });
    }

    // Foreign keys: the ones the struct declares on the columns it keeps.
    let dropped_columns = &drift.dropped;
    for fk in foreign_keys {
        let declared = matched
            .iter()
            .any(|(field, found)| fk.columns == [found.name.clone()] && declares(field, fk));
        // A dropped column's foreign keys go with it.
        let on_dropped = fk.columns.iter().any(|c| dropped_columns.contains(c));
        if !declared && !on_dropped {
            drift.steps.push(PlannedStep {
                action: Action::DropForeignKey {
                    constraint: fk.name.clone(),
                },
                sql: alter(format!("DROP CONSTRAINT {}", ident(&fk.name))),
            });
        }
    }
    for (field, found) in &matched {
        let Some(reference) = field.column.references else {
            continue;
        };
        let present = foreign_keys
            .iter()
            .any(|fk| fk.columns == [found.name.clone()] && declares(field, fk));
        if present {
            continue;
        }
        let name = field.name();
        let value = format!("n.{}", ident(&found.name));
        let parent = qualified(schema, reference.table);
        let from = format!(
            "FROM {table_sql} AS n WHERE {value} IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {parent} AS p WHERE p.{} = {value})",
            ident(reference.column)
        );
        let dangling: i64 = tx
            .query_one(&format!("SELECT count(*) {from}"), &[])
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        if dangling > 0 {
            let sample_values = checks::strings(
                tx,
                &format!(
                    "SELECT DISTINCT {} {from} ORDER BY 1 LIMIT 5",
                    checks::shown_value(&value, field)
                ),
            )
            .map_err(fail)?;
            return Err(Error::DanglingReferences {
                table: spec.table.to_owned(),
                column: name.to_owned(),
                parent: reference.table.to_owned(),
                rows: dangling as u64,
                sample_values,
            });
        }
        drift.steps.push(PlannedStep {
            action: Action::AddForeignKey {
                column: name.to_owned(),
                parent: reference.table.to_owned(),
            },
            sql: alter(format!(
                "ADD FOREIGN KEY ({}) REFERENCES {parent} ({}){}",
                ident(name),
                ident(reference.column),
                on_delete_clause(reference.on_delete)
            )),
        });
    }

    if !refusals.is_empty() {
        return Err(Error::SchemaDrift {
            table: spec.table.to_owned(),
            differences: refusals,
        });
    }
    Ok(drift)
}

/// Whether the foreign key is the one `field` declares: its table, key and `ON DELETE`.
fn declares(field: &Field, fk: &TableForeignKey) -> bool {
    field.column.references.is_some_and(|reference| {
        fk.parent == reference.table
            && fk.parent_columns == [reference.column.to_owned()]
            && fk.on_delete == on_delete_code(reference.on_delete)
    })
}

fn on_delete_code(on_delete: OnDelete) -> char {
    match on_delete {
        OnDelete::NoAction => 'a',
        OnDelete::Restrict => 'r',
        OnDelete::SetNull => 'n',
        OnDelete::SetDefault => 'd',
        OnDelete::Cascade => 'c',
    }
}

fn on_delete_clause(on_delete: OnDelete) -> String {
    match on_delete {
        OnDelete::NoAction => String::new(),
        other => format!(" ON DELETE {}", other.as_sql()),
    }
}

/// The struct's defaults of the matched columns as PostgreSQL prints them, in order: declared
/// on a temporary table (in the migration's transaction, so that it goes with it) and read
/// back with `pg_get_expr`, as the table's own are.
fn canonical_defaults(
    tx: &mut Transaction<'_>,
    matched: &[(Field, &TableColumn)],
    fail: Fail<'_>,
) -> Result<Vec<Option<String>>> {
    let declared: Vec<(usize, &Field)> = matched
        .iter()
        .enumerate()
        .filter(|(_, (f, _))| f.default.is_some())
        .map(|(i, (f, _))| (i, f))
        .collect();
    let mut canonical = vec![None; matched.len()];
    if declared.is_empty() {
        return Ok(canonical);
    }
    const PROBE: &str = "wrkflw_default_probe";
    let columns: Vec<String> = declared
        .iter()
        .map(|(i, f)| format!("c{i} {} DEFAULT {}", f.pg_type, f.default.unwrap_or("NULL")))
        .collect();
    tx.batch_execute(&format!(
        "CREATE TEMPORARY TABLE {PROBE} ({}) ON COMMIT DROP",
        columns.join(", ")
    ))
    .map_err(fail)?;
    let rows = tx
        .query(
            &format!(
                "SELECT a.attname::text, pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                 FROM pg_catalog.pg_attrdef AS d
                 JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                 WHERE d.adrelid = {}::regclass",
                literal(&format!("pg_temp.{PROBE}"))
            ),
            &[],
        )
        .map_err(fail)?;
    tx.batch_execute(&format!("DROP TABLE pg_temp.{PROBE}"))
        .map_err(fail)?;
    for row in rows {
        let name: String = row.try_get(0).map_err(fail)?;
        let expr: Option<String> = row.try_get(1).map_err(fail)?;
        if let Some(i) = name.strip_prefix('c').and_then(|i| i.parse::<usize>().ok()) {
            canonical[i] = expr;
        }
    }
    Ok(canonical)
}
