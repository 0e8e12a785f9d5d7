//! The constraints a copy must not break, checked before anything of the table is written:
//! foreign keys (rows pointing at nothing) and unique indexes (two rows under one value).
//! Foreign keys are checked again with SQLite's own `PRAGMA foreign_key_check` after the
//! copy, whether or not the connection enforces them, so that a transaction never commits
//! rows that point at nothing.

use rusqlite::Connection;

use crate::error::{sqlite_error, Step};
use crate::link::Link;
use crate::schema;
use crate::spec::TableSpec;
use crate::sql_text::{main, quoted};
use crate::{Error, Index, Result, SqlType};

/// How many sample values an error shows.
const SAMPLE: usize = 5;

/// Refuses a copy of the legacy rows `WHERE {filter}` (on `l`) that would leave a
/// `references` column pointing at no row of its table, as that table is now (earlier tables
/// of the same `Migrator` have been copied already: referenced tables run first).
///
/// A column that references its own table may point at a row that arrives in the same copy,
/// so there the legacy rows count as well; and so do the legacy rows of a referenced table
/// among `earlier` (tables of the same `Migrator` that come first), so that `plan`, which
/// does not run them, agrees with `migrate`, which has.
pub(crate) fn refuse_dangling_references(
    conn: &Connection,
    spec: &TableSpec,
    link: &Link,
    filter: &str,
    earlier: &[TableSpec],
) -> Result<()> {
    let fail = sqlite_error(spec.table, Step::Verify);
    for (column, source) in &link.pairs {
        let Some(fk) = column.references else {
            continue;
        };
        let source = format!("l.{}", quoted(source));
        let arriving = if fk.table.eq_ignore_ascii_case(spec.table) {
            link.pairs
                .iter()
                .find(|(c, _)| c.name.eq_ignore_ascii_case(fk.column))
                .map(|(_, key_source)| {
                    format!(
                        " AND NOT EXISTS (SELECT 1 FROM {} AS a WHERE a.{} = {source})",
                        main(link.legacy),
                        quoted(key_source)
                    )
                })
                .unwrap_or_default()
        } else {
            arriving_from_earlier(conn, fk.table, earlier, &source).map_err(&fail)?
        };
        let parent_exists =
            schema::kind(conn, fk.table).map_err(&fail)?.as_deref() == Some("table");
        let no_parent = if parent_exists {
            format!(
                "NOT EXISTS (SELECT 1 FROM {} AS p WHERE p.{} = {source})",
                main(fk.table),
                quoted(fk.column)
            )
        } else {
            "true".to_owned()
        };
        let from = format!(
            "FROM {} AS l WHERE ({filter}) AND {source} IS NOT NULL AND {no_parent}{arriving}",
            main(link.legacy)
        );
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) {from}"), [], |row| row.get(0))
            .map_err(&fail)?;
        if rows > 0 {
            let sample_values = strings(
                conn,
                &format!("SELECT DISTINCT quote({source}) {from} LIMIT {SAMPLE}"),
            )
            .map_err(&fail)?;
            return Err(Error::DanglingReferences {
                table: spec.table.to_owned(),
                column: column.name.to_owned(),
                parent: fk.table.to_owned(),
                rows: rows as u64,
                sample_values,
            });
        }
    }
    Ok(())
}

/// `AND NOT EXISTS (...)` over the legacy table of `parent` when a table of `earlier`
/// migrates it from one that exists: its rows arrive in this run.
pub(crate) fn arriving_from_earlier(
    conn: &Connection,
    parent: &str,
    earlier: &[TableSpec],
    source: &str,
) -> rusqlite::Result<String> {
    let Some((legacy, key)) = earlier
        .iter()
        .filter(|t| t.table.eq_ignore_ascii_case(parent))
        .find_map(|t| Some((t.legacy?, t.primary_key()?)))
    else {
        return Ok(String::new());
    };
    if schema::kind(conn, legacy)?.as_deref() != Some("table") {
        return Ok(String::new());
    }
    // The legacy column the key is read from: its old name, else its own (as the copy reads).
    let columns = schema::columns(conn, legacy)?;
    let Some(read) = [key.legacy_name(), key.name]
        .into_iter()
        .find(|name| columns.iter().any(|c| c.name.eq_ignore_ascii_case(name)))
    else {
        return Ok(String::new());
    };
    Ok(format!(
        " AND NOT EXISTS (SELECT 1 FROM {} AS e WHERE e.{} = {source})",
        main(legacy),
        quoted(read)
    ))
}

