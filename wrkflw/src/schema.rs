//! Reading what a database holds: objects by name, a table's columns, their collations and
//! keys, who owns an index, what else uses a table, the journal mode. Everything here reads
//! the `main` schema only, with names as bound parameters.

use rusqlite::{Connection, OptionalExtension};

use crate::sql_text::mentions;

/// One column as `PRAGMA table_xinfo` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableColumn {
    pub(crate) name: String,
    /// The declared type as written (`TEXT`, `integer`, `VARCHAR(20)`, or empty).
    pub(crate) declared_type: String,
    pub(crate) not_null: bool,
    /// The `DEFAULT` expression's text, without its outer parentheses.
    pub(crate) default: Option<String>,
    pub(crate) primary_key: bool,
    /// A generated column (`GENERATED ALWAYS AS ...`, virtual or stored): readable, never
    /// written.
    pub(crate) generated: bool,
}

/// What the main schema holds under `name` among tables, views and indexes, which share one
/// namespace (triggers have their own), compared as SQLite compares names: without ASCII
/// case.
pub(crate) fn kind(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT type FROM main.sqlite_schema
         WHERE type IN ('table', 'view', 'index') AND name = ?1 COLLATE NOCASE",
    )?
    .query_row([name], |row| row.get(0))
    .optional()
}

/// The columns of a table, in declaration order, generated columns included (plain
/// `PRAGMA table_info` leaves them out).
pub(crate) fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<TableColumn>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden
         FROM pragma_table_xinfo(?1, 'main') WHERE hidden <> 1 ORDER BY cid",
    )?;
    let rows = stmt.query_map([table], |row| {
        Ok(TableColumn {
            name: row.get(0)?,
            declared_type: row.get(1)?,
            not_null: row.get(2)?,
            default: row.get(3)?,
            primary_key: row.get::<_, i64>(4)? > 0,
            generated: row.get::<_, i64>(5)? >= 2,
        })
    })?;
    rows.collect()
}

