//! How a value of one PostgreSQL type becomes a value of a field's type: in the first copy
//! (a legacy column into the table's), in the capture (each legacy write), and in an
//! `ALTER COLUMN ... TYPE ... USING` (the table's own column). One conversion per pair of
//! types, so that the three cannot disagree; each says whether it can fail on a value (text
//! that is not a number, not JSON) and how to find the values it would change (a fraction
//! into an integer).

use super::PgType;

/// What a type is, for converting from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `smallint`, `integer`, `bigint`, ranked by width.
    Int(u8),
    Numeric,
    /// `real` (1) or `double precision` (2).
    Float(u8),
    Boolean,
    Text,
    Json,
    Jsonb,
    Bytea,
    Other,
}

fn kind(type_name: &str) -> Kind {
    let base = type_name.split('(').next().unwrap_or(type_name).trim();
    match base {
        "smallint" => Kind::Int(1),
        "integer" => Kind::Int(2),
        "bigint" => Kind::Int(3),
        "numeric" => Kind::Numeric,
        "real" => Kind::Float(1),
        "double precision" => Kind::Float(2),
        "boolean" => Kind::Boolean,
        "text" | "character varying" | "character" | "name" | "citext" => Kind::Text,
        "json" => Kind::Json,
        "jsonb" => Kind::Jsonb,
        "bytea" => Kind::Bytea,
        _ => Kind::Other,
    }
}

fn target(pg_type: PgType) -> Kind {
    match pg_type {
        PgType::SmallInt => Kind::Int(1),
        PgType::Integer => Kind::Int(2),
        PgType::BigInt => Kind::Int(3),
        PgType::Boolean => Kind::Boolean,
        PgType::Real => Kind::Float(1),
        PgType::DoublePrecision => Kind::Float(2),
        PgType::Text => Kind::Text,
        PgType::Bytea => Kind::Bytea,
        PgType::Jsonb => Kind::Jsonb,
    }
}

/// The conversion of a value of type `from` (as `format_type` writes it) into `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conversion {
    from: String,
    to: PgType,
    how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// The same type: the value as it is.
    Same,
    /// A cast no value can fail or change under (a wider integer, `varchar` to `text`).
    Widen,
    /// A cast that fails on some values (text that is not a number, a number out of range),
    /// and may change others (`Changes`).
    Cast,
    /// `0`/`1` integers as booleans: `value <> 0` (an integer has no cast to `boolean`
    /// but `integer`'s, and that takes any non-zero value as true).
    NonZero,
    /// A boolean as `0`/`1`.
    ZeroOne,
    /// Bytes as UTF-8 text, which fails on bytes that are not UTF-8.
    Utf8,
    /// Text as its UTF-8 bytes.
    Bytes,
}

impl Conversion {
    pub(crate) fn new(from: &str, to: PgType) -> Conversion {
        let how = if from == to.catalog_name() {
            How::Same
        } else {
            match (kind(from), target(to)) {
                (Kind::Int(a), Kind::Int(b)) if a <= b => How::Widen,
                (Kind::Float(1), Kind::Float(2)) => How::Widen,
                (Kind::Int(_), Kind::Boolean) => How::NonZero,
                (Kind::Boolean, Kind::Int(_)) => How::ZeroOne,
                (Kind::Text | Kind::Json | Kind::Jsonb, Kind::Text) => How::Widen,
                (Kind::Int(_) | Kind::Numeric | Kind::Float(_) | Kind::Boolean, Kind::Text) => {
                    How::Widen
                }
                (Kind::Bytea, Kind::Text) => How::Utf8,
                (Kind::Text, Kind::Bytea) => How::Bytes,
                _ => How::Cast,
            }
        };
        Conversion {
            from: from.to_owned(),
            to,
            how,
        }
    }

    /// The value of `expr` as the field's type.
    pub(crate) fn apply(&self, expr: &str) -> String {
        let to = self.to.catalog_name();
        match self.how {
            How::Same => expr.to_owned(),
            How::Widen | How::Cast => format!("{expr}::{to}"),
            How::NonZero => format!("({expr} <> 0)"),
            How::ZeroOne => format!("(CASE WHEN {expr} THEN 1 ELSE 0 END)::{to}"),
            How::Utf8 => format!("convert_from({expr}, 'UTF8')"),
            How::Bytes => format!("convert_to({expr}, 'UTF8')"),
        }
    }

