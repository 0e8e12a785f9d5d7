//! The PostgreSQL text that `#[wrkflw_table]` generates with the `postgres` feature, built by
//! plain functions from the same checked model as SQLite's (`sql.rs`), in the same shapes:
//! the same columns in the same order, the same index names, the same row semantics.
//!
//! What differs, and why:
//! - types follow the Rust type, not SQLite's storage class (`u16` is `INTEGER`, since it
//!   does not fit `SMALLINT`; `bool` is `BOOLEAN`; a JSON field is `JSONB`);
//! - names are quoted where PostgreSQL reserves them, or where they hold a capital letter
//!   (PostgreSQL would fold an unquoted one to lower case, and the catalog would then not
//!   hold the name the struct gives);
//! - parameters are `$1..$n`, and a parameter whose type PostgreSQL cannot infer from a
//!   column (inside `coalesce`) is cast to the column's type;
//! - `strict` means nothing here: PostgreSQL's types are always strict.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::ast::{Column, Scalar, Table};
use crate::pg_default::pg_default;
use crate::sql::{self, Finder, Piece, RowStatements, SqlText};

/// The PostgreSQL type a column is declared with (`wrkflw::postgres::PgType`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PgType {
    SmallInt,
    Integer,
    BigInt,
    Boolean,
    Real,
    DoublePrecision,
    Text,
    Bytea,
    Jsonb,
}

impl PgType {
    /// The type of a column holding `scalar`: the narrowest that holds every value of it.
    pub(crate) fn of(scalar: Scalar) -> PgType {
        match scalar {
            Scalar::I16 | Scalar::I8 | Scalar::U8 => PgType::SmallInt,
            Scalar::I32 | Scalar::U16 => PgType::Integer,
            Scalar::I64 | Scalar::U32 => PgType::BigInt,
            Scalar::Bool => PgType::Boolean,
            Scalar::F32 => PgType::Real,
            Scalar::F64 => PgType::DoublePrecision,
            Scalar::String => PgType::Text,
            Scalar::Bytes => PgType::Bytea,
            Scalar::Json => PgType::Jsonb,
        }
    }

    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            PgType::SmallInt => "SMALLINT",
            PgType::Integer => "INTEGER",
            PgType::BigInt => "BIGINT",
            PgType::Boolean => "BOOLEAN",
            PgType::Real => "REAL",
            PgType::DoublePrecision => "DOUBLE PRECISION",
            PgType::Text => "TEXT",
            PgType::Bytea => "BYTEA",
            PgType::Jsonb => "JSONB",
        }
    }

    /// The variant of `wrkflw::postgres::PgType`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            PgType::SmallInt => "SmallInt",
            PgType::Integer => "Integer",
            PgType::BigInt => "BigInt",
            PgType::Boolean => "Boolean",
            PgType::Real => "Real",
            PgType::DoublePrecision => "DoublePrecision",
            PgType::Text => "Text",
            PgType::Bytea => "Bytea",
            PgType::Jsonb => "Jsonb",
        }
    }
}

/// PostgreSQL's longest identifier, in bytes (`NAMEDATALEN - 1`). A longer one is cut short
/// without an error, and two names cut to the same text would be one object.
pub(crate) const MAX_IDENTIFIER: usize = 63;

/// Writes a valid identifier into PostgreSQL text: double-quoted where PostgreSQL reserves
/// the word or where it holds a capital letter, bare otherwise.
pub(crate) fn pg_ident(name: &str) -> Cow<'_, str> {
    let keyword = PG_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name));
    if keyword || name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(format!("\"{name}\""))
    } else {
        Cow::Borrowed(name)
    }
}

/// The column's type, e.g. `BIGINT`.
pub(crate) fn column_type(column: &Column) -> PgType {
    PgType::of(column.ty.scalar)
}

/// `CREATE TABLE IF NOT EXISTS ...`, one column a line, in field order; a composite key as a
/// last `PRIMARY KEY (a, b)` line.
pub(crate) fn create_sql<'t>(table: &'t Table) -> SqlText<'t> {
    let composite = table.key_columns().count() > 1;
    let mut out = SqlText::default();
    out.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\n  ",
        pg_ident(&table.table_name())
    ));
    for (i, column) in table.columns.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n  ");
        }
        out.append(column_definition(table, column, composite));
    }
    if composite {
        out.push_str(&format!(",\n  PRIMARY KEY ({})", key_list(table)));
    }
    out.push_str("\n)");
    out
}

