//! Nothing is discarded or changed by a rebuild without consent: NULLs under a new
//! `NOT NULL`, values a new type would change, keys a new key would merge and data in a
//! removed column are each a `SchemaDrift` difference with the count, up to five keys and
//! what would settle it, and the file is left byte for byte as it was.

#![allow(dead_code)] // Only the generated tables are used; their fields are never read.

use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::DbFile;

mod v1 {
    use super::wrkflw_table;

    #[wrkflw_table(name = "items")]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub label: Option<String>,
        pub amount: String,
        pub extra: Option<String>,
    }
}

/// `label` required, `amount` an integer, `extra` gone: three differences at once.
mod strict_item {
    use super::wrkflw_table;

    #[wrkflw_table(name = "items")]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub label: String,
        pub amount: i64,
    }
}

/// `label` is the key.
mod keyed_by_label {
    use super::wrkflw_table;

    #[wrkflw_table(name = "items")]
    pub struct Item {
        pub id: i64,
        #[wrkflw(primary_key)]
        pub label: String,
        pub amount: String,
        pub extra: Option<String>,
    }
}

/// Ten items; `setup` then makes some of them unfit.
fn items(setup: &str) -> DbFile {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Item::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 10)
         INSERT INTO wrkflw_items (id, label, amount) SELECT i, 'item ' || i, CAST(i * 10 AS TEXT) FROM k;",
    )
    .unwrap();
    conn.execute_batch(setup).unwrap();
    db
}

/// Migrates `T`, expects `SchemaDrift`, checks the file is unchanged, returns the differences.
fn refused<T: Table>(db: &DbFile) -> Vec<String> {
    let bytes = db.bytes();
    let mut conn = db.open();
    let error = T::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    let plan_error = T::plan(&conn, LegacyTable::Keep).unwrap_err();
    assert_eq!(
        plan_error.to_string(),
        error.to_string(),
        "plan refuses alike"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes, "nothing was written");
    match error {
        Error::SchemaDrift { table, differences } => {
            assert_eq!(table, "wrkflw_items");
            differences
        }
        other => panic!("expected SchemaDrift, got {other:?}"),
    }
}

#[test]
fn a_new_not_null_over_nulls_names_the_count_and_keys() {
    let db = items("UPDATE wrkflw_items SET label = NULL WHERE id IN (2, 3, 5, 7, 8, 9)");
    assert_eq!(
        refused::<strict_item::Item>(&db),
        ["column `label` is NOT NULL in the struct but 6 rows hold NULL there (keys 2, 3, 5, 7, 8); \
          make it `Option<_>`, or give those rows a value first"]
    );
}

#[test]
fn a_type_that_would_change_values_names_the_count_and_keys() {
    let db = items("UPDATE wrkflw_items SET amount = '0' || amount WHERE id = 4; UPDATE wrkflw_items SET amount = 'n/a' WHERE id = 6");
    assert_eq!(
        refused::<strict_item::Item>(&db),
        ["column `amount` is TEXT in the table but INTEGER in the struct, and 2 rows hold values that INTEGER \
          would change (keys 4, 6); keep the field's type, or convert those values first"]
    );
}

#[test]
fn every_difference_is_listed_at_once() {
    let db = items(
        "UPDATE wrkflw_items SET label = NULL WHERE id = 1;
         UPDATE wrkflw_items SET amount = '1.5' WHERE id = 2;
         UPDATE wrkflw_items SET extra = 'kept' WHERE id = 3;",
    );
    assert_eq!(
        refused::<strict_item::Item>(&db),
        [
            "column `extra` is in the table but not in the struct, and 1 row holds a value there (keys 3); \
             add `drop_columns(\"extra\")` to `#[wrkflw_table]` to discard it, or add the field back",
            "column `label` is NOT NULL in the struct but 1 row holds NULL there (keys 1); \
             make it `Option<_>`, or give those rows a value first",
            "column `amount` is TEXT in the table but INTEGER in the struct, and 1 row holds values that INTEGER \
             would change (keys 2); keep the field's type, or convert those values first",
        ]
    );
}

#[test]
fn a_new_key_held_by_several_rows_names_them() {
    let db = items("UPDATE wrkflw_items SET label = 'same' WHERE id IN (4, 9)");
    assert_eq!(
        refused::<keyed_by_label::Item>(&db),
        [
            "the key is now (label), and 1 of its values are held by several rows (keys 4, 9); \
          keep the table's key, or make those rows' values distinct first"
        ]
    );
}

#[test]
fn once_the_rows_are_fixed_the_rebuild_goes_ahead() {
    let db = items("UPDATE wrkflw_items SET label = NULL WHERE id = 1");
    refused::<strict_item::Item>(&db);
    let mut conn = db.open();
    conn.execute("UPDATE wrkflw_items SET label = 'one' WHERE id = 1", [])
        .unwrap();
    let report = strict_item::Item::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    assert_eq!(report.columns_dropped, ["extra"], "extra held only NULL");
    let amount: i64 = conn
        .query_row("SELECT amount FROM wrkflw_items WHERE id = 7", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(amount, 70);
}

/// A BLOB `X'31'` and the text `'1'` both become the integer 1: each value survives its
/// own cast, but two keys would become one.
mod codes_v1 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "codes")]
    pub struct Code {
        #[wrkflw(primary_key)]
        pub code: String,
        pub n: i64,
    }
}

/// `code` is an integer now.
mod codes_v2 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "codes")]
    pub struct Code {
        #[wrkflw(primary_key)]
        pub code: i64,
        pub n: i64,
    }
}

#[test]
fn keys_a_new_type_would_merge_are_refused_before_writing() {
    let db = DbFile::new();
    let mut conn = db.open();
    codes_v1::Code::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch("INSERT INTO wrkflw_codes VALUES ('1', 1), (CAST('1' AS BLOB), 2);")
        .unwrap();
    let planned = codes_v2::Code::plan(&conn, LegacyTable::Keep);
    assert!(
        matches!(planned, Err(Error::SchemaDrift { .. })),
        "plan: {:?}",
        planned.map(|p| p.to_string())
    );
    let err = codes_v2::Code::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&err, Error::SchemaDrift { differences, .. }
            if differences.iter().any(|d| d.contains("the key is now (code), and 1 of its values are held by several rows"))),
        "{err:?}"
    );
}