/// The collation a column compares with (`BINARY` unless declared otherwise).
pub(crate) fn collation(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<String> {
    let (_, collation, ..) = conn.column_metadata(Some("main"), table, column)?;
    Ok(collation
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_else(|| "BINARY".to_owned()))
}

/// The type affinity SQLite gives a declared type (its rules, in their order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

pub(crate) fn affinity(declared_type: &str) -> Affinity {
    let upper = declared_type.to_ascii_uppercase();
    if upper.contains("INT") {
        Affinity::Integer
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|t| upper.contains(t)) {
        Affinity::Text
    } else if upper.is_empty() || upper.contains("BLOB") {
        Affinity::Blob
    } else if ["REAL", "FLOA", "DOUB"].iter().any(|t| upper.contains(t)) {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

/// Whether `key`'s columns together are unique in `table`: exactly its primary-key columns,
/// or exactly the columns of a unique index that covers every row (in any order).
pub(crate) fn is_unique(
    conn: &Connection,
    table: &str,
    key: &[&str],
    columns: &[TableColumn],
) -> rusqlite::Result<bool> {
    let same_columns = |names: &[&str]| {
        names.len() == key.len()
            && key
                .iter()
                .all(|k| names.iter().any(|n| n.eq_ignore_ascii_case(k)))
    };
    let primary_key: Vec<&str> = columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.as_str())
        .collect();
    if same_columns(&primary_key) {
        return Ok(true);
    }
    let indexes: Vec<String> = conn
        .prepare_cached(
            "SELECT name FROM pragma_index_list(?1, 'main') WHERE \"unique\" AND NOT partial",
        )?
        .query_map([table], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut index_columns =
        conn.prepare_cached("SELECT name FROM pragma_index_info(?1, 'main') ORDER BY seqno")?;
    for index in indexes {
        // An expression's column has no name: such an index is not on the key's columns.
        let names: Vec<Option<String>> = index_columns
            .query_map([&index], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let names: Option<Vec<&str>> = names.iter().map(Option::as_deref).collect();
        if names.is_some_and(|names| same_columns(&names)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The table an index belongs to, if an index of that name exists.
pub(crate) fn index_owner(conn: &Connection, index: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT tbl_name FROM main.sqlite_schema WHERE type = 'index' AND name = ?1 COLLATE NOCASE",
    )?
    .query_row([index], |row| row.get(0))
    .optional()
}

/// The other tables whose foreign keys reference `table`, in name order.
pub(crate) fn referencing_tables(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT s.name
         FROM main.sqlite_schema AS s, pragma_foreign_key_list(s.name, 'main') AS f
         WHERE s.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE AND s.name <> ?1 COLLATE NOCASE
         ORDER BY s.name",
    )?;
    let rows = stmt.query_map([table], |row| row.get(0))?;
    rows.collect()
}

/// The views, and the triggers of other tables, whose SQL uses `table`: dropping it would
/// make them fail with "no such table". Triggers on `table` itself go with it. Each as
/// "view `name`" or "trigger `name`", in name order.
pub(crate) fn objects_using(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, sql FROM main.sqlite_schema
         WHERE type IN ('view', 'trigger') AND sql IS NOT NULL AND tbl_name <> ?1 COLLATE NOCASE
         ORDER BY name",
    )?;
    let rows = stmt.query_map([table], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (kind, name, sql) = row?;
        if mentions(&sql, table) {
            found.push(format!("{kind} `{name}`"));
        }
    }
    Ok(found)
}

/// The `CREATE` statements of a table and of its explicit indexes, as stored.
pub(crate) fn definitions(
    conn: &Connection,
    table: &str,
) -> rusqlite::Result<(Option<String>, Vec<String>)> {
    let create = conn
        .query_row(
            "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [table],
            |row| row.get(0),
        )
        .optional()?
        .flatten();
    let mut stmt = conn.prepare(
        "SELECT sql FROM main.sqlite_schema
         WHERE type = 'index' AND tbl_name = ?1 COLLATE NOCASE AND sql IS NOT NULL",
    )?;
    let indexes = stmt
        .query_map([table], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((create, indexes))
}

/// A trigger as stored: the table it is on and its `CREATE TRIGGER` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredTrigger {
    pub(crate) table: String,
    pub(crate) sql: String,
}

/// The trigger of that name, if there is one.
pub(crate) fn trigger(conn: &Connection, name: &str) -> rusqlite::Result<Option<StoredTrigger>> {
    conn.prepare_cached(
        "SELECT tbl_name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND name = ?1 COLLATE NOCASE",
    )?
    .query_row([name], |row| {
        Ok(StoredTrigger {
            table: row.get(0)?,
            sql: row.get(1)?,
        })
    })
    .optional()
}

/// Whether the table is `STRICT` (`PRAGMA table_list`, SQLite 3.37 and later).
pub(crate) fn is_strict(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ?1 COLLATE NOCASE",
    )?
    .query_row([table], |row| row.get(0))
    .optional()
    .map(|strict| strict.unwrap_or(false))
}

/// Whether the table is a rowid table (not `WITHOUT ROWID`).
pub(crate) fn has_rowid(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT NOT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1 COLLATE NOCASE",
    )?
    .query_row([table], |row| row.get(0))
    .optional()
    .map(|rowid| rowid.unwrap_or(true))
}

/// Whether the connection enforces foreign keys (`PRAGMA foreign_keys`).
pub(crate) fn foreign_keys_enabled(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))
}

/// Whether `table` declares foreign keys of its own.
pub(crate) fn has_foreign_keys(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM pragma_foreign_key_list(?1, 'main'))")?
        .query_row([table], |row| row.get(0))
}

/// An index, trigger or view as stored in the main schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaObject {
    /// `index`, `trigger` or `view`.
    pub(crate) kind: String,
    pub(crate) name: String,
    /// The table an index or trigger is on; the view's own name for a view.
    pub(crate) table: String,
    /// The `CREATE` statement as stored.
    pub(crate) sql: String,
}

/// Every index, trigger and view of the main schema with stored SQL (not the indexes SQLite
/// makes for `UNIQUE` and `PRIMARY KEY`), in the order they were created.
pub(crate) fn objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    objects_of(conn, "main", "'index', 'trigger', 'view'")
}

