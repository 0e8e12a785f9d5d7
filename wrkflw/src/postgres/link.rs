//! How a table is fed from its legacy table on PostgreSQL: which legacy column fills each
//! column and how its value converts, the key on both sides, and the SQL fragments that copy,
//! compare and identify rows between the two. The copies, the capture's function, the
//! conflict settlement and the checks all build on one `Link`, so they cannot disagree.

use super::catalog::{self, TableColumn};
use super::convert::Conversion;
use super::spec::{Field, PgSpec};
use super::sql_text::{ident, qualified};
use crate::{Error, Result};

/// A column the legacy table fills.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) field: Field,
    /// The legacy column it is read from.
    pub(crate) source: String,
    /// The legacy column's type, as `format_type` writes it.
    pub(crate) source_type: String,
    /// The legacy column is `NOT NULL`.
    pub(crate) source_not_null: bool,
    pub(crate) conversion: Conversion,
}

impl Pair {
    pub(crate) fn column(&self) -> &'static str {
        self.field.name()
    }

    /// The legacy value of row `row` (`l`, `NEW`) as the field's type.
    pub(crate) fn value(&self, row: &str) -> String {
        self.conversion
            .apply(&format!("{row}.{}", ident(&self.source)))
    }

    /// The legacy column of row `row`, as it is.
    pub(crate) fn source_of(&self, row: &str) -> String {
        format!("{row}.{}", ident(&self.source))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) table: &'static str,
    pub(crate) legacy: &'static str,
    /// The schema both live in.
    pub(crate) schema: String,
    /// The key's columns in field order: one, or several for a composite key.
    pub(crate) keys: Vec<Pair>,
    /// Every column the legacy table fills, in field order.
    pub(crate) pairs: Vec<Pair>,
    /// Columns the legacy table lacks, left to their default or NULL.
    pub(crate) defaulted: Vec<String>,
    /// Legacy columns no column reads.
    pub(crate) legacy_only: Vec<String>,
    /// Some legacy column read is generated: an update of any column may change it.
    pub(crate) reads_generated: bool,
}

impl Link {
    /// Pairs each column with the legacy column that fills it: the renamed one first, then
    /// one of the column's own name. A required column the legacy table lacks is an error.
    pub(crate) fn new(spec: &PgSpec, schema: &str, legacy: &catalog::Table) -> Result<Link> {
        let legacy_name = spec.legacy.unwrap_or_default();
        let missing = |column: &str| Error::MissingLegacyColumn {
            table: spec.table.to_owned(),
            legacy_table: legacy_name.to_owned(),
            column: column.to_owned(),
        };
        if spec.key_fields().is_empty() {
            return Err(missing("(primary key)"));
        }
        let find = |name: &str| legacy.columns.iter().find(|c| c.name == name);
        let mut pairs = Vec::new();
        let mut defaulted = Vec::new();
        let mut reads_generated = false;
        for field in spec.fields() {
            let column = field.column;
            match find(column.legacy_name()).or_else(|| find(column.name)) {
                Some(source) => {
                    reads_generated |= source.generated;
                    pairs.push(pair(field, source));
                }
                None if !column.primary_key && (column.nullable || field.default.is_some()) => {
                    defaulted.push(column.name.to_owned())
                }
                None => return Err(missing(column.legacy_name())),
            }
        }
        let legacy_only = legacy
            .columns
            .iter()
            .filter(|c| !pairs.iter().any(|p| p.source == c.name))
            .map(|c| c.name.clone())
            .collect();
        let keys = pairs
            .iter()
            .filter(|p| p.field.column.primary_key)
            .cloned()
            .collect();
        Ok(Link {
            table: spec.table,
            legacy: legacy_name,
            schema: schema.to_owned(),
            keys,
            pairs,
            defaulted,
            legacy_only,
            reads_generated,
        })
    }

    /// `schema.table`.
    pub(crate) fn table_sql(&self) -> String {
        qualified(&self.schema, self.table)
    }

