//! PostgreSQL's side of the text `#[wrkflw_table]` generates with the `postgres` feature:
//! its types and how it writes names. The statements themselves are `sql.rs`'s, written in
//! `Dialect::Postgres`, in the same shapes as SQLite's: the same columns in the same order,
//! the same index names, the same row semantics.
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

use crate::ast::{Column, Scalar};

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
    use crate::ast::Table;
    use crate::errors::Errors;
    use crate::sql::Dialect::Postgres;
    use crate::sql::{copy_sql, create_sql, drop_legacy_sql, migration_script, row_statements};

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
                let sql = create_sql(table, Postgres);
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
                let rows = row_statements(table, Postgres);
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
                let rows = row_statements(table, Postgres);
                assert!(rows.upsert.ends_with("\nON CONFLICT (a, b) DO NOTHING"));
                assert_eq!(
                    rows.update,
                    "UPDATE wrkflw_pair SET a = a WHERE a = $1 AND b = $2"
                );
                assert!(create_sql(table, Postgres)
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
                assert_eq!(copy_sql(table, Postgres), None);
                assert!(drop_legacy_sql(table, Postgres).is_empty());
                let script = migration_script(table, true, Postgres).shown();
                assert_eq!(script, migration_script(table, false, Postgres).shown());
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
