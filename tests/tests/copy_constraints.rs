//! What the new table's constraints refuse in a copy, judged by SQLite's own rules: rows
//! that would break a unique index are refused before anything is written, as
//! `Error::UniqueViolation`, rows the index can hold are not, and a value a STRICT table
//! refuses is named by column and key.

use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::DbFile;

#[wrkflw_table(rename_from = "accounts")]
pub struct Account {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(unique)]
    pub email: String,
}

fn legacy(schema: &str, rows: &str) -> DbFile {
    let db = DbFile::new();
    db.open()
        .execute_batch(&format!("{schema}; INSERT INTO accounts VALUES {rows};"))
        .unwrap();
    db
}

/// The legacy column compares with NOCASE; the new column and its unique index compare byte
/// for byte, so 'a@x' and 'A@x' fit. The pre-check groups by the legacy column, with its
/// collation, which would refuse them.
#[test]
fn values_the_new_index_can_hold_are_not_refused_for_the_legacy_collation() {
    let db = legacy(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE)",
        "(1, 'a@x'), (2, 'A@x')",
    );
    let mut conn = db.open();
    let migrated = Account::migrate(&mut conn, LegacyTable::Keep);
    assert!(migrated.is_ok(), "{}", migrated.unwrap_err());
}

/// An untyped legacy column holds the integer 1 and the text '1'. The new TEXT column stores
/// both as '1', which its unique index refuses: the check converts them as the column does.
#[test]
fn values_equal_after_the_new_columns_affinity_are_refused_before_the_copy() {
    let db = legacy(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email)",
        "(1, 1), (2, '1')",
    );
    let mut conn = db.open();
    let err = Account::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
}

/// The table already holds a row (a reconcile copy: the table exists, the capture does not).
/// A legacy row under another key with the same email clashes with it.
#[test]
fn a_legacy_row_that_clashes_with_a_row_of_the_table_is_refused_before_the_copy() {
    let db = DbFile::new();
    let mut conn = db.open();
    Account::migrate(&mut conn, LegacyTable::Keep).unwrap();
    Account {
        id: 1,
        email: "a@x".into(),
    }
    .insert(&conn)
    .unwrap();
    conn.execute_batch(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);
         INSERT INTO accounts VALUES (2, 'a@x');",
    )
    .unwrap();
    let err = Account::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
}

/// A unique column the legacy table does not have is filled with its default on every row:
/// two legacy rows get one value.
#[wrkflw_table(rename_from = "accounts")]
pub struct AccountWithSlug {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub email: String,
    #[wrkflw(unique, default = "'x'")]
    pub slug: String,
}

#[test]
fn a_defaulted_unique_column_is_refused_before_the_copy() {
    let db = legacy(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT)",
        "(1, 'a@x'), (2, 'b@x')",
    );
    let mut conn = db.open();
    let err = AccountWithSlug::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
}

/// A `strict` table refuses a legacy value of another type ('many' in an INTEGER column). The
/// migrate docs promise that a legacy row the new table would reject fails with a typed error
/// naming the column and sample keys.
#[wrkflw_table(rename_from = "jobs", strict)]
pub struct StrictJob {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub attempts: i64,
}

#[test]
fn a_value_a_strict_table_refuses_is_explained() {
    let db = DbFile::new();
    db.open()
        .execute_batch(
            "CREATE TABLE jobs (id INTEGER PRIMARY KEY, attempts INTEGER);
             INSERT INTO jobs VALUES (1, 3), (2, 'many');",
        )
        .unwrap();
    let mut conn = db.open();
    let err = StrictJob::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    match &err {
        Error::WrongType {
            column,
            sample_keys,
            ..
        } => assert_eq!(
            (column.as_str(), sample_keys.as_slice()),
            ("attempts", &["2".to_owned()][..])
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("not INTEGER values (the table is STRICT)"),
        "{err}"
    );
}
