//! The generated code names everything by absolute path: it compiles in a module where the
//! prelude's `Option`, `Some`, `None`, `Result`, `Ok`, `String`, `Vec`, `bool`, `str`, `Row`,
//! `Connection` and a `rusqlite`, `serde_json`, `core` or `wrkflw` of the user's own mean
//! something else; on PostgreSQL too, where `postgres`, `Client`, `GenericClient`, `Sync`
//! and `ToSql` are the user's.

#![allow(non_camel_case_types, dead_code, clippy::disallowed_names)]

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
    pub mod rusqlite {}
    pub mod core {}
    pub mod wrkflw {}
    pub trait Table {}

    pub mod serde_json {}
    pub struct Row;
    pub struct Connection;
    pub mod postgres {}
    pub struct Client;
    pub trait GenericClient {}
    pub trait PgTable {}
    pub trait Sync {}
    pub trait ToSql {}

    #[::wrkflw::wrkflw_table(rename_from = "things")]
    pub struct Thing {
        #[wrkflw(primary_key)]
        pub id: ::std::string::String,
        #[wrkflw(index)]
        pub kind: ::std::string::String,
        pub note: ::std::option::Option<::std::string::String>,
        #[wrkflw(json)]
        pub tags: ::std::vec::Vec<::std::string::String>,
        #[wrkflw(json)]
        pub extra: ::std::option::Option<::serde_json::Value>,
    }
}

#[test]
fn generated_code_ignores_shadowed_names() {
    use ::wrkflw::Table as _;
    assert_eq!(shadowed::Thing::TABLE_NAME, "wrkflw_things");
    let mut conn = ::wrkflw::rusqlite::Connection::open_in_memory().unwrap();
    let report = shadowed::Thing::migrate(&mut conn, ::wrkflw::LegacyTable::Keep).unwrap();
    assert!(report.table_created);
    let thing = shadowed::Thing {
        id: "t1".to_owned(),
        kind: "k".to_owned(),
        note: ::std::option::Option::None,
        tags: ::std::vec!["a".to_owned()],
        extra: ::std::option::Option::Some(::serde_json::json!({"x": 1})),
    };
    thing.insert(&conn).unwrap();
    let found = shadowed::Thing::find_by_kind(&conn, "k").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tags, ["a"]);
}

#[test]
fn generated_postgres_code_ignores_shadowed_names() {
    use ::wrkflw::postgres::PgTable as _;
    let ::std::option::Option::Some(db) = ::wrkflw_tests::pg::PgDb::new() else {
        return;
    };
    let mut client = db.client();
    client
        .batch_execute(shadowed::Thing::PG_CREATE_SQL)
        .unwrap();
    let thing = shadowed::Thing {
        id: "t1".to_owned(),
        kind: "k".to_owned(),
        note: ::std::option::Option::None,
        tags: ::std::vec!["a".to_owned()],
        extra: ::std::option::Option::Some(::serde_json::json!({"x": 1})),
    };
    thing.insert(&mut client).unwrap();
    let found = shadowed::Thing::pg_find_by_kind(&mut client, "k").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tags, ["a"]);
    assert_eq!(found[0].extra, thing.extra);
}
