//! The SQL text that `#[wrkflw_table]` generates, built by plain functions from the checked
//! model. Everything here is deterministic: the same struct always gives the same text.
//!
//! Each statement has one shape for both engines; a [`Dialect`] says how each spells names,
//! types, defaults and parameters, and adds what only one of them needs.

use std::borrow::Cow;
use std::fmt::Write as _;

use syn::LitStr;

use crate::ast::{Column, Table, ON_DELETE};
use crate::names::sql_ident;
use crate::pg_default::pg_default;
use crate::pg_sql::{self, pg_ident};

/// The engine a text is written for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dialect {
    Sqlite,
    /// See `pg_sql` for what differs on PostgreSQL, and why.
    Postgres,
}

impl Dialect {
    /// A valid identifier, quoted where this engine needs it.
    pub(crate) fn ident(self, name: &str) -> Cow<'_, str> {
        match self {
            Dialect::Sqlite => sql_ident(name),
            Dialect::Postgres => pg_ident(name),
        }
    }

    fn column_type(self, column: &Column) -> &'static str {
        match self {
            Dialect::Sqlite => column.ty.sql.as_sql(),
            Dialect::Postgres => pg_sql::column_type(column).as_sql(),
        }
    }

    /// The column's default expression here: SQLite's as written, PostgreSQL's translated.
    fn default(self, column: &Column) -> Option<String> {
        match self {
            Dialect::Sqlite => column.default.as_ref().map(LitStr::value),
            Dialect::Postgres => pg_default(column).ok().flatten(),
        }
    }

    /// The parameter of the field at `at` (from 1).
    fn param(self, at: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{at}"),
            Dialect::Postgres => format!("${at}"),
        }
    }

    /// A parameter where nothing around it tells its type (inside `coalesce`): PostgreSQL
    /// infers a parameter's type from the column it meets, and there it meets none.
    fn typed_param(self, at: usize, column: &Column) -> String {
        match self {
            Dialect::Sqlite => self.param(at),
            Dialect::Postgres => format!("${at}::{}", self.column_type(column)),
        }
    }

    /// `column` matched against the parameter at `at` so that `None` finds the rows without a
    /// value, through the column's index: SQLite reads `IS` as `=` for an index. PostgreSQL's
    /// `IS NOT DISTINCT FROM` would use no index; planned with the value bound, this form is
    /// `= value` or `IS NULL`, and the index serves both.
    fn matches_null_too(self, column: &str, at: usize) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IS ?{at}"),
            Dialect::Postgres => {
                format!("({column} = ${at} OR ({column} IS NULL AND ${at} IS NULL))")
            }
        }
    }

    /// The row an upsert proposed.
    fn excluded(self) -> &'static str {
        match self {
            Dialect::Sqlite => "excluded",
            Dialect::Postgres => "EXCLUDED",
        }
    }

    /// How an upsert's `SET` names a column of the stored row: PostgreSQL reads a bare name
    /// there as ambiguous with `EXCLUDED`'s.
    fn stored(self, table_sql: &str) -> String {
        match self {
            Dialect::Sqlite => String::new(),
            Dialect::Postgres => format!("{table_sql}."),
        }
    }
}

/// SQL text that may name another table: a `references = Other` column needs `Other`'s name
/// and key, which only the compiler knows (`<Other as Table>::TABLE_NAME`). Plain text
/// otherwise, and then written out as one string literal.
#[derive(Default)]
pub(crate) struct SqlText<'t> {
    pub(crate) pieces: Vec<Piece<'t>>,
}

pub(crate) enum Piece<'t> {
    Text(String),
    /// The referenced struct's table name.
    TableOf(&'t syn::Path),
    /// The referenced struct's primary-key column.
    KeyOf(&'t syn::Path),
}

impl<'t> SqlText<'t> {
    pub(crate) fn push_str(&mut self, text: &str) {
        match self.pieces.last_mut() {
            Some(Piece::Text(last)) => last.push_str(text),
            _ => self.pieces.push(Piece::Text(text.to_owned())),
        }
    }

    pub(crate) fn push(&mut self, piece: Piece<'t>) {
        match piece {
            Piece::Text(text) => self.push_str(&text),
            other => self.pieces.push(other),
        }
    }

    pub(crate) fn append(&mut self, other: SqlText<'t>) {
        for piece in other.pieces {
            self.push(piece);
        }
    }

    /// The text when it names no other table.
    pub(crate) fn as_plain(&self) -> Option<String> {
        match self.pieces.as_slice() {
            [] => Some(String::new()),
            [Piece::Text(text)] => Some(text.clone()),
            _ => None,
        }
    }

    /// The text with other tables shown as `<Path>` and `<Path key>`, for tests.
    #[cfg(test)]
    pub(crate) fn shown(&self) -> String {
        use quote::ToTokens;
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.clone(),
                Piece::TableOf(path) => format!("<{}>", path.to_token_stream()),
                Piece::KeyOf(path) => format!("<{} key>", path.to_token_stream()),
            })
            .collect()
    }
}

