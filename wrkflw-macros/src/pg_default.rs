//! A column's `default`, written for SQLite, as PostgreSQL DDL.
//!
//! Only the forms whose meaning is certain are translated: literals, `NULL`, `TRUE`/`FALSE`,
//! the current unix time and SQLite's text timestamps. Anything else would be a guess that
//! could become broken DDL or a different value on the server, so it is refused, and the
//! field says what PostgreSQL should use with `postgres_default = "..."`.

use crate::ast::{Column, Scalar};
use crate::pg_sql::PgType;

/// The current unix time in whole seconds: `floor` because a cast alone would round to the
/// nearest second, and SQLite's `unixepoch()` truncates.
const UNIX_SECONDS: &str = "floor(extract(epoch from now()))";

/// SQLite's `CURRENT_TIMESTAMP`, `CURRENT_DATE` and `CURRENT_TIME` are UTC text; these are
/// their `to_char` patterns.
const DATETIME: &str = "YYYY-MM-DD HH24:MI:SS";
const DATE: &str = "YYYY-MM-DD";
const TIME: &str = "HH24:MI:SS";

/// The column's `DEFAULT` expression on PostgreSQL: its `postgres_default` as written, else
/// its `default` translated, else none. `Err` says why the `default` cannot be translated.
///
/// `NULL` is no default: PostgreSQL keeps none in its catalog for it, and a column without
/// one reads the same. (The row statements still treat the field as defaulted: a `None`
/// keeps the stored value on update, as on SQLite.)
pub(crate) fn pg_default(column: &Column) -> Result<Option<String>, String> {
    let expression = match (&column.postgres_default, &column.default) {
        (Some(written), _) => written.value().trim().to_owned(),
        (None, Some(default)) => translate(&default.value(), column.ty.scalar)?,
        (None, None) => return Ok(None),
    };
    let is_null = unwrapped(&expression).eq_ignore_ascii_case("null");
    Ok((!is_null).then_some(expression))
}

/// A SQLite default expression as PostgreSQL's, for a column holding `scalar`.
pub(crate) fn translate(sqlite: &str, scalar: Scalar) -> Result<String, String> {
    let pg_type = PgType::of(scalar);
    let text = unwrapped(sqlite.trim());
    let normal = normalized(text);
    let type_name = pg_type.as_sql();
    let not_for = |what: &str| Err(format!("{what} does not fit a {type_name} column"));
    if normal == "null" {
        return Ok("NULL".to_owned());
    }
    if normal == "true" || normal == "false" {
        let value = normal == "true";
        return match scalar {
            Scalar::Bool => Ok(if value { "TRUE" } else { "FALSE" }.to_owned()),
            _ if is_integer(scalar) => Ok(u8::from(value).to_string()),
            _ => not_for(&format!("`{text}`")),
        };
    }
    if let Some(number) = numeric_literal(text) {
        return number_for(number, scalar, pg_type);
    }
    if let Some(content) = string_literal(text) {
        return match scalar {
            Scalar::String | Scalar::Json => Ok(text.to_owned()),
            Scalar::Bytes => not_for(&format!("the text {text}")),
            // SQLite's column affinity stores numeric text in a numeric column as a number.
            _ => match numeric_literal(content.trim()) {
                Some(number) => number_for(number, scalar, pg_type),
                None => not_for(&format!("the text {text}")),
            },
        };
    }
    if let Some(hex) = blob_literal(text) {
        return match scalar {
            Scalar::Bytes => Ok(format!("'\\x{}'::bytea", hex.to_ascii_lowercase())),
            _ => not_for(&format!("the blob {text}")),
        };
    }
    let unix_time = [
        "unixepoch()",
        "unixepoch('now')",
        "strftime('%s','now')",
        "cast(strftime('%s','now') as integer)",
    ];
    if unix_time.contains(&normal.as_str()) {
        return match pg_type {
            PgType::BigInt | PgType::Integer | PgType::Real | PgType::DoublePrecision => Ok(
                format!("{UNIX_SECONDS}::{}", pg_type.as_sql().to_ascii_lowercase()),
            ),
            PgType::SmallInt => Err(format!(
                "the unix time `{text}` does not fit a {type_name} column ({})",
                scalar.rust_name()
            )),
            _ => not_for(&format!("the unix time `{text}`")),
        };
    }
    let timestamps = [
        (
            ["current_timestamp", "datetime()", "datetime('now')"],
            DATETIME,
        ),
        (["current_date", "date()", "date('now')"], DATE),
        (["current_time", "time()", "time('now')"], TIME),
    ];
    for (forms, pattern) in timestamps {
        if forms.contains(&normal.as_str()) {
            return match scalar {
                Scalar::String => Ok(format!("to_char(now() AT TIME ZONE 'UTC', '{pattern}')")),
                _ => not_for(&format!("the UTC text of `{text}`")),
            };
        }
    }
    Err(format!(
        "`{text}` is not one of the defaults wrkflw translates (numbers, 'text', NULL, TRUE, \
         FALSE, unixepoch(), CURRENT_TIMESTAMP)"
    ))
}

