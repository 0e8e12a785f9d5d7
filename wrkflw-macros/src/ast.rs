//! The typed model of an annotated struct: a [`Table`] of [`Column`]s, read from syn nodes that
//! are kept for error spans.

use proc_macro2::{Ident, TokenStream};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Field, Fields, GenericArgument, LitStr, PathArguments, Type};

use crate::args::{self, KeySpec, Once};
use crate::errors::Errors;
use crate::names;

/// The keys of `#[wrkflw_table(...)]`.
pub(crate) const TABLE_KEYS: &[KeySpec] = &[
    KeySpec {
        name: "rename_from",
        form: "#[wrkflw_table(rename_from = \"workflow_runs\")]",
    },
    KeySpec {
        name: "name",
        form: "#[wrkflw_table(name = \"workflow_runs\")]",
    },
    KeySpec {
        name: "prefix",
        form: "#[wrkflw_table(prefix = \"wrkflw_\")]",
    },
    KeySpec {
        name: "strict",
        form: "#[wrkflw_table(strict)]",
    },
    KeySpec {
        name: "index",
        form: "#[wrkflw_table(index(workflow_id, updated_at))]",
    },
    KeySpec {
        name: "unique",
        form: "#[wrkflw_table(unique(workflow_id, name))]",
    },
    KeySpec {
        name: "drop_columns",
        form: "#[wrkflw_table(drop_columns(\"old_column\"))]",
    },
];

/// The keys of `#[wrkflw(...)]` on a field.
pub(crate) const FIELD_KEYS: &[KeySpec] = &[
    KeySpec {
        name: "primary_key",
        form: "#[wrkflw(primary_key)]",
    },
    KeySpec {
        name: "index",
        form: "#[wrkflw(index)]",
    },
    KeySpec {
        name: "default",
        form: "#[wrkflw(default = \"unixepoch()\")]",
    },
    KeySpec {
        name: "rename_from",
        form: "#[wrkflw(rename_from = \"old_column\")]",
    },
    KeySpec {
        name: "json",
        form: "#[wrkflw(json)]",
    },
    KeySpec {
        name: "unique",
        form: "#[wrkflw(unique)]",
    },
    KeySpec {
        name: "references",
        form: "#[wrkflw(references = WorkflowRun)]",
    },
    KeySpec {
        name: "on_delete",
        form: "#[wrkflw(references = WorkflowRun, on_delete = \"cascade\")]",
    },
    KeySpec {
        name: "postgres_default",
        form: "#[wrkflw(default = \"unixepoch()\", postgres_default = \"floor(extract(epoch from now()))::bigint\")]",
    },
];

/// The values `on_delete` accepts, with the SQL each stands for.
pub(crate) const ON_DELETE: &[(&str, &str)] = &[
    ("cascade", "CASCADE"),
    ("restrict", "RESTRICT"),
    ("set_null", "SET NULL"),
    ("set_default", "SET DEFAULT"),
    ("no_action", "NO ACTION"),
];

pub(crate) const DEFAULT_PREFIX: &str = "wrkflw_";

/// The arguments of `#[wrkflw_table(...)]`, as written.
#[derive(Default)]
pub(crate) struct TableArgs {
    pub(crate) rename_from: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) prefix: Option<LitStr>,
    /// The `strict` key, kept for spans.
    pub(crate) strict: Option<Ident>,
    /// `index(...)` and `unique(...)`, in the order written.
    pub(crate) indexes: Vec<IndexArg>,
    /// `drop_columns("a", "b")`: existing columns the struct lets a rebuild drop with data.
    pub(crate) drop_columns: Vec<LitStr>,
}

/// One `index(a, b)` or `unique(a, b)` of `#[wrkflw_table(...)]`.
pub(crate) struct IndexArg {
    /// `index` or `unique`, kept for spans.
    pub(crate) key: Ident,
    pub(crate) unique: bool,
    /// The columns as written (field names).
    pub(crate) columns: Vec<Ident>,
}

/// An annotated struct: a table whose columns are its named fields, in field order.
pub(crate) struct Table<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) args: TableArgs,
    pub(crate) columns: Vec<Column<'a>>,
}

