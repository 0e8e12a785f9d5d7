//! Drift: how an existing table differs from its struct, sorted by what can settle each
//! difference. A field renamed with `rename_from` whose old column is still there is an
//! `ALTER TABLE ... RENAME COLUMN`; columns the struct gained that can be added (nullable or
//! defaulted) are `ALTER TABLE ... ADD COLUMN`; anything else ALTER cannot express needs the
//! table rebuilt ([`crate::rebuild`] plans that, or refuses); and a difference no statement
//! can settle (rows that would have no value for a new required column) is
//! [`Error::SchemaDrift`](crate::Error::SchemaDrift).

use rusqlite::Connection;

use crate::constraints;
use crate::error::{sqlite_error, Step};
use crate::schema::{self, TableColumn};
use crate::spec::TableSpec;
use crate::sql_text::{main, normalized_default, quoted};
use crate::{Column, Result};

/// The differences between the table and the struct.
#[derive(Debug)]
pub(crate) struct Drift {
    /// Fields whose `rename_from` column is in the table under its old name: (old name,
    /// field).
    pub(crate) renames: Vec<(String, &'static Column)>,
    /// Fields new in the struct that `ADD COLUMN` can add.
    pub(crate) added: Vec<&'static Column>,
    /// Why the table needs a rebuild, one sentence each; empty when ALTER is enough.
    pub(crate) rebuild: Vec<String>,
    /// Differences nothing can settle by itself, each saying what would.
    pub(crate) blocking: Vec<String>,
    /// Each field with the table's column it keeps (after the renames), in field order.
    pub(crate) matched: Vec<(&'static Column, TableColumn)>,
    /// Columns of the table that no field keeps.
    pub(crate) removed: Vec<TableColumn>,
}

/// Compares the existing table with the struct.
pub(crate) fn drift(
    conn: &Connection,
    spec: &TableSpec,
    existing: &[TableColumn],
    earlier: &[TableSpec],
) -> Result<Drift> {
    let inspect = sqlite_error(spec.table, Step::Inspect);
    let find = |name: &str| existing.iter().find(|c| c.name.eq_ignore_ascii_case(name));
    let mut drift = Drift {
        renames: Vec::new(),
        added: Vec::new(),
        rebuild: Vec::new(),
        blocking: Vec::new(),
        matched: Vec::new(),
        removed: Vec::new(),
    };
    // Asked once, only when a difference depends on it.
    let mut has_rows = None;
    let mut holds_rows = || -> Result<bool> {
        if let Some(known) = has_rows {
            return Ok(known);
        }
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", main(spec.table));
        let known = conn
            .query_row(&sql, [], |row| row.get(0))
            .map_err(&inspect)?;
        has_rows = Some(known);
        Ok(known)
    };
    for column in spec.columns {
        let renamed = column
            .rename_from
            .filter(|_| find(column.name).is_none())
            .and_then(find);
        let Some(found) = find(column.name).or(renamed) else {
            if column.primary_key {
                if holds_rows()? {
                    drift.blocking.push(format!(
                        "primary key `{}` is not in the table, and the rows already there have no value for it; \
                         keep the key the table has, or empty the table",
                        column.name
                    ));
                } else {
                    drift
                        .rebuild
                        .push(format!("primary key `{}` is not in the table", column.name));
                }
            } else if column.nullable || column.default.is_some() {
                drift.added.push(column);
            } else if holds_rows()? {
                drift.blocking.push(format!(
                    "column `{}` is new, NOT NULL and has no default, so the rows already in the table would have no value for it; make it `Option<_>` or give it a `default`",
                    column.name
                ));
            } else {
                drift.rebuild.push(format!(
                    "column `{}` is new, NOT NULL and has no default (ADD COLUMN cannot add it)",
                    column.name
                ));
            }
            continue;
        };
        if renamed.is_some() {
            drift.renames.push((found.name.clone(), column));
        }
        drift.matched.push((column, found.clone()));
        let declared = found.declared_type.to_ascii_uppercase();
        if declared != column.sql_type.as_str() {
            drift.rebuild.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                if declared.is_empty() {
                    "untyped"
                } else {
                    &declared
                },
                column.sql_type
            ));
        }
        if found.generated {
            drift.rebuild.push(format!(
                "column `{}` is generated in the table but a stored column in the struct",
                column.name
            ));
        }
        // Keys and values compare by the column's collation: another one would make the
        // table hold `'A'` and `'a'` as one key, or find a row the legacy table holds apart.
        let collation = schema::collation(conn, spec.table, &found.name).map_err(&inspect)?;
        if !collation.eq_ignore_ascii_case("BINARY") {
            drift.rebuild.push(format!(
                "column `{}` compares with COLLATE {collation} in the table but BINARY in the struct",
                column.name
            ));
        }
        if found.primary_key != column.primary_key {
            drift.rebuild.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                key_word(found.primary_key),
                key_word(column.primary_key)
            ));
        }
        // The original library declared its keys without NOT NULL; wrkflw refuses NULL keys
        // when it copies, so such a key is not drift.
        let tolerated = column.primary_key && found.primary_key && !found.not_null;
        if found.not_null == column.nullable && !tolerated {
            drift.rebuild.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                null_word(found.not_null),
                null_word(!column.nullable)
            ));
        }
        let table_default = found.default.as_deref().map(normalized_default);
        let struct_default = column.default.map(normalized_default);
        if table_default != struct_default {
            drift.rebuild.push(format!(
                "column `{}` has DEFAULT {} in the table but {} in the struct",
                column.name,
                table_default.unwrap_or("(none)"),
                struct_default.unwrap_or("(none)")
            ));
        }
    }
    for found in existing {
        let kept = drift
            .matched
            .iter()
            .any(|(_, c)| c.name.eq_ignore_ascii_case(&found.name));
        if !kept {
            drift.rebuild.push(format!(
                "column `{}` is in the table but not in the struct",
                found.name
            ));
            drift.removed.push(found.clone());
        }
    }
    let table_strict = schema::is_strict(conn, spec.table).map_err(&inspect)?;
    if table_strict != spec.strict() {
        drift.rebuild.push(if table_strict {
            "the table is STRICT but the struct's is not".to_owned()
        } else {
            "the struct's table is STRICT but the table is not".to_owned()
        });
    }
    foreign_key_drift(conn, spec, earlier, &mut drift)?;
    Ok(drift)
}

