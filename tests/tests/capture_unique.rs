//! The change capture against the new table's unique indexes: an old deployment's write
//! whose values a unique index already holds under another key must not displace that row,
//! whatever conflict clause the old deployment writes with.

use wrkflw::{wrkflw_table, LegacyTable, Table};
use wrkflw_tests::DbFile;

#[wrkflw_table(rename_from = "accounts")]
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(unique)]
    pub email: String,
}

fn kept() -> (DbFile, wrkflw::rusqlite::Connection) {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
         INSERT INTO accounts VALUES (1, 'one@x');",
    )
    .unwrap();
    Account::migrate(&mut conn, LegacyTable::Keep).unwrap();
    Account {
        id: 10,
        email: "ten@x".into(),
    }
    .insert(&conn)
    .unwrap();
    (db, conn)
}

#[test]
fn a_legacy_write_taking_a_unique_value_never_displaces_the_tables_row() {
    for statement in [
        "INSERT INTO accounts VALUES (20, 'ten@x')",
        "INSERT OR REPLACE INTO accounts VALUES (20, 'ten@x')",
        "REPLACE INTO accounts VALUES (20, 'ten@x')",
        "INSERT OR IGNORE INTO accounts VALUES (20, 'ten@x')",
        "UPDATE accounts SET email = 'ten@x' WHERE id = 1",
        "UPDATE OR REPLACE accounts SET email = 'ten@x' WHERE id = 1",
    ] {
        let (_db, conn) = kept();
        let result = conn.execute(statement, []);
        // The table's row stays, whatever became of the old deployment's write.
        assert_eq!(
            Account::get(&conn, 10).unwrap(),
            Some(Account {
                id: 10,
                email: "ten@x".into()
            }),
            "{statement}: {result:?}"
        );
        assert_eq!(Account::count(&conn).unwrap(), 2, "{statement}: {result:?}");
        // And the old deployment's write did not silently vanish: it failed, loudly.
        let error = result.expect_err(statement);
        assert!(
            error.to_string().contains(
                "wrkflw: unique index uq_wrkflw_accounts_email of wrkflw_accounts already holds"
            ),
            "{statement}: {error}"
        );
    }
}

#[test]
fn a_legacy_row_that_moves_its_key_keeps_its_unique_value() {
    let (_db, conn) = kept();
    conn.execute("UPDATE accounts SET id = 2 WHERE id = 1", [])
        .unwrap();
    assert_eq!(Account::get(&conn, 1).unwrap(), None);
    assert_eq!(
        Account::get(&conn, 2).unwrap(),
        Some(Account {
            id: 2,
            email: "one@x".into()
        })
    );
    // An upsert of its own key under the same value is an update, not a clash.
    conn.execute("INSERT OR REPLACE INTO accounts VALUES (2, 'one@x')", [])
        .unwrap();
    conn.execute("INSERT INTO accounts VALUES (3, 'three@x')", [])
        .unwrap();
    assert_eq!(Account::count(&conn).unwrap(), 3);
}