/// One named field of the struct.
pub(crate) struct Column<'a> {
    pub(crate) field: &'a Field,
    /// The column name: the field name with any `r#` removed.
    pub(crate) name: String,
    /// For an unsupported type (already reported), a placeholder that keeps the model whole.
    pub(crate) ty: ColumnType,
    /// The `primary_key` key, kept for spans.
    pub(crate) primary_key: Option<Ident>,
    /// The `index` key, kept for spans.
    pub(crate) index: Option<Ident>,
    pub(crate) default: Option<LitStr>,
    /// The `DEFAULT` written for PostgreSQL, used there as it is instead of `default`
    /// translated.
    pub(crate) postgres_default: Option<LitStr>,
    /// The legacy table's name for this column, when it differs.
    pub(crate) rename_from: Option<LitStr>,
    /// The `json` key, kept for spans: the field is any serde type, stored as JSON text.
    pub(crate) json: Option<Ident>,
    /// The `unique` key, kept for spans.
    pub(crate) unique: Option<Ident>,
    /// The struct named by `references = ...`.
    pub(crate) references: Option<syn::Path>,
    /// `on_delete = "..."` as written; checked against [`ON_DELETE`].
    pub(crate) on_delete: Option<LitStr>,
}

/// A field type: the Rust type it holds, the SQLite storage class that follows from it, and
/// whether it is an `Option`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ColumnType {
    pub(crate) sql: SqlType,
    /// The Rust type inside any `Option`; PostgreSQL's types follow it (`u16` is `INTEGER`).
    pub(crate) scalar: Scalar,
    pub(crate) nullable: bool,
}

impl ColumnType {
    pub(crate) fn new(scalar: Scalar, nullable: bool) -> ColumnType {
        ColumnType {
            sql: scalar.sql_type(),
            scalar,
            nullable,
        }
    }
}

/// The Rust types a column can hold (inside any `Option`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Scalar {
    I64,
    I32,
    I16,
    I8,
    U32,
    U16,
    U8,
    Bool,
    F64,
    F32,
    String,
    /// `Vec<u8>`.
    Bytes,
    /// Any serde type, with `#[wrkflw(json)]`.
    Json,
}

impl Scalar {
    /// The plain types by their name as written, in the order `SUPPORTED_TYPES` lists them.
    const PRIMITIVES: &'static [(&'static str, Scalar)] = &[
        ("i64", Scalar::I64),
        ("i32", Scalar::I32),
        ("i16", Scalar::I16),
        ("i8", Scalar::I8),
        ("u32", Scalar::U32),
        ("u16", Scalar::U16),
        ("u8", Scalar::U8),
        ("bool", Scalar::Bool),
        ("f64", Scalar::F64),
        ("f32", Scalar::F32),
    ];

    /// SQLite's storage class for the type.
    pub(crate) fn sql_type(self) -> SqlType {
        match self {
            Scalar::I64
            | Scalar::I32
            | Scalar::I16
            | Scalar::I8
            | Scalar::U32
            | Scalar::U16
            | Scalar::U8
            | Scalar::Bool => SqlType::Integer,
            Scalar::F64 | Scalar::F32 => SqlType::Real,
            Scalar::String | Scalar::Json => SqlType::Text,
            Scalar::Bytes => SqlType::Blob,
        }
    }

    /// The type's name as a Rust programmer writes it, for messages.
    pub(crate) fn rust_name(self) -> &'static str {
        match self {
            Scalar::String => "String",
            Scalar::Bytes => "Vec<u8>",
            Scalar::Json => "a JSON field",
            other => Scalar::PRIMITIVES
                .iter()
                .find(|(_, scalar)| *scalar == other)
                .map_or("", |(name, _)| name),
        }
    }
}

/// SQLite's storage classes that fields map to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SqlType {
    Text,
    Integer,
    Real,
    Blob,
}

impl SqlType {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Integer => "INTEGER",
            SqlType::Real => "REAL",
            SqlType::Blob => "BLOB",
        }
    }
}

