//! Checks on legacy rows against the table they go into, run under the legacy table's lock
//! before anything is written: the rows the table cannot hold and why (a NULL where it says
//! `NOT NULL`, a value that does not convert to its type or that converting would change,
//! two rows under one key, a reference to no row, two rows under one unique value); and,
//! after a copy, the proof that every legacy key arrived.
//!
//! PostgreSQL 15 cannot test a value's conversion without converting it (`pg_input_is_valid`
//! and `IS JSON` came in 16), and a failed conversion aborts the transaction. So conversions
//! that can fail are tried in a savepoint, all of them in one scan; only when that scan fails
//! are the rows at fault found, column by column, by halving ranges of the table's pages
//! (`ctid`), each range tried in a savepoint of its own, down to single rows.

use ::postgres::Transaction;

use super::failure::is_data_exception;
use super::link::{Link, Pair};
use super::spec::{Field, PgSpec};
use super::sql_text::{ident, qualified};
use crate::error::NullCount;
use crate::{Error, Index, Result};

/// How many keys or values a sample holds.
const SAMPLE: usize = 5;

type Fail<'a> = &'a dyn Fn(::postgres::Error) -> Error;

/// Runs `sql` in a savepoint: `Ok(None)` when a value failed to convert (the savepoint is
/// rolled back, the transaction goes on), the rows otherwise.
pub(crate) fn tried(
    tx: &mut Transaction<'_>,
    sql: &str,
) -> Result<Option<Vec<::postgres::Row>>, ::postgres::Error> {
    let mut savepoint = tx.transaction()?;
    match savepoint.query(sql, &[]) {
        Ok(rows) => {
            savepoint.commit()?;
            Ok(Some(rows))
        }
        Err(error) if is_data_exception(&error) => {
            savepoint.rollback()?;
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

pub(crate) fn strings(
    tx: &mut Transaction<'_>,
    sql: &str,
) -> Result<Vec<String>, ::postgres::Error> {
    let rows = tx.query(sql, &[])?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// Checks the legacy rows `WHERE {filter}` (on `l`) the copy will read, and counts them:
/// NULLs where the table says `NOT NULL` are [`Error::RejectedRows`]; values that do not
/// convert to their column's type, or that converting would change, are
/// [`Error::WrongType`] naming the column and sample keys. One scan, when nothing is wrong.
pub(crate) fn legacy_rows(
    tx: &mut Transaction<'_>,
    link: &Link,
    filter: &str,
    fail: Fail<'_>,
) -> Result<u64> {
    // Only columns the legacy table lets hold NULL can hold one.
    let nullable: Vec<&Pair> = link.required().filter(|p| !p.source_not_null).collect();
    let changing: Vec<(&Pair, String)> = link
        .pairs
        .iter()
        .filter_map(|p| Some((p, p.conversion.changes(&p.source_of("l"))?)))
        .collect();
    let converted: Vec<&Pair> = link
        .pairs
        .iter()
        .filter(|p| p.conversion.fallible())
        .collect();
    let mut aggregates = vec!["count(*)".to_owned()];
    aggregates.extend(
        nullable
            .iter()
            .map(|p| format!("count(*) FILTER (WHERE {} IS NULL)", p.source_of("l"))),
    );
    aggregates.extend(
        changing
            .iter()
            .map(|(_, changes)| format!("count(*) FILTER (WHERE {changes})")),
    );
    aggregates.extend(converted.iter().map(|p| format!("count({})", p.value("l"))));
    let from = format!("FROM {} AS l WHERE ({filter})", link.legacy_sql());
    let sql = format!("SELECT {} {from}", aggregates.join(", "));
    let Some(rows) = tried(tx, &sql).map_err(fail)? else {
        return Err(cast_failure(tx, link, filter, fail)?);
    };
    let counts: Vec<i64> = (0..aggregates.len())
        .map(|i| rows[0].try_get(i))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let mut nulls = Vec::new();
    for (pair, &rows) in nullable.iter().zip(&counts[1..]) {
        if rows > 0 {
            let sample_keys = strings(
                tx,
                &format!(
                    "SELECT {} {from} AND {} IS NULL LIMIT {SAMPLE}",
                    link.shown_key("l"),
                    pair.source_of("l")
                ),
            )
            .map_err(fail)?;
            nulls.push(NullCount {
                column: pair.source.clone(),
                rows: rows as u64,
                sample_keys,
            });
        }
    }
    if !nulls.is_empty() {
        return Err(Error::RejectedRows {
            table: link.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            nulls,
        });
    }
    for ((pair, changes), &rows) in changing.iter().zip(&counts[1 + nullable.len()..]) {
        if rows > 0 {
            let sample_keys = strings(
                tx,
                &format!(
                    "SELECT {} {from} AND {changes} LIMIT {SAMPLE}",
                    link.shown_key("l")
                ),
            )
            .map_err(fail)?;
            return Err(wrong_type(link, pair, sample_keys));
        }
    }
    Ok(counts[0] as u64)
}

fn wrong_type(link: &Link, pair: &Pair, sample_keys: Vec<String>) -> Error {
    Error::WrongType {
        table: link.table.to_owned(),
        legacy_table: link.legacy.to_owned(),
        column: pair.source.clone(),
        expected: pair.conversion.expects(),
        sample_keys,
    }
}

/// After a scan failed on a conversion: the column at fault and sample keys of its rows. Key
/// columns are tried first and over every legacy row (the filter compares keys converted).
fn cast_failure(
    tx: &mut Transaction<'_>,
    link: &Link,
    filter: &str,
    fail: Fail<'_>,
) -> Result<Error> {
    let mut pairs: Vec<&Pair> = link.keys.iter().collect();
    pairs.extend(link.pairs.iter().filter(|p| !p.field.column.primary_key));
    let fallible: Vec<&Pair> = pairs
        .into_iter()
        .filter(|p| p.conversion.fallible())
        .collect();
    let legacy = Rows {
        relation: link.legacy_sql(),
        shown_key: link.shown_key("l"),
    };
    for pair in &fallible {
        let filter = if pair.field.column.primary_key {
            "true"
        } else {
            filter
        };
        let keys = legacy.failing(tx, &pair.value("l"), filter).map_err(fail)?;
        if !keys.is_empty() {
            return Ok(wrong_type(link, pair, keys));
        }
    }
    // Failed in the scan but in no column alone (a row the filter itself cannot read):
    // PostgreSQL's own error, from the scan run again.
    let names: Vec<String> = fallible.iter().map(|p| p.source.clone()).collect();
    match tx.query(
        &format!(
            "SELECT count(*) FROM {} AS l WHERE ({filter})",
            link.legacy_sql()
        ),
        &[],
    ) {
        Err(error) => Ok(fail(error)),
        Ok(_) => Ok(Error::WrongType {
            table: link.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            column: names.join(", "),
            expected: "values of the table's types".to_owned(),
            sample_keys: Vec::new(),
        }),
    }
}

/// The rows of a relation (as `l`), to find the ones a conversion fails on.
pub(crate) struct Rows {
    /// `schema.table`.
    pub(crate) relation: String,
    /// A row's key as SQL text, for samples (on `l`).
    pub(crate) shown_key: String,
}

impl Rows {
    /// Sample keys of rows `WHERE {filter}` on which `expr` (on `l`) fails to convert, found
    /// by halving page ranges, each tried in a savepoint.
    pub(crate) fn failing(
        &self,
        tx: &mut Transaction<'_>,
        expr: &str,
        filter: &str,
    ) -> Result<Vec<String>, ::postgres::Error> {
        let pages: i64 = tx
            .query_one(
                "SELECT pg_relation_size($1::text::regclass) / current_setting('block_size')::bigint",
                &[&self.relation],
            )?
            .try_get(0)?;
        let mut found = Vec::new();
        self.search(tx, expr, filter, (0, pages.max(1)), &mut found)?;
        Ok(found)
    }

    fn search(
        &self,
        tx: &mut Transaction<'_>,
        expr: &str,
        filter: &str,
        (first, end): (i64, i64),
        found: &mut Vec<String>,
    ) -> Result<(), ::postgres::Error> {
        if found.len() >= SAMPLE || first >= end {
            return Ok(());
        }
        let relation = &self.relation;
        let range = format!("l.ctid >= '({first},0)'::tid AND l.ctid < '({end},0)'::tid");
        let probe =
            format!("SELECT count({expr}) FROM {relation} AS l WHERE {range} AND ({filter})");
        if tried(tx, &probe)?.is_some() {
            return Ok(());
        }
        if end - first > 1 {
            let middle = first + (end - first) / 2;
            self.search(tx, expr, filter, (first, middle), found)?;
            return self.search(tx, expr, filter, (middle, end), found);
        }
        // One page: each of its rows.
        let rows = tx.query(
            &format!(
                "SELECT l.ctid::text, {} FROM {relation} AS l WHERE {range} AND ({filter})",
                self.shown_key
            ),
            &[],
        )?;
        for row in rows {
            if found.len() >= SAMPLE {
                break;
            }
            let ctid: String = row.try_get(0)?;
            let probe =
                format!("SELECT count({expr}) FROM {relation} AS l WHERE l.ctid = '{ctid}'::tid");
            if tried(tx, &probe)?.is_none() {
                found.push(row.try_get(1)?);
            }
        }
        Ok(())
    }
}

/// Refuses legacy keys that are one key as the table stores it: rows under a key the legacy
/// table does not hold unique, or distinct legacy keys that convert to one value (`'01'` and
/// `'1'` as integers). `ON CONFLICT DO NOTHING` would keep one of them silently.
pub(crate) fn duplicate_keys(tx: &mut Transaction<'_>, link: &Link, fail: Fail<'_>) -> Result<()> {
    let converted: Vec<String> = link
        .keys
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{} AS k{i}", p.value("l")))
        .collect();
    let names: Vec<String> = (0..link.keys.len()).map(|i| format!("k{i}")).collect();
    let sql = format!(
        "SELECT string_agg(shown, ', ' ORDER BY shown) FROM
           (SELECT {} AS shown, {} FROM {} AS l WHERE {}) AS s
         GROUP BY {} HAVING count(*) > 1 ORDER BY 1 LIMIT {SAMPLE}",
        link.shown_key("l"),
        converted.join(", "),
        link.legacy_sql(),
        link.key_not_null("l"),
        names.join(", "),
    );
    let groups = strings(tx, &sql).map_err(fail)?;
    if groups.is_empty() {
        return Ok(());
    }
    Err(Error::DuplicateKeys {
        table: link.table.to_owned(),
        legacy_table: link.legacy.to_owned(),
        column: link.key_names(),
        sample_keys: groups,
    })
}

/// A value of `expr` (of the field's type) as SQL text for samples.
pub(crate) fn shown_value(expr: &str, field: &Field) -> String {
    use super::PgType;
    match field.pg_type {
        PgType::SmallInt
        | PgType::Integer
        | PgType::BigInt
        | PgType::Real
        | PgType::DoublePrecision
        | PgType::Boolean => format!("({expr})::text"),
        _ => format!("quote_literal(({expr})::text)"),
    }
}

/// A table of the same run that comes earlier, with its legacy table when it exists: its rows
/// arrive in this run, so this table's references to them count as satisfied.
pub(crate) struct Earlier<'a> {
    pub(crate) spec: &'a PgSpec,
    /// The legacy column its key is read from, with that column's conversion to the key's
    /// type, when its legacy table exists.
    pub(crate) legacy_key: Option<(String, super::convert::Conversion)>,
}

/// Refuses a copy of the legacy rows `WHERE {filter}` that would leave a `references`
/// column pointing at no row of its table, as that table is now, counting as there the rows
/// that arrive in the same run: the legacy rows of the table itself (a reference to its own
/// table) and of the tables `earlier` in the run (referenced tables run first; `plan`, which
/// does not run them, then agrees with `migrate`, which has).
pub(crate) fn dangling_references(
    tx: &mut Transaction<'_>,
    spec: &PgSpec,
    link: &Link,
    filter: &str,
    earlier: &[Earlier<'_>],
    parent_exists: &dyn Fn(&str) -> bool,
    fail: Fail<'_>,
) -> Result<()> {
    for pair in &link.pairs {
        let Some(fk) = pair.field.column.references else {
            continue;
        };
        let value = pair.value("l");
        let arriving = if fk.table == spec.table {
            link.pairs
                .iter()
                .find(|p| p.column() == fk.column)
                .map(|key| {
                    format!(
                        " AND NOT EXISTS (SELECT 1 FROM {} AS a WHERE {} = {value})",
                        link.legacy_sql(),
                        key.value("a")
                    )
                })
                .unwrap_or_default()
        } else {
            earlier
                .iter()
                .filter(|e| e.spec.table == fk.table)
                .find_map(|e| {
                    let (source, conversion) = e.legacy_key.as_ref()?;
                    Some(format!(
                        " AND NOT EXISTS (SELECT 1 FROM {} AS e WHERE {} = {value})",
                        qualified(&link.schema, e.spec.legacy?),
                        conversion.apply(&format!("e.{}", ident(source)))
                    ))
                })
                .unwrap_or_default()
        };
        let no_parent = if parent_exists(fk.table) {
            format!(
                "NOT EXISTS (SELECT 1 FROM {} AS p WHERE p.{} = {value})",
                qualified(&link.schema, fk.table),
                ident(fk.column)
            )
        } else {
            "true".to_owned()
        };
        let from = format!(
            "FROM {} AS l WHERE ({filter}) AND {value} IS NOT NULL AND {no_parent}{arriving}",
            link.legacy_sql()
        );
        let rows: i64 = tx
            .query_one(&format!("SELECT count(*) {from}"), &[])
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        if rows > 0 {
            let sample_values = strings(
                tx,
                &format!(
                    "SELECT DISTINCT {} {from} ORDER BY 1 LIMIT {SAMPLE}",
                    shown_value(&value, &pair.field)
                ),
            )
            .map_err(fail)?;
            return Err(Error::DanglingReferences {
                table: spec.table.to_owned(),
                column: pair.column().to_owned(),
                parent: fk.table.to_owned(),
                rows: rows as u64,
                sample_values,
            });
        }
    }
    Ok(())
}

/// Refuses a unique index that rows would break: values held by more than one row.
/// `values` is a `SELECT` of the index's columns as `v1, v2, ...`, one row per row the index
/// would hold; `found_in` names where they come from. NULLs never clash in a unique index.
pub(crate) fn unique_values(
    tx: &mut Transaction<'_>,
    spec: &PgSpec,
    index: &'static Index,
    found_in: &str,
    values: &str,
    fail: Fail<'_>,
) -> Result<()> {
    let names: Vec<String> = (1..=index.columns.len()).map(|i| format!("v{i}")).collect();
    let not_null: Vec<String> = names.iter().map(|v| format!("{v} IS NOT NULL")).collect();
    let shown: Vec<String> = names
        .iter()
        .map(|v| format!("quote_literal({v}::text)"))
        .collect();
    let groups = format!(
        "SELECT {} AS shown FROM ({values}) AS s WHERE {} GROUP BY {} HAVING count(*) > 1",
        shown.join(" || ', ' || "),
        not_null.join(" AND "),
        names.join(", ")
    );
    let duplicates: i64 = tx
        .query_one(&format!("SELECT count(*) FROM ({groups}) AS g"), &[])
        .and_then(|row| row.try_get(0))
        .map_err(fail)?;
    if duplicates == 0 {
        return Ok(());
    }
    let sample_values = strings(
        tx,
        &format!("SELECT shown FROM ({groups}) AS g ORDER BY 1 LIMIT {SAMPLE}"),
    )
    .map_err(fail)?;
    Err(Error::UniqueViolation {
        table: spec.table.to_owned(),
        index: index.name,
        columns: index.columns,
        found_in: found_in.to_owned(),
        duplicates: duplicates as u64,
        sample_values,
    })
}

/// The rows of the table as a unique index on it holds them: `SELECT n.a AS v1, ...`.
pub(crate) fn table_values(schema: &str, table: &str, index: &Index) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("n.{} AS v{}", ident(c), i + 1))
        .collect();
    format!(
        "SELECT {} FROM {} AS n",
        columns.join(", "),
        qualified(schema, table)
    )
}

/// For each unique index, the values the legacy rows `WHERE {filter}` bring into it, followed
/// by the rows the table holds already when it exists: each column from the legacy column
/// that fills it, converted, or its default where the legacy table lacks it. An index with a
/// column left NULL is skipped: NULLs never clash.
pub(crate) fn legacy_values(
    spec: &PgSpec,
    link: &Link,
    filter: &str,
    table_exists: bool,
) -> Vec<(&'static Index, String)> {
    spec.indexes
        .iter()
        .filter(|index| index.unique)
        .filter_map(|index| {
            let columns: Option<Vec<String>> = index
                .columns
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let field = spec.field(name)?;
                    let value = match link.pairs.iter().find(|p| p.column() == *name) {
                        Some(pair) => pair.value("l"),
                        None => format!("({})::{}", field.default?, field.pg_type.as_str()),
                    };
                    Some(format!("{value} AS v{}", i + 1))
                })
                .collect();
            let mut values = format!(
                "SELECT {} FROM {} AS l WHERE ({filter})",
                columns?.join(", "),
                link.legacy_sql()
            );
            if table_exists {
                values = format!(
                    "{values} UNION ALL {}",
                    table_values(&link.schema, spec.table, index)
                );
            }
            Some((index, values))
        })
        .collect()
}

