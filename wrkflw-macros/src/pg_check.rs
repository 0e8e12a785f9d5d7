//! Checks that only the PostgreSQL statements need, run when they are generated (the
//! `postgres` feature): a struct that is fine on SQLite is not refused for the sake of an
//! engine it does not use.

use crate::ast::Table;
use crate::check::{expression_problem, index_spans};
use crate::errors::Errors;
use crate::pg_default::pg_default;
use crate::pg_sql::MAX_IDENTIFIER;
use crate::sql;

pub(crate) fn validate(table: &Table, errors: &mut Errors) {
    check_defaults(table, errors);
    check_name_lengths(table, errors);
}

/// A `default` written for SQLite must never become broken DDL, or another value, on
/// PostgreSQL: what cannot be translated with certainty asks for `postgres_default`.
fn check_defaults(table: &Table, errors: &mut Errors) {
    for column in &table.columns {
        let Some(default) = &column.default else {
            continue;
        };
        // A default that is not one expression is reported as such already.
        if expression_problem(&default.value()).is_some() {
            continue;
        }
        if let Err(reason) = pg_default(column) {
            errors.spanned(
                default,
                format!(
                    "cannot translate the default of `{}` for PostgreSQL: {reason}\nhelp: add postgres_default = \"...\" with PostgreSQL's expression: `#[wrkflw(default = \"{}\", postgres_default = \"...\")]`",
                    column.name,
                    default.value().escape_debug()
                ),
            );
        }
    }
}

/// PostgreSQL cuts a name longer than 63 bytes short without an error; the table would
/// then not be found by its name, and two long index names could become one.
fn check_name_lengths(table: &Table, errors: &mut Errors) {
    let too_long = |name: &str| name.len() > MAX_IDENTIFIER;
    let message = |what: &str, name: &str| {
        format!(
            "the {what} `{name}` is {} bytes long; PostgreSQL cuts names at {MAX_IDENTIFIER}\nhelp: choose a shorter name",
            name.len()
        )
    };
    let table_name = table.table_name();
    if too_long(&table_name) {
        let span = table
            .args
            .name
            .as_ref()
            .or(table.args.rename_from.as_ref())
            .map_or_else(|| table.ident.span(), |lit| lit.span());
        errors.at(span, message("table name", &table_name));
        // Every index name holds the table's: one error says it.
        return;
    }
    if let Some(legacy) = &table.args.rename_from {
        if too_long(&legacy.value()) {
            errors.spanned(legacy, message("legacy table name", &legacy.value()));
        }
    }
    for column in &table.columns {
        if too_long(&column.name) {
            errors.spanned(&column.field.ident, message("column name", &column.name));
        }
    }
    let spans = index_spans(table);
    for (i, index) in sql::indexes(table).iter().enumerate() {
        if too_long(&index.name) {
            let span = spans.get(i).copied().unwrap_or_else(|| table.ident.span());
            errors.at(span, message("index name", &index.name));
        }
    }
}