impl<'a> Table<'a> {
    /// Reads the struct and its attributes. Returns `None` when the item is not a struct with
    /// named fields; every problem found is recorded in `errors`.
    pub(crate) fn from_syn(
        args: TokenStream,
        input: &'a DeriveInput,
        errors: &mut Errors,
    ) -> Option<Table<'a>> {
        let args = TableArgs::from_tokens(args, errors);
        for attr in &input.attrs {
            if attr.path().is_ident("wrkflw") {
                errors.spanned(
                    attr,
                    "#[wrkflw(...)] goes on fields; table options go in #[wrkflw_table(...)]",
                );
            }
        }
        if input.generics.lt_token.is_some() || input.generics.where_clause.is_some() {
            errors.spanned(
                &input.generics,
                "#[wrkflw_table] does not support generic structs: a table has one fixed schema",
            );
        }
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(unnamed) => {
                    errors.spanned(
                        unnamed,
                        "#[wrkflw_table] needs named fields: each field becomes a column\nhelp: write `struct Run { run_id: String }`",
                    );
                    return None;
                }
                Fields::Unit => {
                    errors.spanned(
                        &input.ident,
                        "#[wrkflw_table] needs a struct with named fields; a unit struct has no columns\nhelp: write `struct Run { run_id: String }`",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                // By span, not by reference: whether keyword tokens are `Copy` depends on
                // syn features that other crates in a build may switch on.
                errors.at(
                    data.enum_token.span,
                    "#[wrkflw_table] applies to a struct with named fields, not an enum",
                );
                return None;
            }
            Data::Union(data) => {
                errors.at(
                    data.union_token.span,
                    "#[wrkflw_table] applies to a struct with named fields, not a union",
                );
                return None;
            }
        };
        // A field typed by a generic parameter is covered by the generics error above.
        let type_params: Vec<&Ident> = input.generics.type_params().map(|p| &p.ident).collect();
        let columns = fields
            .named
            .iter()
            .map(|field| Column::from_syn(field, &type_params, errors))
            .collect();
        Some(Table {
            ident: &input.ident,
            args,
            columns,
        })
    }

    /// The prefix as written, or the default.
    pub(crate) fn prefix(&self) -> String {
        self.args
            .prefix
            .as_ref()
            .map_or_else(|| DEFAULT_PREFIX.to_owned(), LitStr::value)
    }

    /// The base name: `name`, else `rename_from`, else the struct name in snake_case.
    pub(crate) fn base_name(&self) -> String {
        match (&self.args.name, &self.args.rename_from) {
            (Some(name), _) | (None, Some(name)) => name.value(),
            (None, None) => names::snake_case(&self.ident.unraw().to_string()),
        }
    }

    /// The table's name in SQL: prefix + base name.
    pub(crate) fn table_name(&self) -> String {
        self.prefix() + &self.base_name()
    }

    pub(crate) fn legacy_name(&self) -> Option<String> {
        self.args.rename_from.as_ref().map(LitStr::value)
    }

    /// The primary key's columns, in field order (several for a composite key).
    pub(crate) fn key_columns(&self) -> impl Iterator<Item = &Column<'a>> {
        self.columns.iter().filter(|c| c.primary_key.is_some())
    }

    /// The column of a field name as written in a list (`index(a, b)`), ignoring `r#`.
    pub(crate) fn column_named(&self, ident: &Ident) -> Option<&Column<'a>> {
        let name = ident.unraw().to_string();
        self.columns.iter().find(|c| c.name == name)
    }
}

impl Column<'_> {
    /// The column's name in the legacy table: `rename_from`, else its own name.
    pub(crate) fn legacy_name(&self) -> String {
        self.rename_from
            .as_ref()
            .map_or_else(|| self.name.clone(), LitStr::value)
    }
}

