//! A table's constants, taken out of the generic `T` so that the migration code is compiled
//! once, not once per table, and the statements the runtime derives from them.

use crate::{Column, Index, LegacyTable, SqlType, Table};

#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    pub(crate) table: &'static str,
    pub(crate) legacy: Option<&'static str>,
    pub(crate) create_sql: &'static str,
    pub(crate) index_sql: &'static [&'static str],
    pub(crate) indexes: &'static [Index],
    pub(crate) columns: &'static [Column],
    /// Columns the struct consents to discard in a rebuild (`Table::DROP_COLUMNS`).
    pub(crate) drop_columns: &'static [&'static str],
    /// `Table::migration_sql`: the generated script, for `Migrator::migration_sql`.
    pub(crate) migration_sql: fn(LegacyTable) -> &'static str,
}

/// How `#[wrkflw_table]` begins the statements it generates.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS ";
const CREATE_INDEX: &str = "CREATE INDEX IF NOT EXISTS ";
const CREATE_UNIQUE_INDEX: &str = "CREATE UNIQUE INDEX IF NOT EXISTS ";

impl TableSpec {
    pub(crate) fn of<T: Table>() -> TableSpec {
        TableSpec {
            table: T::TABLE_NAME,
            legacy: T::LEGACY_TABLE_NAME,
            create_sql: T::CREATE_SQL,
            index_sql: T::INDEX_SQL,
            indexes: T::INDEXES,
            columns: T::COLUMNS,
            drop_columns: T::DROP_COLUMNS,
            migration_sql: T::migration_sql,
        }
    }

    /// The primary key's first column (its only one, unless the key is composite).
    pub(crate) fn primary_key(&self) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.primary_key)
    }

    /// The key's columns, in field order.
    pub(crate) fn key_columns(&self) -> impl Iterator<Item = &'static Column> {
        self.columns.iter().filter(|c| c.primary_key)
    }

    /// The table options after the column list of `CREATE_SQL` (`STRICT`, `WITHOUT ROWID`),
    /// upper-cased: only they follow its last closing parenthesis.
    fn table_options(&self) -> String {
        self.create_sql
            .rsplit_once(')')
            .map_or(String::new(), |(_, options)| options.to_ascii_uppercase())
    }

    /// Whether the struct's table is `STRICT`.
    pub(crate) fn strict(&self) -> bool {
        self.table_options()
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word == "STRICT")
    }

    /// Whether the struct's table is a `WITHOUT ROWID` table.
    pub(crate) fn without_rowid(&self) -> bool {
        self.table_options()
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word == "WITHOUT")
    }

    /// Whether the struct consents to discard the table's column `name` in a rebuild.
    pub(crate) fn consents_to_drop(&self, name: &str) -> bool {
        self.drop_columns
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    /// Whether the key is an `INTEGER PRIMARY KEY`: SQLite's rowid under another name, which
    /// turns an inserted NULL into a new number instead of refusing it. A composite key is
    /// never the rowid.
    pub(crate) fn key_is_rowid(&self) -> bool {
        let mut keys = self.key_columns();
        match (keys.next(), keys.next()) {
            (Some(key), None) => key.sql_type == SqlType::Integer,
            _ => false,
        }
    }

    /// `CREATE_SQL` as the runtime runs it, on a table it has checked is not there yet:
    /// `CREATE TABLE main.{table} (...)`. SQLite stores it without `main.`, as the constant
    /// reads without `IF NOT EXISTS`.
    pub(crate) fn create_statement(&self) -> String {
        in_main(self.create_sql, CREATE_TABLE, "CREATE TABLE ")
    }

    /// The `INDEX_SQL` statement of `column`'s index, as the runtime runs it:
    /// `CREATE INDEX main.idx_... ON {table} (...)`. SQLite looks the table up in the
    /// index's schema.
    pub(crate) fn index_statement(&self, sql: &str) -> String {
        if sql.starts_with(CREATE_UNIQUE_INDEX) {
            in_main(sql, CREATE_UNIQUE_INDEX, "CREATE UNIQUE INDEX ")
        } else {
            in_main(sql, CREATE_INDEX, "CREATE INDEX ")
        }
    }

    /// The indexes with their `INDEX_SQL` statements.
    pub(crate) fn indexes(&self) -> impl Iterator<Item = (&'static Index, &'static str)> + '_ {
        self.indexes.iter().zip(self.index_sql.iter().copied())
    }
}

/// `head name rest` → `create main.name rest`, for the statements `#[wrkflw_table]` writes.
fn in_main(sql: &str, head: &str, create: &str) -> String {
    match sql.strip_prefix(head) {
        Some(rest) => format!("{create}main.{rest}"),
        // Not the generated shape (a hand-written `Table` impl): run it as it is.
        None => sql.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::in_main;

    #[test]
    fn generated_statements_are_pointed_at_main() {
        assert_eq!(
            in_main(
                "CREATE TABLE IF NOT EXISTS runs (\n  id TEXT\n)",
                super::CREATE_TABLE,
                "CREATE TABLE "
            ),
            "CREATE TABLE main.runs (\n  id TEXT\n)"
        );
        assert_eq!(
            in_main(
                "CREATE INDEX IF NOT EXISTS idx_runs_a ON runs (a)",
                super::CREATE_INDEX,
                "CREATE INDEX "
            ),
            "CREATE INDEX main.idx_runs_a ON runs (a)"
        );
        assert_eq!(
            in_main("CREATE TABLE x (a)", super::CREATE_TABLE, "CREATE TABLE "),
            "CREATE TABLE x (a)"
        );
    }
}