/// `CREATE TABLE IF NOT EXISTS ...`, one column a line, in field order; a composite key as a
/// last `PRIMARY KEY (a, b)` line; `STRICT` when asked (on SQLite: PostgreSQL's types are
/// always strict).
pub(crate) fn create_sql<'t>(table: &'t Table, dialect: Dialect) -> SqlText<'t> {
    let composite = table.key_columns().count() > 1;
    let mut out = SqlText::default();
    out.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\n  ",
        dialect.ident(&table.table_name())
    ));
    for (i, column) in table.columns.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n  ");
        }
        out.append(column_definition(table, column, composite, dialect));
    }
    if composite {
        out.push_str(&format!(",\n  PRIMARY KEY ({})", key_list(table, dialect)));
    }
    out.push_str("\n)");
    if table.args.strict.is_some() && dialect == Dialect::Sqlite {
        out.push_str(" STRICT");
    }
    out
}

fn column_definition<'t>(
    table: &'t Table,
    column: &'t Column,
    composite: bool,
    dialect: Dialect,
) -> SqlText<'t> {
    let mut line = format!(
        "{} {}",
        dialect.ident(&column.name),
        dialect.column_type(column)
    );
    if !column.ty.nullable {
        line.push_str(" NOT NULL");
    }
    if column.primary_key.is_some() && !composite {
        line.push_str(" PRIMARY KEY");
    }
    if let Some(default) = dialect.default(column) {
        let _ = write!(line, " DEFAULT ({default})");
    }
    let mut out = SqlText::default();
    out.push_str(&line);
    if let Some(target) = &column.references {
        out.push_str(" REFERENCES ");
        match referenced_here(table, target) {
            Some((name, key)) => out.push_str(&format!(
                "{} ({})",
                dialect.ident(&name),
                dialect.ident(&key)
            )),
            None => {
                out.push(Piece::TableOf(target));
                out.push_str(" (");
                out.push(Piece::KeyOf(target));
                out.push_str(")");
            }
        }
        if let Some(action) = on_delete_sql(column) {
            out.push_str(&format!(" ON DELETE {action}"));
        }
    }
    out
}

/// For a column that references its own table (`references = Self`, or the struct's own
/// name), the table's name and key, known here; the compiler could not give them, since a
/// constant of the impl cannot read another constant of the same impl that depends on it.
pub(crate) fn referenced_here(table: &Table, target: &syn::Path) -> Option<(String, String)> {
    let own = target.is_ident("Self") || target.is_ident(table.ident);
    let mut keys = table.key_columns();
    match (own, keys.next(), keys.next()) {
        (true, Some(key), None) => Some((table.table_name(), key.name.clone())),
        _ => None,
    }
}

/// The `ON DELETE` action of a checked `on_delete`, if given.
pub(crate) fn on_delete_sql(column: &Column) -> Option<&'static str> {
    let written = column.on_delete.as_ref()?.value();
    ON_DELETE
        .iter()
        .find(|(name, _)| *name == written)
        .map(|(_, sql)| *sql)
}

/// `idx_{table}_{column}`: the naming rule of the original library, kept so that indexes it
/// created are recognised.
pub(crate) fn index_name(table: &str, column: &str) -> String {
    format!("idx_{table}_{column}")
}

/// One index of the table, from a field's `index`/`unique` or a struct's `index(...)`/`unique(...)`.
pub(crate) struct IndexDef {
    /// `idx_{table}_{a}_{b}`, or `uq_{table}_{a}_{b}` for a unique one.
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    pub(crate) unique: bool,
}

