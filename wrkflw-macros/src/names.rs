//! SQL names: what a table or column may be called, and how it is written in SQL text.

use std::borrow::Cow;

/// Why a name cannot be used as a SQL identifier, or `None` when it can.
///
/// Names are restricted to ASCII letters, digits and `_`, not starting with a digit, so that
/// they can be written into SQL text without escaping and read back by anyone.
pub(crate) fn identifier_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '_')
    {
        let shown = match bad {
            ' ' => "a space".to_owned(),
            other => format!("`{}`", other.escape_debug()),
        };
        return Some(format!(
            "it contains {shown}; use only ASCII letters, digits and `_`"
        ));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Some("it starts with a digit".to_owned());
    }
    None
}

/// SQLite keeps names that start with `sqlite_` for itself.
pub(crate) fn is_reserved(name: &str) -> bool {
    name.len() >= 7 && name[..7].eq_ignore_ascii_case("sqlite_")
}

/// Writes a valid identifier into SQL, double-quoted only when SQLite would read it as a
/// keyword, so that ordinary names stay as readable as hand-written SQL.
pub(crate) fn sql_ident(name: &str) -> Cow<'_, str> {
    if is_keyword(name) {
        Cow::Owned(format!("\"{name}\""))
    } else {
        Cow::Borrowed(name)
    }
}

fn is_keyword(name: &str) -> bool {
    SQLITE_KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(name))
}

/// `WorkflowRun` → `workflow_run`, `HTTPRequest` → `http_request`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_is_lower);
            if boundary && previous != '_' {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The keywords of SQLite (`sqlite3_keyword_name`); a unit test checks this list against the
/// bundled SQLite, so an upgrade that adds a keyword fails the build instead of the user's SQL.
#[rustfmt::skip]
const SQLITE_KEYWORDS: &[&str] = &[
    "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC",
    "ATTACH", "AUTOINCREMENT", "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST",
    "CHECK", "COLLATE", "COLUMN", "COMMIT", "CONFLICT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT",
    "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT", "DEFERRABLE",
    "DEFERRED", "DELETE", "DESC", "DETACH", "DISTINCT", "DO", "DROP", "EACH", "ELSE", "END",
    "ESCAPE", "EXCEPT", "EXCLUDE", "EXCLUSIVE", "EXISTS", "EXPLAIN", "FAIL", "FILTER", "FIRST",
    "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL", "GENERATED", "GLOB", "GROUP", "GROUPS",
    "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED", "INITIALLY", "INNER",
    "INSERT", "INSTEAD", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST", "LEFT",
    "LIKE", "LIMIT", "MATCH", "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL", "NULL",
    "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER", "OTHERS", "OUTER", "OVER", "PARTITION", "PLAN",
    "PRAGMA", "PRECEDING", "PRIMARY", "QUERY", "RAISE", "RANGE", "RECURSIVE", "REFERENCES",
    "REGEXP", "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT",
    "ROLLBACK", "ROW", "ROWS", "SAVEPOINT", "SELECT", "SET", "TABLE", "TEMP", "TEMPORARY", "THEN",
    "TIES", "TO", "TRANSACTION", "TRIGGER", "UNBOUNDED", "UNION", "UNIQUE", "UPDATE", "USING",
    "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN", "WHERE", "WINDOW", "WITH", "WITHOUT",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("WorkflowRun"), "workflow_run");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Run2Step"), "run2_step");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(snake_case("Job_Queue"), "job_queue");
    }

    #[test]
    fn identifiers_are_plain_ascii_words() {
        assert_eq!(identifier_problem("workflow_runs"), None);
        assert_eq!(identifier_problem("_x9"), None);
        assert!(identifier_problem("runs; DROP TABLE users")
            .unwrap()
            .contains("`;`"));
        assert!(identifier_problem("my prefix").unwrap().contains("a space"));
        assert!(identifier_problem("my-").unwrap().contains("`-`"));
        assert!(identifier_problem("9lives").unwrap().contains("digit"));
        assert!(identifier_problem("").unwrap().contains("empty"));
    }

    #[test]
    fn keywords_are_quoted_and_other_names_are_not() {
        assert_eq!(sql_ident("order"), "\"order\"");
        assert_eq!(sql_ident("Group"), "\"Group\"");
        assert_eq!(sql_ident("run_id"), "run_id");
        assert!(is_reserved("SQLite_stat1"));
        assert!(!is_reserved("sqlit"));
    }

    #[test]
    fn keyword_list_matches_the_bundled_sqlite() {
        use wrkflw::rusqlite::ffi;
        let mut bundled = Vec::new();
        // SAFETY: sqlite3_keyword_name hands out pointers into SQLite's static keyword table
        // for every index below sqlite3_keyword_count.
        unsafe {
            for i in 0..ffi::sqlite3_keyword_count() {
                let mut name = std::ptr::null();
                let mut len = 0;
                assert_eq!(
                    ffi::sqlite3_keyword_name(i, &mut name, &mut len),
                    ffi::SQLITE_OK
                );
                let bytes = std::slice::from_raw_parts(name.cast::<u8>(), len as usize);
                bundled.push(String::from_utf8(bytes.to_vec()).unwrap());
            }
        }
        bundled.sort();
        let mut ours: Vec<String> = SQLITE_KEYWORDS.iter().map(|k| k.to_string()).collect();
        ours.sort();
        assert_eq!(ours, bundled);
    }
}
