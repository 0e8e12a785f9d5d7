// The shadowing test of tests/absolute_paths.rs, with the new attributes: composite key,
// unique and multi-column finders, a foreign key to another struct and to Self.
#![allow(non_camel_case_types, dead_code)]

mod shadowed {
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct Result;
    pub struct Ok;
    pub struct Err;
    pub struct Vec;
    pub struct String;
    pub struct bool;
    pub struct str;
    pub struct usize;
    pub struct u8;
    pub mod rusqlite {}
    pub mod core {}
    pub mod wrkflw {}
    pub mod std {}
    pub trait Table {}
    pub trait Referenced {}
    pub trait Key {}
    pub mod postgres {}
    pub trait PgTable {}
    pub trait GenericClient {}
    pub trait Sync {}
    pub trait ToSql {}

    #[::wrkflw::wrkflw_table]
    pub struct Run {
        #[wrkflw(primary_key)]
        pub id: ::std::string::String,
    }

    #[::wrkflw::wrkflw_table(strict, unique(run_ref, n), index(run, note))]
    pub struct Step {
        #[wrkflw(primary_key)]
        pub run: ::std::string::String,
        #[wrkflw(primary_key)]
        pub n: i64,
        #[wrkflw(references = Run, on_delete = "cascade")]
        pub run_ref: ::std::string::String,
        #[wrkflw(unique)]
        pub note: ::std::option::Option<::std::string::String>,
    }

    #[::wrkflw::wrkflw_table]
    pub struct Node {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(references = Self, on_delete = "set_null")]
        pub parent: ::std::option::Option<i64>,
    }
}

fn main() {}
