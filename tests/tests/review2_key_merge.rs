//! Review 2: a key whose type changes can merge two keys (a BLOB `X'31'` and the text `'1'`
//! both `CAST` to the integer 1, and each casts back to itself, so the per-value check
//! passes). The check for keys several rows share runs only when the key moves to other
//! columns, not when the same key column changes type, so the rebuild is planned and the
//! copy fails on the UNIQUE constraint: a raw `Error::Step`, with no count or keys, instead
//! of the `SchemaDrift` the README promises ("a new key whose values several rows share").
//! The same holds for an untyped legacy key holding `5` and `'5'` retyped to TEXT.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::DbFile;

mod v1 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "codes")]
    pub struct Code {
        #[wrkflw(primary_key)]
        pub code: String,
        pub n: i64,
    }
}

mod v2 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "codes")]
    pub struct Code {
        #[wrkflw(primary_key)]
        pub code: i64,
        pub n: i64,
    }
}

#[test]
fn keys_a_new_type_merges_are_refused_as_drift_naming_them() {
    let db = DbFile::new();
    let mut conn = db.open();
    v1::Code::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute_batch("INSERT INTO wrkflw_codes VALUES ('1', 1), (CAST('1' AS BLOB), 2);")
        .unwrap();
    let planned = v2::Code::plan(&conn, LegacyTable::Keep);
    assert!(
        matches!(planned, Err(Error::SchemaDrift { .. })),
        "plan: {:?}",
        planned.map(|p| p.to_string())
    );
    let err = v2::Code::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(matches!(err, Error::SchemaDrift { .. }), "{err:?}");
}