fn is_integer(scalar: Scalar) -> bool {
    matches!(
        scalar,
        Scalar::I64
            | Scalar::I32
            | Scalar::I16
            | Scalar::I8
            | Scalar::U32
            | Scalar::U16
            | Scalar::U8
    )
}

/// A number (as SQLite wrote it, sign included) in a column of `scalar`.
fn number_for(number: &str, scalar: Scalar, pg_type: PgType) -> Result<String, String> {
    let number = number.strip_prefix('+').unwrap_or(number);
    let integer = number.parse::<i128>().ok();
    let type_name = pg_type.as_sql();
    match scalar {
        Scalar::Bool => match integer {
            Some(0) => Ok("FALSE".to_owned()),
            Some(1) => Ok("TRUE".to_owned()),
            _ => Err(format!(
                "`{number}` is not a bool: a BOOLEAN column's default is 0, 1, TRUE or FALSE"
            )),
        },
        Scalar::F64 | Scalar::F32 => Ok(number.to_owned()),
        // SQLite stores a number as text in a TEXT column; so does this literal.
        Scalar::String | Scalar::Json => Ok(format!("'{number}'")),
        Scalar::Bytes => Err(format!(
            "the number `{number}` does not fit a {type_name} column"
        )),
        integer_type => {
            let Some(value) = integer else {
                return Err(format!(
                    "`{number}` is not a whole number, and the column is {type_name} ({})",
                    integer_type.rust_name()
                ));
            };
            let (min, max) = integer_range(integer_type);
            if value < min || value > max {
                return Err(format!(
                    "`{number}` does not fit the field's type, {} ({min} to {max})",
                    integer_type.rust_name()
                ));
            }
            Ok(value.to_string())
        }
    }
}

fn integer_range(scalar: Scalar) -> (i128, i128) {
    match scalar {
        Scalar::I64 => (i64::MIN.into(), i64::MAX.into()),
        Scalar::I32 => (i32::MIN.into(), i32::MAX.into()),
        Scalar::I16 => (i16::MIN.into(), i16::MAX.into()),
        Scalar::I8 => (i8::MIN.into(), i8::MAX.into()),
        Scalar::U32 => (0, u32::MAX.into()),
        Scalar::U16 => (0, u16::MAX.into()),
        Scalar::U8 => (0, u8::MAX.into()),
        _ => (0, 0),
    }
}

/// The text inside the parentheses that wrap all of it, any number of times:
/// `((unixepoch()))` is `unixepoch()`.
fn unwrapped(mut text: &str) -> &str {
    while text.starts_with('(') && text.ends_with(')') && closes_at_end(text) {
        text = text[1..text.len() - 1].trim();
    }
    text
}