/// The table's indexes: field `index`/`unique` in field order, then the struct's lists in the
/// order written. Unique ones are named `uq_...`, so they are recognisable in a schema.
pub(crate) fn indexes(table: &Table) -> Vec<IndexDef> {
    let name = table.table_name();
    let def = |columns: Vec<String>, unique: bool| IndexDef {
        name: if unique {
            format!("uq_{name}_{}", columns.join("_"))
        } else {
            index_name(&name, &columns.join("_"))
        },
        columns,
        unique,
    };
    let mut out = Vec::new();
    for column in &table.columns {
        if column.index.is_some() {
            out.push(def(vec![column.name.clone()], false));
        }
        if column.unique.is_some() {
            out.push(def(vec![column.name.clone()], true));
        }
    }
    for list in &table.args.indexes {
        let columns = list
            .columns
            .iter()
            .filter_map(|ident| table.column_named(ident))
            .map(|c| c.name.clone())
            .collect();
        out.push(def(columns, list.unique));
    }
    out
}

/// One `CREATE [UNIQUE] INDEX IF NOT EXISTS` per index, with the same names on both engines.
pub(crate) fn index_sql(table: &Table, dialect: Dialect) -> Vec<String> {
    let name = table.table_name();
    indexes(table)
        .iter()
        .map(|index| {
            let columns: Vec<String> = index
                .columns
                .iter()
                .map(|c| dialect.ident(c).into_owned())
                .collect();
            format!(
                "CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                dialect.ident(&index.name),
                dialect.ident(&name),
                columns.join(", ")
            )
        })
        .collect()
}

/// The key's columns as SQL, joined with `, `.
fn key_list(table: &Table, dialect: Dialect) -> String {
    let keys: Vec<String> = table
        .key_columns()
        .map(|c| dialect.ident(&c.name).into_owned())
        .collect();
    keys.join(", ")
}

/// Every column's name as SQL, in field order.
fn column_names(table: &Table, dialect: Dialect) -> Vec<String> {
    table
        .columns
        .iter()
        .map(|c| dialect.ident(&c.name).into_owned())
        .collect()
}

/// Copies every legacy row whose key is not in the new table yet.
///
/// `ON CONFLICT (key) DO NOTHING` skips only rows whose key is taken; a row that breaks
/// another constraint (a NULL in a NOT NULL column) fails the statement instead of vanishing,
/// as it would under `INSERT OR IGNORE`. SQLite needs a `WHERE` before `ON CONFLICT` in an
/// `INSERT ... SELECT` to tell it from a join's `ON`, hence `WHERE true` there.
pub(crate) fn copy_sql(table: &Table, dialect: Dialect) -> Option<String> {
    let legacy = table.legacy_name()?;
    table.key_columns().next()?;
    // A renamed column reads its legacy name; `AS` keeps the pairing readable.
    let sources: Vec<String> = table
        .columns
        .iter()
        .map(|c| match &c.rename_from {
            Some(old) => format!(
                "{} AS {}",
                dialect.ident(&old.value()),
                dialect.ident(&c.name)
            ),
            None => dialect.ident(&c.name).into_owned(),
        })
        .collect();
    let list = wrap_list(&column_names(table, dialect), "  ");
    let source_list = wrap_list(&sources, "  ");
    let join_guard = match dialect {
        Dialect::Sqlite => "WHERE true\n",
        Dialect::Postgres => "",
    };
    Some(format!(
        "INSERT INTO {} (\n{list}\n)\nSELECT\n{source_list}\nFROM {}\n{join_guard}ON CONFLICT ({}) DO NOTHING",
        dialect.ident(&table.table_name()),
        dialect.ident(&legacy),
        key_list(table, dialect)
    ))
}

/// The statements of typed rows. Every statement binds the fields in field order (`?1` is the
/// first field), so one parameter list serves `INSERT_SQL`, `UPSERT_SQL` and `UPDATE_SQL`;
/// the key statements bind the key alone, as `?1` (`?1, ?2` for a composite key, in field
/// order).
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
    pub(crate) finders: Vec<Finder>,
}

/// A `find_by_...` method: one per index, binding its columns in order.
pub(crate) struct Finder {
    /// `a` or `a_and_b`.
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    /// A unique index finds at most one row.
    pub(crate) unique: bool,
    pub(crate) sql: String,
}

