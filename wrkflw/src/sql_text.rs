//! Building and reading SQL text: identifiers quoted only where SQLite needs it, string
//! literals, list layout, `DEFAULT` expressions compared as SQLite reports them, and finding
//! which names a statement mentions.

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

/// `main.name`: every statement the runtime runs names the main schema, so that a TEMP table
/// of the same name on the connection cannot stand in for the real one.
pub(crate) fn main(name: &str) -> String {
    format!("main.{}", quoted(name))
}

/// A text value as an SQL string literal, for the few names written into trigger bodies,
/// which cannot take bound parameters.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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

/// Whether the statement `sql` uses `name` as an identifier (bare, `"quoted"`, `[bracketed]`
/// or `` `backticked` ``, compared without ASCII case as SQLite compares names), outside
/// string literals and comments. It errs towards yes: a column or alias spelled like the
/// name counts too, which makes a caller refuse rather than break a view or trigger.
pub(crate) fn mentions(sql: &str, name: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    let is_word = |b: u8| b == b'_' || b == b'$' || b.is_ascii_alphanumeric() || b >= 0x80;
    while i < bytes.len() {
        let b = bytes[i];
        let (token, next) = match b {
            b'\'' => (None, closing(bytes, i, b'\'')),
            b'-' if bytes.get(i + 1) == Some(&b'-') => (
                None,
                sql[i..].find('\n').map_or(bytes.len(), |at| i + at + 1),
            ),
            b'/' if bytes.get(i + 1) == Some(&b'*') => (
                None,
                sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |at| i + 2 + at + 2),
            ),
            b'"' | b'`' => {
                let end = closing(bytes, i, b);
                let inner = &sql[i + 1..end.saturating_sub(1).max(i + 1)];
                let quote = char::from(b).to_string();
                (Some(inner.replace(&quote.repeat(2), &quote)), end)
            }
            b'[' => {
                let end = sql[i..].find(']').map_or(bytes.len(), |at| i + at + 1);
                (
                    Some(sql[i + 1..end.saturating_sub(1).max(i + 1)].to_owned()),
                    end,
                )
            }
            _ if is_word(b) => {
                let end = bytes[i..]
                    .iter()
                    .position(|&c| !is_word(c))
                    .map_or(bytes.len(), |at| i + at);
                (Some(sql[i..end].to_owned()), end)
            }
            _ => (None, i + 1),
        };
        if token.is_some_and(|t| t.eq_ignore_ascii_case(name)) {
            return true;
        }
        i = next;
    }
    false
}

/// The index just past the quote that closes the one at `start`; a doubled quote is an
/// escaped one.
fn closing(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// 64-bit FNV-1a over the parts, each followed by a newline, in hex: a checksum of schema
/// text that changes when the text does.
pub(crate) fn checksum<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::{checksum, literal, mentions, normalized_default, quoted, wrapped_list};

    #[test]
    fn names_are_quoted_only_when_sqlite_needs_it() {
        assert_eq!(quoted("run_id"), "run_id");
        assert_eq!(quoted("order"), "\"order\"");
        assert_eq!(quoted("Group"), "\"Group\"");
        assert_eq!(quoted("2fa"), "\"2fa\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
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

    #[test]
    fn mentions_finds_the_name_however_it_is_quoted_and_not_inside_strings_or_comments() {
        let uses = [
            "CREATE VIEW v AS SELECT * FROM workflow_runs",
            "CREATE VIEW v AS SELECT * FROM main.Workflow_Runs",
            "CREATE VIEW v AS SELECT * FROM \"workflow_runs\"",
            "CREATE VIEW v AS SELECT * FROM [workflow_runs]",
            "CREATE VIEW v AS SELECT * FROM `workflow_runs`",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN INSERT INTO workflow_runs(a) VALUES (1); END",
        ];
        for sql in uses {
            assert!(mentions(sql, "workflow_runs"), "{sql}");
        }
        let no_use = [
            "CREATE VIEW v AS SELECT 'workflow_runs' AS name FROM t",
            "CREATE VIEW v AS SELECT * FROM workflow_runs_archive",
            "CREATE VIEW v AS SELECT * FROM t -- workflow_runs\n",
            "CREATE VIEW v AS SELECT * FROM t /* workflow_runs */",
            "CREATE VIEW v AS SELECT * FROM \"workflow runs\"",
        ];
        for sql in no_use {
            assert!(!mentions(sql, "workflow_runs"), "{sql}");
        }
        assert!(mentions("SELECT * FROM \"a\"\"b\"", "a\"b"));
    }

    #[test]
    fn the_checksum_follows_the_text() {
        let a = checksum(["CREATE TABLE t (a TEXT)"]);
        assert_eq!(a.len(), 16);
        assert_eq!(a, checksum(["CREATE TABLE t (a TEXT)"]));
        assert_ne!(a, checksum(["CREATE TABLE t (a INTEGER)"]));
        assert_ne!(
            a,
            checksum(["CREATE TABLE t (a TEXT)", "CREATE INDEX i ON t (a)"])
        );
    }
}