/// After a copy into a table that already held rows: how many legacy rows' keys the table
/// lacks, and how many it holds with other values (the table's row was kept). A value that
/// does not convert is compared as text.
pub(crate) fn compare_by_key(
    tx: &mut Transaction<'_>,
    link: &Link,
) -> Result<(u64, u64), ::postgres::Error> {
    let held = |extra: &str| {
        format!(
            "SELECT 1 FROM {} AS n WHERE {}{extra}",
            link.table_sql(),
            link.same_key("n", "l")
        )
    };
    let count = |equal: String| {
        format!(
            "SELECT count(*) FILTER (WHERE NOT EXISTS ({})), count(*) FILTER (WHERE EXISTS ({}))
             FROM {} AS l",
            held(""),
            held(&format!(" AND NOT ({equal})")),
            link.legacy_sql()
        )
    };
    let rows = match tried(tx, &count(link.equal("n", "l")))? {
        Some(rows) => rows,
        None => {
            let as_text: Vec<String> = link
                .pairs
                .iter()
                .map(|p| {
                    format!(
                        "n.{}::text IS NOT DISTINCT FROM {}::text",
                        ident(p.column()),
                        p.source_of("l")
                    )
                })
                .collect();
            tx.query(&count(as_text.join(" AND ")), &[])?
        }
    };
    let missing: i64 = rows[0].try_get(0)?;
    let differing: i64 = rows[0].try_get(1)?;
    Ok((missing as u64, differing as u64))
}