impl TableArgs {
    fn from_tokens(tokens: TokenStream, errors: &mut Errors) -> TableArgs {
        let mut rename_from = Once::default();
        let mut name = Once::default();
        let mut prefix = Once::default();
        let mut strict = Once::default();
        let mut drop_columns = Once::default();
        let mut indexes = Vec::new();
        for arg in args::split(tokens, errors) {
            let slot = match arg.key.to_string().as_str() {
                "rename_from" => (&mut rename_from, &TABLE_KEYS[0]),
                "name" => (&mut name, &TABLE_KEYS[1]),
                "prefix" => (&mut prefix, &TABLE_KEYS[2]),
                "strict" => {
                    let value = arg.flag(&TABLE_KEYS[3], errors).then(|| arg.key.clone());
                    strict.set(&arg.key, value, errors);
                    continue;
                }
                key @ ("index" | "unique") => {
                    let unique = key == "unique";
                    let spec = &TABLE_KEYS[if unique { 5 } else { 4 }];
                    if let Some(items) = arg.list_items(spec, errors) {
                        let columns = items
                            .into_iter()
                            .filter_map(|item| match syn::parse2::<Ident>(item.clone()) {
                                Ok(ident) => Some(ident),
                                Err(_) => {
                                    errors.spanned(
                                        item,
                                        format!("`{key}(...)` lists field names\nhelp: the correct form is `{}`", spec.form),
                                    );
                                    None
                                }
                            })
                            .collect();
                        indexes.push(IndexArg {
                            key: arg.key.clone(),
                            unique,
                            columns,
                        });
                    }
                    continue;
                }
                "drop_columns" => {
                    let value = arg.list_items(&TABLE_KEYS[6], errors).map(|items| {
                        items
                            .into_iter()
                            .filter_map(|item| match syn::parse2::<LitStr>(item.clone()) {
                                Ok(lit) => Some(lit),
                                Err(_) => {
                                    errors.spanned(
                                        item,
                                        format!("`drop_columns(...)` lists the old columns' names as strings: they are not fields\nhelp: the correct form is `{}`", TABLE_KEYS[6].form),
                                    );
                                    None
                                }
                            })
                            .collect::<Vec<_>>()
                    });
                    drop_columns.set(&arg.key, value, errors);
                    continue;
                }
                _ => {
                    args::unknown_key(&arg.key, "#[wrkflw_table(...)]", TABLE_KEYS, errors);
                    continue;
                }
            };
            let value = arg.string(slot.1, errors);
            slot.0.set(&arg.key, value, errors);
        }
        TableArgs {
            rename_from: rename_from.get(),
            name: name.get(),
            prefix: prefix.get(),
            strict: strict.get(),
            indexes,
            drop_columns: drop_columns.get().unwrap_or_default(),
        }
    }
}

