//! Checks that need the whole table: names that reach SQL, keys, and the legacy table.
//! Each check says why it exists; all of them run, so every problem is reported at once.

use syn::LitStr;

use crate::ast::Table;
use crate::errors::Errors;
use crate::names;

/// The runtime's ledger table (`wrkflw::LEDGER_TABLE`); a test keeps the two equal.
pub(crate) const LEDGER_TABLE: &str = "wrkflw_migrations";

pub(crate) fn validate(table: &Table, errors: &mut Errors) {
    check_table_names(table, errors);
    check_columns(table, errors);
    check_primary_key(table, errors);
    check_json(table, errors);
    check_column_renames(table, errors);
    for column in &table.columns {
        if let Some(default) = &column.default {
            check_default(default, errors);
        }
    }
}

/// Table names are written into SQL text, so each part must be a plain identifier.
fn check_table_names(table: &Table, errors: &mut Errors) {
    let mut parts_ok = true;
    if let Some(prefix) = &table.args.prefix {
        let value = prefix.value();
        // An empty prefix is allowed (the table keeps its base name); other text must be a
        // valid start of an identifier.
        if !value.is_empty() {
            if let Some(problem) = names::identifier_problem(&value) {
                errors.spanned(
                    prefix,
                    format!("`{value}` is not a valid table prefix: {problem}\nhelp: a prefix such as \"app_\""),
                );
                parts_ok = false;
            }
        }
    }
    for (lit, what) in [
        (&table.args.name, "table name"),
        (&table.args.rename_from, "legacy table name"),
    ] {
        if let Some(lit) = lit {
            parts_ok &= check_identifier(lit, what, "\"workflow_runs\"", errors);
        }
    }
    if !parts_ok {
        return;
    }
    let name = table.table_name();
    let span_holder = table
        .args
        .prefix
        .as_ref()
        .or(table.args.name.as_ref())
        .or(table.args.rename_from.as_ref());
    let report = |errors: &mut Errors, message: String| match span_holder {
        Some(lit) => errors.spanned(lit, message),
        None => errors.spanned(table.ident, message),
    };
    if let Some(problem) = names::identifier_problem(&name) {
        report(
            errors,
            format!("the table name `{name}` is not a valid SQL identifier: {problem}"),
        );
    } else if names::is_reserved(&name) {
        report(
            errors,
            format!("the table name `{name}` starts with `sqlite_`, which SQLite reserves"),
        );
    } else if name.eq_ignore_ascii_case(LEDGER_TABLE) {
        // The runtime keeps its migration ledger there; sharing it would corrupt both.
        report(
            errors,
            format!("the table name `{name}` is wrkflw's migration ledger\nhelp: choose another name with `name = \"...\"`"),
        );
    }
    if let Some(legacy) = &table.args.rename_from {
        // Copying a table into itself and then dropping it would destroy it; SQLite names
        // are case-insensitive, so compare that way.
        if legacy.value().eq_ignore_ascii_case(&name) {
            errors.spanned(
                legacy,
                format!(
                    "`rename_from` names the table itself (`{name}`): nothing to migrate from\nhelp: `rename_from` is the old, unprefixed name; the new name is prefix + name"
                ),
            );
        }
    }
}

fn check_identifier(lit: &LitStr, what: &str, example: &str, errors: &mut Errors) -> bool {
    let value = lit.value();
    let problem = names::identifier_problem(&value).or_else(|| {
        names::is_reserved(&value)
            .then(|| "names starting with `sqlite_` are reserved by SQLite".to_owned())
    });
    match problem {
        Some(problem) => {
            errors.spanned(
                lit,
                format!(
                    "`{value}` is not a valid {what}: {problem}\nhelp: a name such as {example}"
                ),
            );
            false
        }
        None => true,
    }
}

fn check_columns(table: &Table, errors: &mut Errors) {
    if table.columns.is_empty() {
        errors.spanned(table.ident, "a table needs at least one field");
    }
    for (i, column) in table.columns.iter().enumerate() {
        let ident = &column.field.ident;
        if let Some(problem) = names::identifier_problem(&column.name) {
            errors.spanned(
                ident,
                format!("`{}` cannot be a column name: {problem}", column.name),
            );
        } else if names::is_reserved(&column.name) {
            errors.spanned(
                ident,
                format!(
                    "`{}` cannot be a column name: SQLite reserves `sqlite_`",
                    column.name
                ),
            );
        }
        // SQLite compares column names without case: `Name` and `name` would collide at
        // run time with "duplicate column name".
        if let Some(earlier) = table.columns[..i]
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&column.name))
        {
            errors.spanned(
                ident,
                format!(
                    "column `{}` clashes with `{}`: SQLite column names ignore case",
                    column.name, earlier.name
                ),
            );
        }
        if let (Some(index), Some(_)) = (&column.index, &column.primary_key) {
            errors.spanned(
                index,
                format!(
                    "`{}` is the primary key, which SQLite already indexes\nhelp: remove `index`",
                    column.name
                ),
            );
        }
    }
}

