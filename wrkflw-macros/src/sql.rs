//! The SQL text that `#[wrkflw_table]` generates, built by plain functions from the checked
//! model. Everything here is deterministic: the same struct always gives the same text.

use std::fmt::Write as _;

use crate::ast::{Column, Table};
use crate::names::sql_ident;

/// `CREATE TABLE IF NOT EXISTS ...`, one column a line, in field order.
pub(crate) fn create_sql(table: &Table) -> String {
    let lines: Vec<String> = table.columns.iter().map(column_definition).collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n  {}\n)",
        sql_ident(&table.table_name()),
        lines.join(",\n  ")
    )
}

fn column_definition(column: &Column) -> String {
    let mut line = format!("{} {}", sql_ident(&column.name), column.ty.sql.as_sql());
    if !column.ty.nullable {
        line.push_str(" NOT NULL");
    }
    if column.primary_key.is_some() {
        line.push_str(" PRIMARY KEY");
    }
    if let Some(default) = &column.default {
        let _ = write!(line, " DEFAULT ({})", default.value());
    }
    line
}

/// `idx_{table}_{column}`: the naming rule of the original library, kept so that indexes it
/// created are recognised.
pub(crate) fn index_name(table: &str, column: &str) -> String {
    format!("idx_{table}_{column}")
}

/// One `CREATE INDEX IF NOT EXISTS` per indexed column.
pub(crate) fn index_sql(table: &Table) -> Vec<String> {
    let name = table.table_name();
    indexed(table)
        .map(|column| {
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                sql_ident(&index_name(&name, &column.name)),
                sql_ident(&name),
                sql_ident(&column.name)
            )
        })
        .collect()
}

fn indexed<'t, 'a>(table: &'t Table<'a>) -> impl Iterator<Item = &'t Column<'a>> {
    table.columns.iter().filter(|c| c.index.is_some())
}

/// Copies every legacy row whose key is not in the new table yet.
///
/// `ON CONFLICT (key) DO NOTHING` skips only rows whose key is taken; a row that breaks
/// another constraint (a NULL in a NOT NULL column) fails the statement instead of vanishing,
/// as it would under `INSERT OR IGNORE`. SQLite needs a `WHERE` before `ON CONFLICT` in an
/// `INSERT ... SELECT` to tell it from a join's `ON`, hence `WHERE true`.
pub(crate) fn copy_sql(table: &Table) -> Option<String> {
    let legacy = table.legacy_name()?;
    let key = table.primary_key()?;
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| sql_ident(&c.name).into_owned())
        .collect();
    // A renamed column reads its legacy name; `AS` keeps the pairing readable.
    let sources: Vec<String> = table
        .columns
        .iter()
        .map(|c| match &c.rename_from {
            Some(old) => format!("{} AS {}", sql_ident(&old.value()), sql_ident(&c.name)),
            None => sql_ident(&c.name).into_owned(),
        })
        .collect();
    let list = wrap_list(&columns, "  ");
    let source_list = wrap_list(&sources, "  ");
    Some(format!(
        "INSERT INTO {} (\n{list}\n)\nSELECT\n{source_list}\nFROM {}\nWHERE true\nON CONFLICT ({}) DO NOTHING",
        sql_ident(&table.table_name()),
        sql_ident(&legacy),
        sql_ident(&key.name)
    ))
}

/// The statements of typed rows. Every statement binds the fields in field order (`?1` is the
/// first field), so one parameter list serves `INSERT_SQL`, `UPSERT_SQL` and `UPDATE_SQL`;
/// the key statements bind the key alone, as `?1`.
///
/// A `None` in an `Option` field that has a `default` means "no value given": `insert` lets
/// the default apply (`coalesce(?n, default)`, the same expression the column's `DEFAULT`
/// evaluates), `upsert` and `update` keep the stored value (`coalesce(?n, column)`).
pub(crate) struct RowStatements {
    pub(crate) insert: String,
    pub(crate) upsert: String,
    pub(crate) update: String,
    pub(crate) select: String,
    pub(crate) select_all: String,
    pub(crate) delete: String,
    pub(crate) count: String,
    /// `(column, statement)` for each indexed column, in field order.
    pub(crate) find_by: Vec<(String, String)>,
}

