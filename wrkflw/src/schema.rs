//! Reading what a database holds: objects by name, a table's columns, whether it has a rowid,
//! who owns an index, which tables reference another by foreign key. Names are always bound
//! parameters here; identifiers written into SQL go through [`quoted`].

use rusqlite::{Connection, OptionalExtension};

/// One column as `PRAGMA table_info` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableColumn {
    pub(crate) name: String,
    /// The declared type as written (`TEXT`, `integer`, `VARCHAR(20)`, or empty).
    pub(crate) declared_type: String,
    pub(crate) not_null: bool,
    /// The `DEFAULT` expression's text, without its outer parentheses.
    pub(crate) default: Option<String>,
    pub(crate) primary_key: bool,
}

/// What the main schema holds under `name` (`table`, `view`, `index`, `trigger`), compared
/// as SQLite compares names: without ASCII case.
pub(crate) fn kind(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT type FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE",
        [name],
        |row| row.get(0),
    )
    .optional()
}

/// The columns of a table in the main schema, in declaration order.
pub(crate) fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<TableColumn>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1, 'main') ORDER BY cid",
    )?;
    let rows = stmt.query_map([table], |row| {
        Ok(TableColumn {
            name: row.get(0)?,
            declared_type: row.get(1)?,
            not_null: row.get(2)?,
            default: row.get(3)?,
            primary_key: row.get::<_, i64>(4)? > 0,
        })
    })?;
    rows.collect()
}

/// The name under which a table's rowid can be read, or `None` when it has none: a
/// `WITHOUT ROWID` table, or one whose own columns take all three of SQLite's names for it.
pub(crate) fn rowid_name(
    conn: &Connection,
    table: &str,
    columns: &[TableColumn],
) -> rusqlite::Result<Option<&'static str>> {
    let without_rowid: bool = conn
        .query_row(
            "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1 COLLATE NOCASE",
            [table],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(false);
    if without_rowid {
        return Ok(None);
    }
    // A column named `rowid` (or `oid`, `_rowid_`) hides the real rowid under that name.
    Ok(["_rowid_", "rowid", "oid"]
        .into_iter()
        .find(|alias| !columns.iter().any(|c| c.name.eq_ignore_ascii_case(alias))))
}

/// The table an index belongs to, if an index of that name exists.
pub(crate) fn index_owner(conn: &Connection, index: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT tbl_name FROM main.sqlite_schema WHERE type = 'index' AND name = ?1 COLLATE NOCASE",
        [index],
        |row| row.get(0),
    )
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

/// A name as an SQL identifier: as it is when it is a plain identifier SQLite does not
/// reserve, so that statements read like hand-written SQL, else double-quoted. The names
/// come from compile-time checked constants or from the schema itself.
pub(crate) fn quoted(name: &str) -> String {
    let plain = name
        .bytes()
        .enumerate()
        .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
    if plain && !name.is_empty() && !is_keyword(name) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Whether SQLite treats `name` as a keyword, asked of SQLite itself.
fn is_keyword(name: &str) -> bool {
    let Ok(len) = std::os::raw::c_int::try_from(name.len()) else {
        return true;
    };
    // SAFETY: the pointer and length describe `name`'s bytes, which outlive the call;
    // sqlite3_keyword_check only reads them and needs no initialised library or connection.
    unsafe { rusqlite::ffi::sqlite3_keyword_check(name.as_ptr().cast(), len) != 0 }
}

/// Joins items with `, `, breaking lines before they pass 90 characters, each line indented
/// by two spaces: the layout of the generated `COPY_SQL`.
pub(crate) fn wrapped_list(items: &[String]) -> String {
    const WIDTH: usize = 90;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !line.is_empty() && 2 + line.len() + 1 + piece.len() > WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    lines.push(line);
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `DEFAULT` expression without surrounding blanks and outer parentheses, so that
/// `(unixepoch())` as declared and `unixepoch()` as `PRAGMA table_info` reports it compare
/// equal.
pub(crate) fn normalized_default(text: &str) -> &str {
    let mut text = text.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        // `(a) + (b)` starts and ends with parentheses that are not one pair.
        if !balanced(inner) {
            break;
        }
        text = inner.trim();
    }
    text
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::{normalized_default, quoted, wrapped_list};

    #[test]
    fn names_are_quoted_only_when_sqlite_needs_it() {
        assert_eq!(quoted("run_id"), "run_id");
        assert_eq!(quoted("order"), "\"order\"");
        assert_eq!(quoted("Group"), "\"Group\"");
        assert_eq!(quoted("2fa"), "\"2fa\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn lists_wrap_before_ninety_characters() {
        let items: Vec<String> = (0..30).map(|i| format!("column_{i}")).collect();
        let text = wrapped_list(&items);
        assert!(
            text.lines().all(|l| l.len() <= 90 && l.starts_with("  ")),
            "{text}"
        );
        assert_eq!(text.replace("\n  ", " ").trim(), items.join(", "));
    }

    #[test]
    fn defaults_compare_without_outer_parentheses() {
        assert_eq!(normalized_default(" (unixepoch()) "), "unixepoch()");
        assert_eq!(normalized_default("((0))"), "0");
        assert_eq!(normalized_default("(1) + (2)"), "(1) + (2)");
        assert_eq!(normalized_default("'x'"), "'x'");
    }
}