/// How many legacy rows' keys the table lacks, with up to five of them.
pub(crate) fn missing_keys(
    tx: &mut Transaction<'_>,
    link: &Link,
) -> Result<(u64, Vec<String>), ::postgres::Error> {
    let from = format!(
        "FROM {} AS l WHERE {}",
        link.legacy_sql(),
        link.not_in_table("l")
    );
    let missing: i64 = tx
        .query_one(&format!("SELECT count(*) {from}"), &[])?
        .try_get(0)?;
    let sample = strings(
        tx,
        &format!("SELECT {} {from} LIMIT {SAMPLE}", link.shown_key("l")),
    )?;
    Ok((missing as u64, sample))
}

/// The table's key of row `n` as SQL text for samples: `'r1'`, `42`, or `('r1', 3)`.
pub(crate) fn shown_table_key(spec: &PgSpec, n: &str) -> String {
    let parts: Vec<String> = spec
        .key_fields()
        .iter()
        .map(|f| {
            format!(
                "coalesce({}, 'NULL')",
                shown_value(&format!("{n}.{}", ident(f.name())), f)
            )
        })
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        many => format!("'(' || {} || ')'", many.join(" || ', ' || ")),
    }
}

/// Why logged legacy rows that settling would write cannot be held: the NULLs, or the values
/// that do not convert, of those rows (and of rows under a key with a NULL in it), as
/// [`legacy_rows`] finds them.
pub(crate) fn refuse_logged(
    tx: &mut Transaction<'_>,
    link: &Link,
    entries: &[&super::conflicts::Logged],
    fail: Fail<'_>,
) -> Error {
    let mut filter = super::conflicts::legacy_rows_of(link, "l", entries);
    if entries
        .iter()
        .any(|e| e.state == super::conflicts::State::NullKey)
    {
        filter = format!("{filter} OR NOT ({})", link.key_not_null("l"));
    }
    match legacy_rows(tx, link, &filter, fail) {
        Err(error) => error,
        // Nothing found wrong with them now: name them as rejected rows.
        Ok(_) => Error::RejectedRows {
            table: link.table.to_owned(),
            legacy_table: link.legacy.to_owned(),
            nulls: vec![NullCount {
                column: link.key_names(),
                rows: entries.len() as u64,
                sample_keys: entries.iter().take(SAMPLE).map(|e| e.key.clone()).collect(),
            }],
        },
    }
}