/// Whether the parenthesis opening `text` is the one closing it, reading quotes as SQL does.
fn closes_at_end(text: &str) -> bool {
    let mut depth = 0usize;
    let mut quote = None;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at == text.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// The text lowercased and with its spacing made regular, outside quotes, so that
/// `strftime('%s', 'now')` and `STRFTIME('%s','now')` compare equal. Quoted text is kept.
fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut space = false;
    for c in text.chars() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        // No space inside parentheses or around commas; one elsewhere (`x AS integer`).
        if space && !out.is_empty() && !matches!(c, '(' | ')' | ',') && !out.ends_with(['(', ',']) {
            out.push(' ');
        }
        space = false;
        if c == '\'' || c == '"' {
            quote = Some(c);
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `text` if it is one numeric literal: `-1`, `+2`, `3.5`, `.5`, `1e3`.
fn numeric_literal(text: &str) -> Option<&str> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(at) => (&digits[..at], Some(&digits[at + 1..])),
        None => (digits, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(whole)
        && fraction.is_none_or(all_digits)
        && !(whole.is_empty() && fraction.is_none_or(str::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    (mantissa_ok && exponent_ok).then_some(text)
}

/// The content of `text` if it is one `'...'` literal (`''` is an escaped quote).
fn string_literal(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    // Inside, quotes come in pairs; a lone one would end the literal early.
    let lone = inner.replace("''", "").contains('\'');
    (!lone).then_some(inner)
}

/// The hex digits of a blob literal `X'0A1B'`.
fn blob_literal(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(['x', 'X'])?;
    let hex = string_literal(rest)?;
    (hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(sqlite: &str, scalar: Scalar) -> String {
        translate(sqlite, scalar).unwrap_or_else(|e| panic!("{sqlite}: {e}"))
    }

    #[test]
    fn literals_keep_their_value() {
        assert_eq!(ok("0", Scalar::I64), "0");
        assert_eq!(ok("(-42)", Scalar::I32), "-42");
        assert_eq!(ok("+7", Scalar::U8), "7");
        assert_eq!(ok("1.5", Scalar::F64), "1.5");
        assert_eq!(ok("2e3", Scalar::F32), "2e3");
        assert_eq!(ok("'queued'", Scalar::String), "'queued'");
        assert_eq!(ok("'it''s'", Scalar::String), "'it''s'");
        assert_eq!(ok("'{}'", Scalar::Json), "'{}'");
        assert_eq!(ok("3", Scalar::String), "'3'");
        assert_eq!(ok("'12'", Scalar::I16), "12");
        assert_eq!(ok("NULL", Scalar::Bytes), "NULL");
        assert_eq!(ok("X'0A1b'", Scalar::Bytes), "'\\x0a1b'::bytea");
    }

    #[test]
    fn booleans_become_true_and_false() {
        assert_eq!(ok("0", Scalar::Bool), "FALSE");
        assert_eq!(ok("1", Scalar::Bool), "TRUE");
        assert_eq!(ok("(1)", Scalar::Bool), "TRUE");
        assert_eq!(ok("true", Scalar::Bool), "TRUE");
        assert_eq!(ok("FALSE", Scalar::Bool), "FALSE");
        assert_eq!(ok("TRUE", Scalar::I64), "1");
        assert!(translate("2", Scalar::Bool).unwrap_err().contains("0, 1"));
    }

    #[test]
    fn unix_time_is_whole_seconds_of_the_column_type() {
        let bigint = "floor(extract(epoch from now()))::bigint";
        for form in [
            "unixepoch()",
            "(unixepoch())",
            "unixepoch('now')",
            "UNIXEPOCH( 'now' )",
            "strftime('%s', 'now')",
            "CAST(strftime('%s','now') AS INTEGER)",
        ] {
            assert_eq!(ok(form, Scalar::I64), bigint, "{form}");
        }
        assert_eq!(ok("unixepoch()", Scalar::U32), bigint);
        assert_eq!(
            ok("unixepoch()", Scalar::U16),
            "floor(extract(epoch from now()))::integer"
        );
        assert_eq!(
            ok("unixepoch()", Scalar::F64),
            "floor(extract(epoch from now()))::double precision"
        );
        assert!(translate("unixepoch()", Scalar::I16)
            .unwrap_err()
            .contains("SMALLINT"));
        assert!(translate("unixepoch()", Scalar::String).is_err());
        // Only `'now'`: another time string is another value.
        assert!(translate("unixepoch('2024-01-01')", Scalar::I64).is_err());
    }

    #[test]
    fn sqlite_timestamps_are_utc_text() {
        assert_eq!(
            ok("CURRENT_TIMESTAMP", Scalar::String),
            "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        );
        assert_eq!(
            ok("datetime('now')", Scalar::String),
            "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        );
        assert_eq!(
            ok("current_date", Scalar::String),
            "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        );
        assert_eq!(
            ok("CURRENT_TIME", Scalar::String),
            "to_char(now() AT TIME ZONE 'UTC', 'HH24:MI:SS')"
        );
        assert!(translate("CURRENT_TIMESTAMP", Scalar::I64).is_err());
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        assert!(translate("random()", Scalar::I64)
            .unwrap_err()
            .contains("`random()` is not one of the defaults"));
        assert!(translate("1 + 1", Scalar::I64).is_err());
        assert!(translate("'a' || 'b'", Scalar::String).is_err());
        assert!(translate("300", Scalar::U8)
            .unwrap_err()
            .contains("u8 (0 to 255)"));
        assert!(translate("-1", Scalar::U32).is_err());
        assert!(translate("1.5", Scalar::I64)
            .unwrap_err()
            .contains("whole number"));
        assert!(translate("'abc'", Scalar::I64).is_err());
        assert!(translate("'abc'", Scalar::Bytes).is_err());
        assert!(translate("X'0A'", Scalar::String).is_err());
        assert!(translate("(1) + (2)", Scalar::I64).is_err());
    }

    #[test]
    fn literal_readers_take_whole_literals_only() {
        assert_eq!(numeric_literal(".5"), Some(".5"));
        assert_eq!(numeric_literal("5."), Some("5."));
        assert_eq!(numeric_literal("."), None);
        assert_eq!(numeric_literal("1e"), None);
        assert_eq!(numeric_literal("0x10"), None);
        assert_eq!(string_literal("'a'' b'"), Some("a'' b"));
        assert_eq!(string_literal("'a' || 'b'"), None);
        assert_eq!(unwrapped("(1) + (2)"), "(1) + (2)");
        assert_eq!(unwrapped("(( 'x)' ))"), "'x)'");
        assert_eq!(normalized("CAST( x  AS integer )"), "cast(x as integer)");
    }
}