pub(crate) fn row_statements(table: &Table) -> RowStatements {
    let name = table.table_name();
    let table_sql = sql_ident(&name);
    let key = table
        .primary_key()
        .map_or_else(|| "rowid".to_owned(), |k| sql_ident(&k.name).into_owned());
    let key_position = table
        .columns
        .iter()
        .position(|c| c.primary_key.is_some())
        .map_or(1, |at| at + 1);
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| sql_ident(&c.name).into_owned())
        .collect();
    let list = wrap_list(&columns, "  ");
    // `?n` for a field; a defaulted `Option` field's `None` gives way to the default or to
    // the stored value.
    let keeps = |column: &Column| column.ty.nullable && column.default.is_some();
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match (&c.default, keeps(c)) {
            (Some(default), true) => format!("coalesce(?{}, {})", i + 1, default.value()),
            _ => format!("?{}", i + 1),
        })
        .collect();
    let assignments = |value: &dyn Fn(usize, &Column) -> String| -> Vec<String> {
        table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key.is_none())
            .map(|(i, c)| {
                let column = sql_ident(&c.name);
                if keeps(c) {
                    format!("{column} = coalesce(?{}, {column})", i + 1)
                } else {
                    format!("{column} = {}", value(i, c))
                }
            })
            .collect()
    };
    let insert = format!(
        "INSERT INTO {table_sql} (\n{list}\n) VALUES (\n{}\n)",
        wrap_list(&values, "  ")
    );
    let excluded = assignments(&|_, c| format!("excluded.{}", sql_ident(&c.name)));
    let upsert = if excluded.is_empty() {
        format!("{insert}\nON CONFLICT ({key}) DO NOTHING")
    } else {
        format!(
            "{insert}\nON CONFLICT ({key}) DO UPDATE SET\n{}",
            wrap_list(&excluded, "  ")
        )
    };
    let sets = assignments(&|i, _| format!("?{}", i + 1));
    let update = if sets.is_empty() {
        format!("UPDATE {table_sql} SET {key} = ?{key_position} WHERE {key} = ?{key_position}")
    } else {
        format!(
            "UPDATE {table_sql} SET\n{}\nWHERE {key} = ?{key_position}",
            wrap_list(&sets, "  ")
        )
    };
    let select = |filter: &str| format!("SELECT\n{list}\nFROM {table_sql}\n{filter}");
    RowStatements {
        insert,
        upsert,
        update,
        select: select(&format!("WHERE {key} = ?1")),
        select_all: select(&format!("ORDER BY {key}")),
        delete: format!("DELETE FROM {table_sql} WHERE {key} = ?1"),
        count: format!("SELECT count(*) FROM {table_sql}"),
        // `IS` on a nullable column, so that `None` finds the rows without a value (SQLite
        // reads an index for `IS` as for `=`).
        find_by: indexed(table)
            .map(|c| {
                let column = sql_ident(&c.name);
                let is = if c.ty.nullable { "IS" } else { "=" };
                (
                    c.name.clone(),
                    select(&format!("WHERE {column} {is} ?1\nORDER BY {key}")),
                )
            })
            .collect(),
    }
}

/// Drops the legacy table. SQLite drops a table's indexes with it; naming them by the
/// original library's rule (`DROP INDEX idx_{legacy}_{column}`) could instead drop another
/// table's index that happens to carry that name, since index names are global.
pub(crate) fn drop_legacy_sql(table: &Table) -> Vec<String> {
    table
        .legacy_name()
        .map(|legacy| format!("DROP TABLE IF EXISTS {}", sql_ident(&legacy)))
        .into_iter()
        .collect()
}

/// The whole migration as one commented script, as a migration guide would print it.
pub(crate) fn migration_script(table: &Table, drop_legacy: bool) -> String {
    let name = table.table_name();
    let indexes = index_sql(table);
    let mut out = String::new();
    let mut step = 0;
    let mut next_step = || {
        step += 1;
        step
    };

    match table.legacy_name() {
        Some(legacy) => {
            let _ = writeln!(
                out,
                "-- Migrates {legacy} to {name}.\n\
                 -- Generated by #[wrkflw_table] from `{ident}`; the same struct always gives this text.\n\
                 --\n\
                 -- Assumes the legacy table {legacy} exists. On a database without it the copy\n\
                 -- step fails with \"no such table\" and nothing is applied; `migrate()` checks\n\
                 -- first and only creates the table there.\n\
                 --\n\
                 -- One transaction: every step applies, or none. Run it so that it stops at\n\
                 -- the first error, e.g. `sqlite3 -bail app.db < migration.sql`.",
                ident = table.ident,
            );
        }
        None => {
            let _ = writeln!(
                out,
                "-- Creates {name}.\n\
                 -- Generated by #[wrkflw_table] from `{ident}`; the same struct always gives this text.\n\
                 -- There is no legacy table to migrate from (no `rename_from`).",
                ident = table.ident,
            );
        }
    }
    out.push_str("\nBEGIN IMMEDIATE;\n\n");

    let _ = writeln!(
        out,
        "-- Step {}: create the new table. IF NOT EXISTS keeps one that is already there.\n{};\n",
        next_step(),
        create_sql(table)
    );
    if !indexes.is_empty() {
        let _ = writeln!(out, "-- Step {}: create its indexes.", next_step());
        for index in &indexes {
            let _ = writeln!(out, "{index};");
        }
        out.push('\n');
    }
    if let (Some(legacy), Some(copy), Some(key)) =
        (table.legacy_name(), copy_sql(table), table.primary_key())
    {
        let _ = writeln!(
            out,
            "-- Step {step}: copy the rows of {legacy}. A row whose {key} is already in\n\
             -- {name} is skipped, so the script can run again. Any other row the new\n\
             -- table rejects (a NULL in a NOT NULL column) stops the script, where\n\
             -- INSERT OR IGNORE would drop it silently. `WHERE true` lets SQLite read\n\
             -- ON CONFLICT as part of the INSERT rather than of a join.\n\
             {copy};\n",
            step = next_step(),
            key = key.name,
        );
        let drops = drop_legacy_sql(table);
        let step = next_step();
        if drop_legacy {
            let _ = writeln!(
                out,
                "-- Step {step}: drop the legacy table; its indexes go with it."
            );
            for statement in &drops {
                let _ = writeln!(out, "{statement};");
            }
        } else {
            let _ = writeln!(
                out,
                "-- Step {step} (not run): the legacy table is kept. Once you have checked\n\
                 -- {name}, drop {legacy} (its indexes go with it) with:"
            );
            for statement in &drops {
                let _ = writeln!(out, "-- {statement};");
            }
        }
        out.push('\n');
    }
    out.push_str("COMMIT;\n");
    out
}

/// Joins names with `, `, breaking lines before they pass 90 characters.
fn wrap_list(names: &[String], indent: &str) -> String {
    const WIDTH: usize = 90;
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, name) in names.iter().enumerate() {
        let comma = if i + 1 < names.len() { "," } else { "" };
        let piece = format!("{name}{comma}");
        if !line.is_empty() && indent.len() + line.len() + 1 + piece.len() > WIDTH {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    lines.push(format!("{indent}{line}"));
    lines.join("\n")
}