    /// Whether converting a value can fail (and abort the statement).
    pub(crate) fn fallible(&self) -> bool {
        matches!(self.how, How::Cast | How::Utf8)
    }

    /// The value as it is: no cast at all.
    pub(crate) fn is_same(&self) -> bool {
        self.how == How::Same
    }

    /// Whether two different values can become one (text keys `'01'` and `'1'` as one
    /// integer): only the identity and widening casts keep values apart for sure.
    pub(crate) fn may_merge(&self) -> bool {
        !matches!(self.how, How::Same | How::Widen)
    }

    /// A condition true for a value of `expr` that converts to a different value, for a
    /// conversion that can change values without failing; `None` when none changes. Text
    /// parsed into a number or JSON is read, not changed: `' 42'` is 42.
    pub(crate) fn changes(&self, expr: &str) -> Option<String> {
        let to = self.to.catalog_name();
        match (self.how, kind(&self.from), target(self.to)) {
            (How::NonZero, _, _) => Some(format!("{expr} NOT IN (0, 1)")),
            (How::Cast, Kind::Numeric | Kind::Float(_), Kind::Int(_)) => {
                Some(format!("{expr} <> trunc({expr})"))
            }
            (How::Cast, Kind::Int(_) | Kind::Numeric | Kind::Float(2), Kind::Float(_)) => {
                Some(format!("{expr}::{to}::numeric <> {expr}::numeric"))
            }
            _ => None,
        }
    }

    /// What the field's type needs of the values, for errors: `whole numbers`, `0 or 1`, ...
    pub(crate) fn expects(&self) -> String {
        let to = self.to.as_str();
        match (self.how, kind(&self.from), target(self.to)) {
            (How::NonZero, _, _) => "0 or 1 (the field is a bool)".to_owned(),
            (How::Utf8, _, _) => "UTF-8 text".to_owned(),
            (_, _, Kind::Jsonb) => "JSON".to_owned(),
            (_, Kind::Numeric | Kind::Float(_), Kind::Int(_)) => {
                format!("whole numbers that fit {to}")
            }
            (_, _, Kind::Int(_)) => format!("integers that fit {to}"),
            (_, _, Kind::Float(_)) => format!("numbers {to} holds exactly"),
            (_, _, Kind::Boolean) => "booleans (true/false, t/f, yes/no, on/off, 1/0)".to_owned(),
            _ => format!("{to} values"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pair_of_types_has_its_conversion() {
        let c = Conversion::new("text", PgType::Text);
        assert_eq!(c.apply("l.a"), "l.a");
        assert!(!c.fallible() && !c.may_merge());
        let c = Conversion::new("character varying(40)", PgType::Text);
        assert_eq!(c.apply("l.a"), "l.a::text");
        assert!(!c.fallible() && !c.may_merge());
        let c = Conversion::new("text", PgType::Jsonb);
        assert_eq!(c.apply("l.a"), "l.a::jsonb");
        assert!(c.fallible() && c.changes("l.a").is_none());
        let c = Conversion::new("integer", PgType::Boolean);
        assert_eq!(c.apply("l.a"), "(l.a <> 0)");
        assert_eq!(c.changes("l.a").unwrap(), "l.a NOT IN (0, 1)");
        assert!(!c.fallible());
        let c = Conversion::new("integer", PgType::BigInt);
        assert!(!c.fallible() && c.changes("x").is_none());
        let c = Conversion::new("bigint", PgType::Integer);
        assert!(c.fallible() && c.changes("x").is_none());
        let c = Conversion::new("double precision", PgType::BigInt);
        assert_eq!(c.changes("x").unwrap(), "x <> trunc(x)");
        let c = Conversion::new("bigint", PgType::DoublePrecision);
        assert_eq!(
            c.changes("x").unwrap(),
            "x::double precision::numeric <> x::numeric"
        );
        let c = Conversion::new("text", PgType::BigInt);
        assert!(c.fallible() && c.may_merge());
        assert_eq!(c.expects(), "integers that fit BIGINT");
        let c = Conversion::new("bytea", PgType::Text);
        assert_eq!(c.apply("x"), "convert_from(x, 'UTF8')");
        assert!(c.fallible());
    }
}