impl<'a> Column<'a> {
    fn from_syn(field: &'a Field, type_params: &[&Ident], errors: &mut Errors) -> Column<'a> {
        let mut primary_key = Once::default();
        let mut index = Once::default();
        let mut default = Once::default();
        let mut rename_from = Once::default();
        let mut json = Once::default();
        let mut unique = Once::default();
        let mut references = Once::default();
        let mut on_delete = Once::default();
        let mut postgres_default = Once::default();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("wrkflw")) {
            let tokens = match attr.meta.require_list() {
                Ok(list) => list.tokens.clone(),
                Err(_) => {
                    errors.spanned(
                        attr,
                        "expected #[wrkflw(...)] with keys inside\nhelp: the correct form is `#[wrkflw(primary_key)]` or `#[wrkflw(index, default = \"0\")]`",
                    );
                    continue;
                }
            };
            for arg in args::split(tokens, errors) {
                match arg.key.to_string().as_str() {
                    "primary_key" => {
                        let value = arg.flag(&FIELD_KEYS[0], errors).then(|| arg.key.clone());
                        primary_key.set(&arg.key, value, errors);
                    }
                    "index" => {
                        let value = arg.flag(&FIELD_KEYS[1], errors).then(|| arg.key.clone());
                        index.set(&arg.key, value, errors);
                    }
                    "default" => {
                        let value = arg.string(&FIELD_KEYS[2], errors);
                        default.set(&arg.key, value, errors);
                    }
                    "rename_from" => {
                        let value = arg.string(&FIELD_KEYS[3], errors);
                        rename_from.set(&arg.key, value, errors);
                    }
                    "json" => {
                        // `json = ...` is reported, and the field still read as JSON, so
                        // that its type does not add an "unsupported type" error.
                        arg.flag(&FIELD_KEYS[4], errors);
                        json.set(&arg.key, Some(arg.key.clone()), errors);
                    }
                    "unique" => {
                        let value = arg.flag(&FIELD_KEYS[5], errors).then(|| arg.key.clone());
                        unique.set(&arg.key, value, errors);
                    }
                    "references" => {
                        let value = arg.path(&FIELD_KEYS[6], errors);
                        references.set(&arg.key, value, errors);
                    }
                    "on_delete" => {
                        let value = arg.string(&FIELD_KEYS[7], errors);
                        on_delete.set(&arg.key, value, errors);
                    }
                    "postgres_default" => {
                        let value = arg.string(&FIELD_KEYS[8], errors);
                        postgres_default.set(&arg.key, value, errors);
                    }
                    _ => args::unknown_key(&arg.key, "#[wrkflw(...)]", FIELD_KEYS, errors),
                }
            }
        }
        // Named fields always have an ident.
        let name = field
            .ident
            .as_ref()
            .map(|ident| ident.unraw().to_string())
            .unwrap_or_default();
        let json = json.get();
        let ty = if json.is_some() {
            json_type(&field.ty, errors)
        } else {
            column_type(&field.ty, type_params, errors)
        };
        Column {
            field,
            name,
            ty: ty.unwrap_or(ColumnType::new(Scalar::String, false)),
            primary_key: primary_key.get(),
            index: index.get(),
            default: default.get(),
            postgres_default: postgres_default.get(),
            rename_from: rename_from.get(),
            json,
            unique: unique.get(),
            references: references.get(),
            on_delete: on_delete.get(),
        }
    }
}

/// A `json` field's column: TEXT, nullable for `Option<T>` (SQL NULL is `None`, the text
/// `null` is a value). Any type serde can read and write goes in; the compiler checks that.
fn json_type(ty: &Type, errors: &mut Errors) -> Option<ColumnType> {
    match OPTION.argument(ty) {
        Some(inner) if OPTION.argument(inner).is_some() => {
            errors.spanned(
                ty,
                "nested Option cannot be stored: SQL NULL is the outer `None`, JSON `null` the inner one\nhelp: use `Option<serde_json::Value>` to keep JSON `null` apart from no value",
            );
            None
        }
        inner => Some(ColumnType::new(Scalar::Json, inner.is_some())),
    }
}

const SUPPORTED_TYPES: &str =
    "String, i64, i32, i16, i8, u32, u16, u8, bool, f64, f32, Vec<u8>, or Option of one of them; any serde type with #[wrkflw(json)]";

/// Maps a field type to its column type by the structure of its path, so that
/// `std::option::Option<String>` and `Option<String>` are the same thing.
fn column_type(ty: &Type, type_params: &[&Ident], errors: &mut Errors) -> Option<ColumnType> {
    if let Type::Path(path) = ty {
        if type_params.iter().any(|p| path.path.is_ident(*p)) {
            return None;
        }
    }
    if let Some(inner) = OPTION.argument(ty) {
        if OPTION.argument(inner).is_some() {
            errors.spanned(
                ty,
                "nested Option cannot be stored: SQL has one NULL\nhelp: use a single `Option<T>`",
            );
            return None;
        }
        return scalar_type(inner, errors).map(|scalar| ColumnType::new(scalar, true));
    }
    scalar_type(ty, errors).map(|scalar| ColumnType::new(scalar, false))
}