    /// `schema.legacy`.
    pub(crate) fn legacy_sql(&self) -> String {
        qualified(&self.schema, self.legacy)
    }

    /// The pairs feeding a column the table declares `NOT NULL` (the key always).
    pub(crate) fn required(&self) -> impl Iterator<Item = &Pair> {
        self.pairs.iter().filter(|p| p.field.required())
    }

    /// `l.a IS NOT NULL AND ...`: the legacy row `row` has every value the table requires.
    pub(crate) fn complete(&self, row: &str) -> String {
        let checks: Vec<String> = self
            .required()
            .map(|p| format!("{} IS NOT NULL", p.source_of(row)))
            .collect();
        checks.join(" AND ")
    }

    /// The legacy key columns as errors name them: `id`, or `run_id, step_id`.
    pub(crate) fn key_names(&self) -> String {
        let names: Vec<&str> = self.keys.iter().map(|p| p.source.as_str()).collect();
        names.join(", ")
    }

    /// `term` for each key pair, joined by ` AND `.
    pub(crate) fn each_key(&self, term: impl Fn(&Pair) -> String) -> String {
        let terms: Vec<String> = self.keys.iter().map(term).collect();
        terms.join(" AND ")
    }

    /// `n.key = l.key`: the table's row `n` and the legacy row `l` under one key, the legacy
    /// value converted as the table stores it.
    pub(crate) fn same_key(&self, n: &str, l: &str) -> String {
        self.each_key(|p| format!("{n}.{} = {}", ident(p.column()), p.value(l)))
    }

    /// `l.key = r.key`: the legacy row `l` under the key of the legacy row `r`.
    pub(crate) fn legacy_key_is(&self, l: &str, r: &str) -> String {
        self.each_key(|p| format!("{} = {}", p.source_of(l), p.source_of(r)))
    }

    /// `(l.a, l.b) IS DISTINCT FROM (r.a, r.b)`: the rows are under different keys.
    pub(crate) fn key_differs(&self, l: &str, r: &str) -> String {
        let of = |row: &str| {
            let parts: Vec<String> = self.keys.iter().map(|p| p.source_of(row)).collect();
            parts.join(", ")
        };
        format!("ROW({}) IS DISTINCT FROM ROW({})", of(l), of(r))
    }

    /// `l.a IS NOT NULL AND ...`: no NULL in the legacy row's key.
    pub(crate) fn key_not_null(&self, l: &str) -> String {
        self.each_key(|p| format!("{} IS NOT NULL", p.source_of(l)))
    }

    /// The legacy key of row `l` as `wrkflw_conflicts` stores it in `legacy_key`: the JSON
    /// array of its values in field order (`["run-1"]`, `["r1", 3]`), as `jsonb` writes it.
    /// Equal keys give equal text, and the values can be read back by position.
    pub(crate) fn logged_key(&self, l: &str) -> String {
        let parts: Vec<String> = self.keys.iter().map(|p| p.source_of(l)).collect();
        format!("jsonb_build_array({})::text", parts.join(", "))
    }

