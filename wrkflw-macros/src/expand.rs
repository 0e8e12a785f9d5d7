//! The pipeline: read the struct into the model, check it, then write the `Table` impl.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Data, DeriveInput, Fields};

use crate::ast::{SqlType, Table};
use crate::errors::Errors;
use crate::{check, sql};

/// Expands `#[wrkflw_table(args)] item`.
pub(crate) fn wrkflw_table(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut input: DeriveInput = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(_) => {
            let error = syn::Error::new_spanned(
                item.clone()
                    .into_iter()
                    .next()
                    .map(TokenStream::from)
                    .unwrap_or_default(),
                "#[wrkflw_table] applies to a struct with named fields",
            );
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };

    let mut errors = Errors::default();
    let table = Table::from_syn(args, &input, &mut errors);
    if let Some(table) = &table {
        check::validate(table, &mut errors);
    }
    let generated = match (errors.finish(), &table) {
        (Ok(()), Some(table)) => impl_table(table),
        (result, table) => {
            let errors = result.err().map(|e| e.to_compile_error());
            let placeholder = table.as_ref().map(|_| fallback_impl(&input));
            quote!(#errors #placeholder)
        }
    };
    drop(table);

    // The struct is emitted in every case, without our attributes, so that one mistake in an
    // attribute does not cascade into "cannot find type" errors wherever the struct is used.
    strip_wrkflw_attributes(&mut input);
    quote!(#input #generated)
}

fn impl_table(table: &Table) -> TokenStream {
    let ident = table.ident;
    let table_name = table.table_name();
    let legacy = option_str(table.legacy_name().as_deref());
    let create = sql::create_sql(table);
    let indexes = sql::index_sql(table);
    let copy = option_str(sql::copy_sql(table).as_deref());
    let drops = sql::drop_legacy_sql(table);
    let keep_script = sql::migration_script(table, false);
    let drop_script = sql::migration_script(table, true);
    let columns = table.columns.iter().map(|column| {
        let name = &column.name;
        let sql_type = match column.ty.sql {
            SqlType::Text => quote!(Text),
            SqlType::Integer => quote!(Integer),
            SqlType::Real => quote!(Real),
            SqlType::Blob => quote!(Blob),
        };
        let nullable = column.ty.nullable;
        let primary_key = column.primary_key.is_some();
        let indexed = column.index.is_some();
        let default = option_str(column.default.as_ref().map(|d| d.value()).as_deref());
        quote! {
            ::wrkflw::Column {
                name: #name,
                sql_type: ::wrkflw::SqlType::#sql_type,
                nullable: #nullable,
                primary_key: #primary_key,
                indexed: #indexed,
                default: #default,
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
            const COPY_SQL: ::core::option::Option<&'static ::core::primitive::str> = #copy;
            const DROP_LEGACY_SQL: &'static [&'static ::core::primitive::str] = &[#(#drops),*];
            const COLUMNS: &'static [::wrkflw::Column] = &[#(#columns),*];

            fn migration_sql(legacy: ::wrkflw::LegacyTable) -> &'static ::core::primitive::str {
                match legacy {
                    ::wrkflw::LegacyTable::Keep => #keep_script,
                    ::wrkflw::LegacyTable::Drop => #drop_script,
                }
            }
        }
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
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
    Some(quote! {
        impl ::wrkflw::Table for #ident {
            const TABLE_NAME: &'static ::core::primitive::str = "";
            const LEGACY_TABLE_NAME: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::None;
            const CREATE_SQL: &'static ::core::primitive::str = "";
            const INDEX_SQL: &'static [&'static ::core::primitive::str] = &[];
            const COPY_SQL: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::None;
            const DROP_LEGACY_SQL: &'static [&'static ::core::primitive::str] = &[];
            const COLUMNS: &'static [::wrkflw::Column] = &[];

            fn migration_sql(_: ::wrkflw::LegacyTable) -> &'static ::core::primitive::str {
                ""
            }
        }
    })
}

fn strip_wrkflw_attributes(input: &mut DeriveInput) {
    let keep = |attr: &Attribute| !attr.path().is_ident("wrkflw");
    input.attrs.retain(keep);
    let fields: Vec<&mut Fields> = match &mut input.data {
        Data::Struct(data) => vec![&mut data.fields],
        Data::Enum(data) => data.variants.iter_mut().map(|v| &mut v.fields).collect(),
        Data::Union(data) => {
            for field in &mut data.fields.named {
                field.attrs.retain(keep);
            }
            Vec::new()
        }
    };
    for fields in fields {
        for field in fields.iter_mut() {
            field.attrs.retain(keep);
        }
    }
}