fn column_definition<'t>(table: &'t Table, column: &'t Column, composite: bool) -> SqlText<'t> {
    let mut line = format!(
        "{} {}",
        pg_ident(&column.name),
        column_type(column).as_sql()
    );
    if !column.ty.nullable {
        line.push_str(" NOT NULL");
    }
    if column.primary_key.is_some() && !composite {
        line.push_str(" PRIMARY KEY");
    }
    if let Ok(Some(default)) = pg_default(column) {
        let _ = write!(line, " DEFAULT ({default})");
    }
    let mut out = SqlText::default();
    out.push_str(&line);
    if let Some(target) = &column.references {
        out.push_str(" REFERENCES ");
        match sql::referenced_here(table, target) {
            Some((name, key)) => out.push_str(&format!("{} ({})", pg_ident(&name), pg_ident(&key))),
            None => {
                out.push(Piece::TableOf(target));
                out.push_str(" (");
                out.push(Piece::KeyOf(target));
                out.push_str(")");
            }
        }
        if let Some(action) = sql::on_delete_sql(column) {
            out.push_str(&format!(" ON DELETE {action}"));
        }
    }
    out
}

/// One `CREATE [UNIQUE] INDEX IF NOT EXISTS` per index, named as on SQLite.
pub(crate) fn index_sql(table: &Table) -> Vec<String> {
    let name = table.table_name();
    sql::indexes(table)
        .iter()
        .map(|index| {
            let columns: Vec<String> = index
                .columns
                .iter()
                .map(|c| pg_ident(c).into_owned())
                .collect();
            format!(
                "CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                pg_ident(&index.name),
                pg_ident(&name),
                columns.join(", ")
            )
        })
        .collect()
}

/// The key's columns, joined with `, `.
fn key_list(table: &Table) -> String {
    let keys: Vec<String> = table
        .key_columns()
        .map(|c| pg_ident(&c.name).into_owned())
        .collect();
    keys.join(", ")
}

fn column_names(table: &Table) -> Vec<String> {
    table
        .columns
        .iter()
        .map(|c| pg_ident(&c.name).into_owned())
        .collect()
}

/// Copies every legacy row whose key is not in the new table yet; any other rejected row
/// fails the statement (see `sql::copy_sql`). Renamed columns read their legacy name.
pub(crate) fn copy_sql(table: &Table) -> Option<String> {
    let legacy = table.legacy_name()?;
    table.key_columns().next()?;
    let sources: Vec<String> = table
        .columns
        .iter()
        .map(|c| match &c.rename_from {
            Some(old) => format!("{} AS {}", pg_ident(&old.value()), pg_ident(&c.name)),
            None => pg_ident(&c.name).into_owned(),
        })
        .collect();
    Some(format!(
        "INSERT INTO {} (\n{}\n)\nSELECT\n{}\nFROM {}\nON CONFLICT ({}) DO NOTHING",
        pg_ident(&table.table_name()),
        sql::wrap_list(&column_names(table), "  "),
        sql::wrap_list(&sources, "  "),
        pg_ident(&legacy),
        key_list(table)
    ))
}

/// `DROP TABLE IF EXISTS {legacy}`; its indexes go with it.
pub(crate) fn drop_legacy_sql(table: &Table) -> Vec<String> {
    table
        .legacy_name()
        .map(|legacy| format!("DROP TABLE IF EXISTS {}", pg_ident(&legacy)))
        .into_iter()
        .collect()
}

