//! Drift: how an existing table differs from its struct. Columns the struct gained that can
//! be added (nullable or defaulted) become `ALTER TABLE ... ADD COLUMN`; any other difference
//! is [`Error::SchemaDrift`], listing each, before anything is written.

use rusqlite::Connection;

use crate::error::{sqlite_error, Step};
use crate::schema::{self, TableColumn};
use crate::spec::TableSpec;
use crate::sql_text::{main, normalized_default, quoted};
use crate::{Column, Error, Result};

/// Compares the existing table with the struct. Returns the columns to add (new in the
/// struct, nullable or with a default); any other difference is a [`Error::SchemaDrift`].
pub(crate) fn drift<'s>(
    conn: &Connection,
    spec: &'s TableSpec,
    existing: &[TableColumn],
) -> Result<Vec<&'s Column>> {
    let mut differences = Vec::new();
    let mut added = Vec::new();
    for column in spec.columns {
        let Some(found) = existing
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(column.name))
        else {
            if column.primary_key {
                differences.push(format!(
                    "primary key `{}` is not in the table; a key cannot be added to a table",
                    column.name
                ));
            } else if column.nullable || column.default.is_some() {
                added.push(column);
            } else {
                differences.push(format!(
                    "column `{}` is new, NOT NULL and has no default, so the rows already in the table would have no value for it; make it `Option<_>` or give it a `default`",
                    column.name
                ));
            }
            continue;
        };
        let declared = found.declared_type.to_ascii_uppercase();
        if declared != column.sql_type.as_str() {
            differences.push(format!(
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
            differences.push(format!(
                "column `{}` is generated in the table but a stored column in the struct",
                column.name
            ));
        }
        // Keys and values compare by the column's collation: another one would make the
        // table hold `'A'` and `'a'` as one key, or find a row the legacy table holds apart.
        let collation = schema::collation(conn, spec.table, &found.name)
            .map_err(sqlite_error(spec.table, Step::Inspect))?;
        if !collation.eq_ignore_ascii_case("BINARY") {
            differences.push(format!(
                "column `{}` compares with COLLATE {collation} in the table but BINARY in the struct",
                column.name
            ));
        }
        if found.primary_key != column.primary_key {
            differences.push(format!(
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
            differences.push(format!(
                "column `{}` is {} in the table but {} in the struct",
                column.name,
                null_word(found.not_null),
                null_word(!column.nullable)
            ));
        }
        let table_default = found.default.as_deref().map(normalized_default);
        let struct_default = column.default.map(normalized_default);
        if table_default != struct_default {
            differences.push(format!(
                "column `{}` has DEFAULT {} in the table but {} in the struct",
                column.name,
                table_default.unwrap_or("(none)"),
                struct_default.unwrap_or("(none)")
            ));
        }
    }
    for found in existing {
        if !spec
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&found.name))
        {
            differences.push(format!(
                "column `{}` is in the table but not in the struct",
                found.name
            ));
        }
    }
    if differences.is_empty() {
        Ok(added)
    } else {
        Err(Error::SchemaDrift {
            table: spec.table.to_owned(),
            differences,
        })
    }
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