pub(crate) fn row_statements(table: &Table, dialect: Dialect) -> RowStatements {
    let table_sql = dialect.ident(&table.table_name()).into_owned();
    let key = key_list(table, dialect);
    let key_match = |position: &dyn Fn(usize, usize) -> usize| -> String {
        let conditions: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key.is_some())
            .enumerate()
            .map(|(k, (i, c))| {
                format!(
                    "{} = {}",
                    dialect.ident(&c.name),
                    dialect.param(position(k, i))
                )
            })
            .collect();
        conditions.join(" AND ")
    };
    // The key statements bind the key alone; the update binds every field.
    let by_key = key_match(&|k, _| k + 1);
    let by_field = key_match(&|_, i| i + 1);
    let list = wrap_list(&column_names(table, dialect), "  ");
    // `?n` for a field; a defaulted `Option` field's `None` gives way to the default or to
    // the stored value. The field's `default` decides, on either engine, even where
    // PostgreSQL has no default for it (`NULL`).
    let keeps = |column: &Column| column.ty.nullable && column.default.is_some();
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match (dialect.default(c), keeps(c)) {
            (Some(default), true) => {
                format!("coalesce({}, {default})", dialect.typed_param(i + 1, c))
            }
            _ => dialect.param(i + 1),
        })
        .collect();
    let stored = dialect.stored(&table_sql);
    let assignments = |value: &dyn Fn(usize, &Column) -> String, stored: &str| -> Vec<String> {
        table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key.is_none())
            .map(|(i, c)| {
                let column = dialect.ident(&c.name);
                if keeps(c) {
                    format!(
                        "{column} = coalesce({}, {stored}{column})",
                        dialect.typed_param(i + 1, c)
                    )
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
    let excluded = assignments(
        &|_, c| format!("{}.{}", dialect.excluded(), dialect.ident(&c.name)),
        &stored,
    );
    let upsert = if excluded.is_empty() {
        format!("{insert}\nON CONFLICT ({key}) DO NOTHING")
    } else {
        format!(
            "{insert}\nON CONFLICT ({key}) DO UPDATE SET\n{}",
            wrap_list(&excluded, "  ")
        )
    };
    let sets = assignments(&|i, _| dialect.param(i + 1), "");
    let update = if sets.is_empty() {
        // Every column is the key: an update changes nothing, but says whether the row is there.
        let first = table.key_columns().next().map_or_else(String::new, |c| {
            let column = dialect.ident(&c.name);
            format!("{column} = {column}")
        });
        format!("UPDATE {table_sql} SET {first} WHERE {by_field}")
    } else {
        format!(
            "UPDATE {table_sql} SET\n{}\nWHERE {by_field}",
            wrap_list(&sets, "  ")
        )
    };
    let select = |filter: &str| format!("SELECT\n{list}\nFROM {table_sql}\n{filter}");
    let finders = indexes(table)
        .into_iter()
        .map(|index| {
            let conditions: Vec<String> = index
                .columns
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let column = dialect.ident(name);
                    // On a nullable column of a plain index `None` finds the rows without a
                    // value. A unique index holds any number of NULLs, so there `None` finds
                    // nothing.
                    let nullable = table
                        .columns
                        .iter()
                        .any(|c| c.name == *name && c.ty.nullable);
                    if nullable && !index.unique {
                        dialect.matches_null_too(&column, i + 1)
                    } else {
                        format!("{column} = {}", dialect.param(i + 1))
                    }
                })
                .collect();
            let filter = conditions.join(" AND ");
            let sql = if index.unique {
                select(&format!("WHERE {filter}"))
            } else {
                select(&format!("WHERE {filter}\nORDER BY {key}"))
            };
            Finder {
                name: index.columns.join("_and_"),
                columns: index.columns,
                unique: index.unique,
                sql,
            }
        })
        .collect();
    RowStatements {
        insert,
        upsert,
        update,
        select: select(&format!("WHERE {by_key}")),
        select_all: select(&format!("ORDER BY {key}")),
        delete: format!("DELETE FROM {table_sql} WHERE {by_key}"),
        count: format!("SELECT count(*) FROM {table_sql}"),
        finders,
    }
}

/// Drops the legacy table. SQLite drops a table's indexes with it; naming them by the
/// original library's rule (`DROP INDEX idx_{legacy}_{column}`) could instead drop another
/// table's index that happens to carry that name, since index names are global.
pub(crate) fn drop_legacy_sql(table: &Table, dialect: Dialect) -> Vec<String> {
    table
        .legacy_name()
        .map(|legacy| format!("DROP TABLE IF EXISTS {}", dialect.ident(&legacy)))
        .into_iter()
        .collect()
}

