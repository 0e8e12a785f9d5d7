//! Checks on legacy rows against the table they go into: which ones it cannot hold and why,
//! and whether a copy delivered every row. Planning uses them before anything is written;
//! the runner after a copy, to prove it, and after a failed statement, to say which rows and
//! columns made it fail.

use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode};

use crate::error::{Error, NullCount};
use crate::link::Link;
use crate::spec::TableSpec;
use crate::sql_text::{main, quoted};
use crate::SqlType;

/// How many keys a sample holds.
const SAMPLE: usize = 5;

/// The required columns holding NULL among the legacy rows `FROM main.legacy AS l WHERE
/// {filter}`, each with its count and sample keys.
pub(crate) fn nulls_where(
    conn: &Connection,
    link: &Link,
    filter: &str,
) -> rusqlite::Result<Vec<NullCount>> {
    let required: Vec<&String> = link.required().map(|(_, s)| s).collect();
    let sums: Vec<String> = required
        .iter()
        .map(|s| format!("coalesce(sum(l.{} IS NULL), 0)", quoted(s)))
        .collect();
    let from = format!("FROM {} AS l WHERE ({filter})", main(link.legacy));
    let counts: Vec<i64> =
        conn.query_row(&format!("SELECT {} {from}", sums.join(", ")), [], |row| {
            (0..required.len()).map(|i| row.get(i)).collect()
        })?;
    let mut nulls = Vec::new();
    for (source, rows) in required.into_iter().zip(counts) {
        if rows == 0 {
            continue;
        }
        let sample_keys = strings(
            conn,
            &format!(
                "SELECT {} {from} AND l.{} IS NULL LIMIT {SAMPLE}",
                link.shown_key("l"),
                quoted(source)
            ),
        )?;
        nulls.push(NullCount {
            column: source.clone(),
            rows: rows as u64,
            sample_keys,
        });
    }
    Ok(nulls)
}

/// The same for the legacy rows under `keys`, as the conflict log stores them (a NULL key
/// stands for every row without one).
pub(crate) fn nulls_of(
    conn: &Connection,
    link: &Link,
    keys: &[Value],
) -> rusqlite::Result<Vec<NullCount>> {
    let required: Vec<&String> = link.required().map(|(_, s)| s).collect();
    let flags: Vec<String> = required
        .iter()
        .map(|s| format!("l.{} IS NULL", quoted(s)))
        .collect();
    let mut stmt = conn.prepare(&format!(
        "SELECT {}, {} FROM {} AS l WHERE {}",
        link.shown_key("l"),
        flags.join(", "),
        main(link.legacy),
        link.logged_as("l", "IS", "?1")
    ))?;
    let mut nulls: Vec<NullCount> = required
        .iter()
        .map(|s| NullCount {
            column: (*s).clone(),
            rows: 0,
            sample_keys: Vec::new(),
        })
        .collect();
    for key in keys {
        let mut rows = stmt.query([key])?;
        while let Some(row) = rows.next()? {
            let shown: String = row.get(0)?;
            for (i, null) in nulls.iter_mut().enumerate() {
                if row.get::<_, bool>(i + 1)? {
                    null.rows += 1;
                    if null.sample_keys.len() < SAMPLE {
                        null.sample_keys.push(shown.clone());
                    }
                }
            }
        }
    }
    nulls.retain(|n| n.rows > 0);
    Ok(nulls)
}

/// Explains why copying the legacy rows `WHERE {filter}` failed, naming the column and
/// sample keys: NULLs the table refuses, values its `INTEGER PRIMARY KEY` cannot take, or
/// keys that collide as the table stores them. Any other failure stays SQLite's error.
pub(crate) fn explain_copy_failure(
    conn: &Connection,
    spec: &TableSpec,
    link: &Link,
    filter: &str,
    source: rusqlite::Error,
    fail: impl Fn(rusqlite::Error) -> Error,
) -> Error {
    let code = source.sqlite_error_code();
    if !matches!(
        code,
        Some(ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch)
    ) {
        return fail(source);
    }
    let explained = (|| -> rusqlite::Result<Option<Error>> {
        let nulls = nulls_where(conn, link, filter)?;
        if !nulls.is_empty() {
            return Ok(Some(rejected(link, nulls)));
        }
        if spec.key_is_rowid() {
            let keys = not_integers(conn, link, filter)?;
            if !keys.is_empty() {
                return Ok(Some(Error::WrongType {
                    table: link.table.to_owned(),
                    legacy_table: link.legacy.to_owned(),
                    column: link.key_source().to_owned(),
                    expected: "integers".to_owned(),
                    sample_keys: keys,
                }));
            }
        }
        if spec.strict() {
            if let Some(error) = strict_refusals(conn, link, filter)? {
                return Ok(Some(error));
            }
        }
        let groups = colliding_keys(conn, link, filter)?;
        if !groups.is_empty() {
            return Ok(Some(Error::DuplicateKeys {
                table: link.table.to_owned(),
                legacy_table: link.legacy.to_owned(),
                column: link.key_names(),
                sample_keys: groups,
            }));
        }
        Ok(None)
    })();
    match explained {
        Ok(Some(error)) => error,
        Ok(None) | Err(_) => fail(source),
    }
}

