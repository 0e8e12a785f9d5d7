//! The `wrkflw::postgres::PgTable` impl of a checked table (with the `postgres` feature):
//! constants of text from `pg_sql`, and small functions that hand each field to the runtime
//! (`::wrkflw::__private::pg`), which does the converting.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Column, Scalar, Table};
use crate::expand::{field_ident, finder_items, joined_sql_tokens, option_str, FinderItems};
use crate::pg_default::pg_default;
use crate::pg_sql::{self, pg_ident, PgType};
use crate::sql::Dialect::Postgres;
use crate::sql::{self, SqlText};

/// PostgreSQL text that may name another table: its name and key come from `PgReferenced`.
fn pg_sql_tokens(text: &SqlText) -> TokenStream {
    joined_sql_tokens(
        text,
        |path| quote!(<#path as ::wrkflw::__private::Referenced>::PG_TABLE_SQL),
        |path| quote!(<#path as ::wrkflw::__private::Referenced>::PG_KEY_SQL),
    )
}

fn pg_type_tokens(pg_type: PgType) -> TokenStream {
    let variant = format_ident!("{}", pg_type.variant());
    quote!(::wrkflw::postgres::PgType::#variant)
}

pub(crate) fn impl_pg_table(table: &Table) -> TokenStream {
    let ident = table.ident;
    let table_name = table.table_name();
    let create = pg_sql_tokens(&sql::create_sql(table, Postgres));
    let indexes = sql::index_sql(table, Postgres);
    let copy = option_str(sql::copy_sql(table, Postgres).as_deref());
    let drops = sql::drop_legacy_sql(table, Postgres);
    let keep_script = pg_sql_tokens(&sql::migration_script(table, false, Postgres));
    let drop_script = pg_sql_tokens(&sql::migration_script(table, true, Postgres));
    let rows = sql::row_statements(table, Postgres);
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
        let pg_type = pg_type_tokens(pg_sql::column_type(column));
        let default = option_str(pg_default(column).ok().flatten().as_deref());
        quote! {
            ::wrkflw::postgres::PgColumn {
                name: #name,
                pg_type: #pg_type,
                default: #default,
            }
        }
    });
    let by_name = table.columns.iter().map(|column| {
        let name = column.name.as_str();
        read_field(column, &table_name, quote!(#name))
    });
    let by_position = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| read_field(column, &table_name, quote!(#i)));
    let locals: Vec<Ident> = (0..table.columns.len())
        .map(|i| format_ident!("__param_{}", i))
        .collect();
    let params = table.columns.iter().zip(&locals).map(|(column, local)| {
        let field = field_ident(column);
        let name = column.name.as_str();
        match (column.json.is_some(), column.ty.nullable) {
            (false, _) => quote!(let #local = ::wrkflw::__private::pg::param(&self.#field);),
            (true, false) => quote!(
                let #local = ::wrkflw::__private::pg::json_param(&self.#field, #table_name, #name)?;
            ),
            (true, true) => quote!(
                let #local = ::wrkflw::__private::pg::json_param_opt(&self.#field, #table_name, #name)?;
            ),
        }
    });
    let reference_checks = table
        .columns
        .iter()
        .filter_map(|column| reference_check(table, column));
    let finders = finders(table, &rows.finders);
    if_postgres(quote! {
        #[automatically_derived]
        impl ::wrkflw::postgres::PgTable for #ident {
            const PG_CREATE_SQL: &'static ::core::primitive::str = #create;
            const PG_INDEX_SQL: &'static [&'static ::core::primitive::str] = &[#(#indexes),*];
            const PG_COPY_SQL: ::core::option::Option<&'static ::core::primitive::str> = #copy;
            const PG_DROP_LEGACY_SQL: &'static [&'static ::core::primitive::str] = &[#(#drops),*];
            const PG_COLUMNS: &'static [::wrkflw::postgres::PgColumn] = &[#(#columns),*];
            const PG_INSERT_SQL: &'static ::core::primitive::str = #insert;
            const PG_UPSERT_SQL: &'static ::core::primitive::str = #upsert;
            const PG_UPDATE_SQL: &'static ::core::primitive::str = #update;
            const PG_SELECT_SQL: &'static ::core::primitive::str = #select;
            const PG_SELECT_ALL_SQL: &'static ::core::primitive::str = #select_all;
            const PG_DELETE_SQL: &'static ::core::primitive::str = #delete;
            const PG_COUNT_SQL: &'static ::core::primitive::str = #count;

            fn pg_migration_sql(legacy: ::wrkflw::LegacyTable) -> &'static ::core::primitive::str {
                match legacy {
                    ::wrkflw::LegacyTable::Keep => #keep_script,
                    ::wrkflw::LegacyTable::Drop => #drop_script,
                }
            }

            fn from_pg_row(
                row: &::wrkflw::__private::pg::postgres::Row,
            ) -> ::wrkflw::Result<Self> {
                if ::wrkflw::__private::pg::in_field_order(row, <Self as ::wrkflw::Table>::COLUMNS) {
                    return <Self as ::wrkflw::postgres::PgTable>::__pg_read_ordered(row);
                }
                ::core::result::Result::Ok(Self { #(#by_name),* })
            }

            #[doc(hidden)]
            fn __pg_read_ordered(
                row: &::wrkflw::__private::pg::postgres::Row,
            ) -> ::wrkflw::Result<Self> {
                ::core::result::Result::Ok(Self { #(#by_position),* })
            }

            #[doc(hidden)]
            fn __pg_with_params<R>(
                &self,
                run: &mut dyn ::core::ops::FnMut(
                    &[&(dyn ::wrkflw::__private::pg::postgres::types::ToSql + ::core::marker::Sync)],
                ) -> R,
            ) -> ::wrkflw::Result<R> {
                #(#params)*
                ::core::result::Result::Ok(run(&[#(&#locals),*]))
            }
        }

        #(#reference_checks)*

        #finders
    })
}

/// `code`, compiled only where `wrkflw` has its `postgres` feature (see
/// `wrkflw::__private::if_postgres`).
fn if_postgres(code: TokenStream) -> TokenStream {
    quote!(::wrkflw::__private::if_postgres! { #code })
}

/// `field: <read>?` for one column at `index` (a name or a position).
fn read_field(column: &Column, table_name: &str, index: TokenStream) -> TokenStream {
    let field = field_ident(column);
    let name = column.name.as_str();
    let read = match (column.json.is_some(), column.ty.nullable) {
        (false, _) => quote!(read),
        (true, false) => quote!(read_json),
        (true, true) => quote!(read_json_opt),
    };
    quote!(#field: ::wrkflw::__private::pg::#read(row, #index, #table_name, #name)?)
}

/// What a `references = ThisStruct` column of another table needs on PostgreSQL: items of
/// the `Referenced` impl.
pub(crate) fn referenced_items(table: &Table) -> TokenStream {
    let table_sql = pg_ident(&table.table_name()).into_owned();
    let mut keys = table.key_columns();
    let (key_sql, key_type) = match (keys.next(), keys.next()) {
        (Some(key), None) => (pg_ident(&key.name).into_owned(), pg_sql::column_type(key)),
        (first, _) => (
            String::new(),
            first.map_or(PgType::Text, pg_sql::column_type),
        ),
    };
    referenced_consts(&table_sql, &key_sql, key_type)
}

fn referenced_consts(table_sql: &str, key_sql: &str, key_type: PgType) -> TokenStream {
    let key_type = pg_type_tokens(key_type);
    if_postgres(quote! {
        const PG_TABLE_SQL: &'static ::core::primitive::str = #table_sql;
        const PG_KEY_SQL: &'static ::core::primitive::str = #key_sql;
        const PG_KEY_TYPE: ::wrkflw::postgres::PgType = #key_type;
    })
}

/// The `Referenced` items of `fallback_pg_impl`.
pub(crate) fn fallback_referenced_items() -> TokenStream {
    referenced_consts("", "", PgType::Text)
}

/// SQLite keeps `bool` and integers in one storage class, so the `Table` impl's check lets a
/// `bool` field reference an integer key; PostgreSQL cannot compare BOOLEAN with a number.
fn reference_check(table: &Table, column: &Column) -> Option<TokenStream> {
    let target = column.references.as_ref()?;
    if sql::referenced_here(table, target).is_some() {
        return None;
    }
    let is_bool = column.ty.scalar == Scalar::Bool;
    let message = format!(
        "`{}` references a key that PostgreSQL cannot compare with it (BOOLEAN and an integer); give the field the type of the referenced key",
        column.name
    );
    Some(quote_spanned! {target.span()=>
        const _: () = ::core::assert!(
            (<#target as ::wrkflw::__private::Referenced>::PG_KEY_TYPE as ::core::primitive::u8
                == ::wrkflw::postgres::PgType::Boolean as ::core::primitive::u8) == #is_bool,
            #message
        );
    })
}

/// `pg_find_by_...` and its `PG_FIND_BY_..._SQL`, one per index, as the SQLite finders.
fn finders(table: &Table, finders: &[sql::Finder]) -> Option<TokenStream> {
    let methods: Vec<TokenStream> = finders
        .iter()
        .map(|finder| {
            let FinderItems {
                method,
                constant,
                values,
                doc,
                const_doc,
            } = finder_items(table, finder, Postgres);
            let sql = &finder.sql;
            let columns: Vec<&Column> = finder
                .columns
                .iter()
                .filter_map(|name| table.columns.iter().find(|c| c.name == *name))
                .collect();
            let borrows = columns
                .iter()
                .any(|c| matches!(c.ty.scalar, Scalar::String | Scalar::Json | Scalar::Bytes));
            let lifetime = borrows.then(|| quote!(<'__wrkflw>));
            let arguments = columns.iter().zip(&values).map(|(column, value)| {
                let ty = argument_type(column.ty.scalar);
                if column.ty.nullable {
                    quote!(#value: impl ::core::convert::Into<::core::option::Option<#ty>>)
                } else {
                    quote!(#value: #ty)
                }
            });
            let conversions = columns.iter().zip(&values).map(|(column, value)| {
                let ty = argument_type(column.ty.scalar);
                if column.ty.nullable {
                    quote!(let #value: ::core::option::Option<#ty> = #value.into();)
                } else {
                    quote!()
                }
            });
            let (returns, call) = if finder.unique {
                (
                    quote!(::core::option::Option<Self>),
                    quote!(::wrkflw::__private::pg::find_one::<Self>),
                )
            } else {
                (
                    quote!(::std::vec::Vec<Self>),
                    quote!(::wrkflw::__private::pg::find::<Self>),
                )
            };
            // Where the columns are among the fields: the runtime sends each value with its
            // column's type.
            let positions = finder
                .columns
                .iter()
                .filter_map(|name| table.columns.iter().position(|c| c.name == *name));
            quote! {
                #[doc = #const_doc]
                pub const #constant: &'static ::core::primitive::str = #sql;

                #[doc = #doc]
                pub fn #method #lifetime(
                    client: &mut impl ::wrkflw::postgres::GenericClient,
                    #(#arguments,)*
                ) -> ::wrkflw::Result<#returns> {
                    #(#conversions)*
                    #call(
                        client,
                        Self::#constant,
                        &[#(#positions),*],
                        &[#(&::wrkflw::__private::pg::param(&#values)),*],
                    )
                }
            }
        })
        .collect();
    let ident = table.ident;
    (!methods.is_empty()).then(|| {
        quote! {
            #[automatically_derived]
            impl #ident {
                #(#methods)*
            }
        }
    })
}

/// A finder's parameter for a column of `scalar`: the type a caller has at hand, so that
/// `3` is an `i64` for a BIGINT column of `i64` and `"a"` fits a `String` column.
fn argument_type(scalar: Scalar) -> TokenStream {
    match scalar {
        Scalar::String | Scalar::Json => quote!(&'__wrkflw ::core::primitive::str),
        Scalar::Bytes => quote!(&'__wrkflw [::core::primitive::u8]),
        Scalar::I64 => quote!(::core::primitive::i64),
        Scalar::I32 => quote!(::core::primitive::i32),
        Scalar::I16 => quote!(::core::primitive::i16),
        Scalar::I8 => quote!(::core::primitive::i8),
        Scalar::U32 => quote!(::core::primitive::u32),
        Scalar::U16 => quote!(::core::primitive::u16),
        Scalar::U8 => quote!(::core::primitive::u8),
        Scalar::Bool => quote!(::core::primitive::bool),
        Scalar::F64 => quote!(::core::primitive::f64),
        Scalar::F32 => quote!(::core::primitive::f32),
    }
}

/// After a reported error, a `PgTable` impl with empty values, for the reason of
/// `expand::fallback_impl`.
pub(crate) fn fallback_pg_impl(ident: &Ident) -> TokenStream {
    if_postgres(quote! {
        impl ::wrkflw::postgres::PgTable for #ident {
            const PG_CREATE_SQL: &'static ::core::primitive::str = "";
            const PG_INDEX_SQL: &'static [&'static ::core::primitive::str] = &[];
            const PG_COPY_SQL: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::None;
            const PG_DROP_LEGACY_SQL: &'static [&'static ::core::primitive::str] = &[];
            const PG_COLUMNS: &'static [::wrkflw::postgres::PgColumn] = &[];
            const PG_INSERT_SQL: &'static ::core::primitive::str = "";
            const PG_UPSERT_SQL: &'static ::core::primitive::str = "";
            const PG_UPDATE_SQL: &'static ::core::primitive::str = "";
            const PG_SELECT_SQL: &'static ::core::primitive::str = "";
            const PG_SELECT_ALL_SQL: &'static ::core::primitive::str = "";
            const PG_DELETE_SQL: &'static ::core::primitive::str = "";
            const PG_COUNT_SQL: &'static ::core::primitive::str = "";

            fn pg_migration_sql(_: ::wrkflw::LegacyTable) -> &'static ::core::primitive::str {
                ""
            }

            fn from_pg_row(
                _: &::wrkflw::__private::pg::postgres::Row,
            ) -> ::wrkflw::Result<Self> {
                ::core::unimplemented!()
            }

            fn __pg_read_ordered(
                _: &::wrkflw::__private::pg::postgres::Row,
            ) -> ::wrkflw::Result<Self> {
                ::core::unimplemented!()
            }

            fn __pg_with_params<R>(
                &self,
                _: &mut dyn ::core::ops::FnMut(
                    &[&(dyn ::wrkflw::__private::pg::postgres::types::ToSql + ::core::marker::Sync)],
                ) -> R,
            ) -> ::wrkflw::Result<R> {
                ::core::unimplemented!()
            }
        }
    })
}