/// SQLite's own check of the table's foreign keys, run after a copy before commit: it sees
/// what the connection's enforcement would have refused, enforced or not.
pub(crate) fn foreign_key_check(conn: &Connection, spec: &TableSpec) -> Result<()> {
    if !spec.columns.iter().any(|c| c.references.is_some()) {
        return Ok(());
    }
    let fail = sqlite_error(spec.table, Step::Verify);
    // (foreign key id, rows, sample rowids) per violated key.
    let mut stmt = conn
        .prepare(
            "SELECT fkid, count(*), group_concat(rowid) FROM
               (SELECT fkid, rowid FROM pragma_foreign_key_check(?1, 'main'))
             GROUP BY fkid ORDER BY fkid LIMIT 1",
        )
        .map_err(&fail)?;
    let violated = stmt
        .query_row([spec.table], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(&fail)?;
    let Some((fkid, rows, rowids)) = violated else {
        return Ok(());
    };
    let (column, parent): (String, String) = conn
        .query_row(
            "SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1, 'main') WHERE id = ?2",
            rusqlite::params![spec.table, fkid],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(&fail)?;
    let rowids: Vec<i64> = rowids
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.parse().ok())
        .take(SAMPLE)
        .collect();
    let mut sample_values = Vec::new();
    for rowid in rowids {
        let value: String = conn
            .query_row(
                &format!(
                    "SELECT quote({}) FROM {} WHERE rowid = ?1",
                    quoted(&column),
                    main(spec.table)
                ),
                [rowid],
                |row| row.get(0),
            )
            .map_err(&fail)?;
        if !sample_values.contains(&value) {
            sample_values.push(value);
        }
    }
    Err(Error::DanglingReferences {
        table: spec.table.to_owned(),
        column,
        parent,
        rows: rows as u64,
        sample_values,
    })
}

/// Refuses a unique index that rows would break: values held by more than one row.
/// `values` is a `SELECT` of the index's columns as `v1, v2, ...`, one row per row the index
/// would hold; `found_in` names where they come from. Values are grouped byte for byte, as
/// the index compares them, and NULLs never clash in a unique index, so rows with one are
/// left out.
pub(crate) fn refuse_duplicates(
    conn: &Connection,
    spec: &TableSpec,
    index: &'static Index,
    found_in: &str,
    values: &str,
) -> Result<()> {
    let fail = sqlite_error(spec.table, Step::Verify);
    let names: Vec<String> = (1..=index.columns.len()).map(|i| format!("v{i}")).collect();
    let not_null: Vec<String> = names.iter().map(|v| format!("{v} IS NOT NULL")).collect();
    let shown: Vec<String> = names.iter().map(|v| format!("quote({v})")).collect();
    let group: Vec<String> = names
        .iter()
        .map(|v| format!("{v} COLLATE BINARY"))
        .collect();
    let groups = format!(
        "SELECT {} AS shown FROM ({values}) WHERE {} GROUP BY {} HAVING count(*) > 1",
        shown.join(" || ', ' || "),
        not_null.join(" AND "),
        group.join(", ")
    );
    let duplicates: i64 = conn
        .query_row(&format!("SELECT count(*) FROM ({groups})"), [], |row| {
            row.get(0)
        })
        .map_err(&fail)?;
    if duplicates == 0 {
        return Ok(());
    }
    let sample_values = strings(
        conn,
        &format!("SELECT shown FROM ({groups}) LIMIT {SAMPLE}"),
    )
    .map_err(&fail)?;
    Err(Error::UniqueViolation {
        table: spec.table.to_owned(),
        index: index.name,
        columns: index.columns,
        found_in: found_in.to_owned(),
        duplicates: duplicates as u64,
        sample_values,
    })
}

/// The rows of `table` as a unique index on it holds them: `SELECT n.a AS v1, ... FROM table`.
pub(crate) fn table_values(table: &str, index: &Index) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("n.{} AS v{}", quoted(c), i + 1))
        .collect();
    format!("SELECT {} FROM {} AS n", columns.join(", "), main(table))
}

/// For each unique index, the values the legacy rows `WHERE {filter}` (on `l`) bring into it,
/// as [`refuse_duplicates`] takes them, followed by the rows the table holds already when it
/// exists: each column from the legacy column that fills it, or its default where the legacy
/// table lacks it, converted to text where the column is TEXT, as its affinity would. An
/// index with a column left NULL is skipped: NULLs never clash.
pub(crate) fn legacy_values(
    spec: &TableSpec,
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
                    let column = spec.columns.iter().find(|c| c.name == *name)?;
                    let value = match link.pairs.iter().find(|(c, _)| c.name == *name) {
                        Some((_, source)) => format!("l.{}", quoted(source)),
                        None => format!("({})", column.default?),
                    };
                    let value = match column.sql_type {
                        SqlType::Text => format!("CAST({value} AS TEXT)"),
                        _ => value,
                    };
                    Some(format!("{value} AS v{}", i + 1))
                })
                .collect();
            let mut values = format!(
                "SELECT {} FROM {} AS l WHERE ({filter})",
                columns?.join(", "),
                main(link.legacy)
            );
            if table_exists {
                values = format!("{values} UNION ALL {}", table_values(spec.table, index));
            }
            Some((index, values))
        })
        .collect()
}

fn strings(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{wrkflw_table, Table};

    #[wrkflw_table]
    struct Parent {
        #[wrkflw(primary_key)]
        id: i64,
    }

    #[wrkflw_table]
    struct Child {
        #[wrkflw(primary_key)]
        id: i64,
        #[wrkflw(references = Parent)]
        parent: i64,
    }

    #[test]
    fn sqlites_check_names_the_column_the_parent_and_the_values() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = OFF; {}; {};
             INSERT INTO wrkflw_parent VALUES (1);
             INSERT INTO wrkflw_child VALUES (1, 1), (2, 7), (3, 7), (4, 8);",
            Parent::CREATE_SQL,
            Child::CREATE_SQL
        ))
        .unwrap();
        let spec = TableSpec::of::<Child>();
        match foreign_key_check(&conn, &spec) {
            Err(Error::DanglingReferences {
                table,
                column,
                parent,
                rows,
                sample_values,
            }) => {
                assert_eq!(
                    (table.as_str(), column.as_str(), parent.as_str(), rows),
                    ("wrkflw_child", "parent", "wrkflw_parent", 3)
                );
                assert_eq!(sample_values, ["7", "8"]);
            }
            other => panic!("{other:?}"),
        }
        conn.execute("DELETE FROM wrkflw_child WHERE parent <> 1", [])
            .unwrap();
        assert!(foreign_key_check(&conn, &spec).is_ok());
        assert!(foreign_key_check(&conn, &TableSpec::of::<Parent>()).is_ok());
    }
}