/// [`Error::RejectedRows`] for these counts.
pub(crate) fn rejected(link: &Link, nulls: Vec<NullCount>) -> Error {
    Error::RejectedRows {
        table: link.table.to_owned(),
        legacy_table: link.legacy.to_owned(),
        nulls,
    }
}

/// Keys an `INTEGER PRIMARY KEY` cannot take: not integers, and not text or reals that
/// convert to one without loss (SQLite's integer affinity, which a comparison with a CAST
/// to INTEGER applies to the legacy value). Only a one-column key is an integer key.
fn not_integers(conn: &Connection, link: &Link, filter: &str) -> rusqlite::Result<Vec<String>> {
    let key = format!("l.{}", quoted(link.key_source()));
    strings(
        conn,
        &format!(
            "SELECT quote({key}) FROM {} AS l WHERE ({filter})
               AND typeof({key}) NOT IN ('integer', 'null')
               AND NOT (typeof({key}) IN ('real', 'text') AND {key} = CAST({key} AS INTEGER))
             LIMIT {SAMPLE}",
            main(link.legacy)
        ),
    )
}

/// The first column of a `STRICT` table that a legacy value cannot go into: STRICT applies
/// the column's affinity, then refuses a value not of the column's type. Each value is put
/// through a TEMP column of that affinity, so SQLite makes exactly the conversion the copy
/// did, and its storage class is then compared. Runs only after a failed copy, inside the
/// migration's transaction, which then rolls back.
fn strict_refusals(
    conn: &Connection,
    link: &Link,
    filter: &str,
) -> rusqlite::Result<Option<Error>> {
    const SCRATCH: &str = "temp.wrkflw_strict_check";
    for (column, source) in &link.pairs {
        let (declared, class) = match column.sql_type {
            SqlType::Text => ("TEXT", "text"),
            SqlType::Integer => ("INTEGER", "integer"),
            SqlType::Real => ("REAL", "real"),
            SqlType::Blob => ("BLOB", "blob"),
        };
        conn.execute_batch(&format!(
            "CREATE TEMP TABLE wrkflw_strict_check (value {declared}, legacy_key);
             INSERT INTO {SCRATCH} SELECT l.{}, {} FROM {} AS l WHERE ({filter});",
            quoted(source),
            link.logged_key("l"),
            main(link.legacy),
        ))?;
        let refused = strings(
            conn,
            &format!(
                "SELECT {} FROM {SCRATCH} WHERE value IS NOT NULL AND typeof(value) <> '{class}'
                 LIMIT {SAMPLE}",
                link.shown_logged("legacy_key"),
            ),
        );
        conn.execute_batch(&format!("DROP TABLE {SCRATCH}"))?;
        let refused = refused?;
        if !refused.is_empty() {
            return Ok(Some(Error::WrongType {
                table: link.table.to_owned(),
                legacy_table: link.legacy.to_owned(),
                column: source.clone(),
                expected: format!("{declared} values (the table is STRICT)"),
                sample_keys: refused,
            }));
        }
    }
    Ok(None)
}