/// The objects of `kinds` (an SQL list) with stored SQL in `schema`, in creation order.
fn objects_of(conn: &Connection, schema: &str, kinds: &str) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT type, name, tbl_name, sql FROM {schema}.sqlite_schema
         WHERE type IN ({kinds}) AND sql IS NOT NULL ORDER BY rowid"
    ))?;
    let rows = stmt.query_map([], |row| {
        Ok(SchemaObject {
            kind: row.get(0)?,
            name: row.get(1)?,
            table: row.get(2)?,
            sql: row.get(3)?,
        })
    })?;
    rows.collect()
}

/// The table columns an index names (not its expressions).
pub(crate) fn index_columns(conn: &Connection, index: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name FROM pragma_index_xinfo(?1, 'main') WHERE key AND cid >= 0 ORDER BY seqno",
    )?;
    let rows = stmt.query_map([index], |row| row.get(0))?;
    rows.collect()
}

/// The `CREATE` statement of every table, index, trigger and view of the main schema, in the
/// order they were created, without SQLite's own tables: enough to rebuild the schema, empty,
/// in a scratch database.
pub(crate) fn all_definitions(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT sql FROM main.sqlite_schema
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    rows.collect()
}

/// The main database's journal mode, lower case (`delete`, `wal`, `off`, `memory`, ...).
pub(crate) fn journal_mode(conn: &Connection) -> rusqlite::Result<String> {
    conn.prepare_cached("PRAGMA main.journal_mode")?
        .query_row([], |row| row.get(0))
        .map(|mode: String| mode.to_ascii_lowercase())
}

/// The columns of `table` that some index of it holds: a scan that reads only such a column
/// can read the index instead of the table.
pub(crate) fn indexed_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT ii.name FROM pragma_index_list(?1, 'main') AS il,
           pragma_index_info(il.name, 'main') AS ii
         WHERE ii.name IS NOT NULL",
    )?;
    let rows = stmt.query_map([table], |row| row.get(0))?;
    rows.collect()
}

/// One foreign key of a table, one column of it (composite foreign keys list each).
#[derive(Debug, Clone)]
pub(crate) struct ForeignKeyInfo {
    pub(crate) from: String,
    pub(crate) table: String,
    /// The referenced column; `None` when the key names only the table (its primary key).
    pub(crate) to: Option<String>,
    pub(crate) on_update: String,
    pub(crate) on_delete: String,
}

/// The foreign keys of `table`, as `PRAGMA foreign_key_list` reports them.
pub(crate) fn foreign_keys(
    conn: &Connection,
    table: &str,
) -> rusqlite::Result<Vec<ForeignKeyInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT \"from\", \"table\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1, 'main')
         ORDER BY id, seq",
    )?;
    let rows = stmt.query_map([table], |row| {
        Ok(ForeignKeyInfo {
            from: row.get(0)?,
            table: row.get(1)?,
            to: row.get(2)?,
            on_update: row.get(3)?,
            on_delete: row.get(4)?,
        })
    })?;
    rows.collect()
}

/// The `CREATE TABLE` statement of a main table, as stored.
pub(crate) fn table_sql(conn: &Connection, table: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
    )?
    .query_row([table], |row| row.get(0))
    .optional()
}

/// The triggers and views of the connection's temp schema.
pub(crate) fn temp_objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    objects_of(conn, "temp", "'trigger', 'view'")
}

#[cfg(test)]
mod tests {
    use super::{affinity, Affinity};

    #[test]
    fn affinity_follows_sqlites_rules_in_order() {
        assert_eq!(affinity("INTEGER"), Affinity::Integer);
        assert_eq!(affinity("int"), Affinity::Integer);
        assert_eq!(affinity("VARCHAR(36)"), Affinity::Text);
        assert_eq!(affinity("CHARINT"), Affinity::Integer);
        assert_eq!(affinity(""), Affinity::Blob);
        assert_eq!(affinity("DOUBLE PRECISION"), Affinity::Real);
        assert_eq!(affinity("DECIMAL(10,2)"), Affinity::Numeric);
    }
}
