//! Checks that need the whole table: names that reach SQL, keys, and the legacy table.
//! Each check says why it exists; all of them run, so every problem is reported at once.

use syn::LitStr;

use crate::ast::{Table, ON_DELETE};
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
    check_unique(table, errors);
    let before = errors.len();
    check_index_lists(table, errors);
    // The names indexes get are checked once every list is sound, so as not to report a
    // list twice.
    if errors.len() == before {
        check_generated_names(table, errors);
    }
    check_references(table, errors);
    check_drop_columns(table, errors);
    for column in &table.columns {
        if let Some(default) = &column.default {
            check_default(default, "default", errors);
        }
        check_postgres_default(column, errors);
    }
}

/// `postgres_default` is the PostgreSQL spelling of the column's `default`, so that a
/// default SQLite writes one way is written PostgreSQL's way there. Alone, it would give the
/// column a default on one engine only, and `insert` of a `None` two meanings. Checked
/// with or without the `postgres` feature: the struct means the same either way.
fn check_postgres_default(column: &crate::ast::Column, errors: &mut Errors) {
    let Some(written) = &column.postgres_default else {
        return;
    };
    check_default(written, "postgres_default", errors);
    if column.default.is_none() {
        errors.spanned(
            written,
            format!(
                "`postgres_default` on `{}` needs a `default`: it is the PostgreSQL form of the column's default, and both engines give a column the same default or none\nhelp: add SQLite's form too: `#[wrkflw(default = \"...\", postgres_default = \"...\")]`",
                column.name
            ),
        );
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
        // The key's index serves lookups by its first column; a later column of a composite
        // key needs an index of its own.
        let leads_key = table
            .key_columns()
            .next()
            .is_some_and(|k| k.name == column.name);
        if let (Some(index), true) = (&column.index, leads_key) {
            errors.spanned(
                index,
                format!(
                    "`{}` leads the primary key, which SQLite already indexes\nhelp: remove `index`",
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

/// Several `primary_key` fields make a composite key, in field order. A key must identify a
/// row, so its columns cannot be NULL.
fn check_primary_key(table: &Table, errors: &mut Errors) {
    let keys: Vec<_> = table
        .columns
        .iter()
        .filter_map(|c| c.primary_key.as_ref().map(|key| (c, key)))
        .collect();
    // Keys are passed to `get` and `delete` as tuples of up to five values.
    for (column, key) in keys.iter().skip(5) {
        errors.spanned(
            key,
            format!(
                "`{}` would be the sixth column of the primary key; a key has at most five\nhelp: key the table by fewer columns, and make the rest `unique(...)` if they must not repeat",
                column.name
            ),
        );
    }
    if keys.len() > 1 {
        for (column, key) in &keys {
            if column.ty.nullable {
                errors.spanned(
                    key,
                    format!(
                        "`{}` is part of a composite primary key and cannot be an Option: SQLite would let NULL keys repeat\nhelp: use the type without Option",
                        column.name
                    ),
                );
            }
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

/// `unique` on a field makes an index of its own; on the key, or with `index`, it would
/// duplicate one SQLite already keeps.
fn check_unique(table: &Table, errors: &mut Errors) {
    let single_key = table.key_columns().count() == 1;
    for column in &table.columns {
        let Some(unique) = &column.unique else {
            continue;
        };
        if column.primary_key.is_some() && single_key {
            errors.spanned(
                unique,
                format!(
                    "`{}` is the primary key, which is already unique\nhelp: remove `unique`",
                    column.name
                ),
            );
        }
        if column.index.is_some() {
            errors.spanned(
                unique,
                format!(
                    "`{}` has both `index` and `unique`; the unique index serves lookups too\nhelp: keep `unique` only",
                    column.name
                ),
            );
        }
        if column.json.is_some() {
            errors.spanned(
                unique,
                format!(
                    "`{}` is a JSON column: a unique index would compare its JSON text, not its value",
                    column.name
                ),
            );
        }
    }
}

/// `index(a, b)` and `unique(a, b)` name fields; each list is one index, so a list that
/// repeats a column, repeats another index, or restates the key is a mistake.
fn check_index_lists(table: &Table, errors: &mut Errors) {
    let key: Vec<String> = table.key_columns().map(|c| c.name.clone()).collect();
    // The column lists of the indexes seen so far, with what declared them.
    let mut seen: Vec<(Vec<String>, String)> = table
        .columns
        .iter()
        .filter(|c| c.index.is_some() || c.unique.is_some())
        .map(|c| (vec![c.name.clone()], format!("the field `{}`", c.name)))
        .collect();
    for list in &table.args.indexes {
        let key_word = list.key.to_string();
        let mut names = Vec::new();
        for ident in &list.columns {
            match table.column_named(ident) {
                None => {
                    let written = ident.to_string();
                    let hint = nearest(&written, table.columns.iter().map(|c| c.name.as_str()))
                        .map(|name| format!("\nhelp: did you mean `{name}`?"))
                        .unwrap_or_default();
                    errors.spanned(
                        ident,
                        format!("`{key_word}(...)` names `{written}`, which is not a field of `{}`{hint}", table.ident),
                    );
                }
                Some(column) => {
                    if names.contains(&column.name) {
                        errors.spanned(
                            ident,
                            format!("`{}` is listed twice in `{key_word}(...)`", column.name),
                        );
                        continue;
                    }
                    if column.json.is_some() {
                        errors.spanned(
                            ident,
                            format!("`{}` is a JSON column: an index would compare its JSON text, not its value", column.name),
                        );
                    }
                    names.push(column.name.clone());
                }
            }
        }
        if names.len() != list.columns.len() {
            continue;
        }
        if list.unique && sorted(&names) == sorted(&key) {
            errors.spanned(
                &list.key,
                format!(
                    "`unique({})` is the primary key, which is already unique\nhelp: remove it",
                    names.join(", ")
                ),
            );
            continue;
        }
        if !list.unique && key.starts_with(&names) {
            errors.spanned(
                &list.key,
                format!(
                    "`index({})` is served by the primary key's own index, which starts with those columns\nhelp: remove it",
                    names.join(", ")
                ),
            );
            continue;
        }
        if let Some((_, earlier)) = seen.iter().find(|(columns, _)| *columns == names) {
            errors.spanned(
                &list.key,
                format!(
                    "an index on ({}) is already declared by {earlier}\nhelp: declare each index once",
                    names.join(", ")
                ),
            );
            continue;
        }
        seen.push((names, format!("`{key_word}(...)`")));
    }
}

/// Index names are global in SQLite and finders are methods of one impl, so two indexes whose
/// columns join to the same name (`queue_name` and `(queue, name)`) would collide.
fn check_generated_names(table: &Table, errors: &mut Errors) {
    let indexes = crate::sql::indexes(table);
    let spans = index_spans(table);
    for (i, index) in indexes.iter().enumerate() {
        let finder = index.columns.join("_and_");
        let span = spans.get(i).copied().unwrap_or_else(|| table.ident.span());
        for earlier in &indexes[..i] {
            if earlier.name == index.name {
                errors.at(
                    span,
                    format!(
                        "this index would be named `{}`, like the index on ({}): index names must differ\nhelp: rename a field, or drop one of the two",
                        index.name,
                        earlier.columns.join(", ")
                    ),
                );
            } else if earlier.columns.join("_and_") == finder {
                errors.at(
                    span,
                    format!(
                        "this index's finder would be `find_by_{finder}`, like the index on ({})'s\nhelp: rename a field, or drop one of the two",
                        earlier.columns.join(", ")
                    ),
                );
            }
        }
    }
}

/// Where each index of `sql::indexes` was declared, in the same order: the field's `index`
/// or `unique`, or the struct's `index(...)`/`unique(...)`.
pub(crate) fn index_spans(table: &Table) -> Vec<proc_macro2::Span> {
    let mut spans = Vec::new();
    for column in &table.columns {
        for key in [&column.index, &column.unique].into_iter().flatten() {
            spans.push(key.span());
        }
    }
    spans.extend(table.args.indexes.iter().map(|list| list.key.span()));
    spans
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names
}

/// `references` makes a foreign key; `on_delete` says what a delete of the referenced row
/// does, and must be an action the column can take.
fn check_references(table: &Table, errors: &mut Errors) {
    for column in &table.columns {
        if let (Some(_), Some(json)) = (&column.references, &column.json) {
            errors.spanned(
                json,
                format!(
                    "`{}` is a JSON column and cannot reference another table's key",
                    column.name
                ),
            );
        }
        if let Some(target) = &column.references {
            let own = target.is_ident("Self") || target.is_ident(table.ident);
            // Another table's key type is checked by the compiler; the table's own is here.
            if let (true, Some(key)) = (own, table.key_columns().next()) {
                if key.ty.sql != column.ty.sql {
                    errors.spanned(
                        target,
                        format!(
                            "`{}` references `{}`, the key of its own table, which is {}; the field is {}\nhelp: give the field the key's type",
                            column.name,
                            key.name,
                            key.ty.sql.as_sql(),
                            column.ty.sql.as_sql()
                        ),
                    );
                }
            }
            if own && table.key_columns().count() > 1 {
                errors.spanned(
                    target,
                    format!(
                        "`{}` references its own table, whose primary key has several columns; a `references` column names a table with a one-column key",
                        column.name
                    ),
                );
            }
        }
        let Some(on_delete) = &column.on_delete else {
            continue;
        };
        if column.references.is_none() {
            errors.spanned(
                on_delete,
                format!(
                    "`on_delete` on `{}` needs `references`\nhelp: the correct form is `#[wrkflw(references = WorkflowRun, on_delete = \"cascade\")]`",
                    column.name
                ),
            );
            continue;
        }
        let written = on_delete.value();
        let valid: Vec<String> = ON_DELETE
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect();
        if !ON_DELETE.iter().any(|(name, _)| *name == written) {
            let hint = nearest(&written, ON_DELETE.iter().map(|(name, _)| *name))
                .map(|name| format!("\nhelp: did you mean \"{name}\"?"))
                .unwrap_or_default();
            errors.spanned(
                on_delete,
                format!(
                    "unknown `on_delete` action \"{written}\"; valid actions are {}{hint}",
                    valid.join(", ")
                ),
            );
        } else if written == "set_null" && !column.ty.nullable {
            errors.spanned(
                on_delete,
                format!(
                    "`on_delete = \"set_null\"` on `{}`, which is NOT NULL: deleting the referenced row would fail\nhelp: make the field an Option",
                    column.name
                ),
            );
        } else if written == "set_default" && !column.ty.nullable && column.default.is_none() {
            errors.spanned(
                on_delete,
                format!(
                    "`on_delete = \"set_default\"` on `{}`, which is NOT NULL and has no default: deleting the referenced row would fail\nhelp: give it a `default` or make it an Option",
                    column.name
                ),
            );
        }
    }
}

/// `drop_columns` names columns of an existing table that are no longer fields: a name that
/// is still a field would drop the field's own data.
fn check_drop_columns(table: &Table, errors: &mut Errors) {
    for (i, lit) in table.args.drop_columns.iter().enumerate() {
        if !check_identifier(lit, "column name", "\"old_column\"", errors) {
            continue;
        }
        let value = lit.value();
        if let Some(field) = table
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&value))
        {
            errors.spanned(
                lit,
                format!(
                    "`drop_columns` names `{value}`, which is the column of the field `{}`\nhelp: list only columns the struct no longer has",
                    field.name
                ),
            );
        }
        if table.args.drop_columns[..i]
            .iter()
            .any(|earlier| earlier.value().eq_ignore_ascii_case(&value))
        {
            errors.spanned(lit, format!("`{value}` is listed twice in `drop_columns`"));
        }
    }
}

/// The candidate closest to `written`, when it is close enough to be a likely misspelling.
fn nearest<'c>(written: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (crate::args::edit_distance(written, c), c))
        .filter(|(distance, c)| *distance <= c.len().max(written.len()) / 3 + 1)
        .min()
        .map(|(_, c)| c)
}

/// A column's `rename_from` names its old column: the legacy column the copy reads into it,
/// and the column of an existing table that `migrate` renames. It needs a valid name, and no
/// other column reading the same old column (which would copy one value into two columns
/// and leave the intended source unread).
fn check_column_renames(table: &Table, errors: &mut Errors) {
    for (i, column) in table.columns.iter().enumerate() {
        let Some(old) = &column.rename_from else {
            continue;
        };
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
fn check_default(lit: &LitStr, key: &str, errors: &mut Errors) {
    if let Some(problem) = expression_problem(&lit.value()) {
        let example = match key {
            "default" => "`default = \"unixepoch()\"` or `default = \"'pending'\"`",
            _ => "`postgres_default = \"floor(extract(epoch from now()))::bigint\"`",
        };
        errors.spanned(
            lit,
            format!("`{key}` must be one SQL expression: {problem}\nhelp: for example {example}"),
        );
    }
}

/// Why a `default` cannot go into `DEFAULT (...)` as written, or `None` when it can.
pub(crate) fn expression_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("it is empty".to_owned());
    }
    default_problem(text)
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
