//! Building PostgreSQL's SQL text: identifiers quoted only where PostgreSQL needs it, names
//! qualified by the schema the migration works in, string literals, and names kept within
//! PostgreSQL's 63-byte limit.

/// A name as a PostgreSQL identifier: as it is when it is a plain lower-case identifier that
/// PostgreSQL does not reserve, so that statements read like hand-written SQL, else
/// double-quoted (PostgreSQL folds unquoted names to lower case).
pub(crate) fn ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name.bytes().enumerate().all(|(i, b)| {
            b == b'_' || b.is_ascii_lowercase() || (i > 0 && (b.is_ascii_digit() || b == b'$'))
        });
    if plain && !is_keyword(name) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name`: every statement the runtime builds names the schema it migrates in, so
/// that a temporary table of the same name (searched first) cannot stand in for the real one.
pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A text value as a string literal, for the names written into the capture's function,
/// which cannot take bound parameters. An `E''` literal where a backslash would otherwise
/// depend on `standard_conforming_strings`.
pub(crate) fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// The current time in whole unix seconds, as the ledger and the conflict log store it
/// (SQLite's `unixepoch()`).
pub(crate) const NOW: &str = "floor(extract(epoch FROM now()))::bigint";

/// PostgreSQL's longest name, in bytes; longer ones are cut silently.
const MAX_NAME: usize = 63;

/// `name` if PostgreSQL keeps it whole, else its first bytes and a checksum of all of it, so
/// that the name found in the catalog is the name asked for, and two long names stay apart.
pub(crate) fn object_name(name: &str) -> String {
    if name.len() <= MAX_NAME {
        return name.to_owned();
    }
    let checksum = crate::sql_text::checksum([name]);
    let mut cut = MAX_NAME - 1 - checksum.len();
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{checksum}", &name[..cut])
}

/// Whether PostgreSQL reserves `name` in some position (its reserved, type-or-function and
/// column-name keywords, as `pg_get_keywords()` lists them up to PostgreSQL 17): quoting
/// those keeps every statement valid wherever the name appears.
fn is_keyword(name: &str) -> bool {
    KEYWORDS.binary_search(&name).is_ok()
}

/// Sorted.
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_list_is_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn names_are_quoted_only_where_postgresql_needs_it() {
        assert_eq!(ident("run_id"), "run_id");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("type"), "type");
        assert_eq!(ident("RunId"), "\"RunId\"");
        assert_eq!(ident("2fa"), "\"2fa\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(qualified("public", "user"), "public.\"user\"");
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn long_names_keep_within_63_bytes_and_apart() {
        let a = format!("{}_capture", "t".repeat(70));
        let b = format!("{}_capture", "t".repeat(71));
        assert_eq!(object_name("short_capture"), "short_capture");
        assert!(object_name(&a).len() <= 63);
        assert_ne!(object_name(&a), object_name(&b));
    }
}