/// The whole migration as one commented script, as a migration guide would print it.
pub(crate) fn migration_script<'t>(
    table: &'t Table,
    drop_legacy: bool,
    dialect: Dialect,
) -> SqlText<'t> {
    let name = table.table_name();
    let indexes = index_sql(table, dialect);
    let mut script = SqlText::default();
    let mut out = String::new();
    let mut step = 0;
    let mut next_step = || {
        step += 1;
        step
    };
    let ident = table.ident;

    match (table.legacy_name(), dialect) {
        (Some(legacy), Dialect::Sqlite) => {
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
            );
        }
        (Some(legacy), Dialect::Postgres) => {
            let _ = writeln!(
                out,
                "-- Migrates {legacy} to {name} on PostgreSQL.\n\
                 -- Generated by #[wrkflw_table] from `{ident}`; the same struct always gives this text.\n\
                 --\n\
                 -- Assumes the legacy table {legacy} exists, with columns whose values the\n\
                 -- new table's types take. On a database without it the copy step fails and\n\
                 -- nothing is applied; `migrate()` checks first and only creates the table there.\n\
                 --\n\
                 -- One transaction: every step applies, or none. Run it so that it stops at\n\
                 -- the first error, e.g. `psql -v ON_ERROR_STOP=1 -f migration.sql`.",
            );
        }
        (None, _) => {
            let engine = match dialect {
                Dialect::Sqlite => "",
                Dialect::Postgres => " on PostgreSQL",
            };
            let _ = writeln!(
                out,
                "-- Creates {name}{engine}.\n\
                 -- Generated by #[wrkflw_table] from `{ident}`; the same struct always gives this text.\n\
                 -- There is no legacy table to migrate from (no `rename_from`).",
            );
        }
    }
    // SQLite takes the write lock at once, so that no other writer slips in between the
    // steps; PostgreSQL locks each table as a step reaches it.
    out.push_str(match dialect {
        Dialect::Sqlite => "\nBEGIN IMMEDIATE;\n\n",
        Dialect::Postgres => "\nBEGIN;\n\n",
    });

    let _ = writeln!(
        out,
        "-- Step {}: create the new table. IF NOT EXISTS keeps one that is already there.",
        next_step(),
    );
    script.push_str(&std::mem::take(&mut out));
    script.append(create_sql(table, dialect));
    out.push_str(";\n\n");
    if !indexes.is_empty() {
        let _ = writeln!(out, "-- Step {}: create its indexes.", next_step());
        for index in &indexes {
            let _ = writeln!(out, "{index};");
        }
        out.push('\n');
    }
    if let (Some(legacy), Some(copy)) = (table.legacy_name(), copy_sql(table, dialect)) {
        let key = key_list(table, dialect);
        let rejected = match dialect {
            Dialect::Sqlite => {
                "stops the script, where\n\
                 -- INSERT OR IGNORE would drop it silently. `WHERE true` lets SQLite read\n\
                 -- ON CONFLICT as part of the INSERT rather than of a join."
            }
            Dialect::Postgres => "stops the script instead of\n-- being dropped silently.",
        };
        let _ = writeln!(
            out,
            "-- Step {step}: copy the rows of {legacy}. A row whose {key} is already in\n\
             -- {name} is skipped, so the script can run again. Any other row the new\n\
             -- table rejects (a NULL in a NOT NULL column) {rejected}\n\
             {copy};\n",
            step = next_step(),
        );
        let drops = drop_legacy_sql(table, dialect);
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
    script.push_str(&out);
    script
}

/// Joins names with `, `, breaking lines before they pass 90 characters.
pub(crate) fn wrap_list(names: &[String], indent: &str) -> String {
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

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::DeriveInput;

    use super::{create_sql, Dialect};
    use crate::ast::Table;
    use crate::errors::Errors;

    #[test]
    fn a_reference_to_another_struct_leaves_its_name_to_the_compiler() {
        let input: DeriveInput = syn::parse2(quote!(
            struct Step {
                #[wrkflw(primary_key)]
                id: i64,
                #[wrkflw(references = runs::Run, on_delete = "restrict")]
                run_id: String,
                #[wrkflw(references = Step)]
                parent: Option<i64>,
            }
        ))
        .unwrap();
        let mut errors = Errors::default();
        let table = Table::from_syn(quote!(strict), &input, &mut errors).unwrap();
        assert!(errors.finish().is_ok());
        let sql = create_sql(&table, Dialect::Sqlite);
        assert_eq!(sql.as_plain(), None);
        assert_eq!(
            sql.shown(),
            "CREATE TABLE IF NOT EXISTS wrkflw_step (
  id INTEGER NOT NULL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES <runs :: Run> (<runs :: Run key>) ON DELETE RESTRICT,
  parent INTEGER REFERENCES wrkflw_step (id)
) STRICT"
        );
    }
}