/// The statements of typed rows, with SQLite's semantics (`sql::RowStatements`): every field
/// bound in field order as `$1..$n`; the key statements bind the key alone. A `None` in an
/// `Option` field with a default gives way to the default on insert and keeps the stored
/// value on upsert and update.
pub(crate) fn row_statements(table: &Table) -> RowStatements {
    let table_sql = pg_ident(&table.table_name()).into_owned();
    let key = key_list(table);
    let key_match = |position: &dyn Fn(usize, usize) -> usize| -> String {
        let conditions: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key.is_some())
            .enumerate()
            .map(|(k, (i, c))| format!("{} = ${}", pg_ident(&c.name), position(k, i)))
            .collect();
        conditions.join(" AND ")
    };
    let by_key = key_match(&|k, _| k + 1);
    let by_field = key_match(&|_, i| i + 1);
    let list = sql::wrap_list(&column_names(table), "  ");
    // PostgreSQL infers a parameter's type from the column it is compared with or stored in;
    // inside `coalesce` there is none, so the parameter says its type.
    let typed = |i: usize, c: &Column| format!("${}::{}", i + 1, column_type(c).as_sql());
    let defaults: Vec<Option<String>> = table
        .columns
        .iter()
        .map(|c| pg_default(c).ok().flatten())
        .collect();
    // As on SQLite, the field's `default` makes a `None` mean "no value given", whatever
    // PostgreSQL's form of it is (`NULL` is none).
    let keeps = |c: &Column| c.ty.nullable && c.default.is_some();
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match (&defaults[i], keeps(c)) {
            (Some(default), true) => format!("coalesce({}, {default})", typed(i, c)),
            _ => format!("${}", i + 1),
        })
        .collect();
    // `stored` names the row as it is: in `ON CONFLICT DO UPDATE` a bare column would be
    // ambiguous with `EXCLUDED`'s.
    let assignments = |value: &dyn Fn(usize, &Column) -> String, stored: &str| -> Vec<String> {
        table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key.is_none())
            .map(|(i, c)| {
                let column = pg_ident(&c.name);
                if keeps(c) {
                    format!("{column} = coalesce({}, {stored}{column})", typed(i, c))
                } else {
                    format!("{column} = {}", value(i, c))
                }
            })
            .collect()
    };
    let insert = format!(
        "INSERT INTO {table_sql} (\n{list}\n) VALUES (\n{}\n)",
        sql::wrap_list(&values, "  ")
    );
    let excluded = assignments(
        &|_, c| format!("EXCLUDED.{}", pg_ident(&c.name)),
        &format!("{table_sql}."),
    );
    let upsert = if excluded.is_empty() {
        format!("{insert}\nON CONFLICT ({key}) DO NOTHING")
    } else {
        format!(
            "{insert}\nON CONFLICT ({key}) DO UPDATE SET\n{}",
            sql::wrap_list(&excluded, "  ")
        )
    };
    let sets = assignments(&|i, _| format!("${}", i + 1), "");
    let update = if sets.is_empty() {
        // Every column is the key: an update changes nothing, but says whether the row is there.
        let first = table.key_columns().next().map_or_else(String::new, |c| {
            let column = pg_ident(&c.name);
            format!("{column} = {column}")
        });
        format!("UPDATE {table_sql} SET {first} WHERE {by_field}")
    } else {
        format!(
            "UPDATE {table_sql} SET\n{}\nWHERE {by_field}",
            sql::wrap_list(&sets, "  ")
        )
    };
    let select = |filter: &str| format!("SELECT\n{list}\nFROM {table_sql}\n{filter}");
    let finders = sql::indexes(table)
        .into_iter()
        .map(|index| {
            let conditions: Vec<String> = index
                .columns
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let column = pg_ident(name);
                    let at = i + 1;
                    let nullable = table
                        .columns
                        .iter()
                        .any(|c| c.name == *name && c.ty.nullable);
                    // As SQLite's `IS`: `None` finds the rows without a value. Not `IS NOT
                    // DISTINCT FROM`, which no index serves; planned with the value bound,
                    // this is `= value` or `IS NULL`, and the index serves both.
                    if nullable && !index.unique {
                        format!("({column} = ${at} OR ({column} IS NULL AND ${at} IS NULL))")
                    } else {
                        format!("{column} = ${at}")
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

/// The whole PostgreSQL migration as one commented script in one transaction, as
/// `sql::migration_script` is for SQLite.
pub(crate) fn migration_script<'t>(table: &'t Table, drop_legacy: bool) -> SqlText<'t> {
    let name = table.table_name();
    let indexes = index_sql(table);
    let mut script = SqlText::default();
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
                "-- Migrates {legacy} to {name} on PostgreSQL.\n\
                 -- Generated by #[wrkflw_table] from `{ident}`; the same struct always gives this text.\n\
                 --\n\
                 -- Assumes the legacy table {legacy} exists, with columns whose values the\n\
                 -- new table's types take. On a database without it the copy step fails and\n\
                 -- nothing is applied; `migrate()` checks first and only creates the table there.\n\
                 --\n\
                 -- One transaction: every step applies, or none. Run it so that it stops at\n\
                 -- the first error, e.g. `psql -v ON_ERROR_STOP=1 -f migration.sql`.",
                ident = table.ident,
            );
        }
        None => {
            let _ = writeln!(
                out,
                "-- Creates {name} on PostgreSQL.\n\
                 -- Generated by #[wrkflw_table] from `{ident}`; the same struct always gives this text.\n\
                 -- There is no legacy table to migrate from (no `rename_from`).",
                ident = table.ident,
            );
        }
    }
    out.push_str("\nBEGIN;\n\n");
    let _ = writeln!(
        out,
        "-- Step {}: create the new table. IF NOT EXISTS keeps one that is already there.",
        next_step(),
    );
    script.push_str(&std::mem::take(&mut out));
    script.append(create_sql(table));
    out.push_str(";\n\n");
    if !indexes.is_empty() {
        let _ = writeln!(out, "-- Step {}: create its indexes.", next_step());
        for index in &indexes {
            let _ = writeln!(out, "{index};");
        }
        out.push('\n');
    }
    if let (Some(legacy), Some(copy)) = (table.legacy_name(), copy_sql(table)) {
        let key = key_list(table);
        let _ = writeln!(
            out,
            "-- Step {step}: copy the rows of {legacy}. A row whose {key} is already in\n\
             -- {name} is skipped, so the script can run again. Any other row the new\n\
             -- table rejects (a NULL in a NOT NULL column) stops the script instead of\n\
             -- being dropped silently.\n\
             {copy};\n",
            step = next_step(),
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
    script.push_str(&out);
    script
}

/// Every word PostgreSQL does not take as a bare name everywhere: its reserved keywords and
/// those that can name a column but not a type or function, or the reverse (`pg_get_keywords()`
/// categories R, T and C, from PostgreSQL 15 to 17). A test checks this list against the
/// server's, so a new keyword fails the test suite instead of the user's SQL.
#[rustfmt::skip]
pub(crate) const PG_KEYWORDS: &[&str] = &[
    "ALL", "ANALYSE", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC", "ASYMMETRIC",
    "AUTHORIZATION", "BETWEEN", "BIGINT", "BINARY", "BIT", "BOOLEAN", "BOTH", "CASE", "CAST",
    "CHAR", "CHARACTER", "CHECK", "COALESCE", "COLLATE", "COLLATION", "COLUMN", "CONCURRENTLY",
    "CONSTRAINT", "CREATE", "CROSS", "CURRENT_CATALOG", "CURRENT_DATE", "CURRENT_ROLE",
    "CURRENT_SCHEMA", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "DEC", "DECIMAL",
    "DEFAULT", "DEFERRABLE", "DESC", "DISTINCT", "DO", "ELSE", "END", "EXCEPT", "EXISTS",
    "EXTRACT", "FALSE", "FETCH", "FLOAT", "FOR", "FOREIGN", "FREEZE", "FROM", "FULL", "GRANT",
    "GREATEST", "GROUP", "GROUPING", "HAVING", "ILIKE", "IN", "INITIALLY", "INNER", "INOUT",
    "INT", "INTEGER", "INTERSECT", "INTERVAL", "INTO", "IS", "ISNULL", "JOIN", "JSON",
    "JSON_ARRAY", "JSON_ARRAYAGG", "JSON_EXISTS", "JSON_OBJECT", "JSON_OBJECTAGG", "JSON_QUERY",
    "JSON_SCALAR", "JSON_SERIALIZE", "JSON_TABLE", "JSON_VALUE", "LATERAL", "LEADING", "LEAST",
    "LEFT", "LIKE", "LIMIT", "LOCALTIME", "LOCALTIMESTAMP", "MERGE_ACTION", "NATIONAL",
    "NATURAL", "NCHAR", "NONE", "NORMALIZE", "NOT", "NOTNULL", "NULL", "NULLIF", "NUMERIC",
    "OFFSET", "ON", "ONLY", "OR", "ORDER", "OUT", "OUTER", "OVERLAPS", "OVERLAY", "PLACING",
    "POSITION", "PRECISION", "PRIMARY", "REAL", "REFERENCES", "RETURNING", "RIGHT", "ROW",
    "SELECT", "SESSION_USER", "SETOF", "SIMILAR", "SMALLINT", "SOME", "SUBSTRING", "SYMMETRIC",
    "SYSTEM_USER", "TABLE", "TABLESAMPLE", "THEN", "TIME", "TIMESTAMP", "TO", "TRAILING",
    "TREAT", "TRIM", "TRUE", "UNION", "UNIQUE", "USER", "USING", "VALUES", "VARCHAR",
    "VARIADIC", "VERBOSE", "WHEN", "WHERE", "WINDOW", "WITH", "XMLATTRIBUTES", "XMLCONCAT",
    "XMLELEMENT", "XMLEXISTS", "XMLFOREST", "XMLNAMESPACES", "XMLPARSE", "XMLPI", "XMLROOT",
    "XMLSERIALIZE", "XMLTABLE",
];

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::DeriveInput;

    use super::*;
    use crate::errors::Errors;

    fn with_table(
        item: proc_macro2::TokenStream,
        args: proc_macro2::TokenStream,
        test: impl FnOnce(&Table),
    ) {
        let input: DeriveInput = syn::parse2(item).unwrap();
        let mut errors = Errors::default();
        let table = Table::from_syn(args, &input, &mut errors).unwrap();
        crate::check::validate(&table, &mut errors);
        crate::pg_check::validate(&table, &mut errors);
        assert!(errors.finish().is_ok());
        test(&table);
    }

    #[test]
    fn types_follow_the_rust_type() {
        assert_eq!(PgType::of(Scalar::U16), PgType::Integer);
        assert_eq!(PgType::of(Scalar::U32), PgType::BigInt);
        assert_eq!(PgType::of(Scalar::U8), PgType::SmallInt);
        assert_eq!(PgType::of(Scalar::I8), PgType::SmallInt);
        assert_eq!(PgType::of(Scalar::Bool), PgType::Boolean);
        assert_eq!(PgType::of(Scalar::Json), PgType::Jsonb);
        assert_eq!(PgType::DoublePrecision.as_sql(), "DOUBLE PRECISION");
    }

    #[test]
    fn reserved_words_and_capitals_are_quoted_and_other_names_are_not() {
        assert_eq!(pg_ident("user"), "\"user\"");
        assert_eq!(pg_ident("Order"), "\"Order\"");
        assert_eq!(pg_ident("AuditLog"), "\"AuditLog\"");
        assert_eq!(pg_ident("run_id"), "run_id");
        // Reserved by SQLite, not by PostgreSQL.
        assert_eq!(pg_ident("action"), "action");
        assert_eq!(pg_ident("index"), "index");
    }

    #[test]
    fn a_reference_to_another_struct_leaves_its_name_to_the_compiler() {
        with_table(
            quote!(
                struct Step {
                    #[wrkflw(primary_key)]
                    id: i64,
                    #[wrkflw(references = runs::Run, on_delete = "restrict")]
                    run_id: String,
                    #[wrkflw(references = Step)]
                    parent: Option<i64>,
                }
            ),
            quote!(strict),
            |table| {
                let sql = create_sql(table);
                assert_eq!(sql.as_plain(), None);
                assert_eq!(
                    sql.shown(),
                    "CREATE TABLE IF NOT EXISTS wrkflw_step (
  id BIGINT NOT NULL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES <runs :: Run> (<runs :: Run key>) ON DELETE RESTRICT,
  parent BIGINT REFERENCES wrkflw_step (id)
)",
                    "`strict` means nothing on PostgreSQL"
                );
            },
        );
    }

    #[test]
    fn row_statements_bind_fields_in_order_and_type_what_coalesce_cannot_infer() {
        with_table(
            quote!(
                struct Run {
                    #[wrkflw(primary_key)]
                    id: String,
                    #[wrkflw(index)]
                    tag: Option<String>,
                    #[wrkflw(default = "0")]
                    tries: Option<u8>,
                }
            ),
            quote!(),
            |table| {
                let rows = row_statements(table);
                assert_eq!(
                    rows.insert,
                    "INSERT INTO wrkflw_run (\n  id, tag, tries\n) VALUES (\n  $1, $2, coalesce($3::SMALLINT, 0)\n)"
                );
                assert_eq!(
                    rows.upsert,
                    format!(
                        "{}\nON CONFLICT (id) DO UPDATE SET\n  tag = EXCLUDED.tag, tries = coalesce($3::SMALLINT, wrkflw_run.tries)",
                        rows.insert
                    )
                );
                assert_eq!(
                    rows.update,
                    "UPDATE wrkflw_run SET\n  tag = $2, tries = coalesce($3::SMALLINT, tries)\nWHERE id = $1"
                );
                assert_eq!(rows.delete, "DELETE FROM wrkflw_run WHERE id = $1");
                assert_eq!(rows.count, "SELECT count(*) FROM wrkflw_run");
                assert_eq!(rows.finders.len(), 1);
                assert!(rows.finders[0]
                    .sql
                    .ends_with("WHERE (tag = $1 OR (tag IS NULL AND $1 IS NULL))\nORDER BY id"));
            },
        );
    }

    #[test]
    fn a_table_of_keys_only_upserts_nothing_and_updates_to_itself() {
        with_table(
            quote!(
                struct Pair {
                    #[wrkflw(primary_key)]
                    a: i64,
                    #[wrkflw(primary_key)]
                    b: i32,
                }
            ),
            quote!(),
            |table| {
                let rows = row_statements(table);
                assert!(rows.upsert.ends_with("\nON CONFLICT (a, b) DO NOTHING"));
                assert_eq!(
                    rows.update,
                    "UPDATE wrkflw_pair SET a = a WHERE a = $1 AND b = $2"
                );
                assert!(create_sql(table)
                    .shown()
                    .ends_with("  b INTEGER NOT NULL,\n  PRIMARY KEY (a, b)\n)"));
            },
        );
    }

    #[test]
    fn without_a_legacy_table_the_script_only_creates() {
        with_table(
            quote!(
                struct Note {
                    #[wrkflw(primary_key)]
                    id: i64,
                }
            ),
            quote!(),
            |table| {
                assert_eq!(copy_sql(table), None);
                assert!(drop_legacy_sql(table).is_empty());
                let script = migration_script(table, true).shown();
                assert_eq!(script, migration_script(table, false).shown());
                assert_eq!(
                    script,
                    "-- Creates wrkflw_note on PostgreSQL.
-- Generated by #[wrkflw_table] from `Note`; the same struct always gives this text.
-- There is no legacy table to migrate from (no `rename_from`).

BEGIN;

-- Step 1: create the new table. IF NOT EXISTS keeps one that is already there.
CREATE TABLE IF NOT EXISTS wrkflw_note (
  id BIGINT NOT NULL PRIMARY KEY
);

COMMIT;
"
                );
            },
        );
    }

    /// Every word a PostgreSQL server does not take as a bare name is in [`PG_KEYWORDS`].
    /// The list may hold more (words another version reserves): quoting those is harmless. Runs against the server that
    /// `WRKFLW_TEST_POSTGRES` names; says so when none is.
    #[test]
    fn keyword_list_covers_the_servers() {
        let Ok(server) = std::env::var("WRKFLW_TEST_POSTGRES") else {
            assert!(
                std::env::var("CI").map_or(true, |ci| ci != "true"),
                "CI=true needs WRKFLW_TEST_POSTGRES"
            );
            eprintln!("SKIPPED: no WRKFLW_TEST_POSTGRES to check the keyword list against");
            return;
        };
        let mut client = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        let missing: Vec<String> = client
            .query(
                "SELECT upper(word) FROM pg_get_keywords() WHERE catcode <> 'U'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .filter(|word| !PG_KEYWORDS.contains(&word.as_str()))
            .collect();
        assert_eq!(missing, Vec::<String>::new());
    }
}