/// A JSON column holds text that only serde reads: it cannot identify a row, and an index or
/// a finder on it would compare text, not values.
fn check_json(table: &Table, errors: &mut Errors) {
    for column in &table.columns {
        let Some(json) = &column.json else { continue };
        if column.primary_key.is_some() {
            errors.spanned(
                json,
                format!(
                    "`{}` cannot be both the primary key and a JSON column: a key must be a plain SQL value\nhelp: key the table by a String or integer field",
                    column.name
                ),
            );
        }
        if let Some(index) = &column.index {
            errors.spanned(
                index,
                format!(
                    "`{}` is a JSON column: an index and `find_by_{}` would compare its JSON text, not its value\nhelp: index a plain column instead",
                    column.name, column.name
                ),
            );
        }
    }
}

fn check_primary_key(table: &Table, errors: &mut Errors) {
    let keys: Vec<_> = table
        .columns
        .iter()
        .filter_map(|c| c.primary_key.as_ref().map(|key| (c, key)))
        .collect();
    if let Some(((first, _), others)) = keys.split_first() {
        for (column, key) in others {
            errors.spanned(
                key,
                format!(
                    "`{}` is already the primary key; a table has one primary-key column\nhelp: remove `primary_key` from `{}` or `{}`",
                    first.name, column.name, first.name
                ),
            );
        }
    }
    // Rows are read, updated and deleted by their key, and a migration carries legacy rows
    // over by it: every table has one. (An empty struct is reported by `check_columns`.)
    if keys.is_empty() && !table.columns.is_empty() {
        let message = "a table needs a primary key: rows are read, updated and deleted by it, and migrations carry legacy rows over by it\nhelp: mark the key field `#[wrkflw(primary_key)]`";
        match &table.args.rename_from {
            Some(legacy) => errors.spanned(legacy, message),
            None => errors.spanned(table.ident, message),
        }
    }
}

/// A column's `rename_from` names the legacy column the copy reads into it, so it needs a
/// legacy table, a valid name, and no other column reading the same legacy column (which
/// would copy one value into two columns and leave the intended source unread).
fn check_column_renames(table: &Table, errors: &mut Errors) {
    for (i, column) in table.columns.iter().enumerate() {
        let Some(old) = &column.rename_from else {
            continue;
        };
        if table.args.rename_from.is_none() {
            errors.spanned(
                old,
                format!(
                    "`rename_from` on `{}` needs a legacy table to read the old column from\nhelp: name it with #[wrkflw_table(rename_from = \"old_table\")]",
                    column.name
                ),
            );
            continue;
        }
        if !check_identifier(old, "legacy column name", "\"old_status\"", errors) {
            continue;
        }
        if old.value().eq_ignore_ascii_case(&column.name) {
            errors.spanned(
                old,
                format!("`rename_from` names the column itself (`{}`)\nhelp: remove it; a column with the same name is copied as it is", column.name),
            );
            continue;
        }
        let source = column.legacy_name();
        if let Some(other) = table
            .columns
            .iter()
            .enumerate()
            .find(|(j, c)| *j != i && c.legacy_name().eq_ignore_ascii_case(&source))
            .map(|(_, c)| c)
        {
            errors.spanned(
                old,
                format!(
                    "legacy column `{source}` would be copied into both `{}` and `{}`\nhelp: each legacy column feeds one column; give `{}` its own `rename_from`",
                    column.name, other.name, other.name
                ),
            );
        }
    }
}

/// The expression is written verbatim into `DEFAULT (...)`, so it must stay inside those
/// parentheses: balanced, one expression, no statement separator or comment.
fn check_default(lit: &LitStr, errors: &mut Errors) {
    let text = lit.value();
    let problem = if text.trim().is_empty() {
        Some("it is empty".to_owned())
    } else {
        default_problem(&text)
    };
    if let Some(problem) = problem {
        errors.spanned(
            lit,
            format!("`default` must be one SQL expression: {problem}\nhelp: for example `default = \"unixepoch()\"` or `default = \"'pending'\"`"),
        );
    }
}

fn default_problem(text: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                // A quoted string or name runs to its closing quote; a doubled quote is an
                // escaped one and keeps the string open.
                loop {
                    match chars.next() {
                        Some(q) if q == c => {
                            if chars.peek() == Some(&c) {
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        Some(_) => {}
                        None => return Some(format!("a {c} quote is not closed")),
                    }
                }
            }
            '(' => depth += 1,
            ')' => {
                if depth == 0 {
                    return Some("it closes a parenthesis it did not open".to_owned());
                }
                depth -= 1;
            }
            ';' => return Some("it contains `;`".to_owned()),
            '-' if chars.peek() == Some(&'-') => {
                return Some("it contains a `--` comment".to_owned())
            }
            '/' if chars.peek() == Some(&'*') => {
                return Some("it contains a `/*` comment".to_owned())
            }
            _ => {}
        }
    }
    (depth > 0).then(|| "a parenthesis is not closed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::default_problem;

    #[test]
    fn defaults_must_stay_one_expression() {
        assert_eq!(default_problem("unixepoch()"), None);
        assert_eq!(default_problem("'it''s; fine'"), None);
        assert_eq!(default_problem("(1 + 2) * 3"), None);
        assert!(default_problem("0); DROP TABLE users; --").is_some());
        assert!(default_problem("1 -- note").is_some());
        assert!(default_problem("(1").is_some());
        assert!(default_problem("'open").is_some());
    }
}
