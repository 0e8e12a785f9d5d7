//! The pipeline: read the struct into the model, check it, then write the `Table` impl.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Field};

use crate::ast::{SqlType, Table};
use crate::errors::Errors;
use crate::sql::Dialect::{self, Sqlite};
use crate::{check, pg_check, pg_expand, sql};

/// Expands `#[wrkflw_table(args)] item`: the item, without our attributes, followed by the
/// generated impl or the compile errors.
pub(crate) fn wrkflw_table(args: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(mut input) = syn::parse2::<DeriveInput>(item.clone()) else {
        return not_a_type(item);
    };
    let generated = expand(args, &input);
    // The struct is emitted in every case so that one mistake in an attribute does not
    // cascade into "cannot find type" errors wherever the struct is used.
    strip_wrkflw_attributes(&mut input);
    quote!(#input #generated)
}

/// Read into the model, check it, generate; or report every error found.
fn expand(args: TokenStream, input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let table = Table::from_syn(args, input, &mut errors);
    if let Some(table) = &table {
        check::validate(table, &mut errors);
        if POSTGRES {
            pg_check::validate(table, &mut errors);
        }
    }
    match (table, errors.finish()) {
        (Some(table), Ok(())) => {
            let sqlite = impl_table(&table);
            let postgres = POSTGRES.then(|| pg_expand::impl_pg_table(&table));
            quote!(#sqlite #postgres)
        }
        (table, result) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let placeholder = table.and_then(|_| fallback_impl(input));
            let pg_placeholder = (POSTGRES && placeholder.is_some())
                .then(|| pg_expand::fallback_pg_impl(&input.ident));
            quote!(#errors #placeholder #pg_placeholder)
        }
    }
}

/// Whether the PostgreSQL statements are generated too (`wrkflw`'s `postgres` feature turns
/// this crate's on). The checks and text for them are compiled either way, so that their
/// unit tests run without the feature; without it the expansion is what it always was.
const POSTGRES: bool = cfg!(feature = "postgres");

/// A function, impl or other item: say what the attribute applies to and pass it through.
fn not_a_type(item: TokenStream) -> TokenStream {
    let first = item.clone().into_iter().next();
    let error = syn::Error::new_spanned(
        first.map(TokenStream::from).unwrap_or_default(),
        "#[wrkflw_table] applies to a struct with named fields",
    )
    .into_compile_error();
    quote!(#error #item)
}

fn impl_table(table: &Table) -> TokenStream {
    let ident = table.ident;
    let table_name = table.table_name();
    let legacy = option_str(table.legacy_name().as_deref());
    let create = sql_tokens(&sql::create_sql(table, Sqlite));
    let indexes = sql::index_sql(table, Sqlite);
    let index_defs = sql::indexes(table).into_iter().map(|index| {
        let sql::IndexDef {
            name,
            columns,
            unique,
        } = index;
        quote! {
            ::wrkflw::Index {
                name: #name,
                columns: &[#(#columns),*],
                unique: #unique,
            }
        }
    });
    let strict = table.args.strict.is_some();
    let drop_columns = table.args.drop_columns.iter();
    let copy = option_str(sql::copy_sql(table, Sqlite).as_deref());
    let drops = sql::drop_legacy_sql(table, Sqlite);
    let keep_script = sql_tokens(&sql::migration_script(table, false, Sqlite));
    let drop_script = sql_tokens(&sql::migration_script(table, true, Sqlite));
    let rows = sql::row_statements(table, Sqlite);
    let sql::RowStatements {
        insert,
        upsert,
        update,
        select,
        select_all,
        delete,
        count,
        ..
    } = &rows;
    let columns = table.columns.iter().map(|column| {
        let name = &column.name;
        let sql_type = sql_type_tokens(column.ty.sql);
        let nullable = column.ty.nullable;
        let primary_key = column.primary_key.is_some();
        let indexed = column.index.is_some();
        let json = column.json.is_some();
        let default = option_str(column.default.as_ref().map(|d| d.value()).as_deref());
        let rename_from = option_str(column.rename_from.as_ref().map(|r| r.value()).as_deref());
        let unique = column.unique.is_some();
        let references = match &column.references {
            None => quote!(::core::option::Option::None),
            Some(target) => {
                let (table_name, key) = match sql::referenced_here(table, target) {
                    Some((name, key)) => (quote!(#name), quote!(#key)),
                    None => (
                        quote!(<#target as ::wrkflw::__private::Referenced>::TABLE_NAME),
                        quote!(<#target as ::wrkflw::__private::Referenced>::KEY_COLUMN),
                    ),
                };
                let on_delete = match sql::on_delete_sql(column) {
                    Some("CASCADE") => quote!(Cascade),
                    Some("RESTRICT") => quote!(Restrict),
                    Some("SET NULL") => quote!(SetNull),
                    Some("SET DEFAULT") => quote!(SetDefault),
                    _ => quote!(NoAction),
                };
                quote!(::core::option::Option::Some(::wrkflw::ForeignKey {
                    table: #table_name,
                    column: #key,
                    on_delete: ::wrkflw::OnDelete::#on_delete,
                }))
            }
        };
        quote! {
            ::wrkflw::Column {
                name: #name,
                sql_type: ::wrkflw::SqlType::#sql_type,
                nullable: #nullable,
                primary_key: #primary_key,
                indexed: #indexed,
                json: #json,
                default: #default,
                rename_from: #rename_from,
                unique: #unique,
                references: #references,
            }
        }
    });
    let reference_checks = table.columns.iter().filter_map(|column| {
        let target = column.references.as_ref()?;
        if sql::referenced_here(table, target).is_some() {
            return None;
        }
        let sql_type = sql_type_tokens(column.ty.sql);
        let one_key = format!(
            "`{}` references a table whose primary key has several columns; a `references` column names a table with a one-column key",
            column.name
        );
        let same_type = format!(
            "`{}` references a primary key of another SQL type; give the field the type of the referenced key",
            column.name
        );
        // Spanned on the path, so the compiler's message points at `references = ...`.
        Some(quote::quote_spanned! {target.span()=>
            const _: () = ::core::assert!(
                <#target as ::wrkflw::__private::Referenced>::KEY_LEN == 1,
                #one_key
            );
            const _: () = ::core::assert!(
                <#target as ::wrkflw::__private::Referenced>::KEY_TYPE as ::core::primitive::u8
                    == ::wrkflw::SqlType::#sql_type as ::core::primitive::u8,
                #same_type
            );
        })
    });
    let table_sql = crate::names::sql_ident(&table_name).into_owned();
    let key_len = table.key_columns().count();
    let key_size = match key_len {
        2 => quote!(Two),
        3 => quote!(Three),
        4 => quote!(Four),
        5 => quote!(Five),
        _ => quote!(One),
    };
    let key_column = match (table.key_columns().next(), key_len) {
        (Some(key), 1) => key.name.clone(),
        _ => String::new(),
    };
    let key_sql = crate::names::sql_ident(&key_column).into_owned();
    let key_type = sql_type_tokens(
        table
            .key_columns()
            .next()
            .map_or(SqlType::Text, |key| key.ty.sql),
    );
    let pg_referenced = POSTGRES.then(|| pg_expand::referenced_items(table));
    let by_name = table.columns.iter().map(|column| {
        let name = column.name.as_str();
        read_field(column, quote!(#name))
    });
    let by_position = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| read_field(column, quote!(#i)));
    let params = table.columns.iter().enumerate().map(|(i, column)| {
        let field = field_ident(column);
        let name = column.name.as_str();
        let local = quote::format_ident!("__json_{}", i);
        match (column.json.is_some(), column.ty.nullable) {
            (false, _) => (quote!(), quote!(&self.#field)),
            (true, false) => (
                quote!(let #local = ::wrkflw::__private::to_json(&self.#field, #table_name, #name)?;),
                quote!(&#local),
            ),
            (true, true) => (
                quote!(let #local = ::wrkflw::__private::to_json_opt(&self.#field, #table_name, #name)?;),
                quote!(&#local),
            ),
        }
    });
    let (encodings, bindings): (Vec<TokenStream>, Vec<TokenStream>) = params.unzip();
    let width = table.columns.len();
    let finders = rows
        .finders
        .iter()
        .map(|finder| {
            let FinderItems {
                method,
                constant,
                values,
                doc,
                const_doc,
            } = finder_items(table, finder, Sqlite);
            let sql = &finder.sql;
            let (returns, call) = if finder.unique {
                (
                    quote!(::core::option::Option<Self>),
                    quote!(::wrkflw::__private::find_one::<Self>),
                )
            } else {
                (
                    quote!(::std::vec::Vec<Self>),
                    quote!(::wrkflw::__private::find::<Self>),
                )
            };
            quote! {
                #[doc = #const_doc]
                pub const #constant: &'static ::core::primitive::str = #sql;

                #[doc = #doc]
                pub fn #method(
                    conn: &::wrkflw::__private::rusqlite::Connection,
                    #(#values: impl ::wrkflw::__private::rusqlite::ToSql,)*
                ) -> ::wrkflw::Result<#returns> {
                    #call(conn, Self::#constant, &[#(&#values),*])
                }
            }
        })
        .collect::<Vec<_>>();
    let finders = (!finders.is_empty()).then(|| {
        quote! {
            #[automatically_derived]
            impl #ident {
                #(#finders)*
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl ::wrkflw::Table for #ident {
            const TABLE_NAME: &'static ::core::primitive::str = #table_name;
            const LEGACY_TABLE_NAME: ::core::option::Option<&'static ::core::primitive::str> = #legacy;
            const CREATE_SQL: &'static ::core::primitive::str = #create;
            const INDEX_SQL: &'static [&'static ::core::primitive::str] = &[#(#indexes),*];
            const INDEXES: &'static [::wrkflw::Index] = &[#(#index_defs),*];
            const STRICT: ::core::primitive::bool = #strict;
            const DROP_COLUMNS: &'static [&'static ::core::primitive::str] = &[#(#drop_columns),*];
            const COPY_SQL: ::core::option::Option<&'static ::core::primitive::str> = #copy;
            const DROP_LEGACY_SQL: &'static [&'static ::core::primitive::str] = &[#(#drops),*];
            const COLUMNS: &'static [::wrkflw::Column] = &[#(#columns),*];
            const INSERT_SQL: &'static ::core::primitive::str = #insert;
            const UPSERT_SQL: &'static ::core::primitive::str = #upsert;
            const UPDATE_SQL: &'static ::core::primitive::str = #update;
            const SELECT_SQL: &'static ::core::primitive::str = #select;
            const SELECT_ALL_SQL: &'static ::core::primitive::str = #select_all;
            const DELETE_SQL: &'static ::core::primitive::str = #delete;
            const COUNT_SQL: &'static ::core::primitive::str = #count;
            type KeySize = ::wrkflw::key::#key_size;

            fn migration_sql(legacy: ::wrkflw::LegacyTable) -> &'static ::core::primitive::str {
                match legacy {
                    ::wrkflw::LegacyTable::Keep => #keep_script,
                    ::wrkflw::LegacyTable::Drop => #drop_script,
                }
            }

            fn from_row(
                row: &::wrkflw::__private::rusqlite::Row<'_>,
            ) -> ::wrkflw::__private::rusqlite::Result<Self> {
                ::core::result::Result::Ok(Self { #(#by_name),* })
            }

            #[doc(hidden)]
            fn __read_ordered(
                row: &::wrkflw::__private::rusqlite::Row<'_>,
            ) -> ::wrkflw::__private::rusqlite::Result<Self> {
                ::core::result::Result::Ok(Self { #(#by_position),* })
            }

            #[doc(hidden)]
            fn __with_params<R>(
                &self,
                run: &mut dyn ::core::ops::FnMut(
                    &[&dyn ::wrkflw::__private::rusqlite::ToSql],
                ) -> ::wrkflw::__private::rusqlite::Result<R>,
            ) -> ::wrkflw::Result<::wrkflw::__private::rusqlite::Result<R>> {
                #(#encodings)*
                let params: [&dyn ::wrkflw::__private::rusqlite::ToSql; #width] = [#(#bindings),*];
                ::core::result::Result::Ok(run(&params))
            }
        }

        #[automatically_derived]
        impl ::wrkflw::__private::Referenced for #ident {
            const TABLE_NAME: &'static ::core::primitive::str = #table_name;
            const TABLE_SQL: &'static ::core::primitive::str = #table_sql;
            const KEY_COLUMN: &'static ::core::primitive::str = #key_column;
            const KEY_SQL: &'static ::core::primitive::str = #key_sql;
            const KEY_LEN: ::core::primitive::usize = #key_len;
            const KEY_TYPE: ::wrkflw::SqlType = ::wrkflw::SqlType::#key_type;
            #pg_referenced
        }

        #(#reference_checks)*

        #finders
    }
}

/// What a finder is called and says, on either engine: `find_by_a_and_b` (`pg_find_by_...`
/// on PostgreSQL), its statement's constant, its parameters and its docs.
pub(crate) struct FinderItems {
    pub(crate) method: syn::Ident,
    pub(crate) constant: syn::Ident,
    /// One per column, in order.
    pub(crate) values: Vec<syn::Ident>,
    pub(crate) doc: String,
    pub(crate) const_doc: String,
}

pub(crate) fn finder_items(table: &Table, finder: &sql::Finder, dialect: Dialect) -> FinderItems {
    // The connection's parameter is `handle`; `engine` is said in the docs.
    let (prefix, handle, engine) = match dialect {
        Sqlite => ("", "conn", ""),
        Dialect::Postgres => ("pg_", "client", ", on PostgreSQL"),
    };
    let method = quote::format_ident!("{prefix}find_by_{}", finder.name);
    let constant = quote::format_ident!(
        "{}FIND_BY_{}_SQL",
        prefix.to_ascii_uppercase(),
        finder.name.to_ascii_uppercase()
    );
    // `value` for one column (as before composite finders existed); the fields' own names
    // for several, raw ones (`r#type`) kept raw, a field named as the connection's
    // parameter as `{name}_value`.
    let values: Vec<syn::Ident> = match finder.columns.as_slice() {
        [_] => vec![quote::format_ident!("value")],
        many => many
            .iter()
            .map(
                |name| match table.columns.iter().find(|c| c.name == *name) {
                    Some(c) if c.name != handle => field_ident(c).clone(),
                    _ => quote::format_ident!("{}_value", name),
                },
            )
            .collect(),
    };
    let shown: Vec<String> = finder.columns.iter().map(|c| format!("`{c}`")).collect();
    let shown = shown.join(" and ");
    let doc = if finder.unique {
        format!(
            "The row whose {shown} match, if any{engine} (unique, so at most one; `None` in \
             an `Option` field finds nothing): runs [`Self::{constant}`]."
        )
    } else {
        format!(
            "The rows whose {shown} match, in key order{engine} (on an `Option` field, \
             `None` finds the rows without one): runs [`Self::{constant}`]."
        )
    };
    let const_doc = format!("The statement of [`Self::{method}`].");
    FinderItems {
        method,
        constant,
        values,
        doc,
        const_doc,
    }
}

fn sql_type_tokens(sql_type: SqlType) -> TokenStream {
    match sql_type {
        SqlType::Text => quote!(Text),
        SqlType::Integer => quote!(Integer),
        SqlType::Real => quote!(Real),
        SqlType::Blob => quote!(Blob),
    }
}

/// A string literal for plain SQL text; for text that names another table, a constant
/// expression that joins the pieces at compile time, so the `const` still holds the whole
/// statement with the real table name in it.
fn sql_tokens(text: &sql::SqlText) -> TokenStream {
    joined_sql_tokens(
        text,
        |path| quote!(<#path as ::wrkflw::__private::Referenced>::TABLE_SQL),
        |path| quote!(<#path as ::wrkflw::__private::Referenced>::KEY_SQL),
    )
}

/// [`sql_tokens`] with the constants that give another table's name and key as SQL text.
pub(crate) fn joined_sql_tokens(
    text: &sql::SqlText,
    table_of: impl Fn(&syn::Path) -> TokenStream,
    key_of: impl Fn(&syn::Path) -> TokenStream,
) -> TokenStream {
    if let Some(plain) = text.as_plain() {
        return quote!(#plain);
    }
    let pieces = text.pieces.iter().map(|piece| match piece {
        sql::Piece::Text(text) => quote!(#text),
        sql::Piece::TableOf(path) => table_of(path),
        sql::Piece::KeyOf(path) => key_of(path),
    });
    quote! {{
        const PIECES: &[&::core::primitive::str] = &[#(#pieces),*];
        const LEN: ::core::primitive::usize = ::wrkflw::__private::joined_len(PIECES);
        const BYTES: [::core::primitive::u8; LEN] = ::wrkflw::__private::join::<LEN>(PIECES);
        const TEXT: &::core::primitive::str = ::wrkflw::__private::utf8(&BYTES);
        TEXT
    }}
}

/// The field's identifier as written (a raw `r#type` stays raw).
pub(crate) fn field_ident<'a>(column: &'a crate::ast::Column) -> &'a syn::Ident {
    column
        .field
        .ident
        .as_ref()
        .expect("columns come from named fields")
}

/// `field: <read>?` for one column at `index` (a name or a position): JSON columns through
/// serde, the others as rusqlite reads them.
fn read_field(column: &crate::ast::Column, index: TokenStream) -> TokenStream {
    let field = field_ident(column);
    match (column.json.is_some(), column.ty.nullable) {
        (false, _) => quote!(#field: row.get(#index)?),
        (true, false) => quote!(#field: ::wrkflw::__private::json(row, #index)?),
        (true, true) => quote!(#field: ::wrkflw::__private::json_opt(row, #index)?),
    }
}

pub(crate) fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

/// After a reported error, an impl with empty values keeps uses of `T::TABLE_NAME` or
/// `T::migrate` from adding "trait not implemented" errors to the real ones. The crate does
/// not compile either way; this only keeps the error list short. Generic structs get none:
/// their impl would need generics of its own and the generics are the reported error.
fn fallback_impl(input: &DeriveInput) -> Option<TokenStream> {
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return None;
    }
    let ident = &input.ident;
    let pg_referenced = POSTGRES.then(pg_expand::fallback_referenced_items);
    Some(quote! {
        impl ::wrkflw::Table for #ident {
            const TABLE_NAME: &'static ::core::primitive::str = "";
            const LEGACY_TABLE_NAME: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::None;
            const CREATE_SQL: &'static ::core::primitive::str = "";
            const INDEX_SQL: &'static [&'static ::core::primitive::str] = &[];
            const INDEXES: &'static [::wrkflw::Index] = &[];
            const COPY_SQL: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::None;
            const DROP_LEGACY_SQL: &'static [&'static ::core::primitive::str] = &[];
            const COLUMNS: &'static [::wrkflw::Column] = &[];
            const INSERT_SQL: &'static ::core::primitive::str = "";
            const UPSERT_SQL: &'static ::core::primitive::str = "";
            const UPDATE_SQL: &'static ::core::primitive::str = "";
            const SELECT_SQL: &'static ::core::primitive::str = "";
            const SELECT_ALL_SQL: &'static ::core::primitive::str = "";
            const DELETE_SQL: &'static ::core::primitive::str = "";
            const COUNT_SQL: &'static ::core::primitive::str = "";
            type KeySize = ::wrkflw::key::One;

            fn migration_sql(_: ::wrkflw::LegacyTable) -> &'static ::core::primitive::str {
                ""
            }

            fn from_row(
                _: &::wrkflw::__private::rusqlite::Row<'_>,
            ) -> ::wrkflw::__private::rusqlite::Result<Self> {
                ::core::result::Result::Err(::wrkflw::__private::rusqlite::Error::InvalidQuery)
            }

            fn __read_ordered(
                _: &::wrkflw::__private::rusqlite::Row<'_>,
            ) -> ::wrkflw::__private::rusqlite::Result<Self> {
                ::core::result::Result::Err(::wrkflw::__private::rusqlite::Error::InvalidQuery)
            }

            fn __with_params<R>(
                &self,
                _: &mut dyn ::core::ops::FnMut(
                    &[&dyn ::wrkflw::__private::rusqlite::ToSql],
                ) -> ::wrkflw::__private::rusqlite::Result<R>,
            ) -> ::wrkflw::Result<::wrkflw::__private::rusqlite::Result<R>> {
                ::core::result::Result::Ok(::core::result::Result::Err(
                    ::wrkflw::__private::rusqlite::Error::InvalidQuery,
                ))
            }
        }

        impl ::wrkflw::__private::Referenced for #ident {
            const TABLE_NAME: &'static ::core::primitive::str = "";
            const TABLE_SQL: &'static ::core::primitive::str = "";
            const KEY_COLUMN: &'static ::core::primitive::str = "";
            const KEY_SQL: &'static ::core::primitive::str = "";
            const KEY_LEN: ::core::primitive::usize = 1;
            const KEY_TYPE: ::wrkflw::SqlType = ::wrkflw::SqlType::Text;
            #pg_referenced
        }
    })
}

fn strip_wrkflw_attributes(input: &mut DeriveInput) {
    let ours = |attr: &Attribute| attr.path().is_ident("wrkflw");
    input.attrs.retain(|attr| !ours(attr));
    let fields: Vec<&mut Field> = match &mut input.data {
        Data::Struct(data) => data.fields.iter_mut().collect(),
        Data::Enum(data) => data
            .variants
            .iter_mut()
            .flat_map(|variant| {
                variant.attrs.retain(|attr| !ours(attr));
                variant.fields.iter_mut()
            })
            .collect(),
        Data::Union(data) => data.fields.named.iter_mut().collect(),
    };
    for field in fields {
        field.attrs.retain(|attr| !ours(attr));
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::wrkflw_table;

    #[test]
    fn a_valid_struct_gets_its_attributes_stripped_and_an_impl() {
        let out = wrkflw_table(
            quote!(rename_from = "runs"),
            quote!(
                struct Run {
                    #[wrkflw(primary_key)]
                    id: String,
                }
            ),
        )
        .to_string();
        assert!(!out.contains("# [wrkflw"), "{out}");
        assert!(out.contains("impl :: wrkflw :: Table for Run"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
        // The PostgreSQL impl only with the feature, behind the runtime's own switch.
        assert_eq!(
            out.contains(
                ":: wrkflw :: __private :: if_postgres ! { # [automatically_derived] impl :: wrkflw :: postgres :: PgTable for Run"
            ),
            cfg!(feature = "postgres"),
            "{out}"
        );
        assert_eq!(out.contains("PG_"), cfg!(feature = "postgres"), "{out}");
    }

    #[test]
    fn a_bad_struct_still_emits_the_struct_next_to_every_error() {
        let out = wrkflw_table(
            quote!(rename_form = "runs", prefix = 1),
            quote!(
                struct Run {
                    #[wrkflw(primary_kye)]
                    id: u64,
                }
            ),
        )
        .to_string();
        // The unknown table key, the prefix that is not a string, the misspelt field key,
        // the unsupported type, and (the key misspelt) no primary key.
        assert_eq!(out.matches("compile_error").count(), 5, "{out}");
        assert!(out.starts_with("struct Run { id : u64"), "{out}");
        // The placeholder impl keeps uses of `Run::TABLE_NAME` from adding errors.
        assert!(out.contains("impl :: wrkflw :: Table for Run"), "{out}");
    }

    #[test]
    fn something_other_than_a_struct_or_enum_is_passed_through_with_an_error() {
        let out = wrkflw_table(
            quote!(),
            quote!(
                fn run() {}
            ),
        )
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fn run () { }"), "{out}");
    }
}
