//! How a table is fed from its legacy table: which legacy column fills each column, the key
//! on both sides, which legacy values the table requires, and the SQL fragments that copy,
//! compare and check rows between the two. The capture's triggers, the copies, the conflict
//! settlement and the verification all build on one `Link`, so they cannot disagree about it.

use crate::error::{Error, Result};
use crate::schema::TableColumn;
use crate::spec::TableSpec;
use crate::sql_text::{main, quoted, wrapped_list};
use crate::Column;

#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) table: &'static str,
    pub(crate) legacy: &'static str,
    /// The key's columns in field order, each with the legacy column it is read from: one,
    /// or several for a composite key.
    pub(crate) keys: Vec<(&'static Column, String)>,
    /// (column, legacy column) for every column the legacy table fills, in field order.
    pub(crate) pairs: Vec<(&'static Column, String)>,
    /// Columns the legacy table lacks, left to their default or NULL.
    pub(crate) defaulted: Vec<String>,
    /// Legacy columns no column reads.
    pub(crate) legacy_only: Vec<String>,
    /// Some legacy column read is generated: an update of any column may change it.
    pub(crate) reads_generated: bool,
    /// A legacy key column is an `INTEGER PRIMARY KEY`, SQLite's rowid: `UPDATE ... SET rowid`
    /// changes it without naming it.
    pub(crate) legacy_key_is_rowid: bool,
    /// The rowid's other names the legacy table's own columns do not take.
    pub(crate) rowid_names: Vec<&'static str>,
    /// The table's key is an `INTEGER PRIMARY KEY`, which takes only integers.
    pub(crate) key_is_rowid: bool,
    /// The table's unique indexes, each column with what fills it from a legacy row; an
    /// index with a column left NULL is left out (NULLs never clash).
    pub(crate) uniques: Vec<(&'static str, Vec<(&'static str, Filled)>)>,
}

/// What fills a column from a legacy row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filled {
    /// The legacy column of that name.
    From(String),
    /// The column's `DEFAULT` expression (the legacy table lacks the column).
    Default(&'static str),
}