/// Groups of legacy keys that are one key as the table stores it: each key is put through
/// TEMP columns of the table key's types, so SQLite applies exactly the conversion the copy
/// did. Runs only inside the migration's transaction, after a failure it rolls back.
fn colliding_keys(conn: &Connection, link: &Link, filter: &str) -> rusqlite::Result<Vec<String>> {
    const SCRATCH: &str = "temp.wrkflw_key_check";
    // `key` for a one-column key, `key_1`, `key_2`, ... for a composite one.
    let names: Vec<String> = match link.keys.len() {
        1 => vec!["key".to_owned()],
        n => (1..=n).map(|i| format!("key_{i}")).collect(),
    };
    let declared: Vec<String> = names
        .iter()
        .zip(&link.keys)
        .map(|(name, (column, _))| {
            let key_type = match column.sql_type {
                SqlType::Text => "TEXT",
                SqlType::Integer => "INTEGER",
                SqlType::Real => "REAL",
                SqlType::Blob => "BLOB",
            };
            format!("{name} {key_type}")
        })
        .collect();
    let sources: Vec<String> = link
        .keys
        .iter()
        .map(|(_, s)| format!("l.{}", quoted(s)))
        .collect();
    let not_null: Vec<String> = names.iter().map(|n| format!("{n} IS NOT NULL")).collect();
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE wrkflw_key_check ({}, legacy_key);
         INSERT INTO {SCRATCH} SELECT {}, {} FROM {} AS l WHERE ({filter});",
        declared.join(", "),
        sources.join(", "),
        link.logged_key("l"),
        main(link.legacy),
    ))?;
    let groups = strings(
        conn,
        &format!(
            "SELECT group_concat({}, ', ' ORDER BY legacy_key) FROM {SCRATCH}
             WHERE {} GROUP BY {} HAVING count(*) > 1 LIMIT {SAMPLE}",
            link.shown_logged("legacy_key"),
            not_null.join(" AND "),
            names.join(", "),
        ),
    );
    conn.execute_batch(&format!("DROP TABLE {SCRATCH}"))?;
    groups
}

/// After a copy into a table that already held rows: how many legacy rows' keys the table
/// lacks, and how many it holds with other values (the table's row was kept).
pub(crate) fn compare_by_key(conn: &Connection, link: &Link) -> rusqlite::Result<(u64, u64)> {
    let lookup = |extra: &str| {
        format!(
            "SELECT 1 FROM {} AS n WHERE {}{extra}",
            main(link.table),
            link.same_key("n", "l")
        )
    };
    conn.query_row(
        &format!(
            "SELECT coalesce(sum(NOT EXISTS ({})), 0), coalesce(sum(EXISTS ({})), 0) FROM {} AS l",
            lookup(""),
            lookup(&format!(" AND NOT ({})", link.equal("n", "l"))),
            main(link.legacy)
        ),
        [],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )
}

/// Up to five keys of legacy rows `WHERE {filter}` that the table lacks.
pub(crate) fn missing_keys(
    conn: &Connection,
    link: &Link,
    filter: &str,
) -> rusqlite::Result<(u64, Vec<String>)> {
    let from = format!(
        "FROM {} AS l WHERE ({filter}) AND {}",
        main(link.legacy),
        link.not_in_table("l")
    );
    let missing: i64 = conn.query_row(&format!("SELECT count(*) {from}"), [], |row| row.get(0))?;
    let sample = strings(
        conn,
        &format!("SELECT {} {from} LIMIT {SAMPLE}", link.shown_key("l")),
    )?;
    Ok((missing as u64, sample))
}

/// Groups of legacy keys that the table holds as one (`'01'` and `'1'` in an integer key),
/// found by joining on the table's key. Only possible when the two keys' affinities differ.
pub(crate) fn keys_sharing_a_row(conn: &Connection, link: &Link) -> rusqlite::Result<Vec<String>> {
    let legacy_key: Vec<String> = link
        .keys
        .iter()
        .map(|(_, s)| format!("l.{}", quoted(s)))
        .collect();
    let table_key: Vec<String> = link
        .keys
        .iter()
        .map(|(c, _)| format!("n.{}", quoted(c.name)))
        .collect();
    strings(
        conn,
        &format!(
            "SELECT group_concat({}, ', ' ORDER BY {}) FROM {} AS l JOIN {} AS n ON {}
             GROUP BY {} HAVING count(*) > 1 LIMIT {SAMPLE}",
            link.shown_key("l"),
            legacy_key.join(", "),
            main(link.legacy),
            main(link.table),
            link.same_key("n", "l"),
            table_key.join(", "),
        ),
    )
}

fn strings(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    rows.collect()
}