/// The table's foreign keys against the struct's `references`: one added, removed or
/// changed (another table, key or `ON DELETE`) needs a rebuild, since `ALTER TABLE` cannot
/// change foreign keys. A new one the rows already break is blocking, with the count and
/// sample values, so that nothing is written. A referenced table among `earlier` (tables of
/// the same run that come first) counts its legacy rows as there, as the copy does.
fn foreign_key_drift(
    conn: &Connection,
    spec: &TableSpec,
    earlier: &[TableSpec],
    drift: &mut Drift,
) -> Result<()> {
    let inspect = sqlite_error(spec.table, Step::Inspect);
    let found = schema::foreign_keys(conn, spec.table).map_err(&inspect)?;
    for column in spec.columns {
        let declared = column.references;
        let existing = found
            .iter()
            .find(|fk| fk.from.eq_ignore_ascii_case(column.name));
        let same = match (declared, existing) {
            (None, None) => continue,
            (Some(want), Some(have)) => {
                want.table.eq_ignore_ascii_case(&have.table)
                    && have
                        .to
                        .as_deref()
                        .is_none_or(|to| to.eq_ignore_ascii_case(want.column))
                    && want
                        .on_delete
                        .as_sql()
                        .eq_ignore_ascii_case(&have.on_delete)
            }
            _ => false,
        };
        if same {
            continue;
        }
        drift.rebuild.push(match (declared, existing) {
            (Some(want), None) => format!(
                "column `{}` references `{}` in the struct but nothing in the table",
                column.name, want.table
            ),
            (None, Some(have)) => format!(
                "column `{}` references `{}` in the table but nothing in the struct",
                column.name, have.table
            ),
            (Some(want), Some(have)) => format!(
                "column `{}` references `{}` ON DELETE {} in the table but `{}` ON DELETE {} in the struct",
                column.name,
                have.table,
                have.on_delete,
                want.table,
                want.on_delete.as_sql()
            ),
            (None, None) => unreachable!("skipped above"),
        });
        let Some(want) = declared else { continue };
        let Some((_, kept)) = drift.matched.iter().find(|(c, _)| c.name == column.name) else {
            continue;
        };
        // Rows that would point at nothing once the key is there: refused before writing.
        let value = format!("o.{}", quoted(&kept.name));
        let parent = format!(
            "{} AS p WHERE p.{} = {value}",
            main(want.table),
            quoted(want.column)
        );
        let parent_exists =
            schema::kind(conn, want.table).map_err(&inspect)?.as_deref() == Some("table");
        let mut dangling = if parent_exists {
            format!("NOT EXISTS (SELECT 1 FROM {parent})")
        } else {
            "true".to_owned()
        };
        dangling += &constraints::arriving_from_earlier(conn, want.table, earlier, &value)
            .map_err(&inspect)?;
        let from = format!(
            "FROM {} AS o WHERE {value} IS NOT NULL AND {dangling}",
            main(spec.table)
        );
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) {from}"), [], |row| row.get(0))
            .map_err(&inspect)?;
        if rows > 0 {
            let mut stmt = conn
                .prepare(&format!("SELECT DISTINCT quote({value}) {from} LIMIT 5"))
                .map_err(&inspect)?;
            let values: Vec<String> = stmt
                .query_map([], |row| row.get(0))
                .map_err(&inspect)?
                .collect::<rusqlite::Result<_>>()
                .map_err(&inspect)?;
            drift.blocking.push(format!(
                "column `{}` now references `{}`, and {rows} row{} of the table point at no row there (values {}); \
                 give them a `{}` row, correct or delete them, or drop `references`",
                column.name,
                want.table,
                if rows == 1 { "" } else { "s" },
                values.join(", "),
                want.table
            ));
        }
    }
    Ok(())
}

fn key_word(primary_key: bool) -> &'static str {
    if primary_key {
        "the primary key"
    } else {
        "not the primary key"
    }
}

fn null_word(not_null: bool) -> &'static str {
    if not_null {
        "NOT NULL"
    } else {
        "nullable"
    }
}

/// `ALTER TABLE ... ADD COLUMN` for a column the struct gained.
pub(crate) fn add_column_sql(table: &str, column: &Column) -> String {
    let mut sql = format!(
        "ALTER TABLE {} ADD COLUMN {} {}",
        main(table),
        quoted(column.name),
        column.sql_type
    );
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = column.default {
        sql.push_str(&format!(" DEFAULT ({default})"));
    }
    sql
}

/// `ALTER TABLE ... RENAME COLUMN` for a field renamed with `rename_from`.
pub(crate) fn rename_column_sql(table: &str, from: &str, to: &str) -> String {
    format!(
        "ALTER TABLE {} RENAME COLUMN {} TO {}",
        main(table),
        quoted(from),
        quoted(to)
    )
}