impl Link {
    /// Pairs each column with the legacy column that fills it: the renamed one first, then
    /// one of the column's own name. A required column the legacy table lacks is an error.
    pub(crate) fn new(
        spec: &TableSpec,
        legacy: &'static str,
        legacy_columns: &[TableColumn],
    ) -> Result<Link> {
        let missing = |column: &str| Error::MissingLegacyColumn {
            table: spec.table.to_owned(),
            legacy_table: legacy.to_owned(),
            column: column.to_owned(),
        };
        if spec.primary_key().is_none() {
            return Err(missing("(primary key)"));
        }
        let find = |name: &str| {
            legacy_columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        };
        let mut pairs = Vec::new();
        let mut defaulted = Vec::new();
        let mut reads_generated = false;
        for column in spec.columns {
            match find(column.legacy_name()).or_else(|| find(column.name)) {
                Some(source) => {
                    reads_generated |= source.generated;
                    pairs.push((column, source.name.clone()));
                }
                None if !column.primary_key && (column.nullable || column.default.is_some()) => {
                    defaulted.push(column.name.to_owned())
                }
                None => return Err(missing(column.legacy_name())),
            }
        }
        let legacy_only = legacy_columns
            .iter()
            .filter(|c| !pairs.iter().any(|(_, s)| s.eq_ignore_ascii_case(&c.name)))
            .map(|c| c.name.clone())
            .collect();
        // Every key column is among the pairs: a missing one is an error above.
        let keys: Vec<(&'static Column, String)> = pairs
            .iter()
            .filter(|(c, _)| c.primary_key)
            .cloned()
            .collect();
        let legacy_key_is_rowid = legacy_columns.iter().filter(|c| c.primary_key).count() == 1
            && legacy_columns.iter().any(|c| {
                c.primary_key
                    && keys.iter().any(|(_, s)| c.name.eq_ignore_ascii_case(s))
                    && c.declared_type.eq_ignore_ascii_case("INTEGER")
            });
        let rowid_names = ["rowid", "oid", "_rowid_"]
            .into_iter()
            .filter(|alias| {
                !legacy_columns
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(alias))
            })
            .collect();
        let uniques = spec
            .indexes
            .iter()
            .filter(|index| index.unique)
            .filter_map(|index| {
                let filled: Option<Vec<(&'static str, Filled)>> = index
                    .columns
                    .iter()
                    .map(|name| {
                        if let Some((_, source)) = pairs.iter().find(|(c, _)| c.name == *name) {
                            return Some((*name, Filled::From(source.clone())));
                        }
                        let column = spec.columns.iter().find(|c| c.name == *name)?;
                        column
                            .default
                            .map(|default| (*name, Filled::Default(default)))
                    })
                    .collect();
                filled.map(|filled| (index.name, filled))
            })
            .collect();
        Ok(Link {
            table: spec.table,
            legacy,
            keys,
            pairs,
            defaulted,
            legacy_only,
            reads_generated,
            legacy_key_is_rowid,
            rowid_names,
            key_is_rowid: spec.key_is_rowid(),
            uniques,
        })
    }

    /// The legacy columns feeding a column the table declares `NOT NULL` (the key always).
    pub(crate) fn required(&self) -> impl Iterator<Item = &(&'static Column, String)> {
        self.pairs
            .iter()
            .filter(|(c, _)| !c.nullable || c.primary_key)
    }

    /// `l.a IS NOT NULL AND ...`: the legacy row `alias` has every value the table requires,
    /// and a key an `INTEGER PRIMARY KEY` can take.
    pub(crate) fn complete(&self, alias: &str) -> String {
        let mut checks: Vec<String> = self
            .required()
            .map(|(_, source)| format!("{alias}.{} IS NOT NULL", quoted(source)))
            .collect();
        if self.key_is_rowid {
            checks.push(format!(
                "typeof({alias}.{}) = 'integer'",
                quoted(self.key_source())
            ));
        }
        checks.join(" AND ")
    }

    /// `n.a IS l.a AND ...`: the table's row `n` holds what the legacy row `l` holds, each
    /// value compared as the table stores it (the column's affinity applies) and byte for
    /// byte (the table's columns compare with BINARY; drift checks that).
    pub(crate) fn equal(&self, n: &str, l: &str) -> String {
        self.equal_among(n, l, |_| true)
    }

    /// [`Link::equal`] over the columns the table has now, for planning before columns the
    /// struct gained are added.
    pub(crate) fn equal_among(&self, n: &str, l: &str, present: impl Fn(&str) -> bool) -> String {
        let checks: Vec<String> = self
            .pairs
            .iter()
            .filter(|(c, _)| present(c.name))
            .map(|(c, s)| format!("{n}.{} IS {l}.{}", quoted(c.name), quoted(s)))
            .collect();
        if checks.is_empty() {
            "1".to_owned()
        } else {
            checks.join(" AND ")
        }
    }

    /// The legacy column of the key's first column: its only one, unless the key is
    /// composite. For what only a one-column key has (an `INTEGER PRIMARY KEY`).
    pub(crate) fn key_source(&self) -> &str {
        &self.keys[0].1
    }

    /// The legacy key columns as errors name them: `id`, or `run_id, step_id`.
    pub(crate) fn key_names(&self) -> String {
        let names: Vec<&str> = self.keys.iter().map(|(_, s)| s.as_str()).collect();
        names.join(", ")
    }

    fn composite(&self) -> bool {
        self.keys.len() > 1
    }

    /// `term` for each key column (the column and the legacy column it is read from),
    /// joined by ` AND `.
    pub(crate) fn each_key(&self, term: impl Fn(&'static Column, &str) -> String) -> String {
        let terms: Vec<String> = self.keys.iter().map(|(c, s)| term(c, s)).collect();
        terms.join(" AND ")
    }

    /// `n.key = l.key_source`: a table row and a legacy row under one key, compared as the
    /// table compares its key (`n.a = l.a AND n.b = l.b` for a composite key).
    pub(crate) fn same_key(&self, n: &str, l: &str) -> String {
        self.each_key(|c, s| format!("{n}.{} = {l}.{}", quoted(c.name), quoted(s)))
    }

    /// `key = {row}.key_source`: the table's row under the key of the legacy row `row`,
    /// in a statement on the table alone (a trigger's).
    pub(crate) fn table_key_is(&self, row: &str) -> String {
        self.each_key(|c, s| format!("{} = {row}.{}", quoted(c.name), quoted(s)))
    }

    /// `key_source = {row}.key_source`: the legacy row under the key of the legacy row
    /// `row`, in a statement on the legacy table alone.
    pub(crate) fn legacy_key_is(&self, row: &str) -> String {
        self.each_key(|_, s| format!("{0} = {row}.{0}", quoted(s)))
    }

    /// The legacy key of `row` as SQL text for samples and messages: `quote(l.id)`, or
    /// `('r1', 3)` for a composite key.
    pub(crate) fn shown_key(&self, row: &str) -> String {
        if self.composite() {
            self.logged_key(row)
        } else {
            format!("quote({row}.{})", quoted(self.key_source()))
        }
    }

    /// The legacy key of `row` as `wrkflw_conflicts` and `wrkflw_replaced_keys` store it
    /// in `legacy_key`: a one-column key as it is (its own type), a composite key as the
    /// text `('r1', 3)`, each value as `quote()` writes it, in field order. Equal keys give
    /// equal text, and the text is what messages show. A key with a NULL in it has text too,
    /// unlike a one-column NULL key.
    pub(crate) fn logged_key(&self, row: &str) -> String {
        if !self.composite() {
            return format!("{row}.{}", quoted(self.key_source()));
        }
        let parts: Vec<String> = self
            .keys
            .iter()
            .map(|(_, s)| format!("quote({row}.{})", quoted(s)))
            .collect();
        format!("'(' || {} || ')'", parts.join(" || ', ' || "))
    }

    /// [`Link::logged_key`] as the right side of `legacy_key = ...` in a trigger: a
    /// one-column key with a `+`, so that the legacy column's affinity does not convert
    /// `legacy_key` (which has none) before comparing.
    pub(crate) fn log_operand(&self, row: &str) -> String {
        if self.composite() {
            self.logged_key(row)
        } else {
            format!("+{}", self.logged_key(row))
        }
    }

    /// A `legacy_key` read from a log, `logged`, as SQL text for messages: `quote(...)` of
    /// a one-column key; a composite key's text is that already.
    pub(crate) fn shown_logged(&self, logged: &str) -> String {
        if self.composite() {
            logged.to_owned()
        } else {
            format!("quote({logged})")
        }
    }

    /// `l.key {op} {logged}`: the legacy row `l` is the one logged as `logged`. `op` is `=`,
    /// or `IS` to find the rows a NULL one-column key stands for.
    pub(crate) fn logged_as(&self, l: &str, op: &str, logged: &str) -> String {
        format!("{} {op} {logged}", self.logged_key(l))
    }

    /// The table's row `n` is under a key among `logged` (a `SELECT legacy_key ...`). A
    /// composite key's text is the legacy row's, so it is found through that row.
    pub(crate) fn table_row_logged(&self, n: &str, logged: &str) -> String {
        if self.composite() {
            format!(
                "EXISTS (SELECT 1 FROM {} AS l WHERE {}\n    AND {} IN ({logged}))",
                main(self.legacy),
                self.same_key(n, "l"),
                self.logged_key("l"),
            )
        } else {
            format!("{n}.{} IN ({logged})", quoted(self.keys[0].0.name))
        }
    }

    /// `OLD.a IS NOT NEW.a`: an update moved the row to another key (any of its columns).
    pub(crate) fn key_moved(&self) -> String {
        let terms: Vec<String> = self
            .keys
            .iter()
            .map(|(_, s)| format!("OLD.{0} IS NOT NEW.{0}", quoted(s)))
            .collect();
        match terms.as_slice() {
            [one] => one.clone(),
            many => format!("({})", many.join(" OR ")),
        }
    }

    /// For a composite key, `{row}.a IS NOT NULL AND ...`: no NULL in the key. Such a key
    /// may be another legacy row's too (a unique index holds NULLs as distinct), so what is
    /// logged under it stays until `migrate` finds no row under it, as for a one-column NULL
    /// key, which `legacy_key = +OLD.id` never finds.
    pub(crate) fn key_without_null(&self, row: &str) -> Option<String> {
        self.composite()
            .then(|| self.each_key(|_, s| format!("{row}.{} IS NOT NULL", quoted(s))))
    }

    /// `NOT EXISTS (SELECT 1 FROM main.table AS n WHERE n.key = {l}.key)`.
    pub(crate) fn not_in_table(&self, l: &str) -> String {
        format!(
            "NOT EXISTS (SELECT 1 FROM {} AS n WHERE {})",
            main(self.table),
            self.same_key("n", l)
        )
    }

    /// The columns written, one per pair, quoted where SQLite needs it.
    pub(crate) fn columns(&self) -> Vec<String> {
        self.pairs.iter().map(|(c, _)| quoted(c.name)).collect()
    }

    /// The legacy columns read, one per pair, each prefixed by `row` (`NEW.`, `l.`).
    pub(crate) fn sources(&self, row: &str) -> Vec<String> {
        self.pairs
            .iter()
            .map(|(_, s)| format!("{row}{}", quoted(s)))
            .collect()
    }

    /// The columns written, one per pair, wrapped.
    pub(crate) fn targets(&self) -> String {
        wrapped_list(&self.columns())
    }

    /// The legacy columns read, `old AS new` where a column is renamed, prefixed by `alias`.
    pub(crate) fn selected(&self, alias: &str) -> String {
        let names: Vec<String> = self
            .pairs
            .iter()
            .map(|(column, source)| {
                if source.eq_ignore_ascii_case(column.name) {
                    format!("{alias}{}", quoted(source))
                } else {
                    format!("{alias}{} AS {}", quoted(source), quoted(column.name))
                }
            })
            .collect();
        wrapped_list(&names)
    }

    /// `INSERT INTO main.table (...) SELECT ... FROM main.legacy AS l [WHERE {filter}]`. The
    /// columns read need no alias (only the legacy table is in `FROM`); filters use `l.`.
    pub(crate) fn insert_select(&self, filter: Option<&str>) -> String {
        let mut sql = format!(
            "INSERT INTO {} (\n{}\n)\nSELECT\n{}\nFROM {} AS l",
            main(self.table),
            self.targets(),
            self.selected(""),
            main(self.legacy),
        );
        if let Some(filter) = filter {
            sql.push_str("\nWHERE ");
            sql.push_str(filter);
        }
        sql
    }

    /// `UPDATE main.table AS n SET (...) = (SELECT ... FROM main.legacy AS l WHERE same key)
    /// WHERE {filter}`: the table's rows take the legacy rows' values.
    pub(crate) fn update_from_legacy(&self, filter: &str) -> String {
        format!(
            "UPDATE {} AS n SET ({}) =\n  (SELECT {} FROM {} AS l WHERE {})\nWHERE {filter}",
            main(self.table),
            self.columns().join(", "),
            self.sources("l.").join(", "),
            main(self.legacy),
            self.same_key("n", "l"),
        )
    }
}