fn scalar_type(ty: &Type, errors: &mut Errors) -> Option<Scalar> {
    if let Some(element) = VEC.argument(ty) {
        if primitive("u8").is(element) {
            return Some(Scalar::Bytes);
        }
    }
    if STRING.is(ty) {
        return Some(Scalar::String);
    }
    for &(name, scalar) in Scalar::PRIMITIVES {
        if primitive(name).is(ty) {
            return Some(scalar);
        }
    }
    let why = if ["u64", "usize", "i128", "u128", "isize"]
        .iter()
        .any(|name| primitive(name).is(ty))
    {
        "\nnote: SQLite stores integers as i64; this type does not round-trip\nhelp: use i64"
    } else if primitive("str").is(ty) || matches!(ty, Type::Reference(_)) {
        "\nhelp: rows own their data; use String"
    } else {
        ""
    };
    errors.spanned(
        ty,
        format!("unsupported field type for a column; supported: {SUPPORTED_TYPES}{why}"),
    );
    None
}

/// A standard-library type as a user may write it: bare (`String`, `i64`), or through its
/// module (`std::string::String`, `::core::option::Option`). `module` is `None` for the
/// primitives, which have no module path worth matching.
struct StdType {
    module: Option<&'static str>,
    name: &'static str,
}

const STRING: StdType = StdType {
    module: Some("string"),
    name: "String",
};
const OPTION: StdType = StdType {
    module: Some("option"),
    name: "Option",
};
const VEC: StdType = StdType {
    module: Some("vec"),
    name: "Vec",
};

const fn primitive(name: &'static str) -> StdType {
    StdType { module: None, name }
}

impl StdType {
    /// The type's generic arguments if `ty` names this type, judged on the path's segments.
    fn arguments<'t>(&self, ty: &'t Type) -> Option<&'t PathArguments> {
        let Type::Path(path) = ty else { return None };
        if path.qself.is_some() {
            return None;
        }
        let segments: Vec<&syn::PathSegment> = path.path.segments.iter().collect();
        let (last, leading) = segments.split_last()?;
        let leading_ok = match (leading, self.module) {
            ([], _) => path.path.leading_colon.is_none(),
            ([krate, module], Some(expected)) => {
                ["std", "core", "alloc"].iter().any(|k| krate.ident == k)
                    && module.ident == expected
                    && krate.arguments.is_none()
                    && module.arguments.is_none()
            }
            _ => false,
        };
        (leading_ok && last.ident == self.name).then_some(&last.arguments)
    }

    /// Whether `ty` is this type, without generic arguments.
    fn is(&self, ty: &Type) -> bool {
        self.arguments(ty).is_some_and(PathArguments::is_none)
    }

    /// For `Name<T>`, the `T`.
    fn argument<'t>(&self, ty: &'t Type) -> Option<&'t Type> {
        let PathArguments::AngleBracketed(arguments) = self.arguments(ty)? else {
            return None;
        };
        match arguments.args.iter().collect::<Vec<_>>().as_slice() {
            [GenericArgument::Type(inner)] => Some(inner),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn kind(ty: Type) -> Option<ColumnType> {
        column_type(&ty, &[], &mut Errors::default())
    }

    #[test]
    fn types_are_matched_by_path_structure() {
        let text = ColumnType::new(Scalar::String, false);
        assert_eq!(kind(parse_quote!(String)), Some(text));
        assert_eq!(kind(parse_quote!(std::string::String)), Some(text));
        assert_eq!(
            kind(parse_quote!(::core::option::Option<i64>)),
            Some(ColumnType::new(Scalar::I64, true))
        );
        assert_eq!(
            kind(parse_quote!(std::option::Option<Vec<u8>>)),
            Some(ColumnType::new(Scalar::Bytes, true))
        );
        assert_eq!(
            kind(parse_quote!(Option<f32>)).map(|t| t.sql),
            Some(SqlType::Real)
        );
        assert_eq!(kind(parse_quote!(my::String)), None);
        assert_eq!(kind(parse_quote!(Vec<u16>)), None);
        assert_eq!(kind(parse_quote!(Option<Option<i64>>)), None);
        assert_eq!(kind(parse_quote!(u64)), None);
        assert_eq!(
            kind(parse_quote!(Option<u16>)).map(|t| t.scalar),
            Some(Scalar::U16)
        );
        assert_eq!(
            kind(parse_quote!(bool)).map(|t| (t.sql, t.scalar)),
            Some((SqlType::Integer, Scalar::Bool))
        );
    }
}