    /// `l.a = (logged->>0)::type AND ...`: the legacy row `l` is the one logged as `logged`
    /// (a `legacy_key`), compared on the legacy key's own columns so that its index serves.
    pub(crate) fn logged_as(&self, l: &str, logged: &str) -> String {
        let terms: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{} = ({logged}::jsonb ->> {i})::{}",
                    p.source_of(l),
                    p.source_type
                )
            })
            .collect();
        terms.join(" AND ")
    }

    /// The legacy key of row `l` as SQL text for samples and messages: `'run-1'`, `42`, or
    /// `('r1', 3)` for a composite key.
    pub(crate) fn shown_key(&self, l: &str) -> String {
        let parts: Vec<String> = self.keys.iter().map(|p| shown(p, l)).collect();
        match parts.as_slice() {
            [one] => one.clone(),
            many => format!("'(' || {} || ')'", many.join(" || ', ' || ")),
        }
    }

    /// `NOT EXISTS (SELECT 1 FROM table AS n WHERE n.key = l.key)`.
    pub(crate) fn not_in_table(&self, l: &str) -> String {
        format!(
            "NOT EXISTS (SELECT 1 FROM {} AS n WHERE {})",
            self.table_sql(),
            self.same_key("n", l)
        )
    }

    /// `ROW(n.a, ...) IS NOT DISTINCT FROM ROW(<l.a converted>, ...)`: the table's row `n`
    /// holds the legacy row `l`'s values, over the columns for which `present` is true.
    pub(crate) fn equal_among(&self, n: &str, l: &str, present: impl Fn(&str) -> bool) -> String {
        let pairs: Vec<&Pair> = self.pairs.iter().filter(|p| present(p.column())).collect();
        if pairs.is_empty() {
            return "true".to_owned();
        }
        let table: Vec<String> = pairs
            .iter()
            .map(|p| format!("{n}.{}", ident(p.column())))
            .collect();
        let legacy: Vec<String> = pairs.iter().map(|p| p.value(l)).collect();
        format!(
            "ROW({}) IS NOT DISTINCT FROM ROW({})",
            table.join(", "),
            legacy.join(", ")
        )
    }

    pub(crate) fn equal(&self, n: &str, l: &str) -> String {
        self.equal_among(n, l, |_| true)
    }

    /// The columns written, one per pair.
    pub(crate) fn columns(&self) -> Vec<String> {
        self.pairs.iter().map(|p| ident(p.column())).collect()
    }

    /// The conflict target: the key's columns.
    pub(crate) fn key_columns(&self) -> String {
        let names: Vec<String> = self.keys.iter().map(|p| ident(p.column())).collect();
        names.join(", ")
    }

    /// `INSERT INTO schema.table (...) SELECT <converted> FROM schema.legacy AS l [WHERE
    /// {filter}] ON CONFLICT (key) DO NOTHING`.
    pub(crate) fn insert_select(&self, filter: Option<&str>) -> String {
        let values: Vec<String> = self
            .pairs
            .iter()
            .map(|p| {
                let value = p.value("l");
                if p.conversion.is_same() && p.source == p.column() {
                    value
                } else {
                    format!("{value} AS {}", ident(p.column()))
                }
            })
            .collect();
        let mut sql = format!(
            "INSERT INTO {} ({})\nSELECT {}\nFROM {} AS l",
            self.table_sql(),
            self.columns().join(", "),
            values.join(", "),
            self.legacy_sql(),
        );
        if let Some(filter) = filter {
            sql.push_str("\nWHERE ");
            sql.push_str(filter);
        }
        sql.push_str(&format!(
            "\nON CONFLICT ({}) DO NOTHING",
            self.key_columns()
        ));
        sql
    }

    /// `UPDATE schema.table AS n SET (...) = ROW(<l converted>) FROM schema.legacy AS l
    /// WHERE same key AND {filter}`: the table's rows take the legacy rows' values.
    pub(crate) fn update_from_legacy(&self, filter: &str) -> String {
        let values: Vec<String> = self.pairs.iter().map(|p| p.value("l")).collect();
        format!(
            "UPDATE {} AS n SET ({}) =\n  ROW({})\nFROM {} AS l\nWHERE {} AND {filter}",
            self.table_sql(),
            self.columns().join(", "),
            values.join(", "),
            self.legacy_sql(),
            self.same_key("n", "l"),
        )
    }
}

fn pair(field: Field, source: &TableColumn) -> Pair {
    Pair {
        field,
        source: source.name.clone(),
        source_type: source.type_name.clone(),
        source_not_null: source.not_null,
        conversion: Conversion::new(&source.type_name, field.pg_type),
    }
}

/// A legacy key value of row `l` as an SQL literal: numbers bare, anything else quoted.
fn shown(pair: &Pair, l: &str) -> String {
    let value = pair.source_of(l);
    let numeric = matches!(
        pair.source_type.split('(').next().unwrap_or_default(),
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision"
    );
    if numeric {
        format!("coalesce({value}::text, 'NULL')")
    } else {
        format!("quote_nullable({value}::text)")
    }
}
